"""Command line: ``mfgplan run | compare | validate | forecast | params``.

Bad input (a scenario file, an option, an output folder) ends with one line per problem on
stderr naming the file, the field and the problem, and exit code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import xarray as xr

    from calibration.forecast import BaselineFit
    from model.scenario import ResolvedScenario

__all__ = ["main"]

EXIT_USAGE = 2


class UsageError(Exception):
    """A problem with the command line or the environment; printed as one line, exit 2."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**63-1 (got {value})")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mfgplan",
        description="Scenario simulation of provincial manufacturing plans.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a scenario ensemble and write a run folder")
    run.add_argument("scenario", help="scenario YAML file")
    run.add_argument("--replicates", "-n", type=_positive_int, help="override replicates")
    run.add_argument("--seed", type=_seed, help="override the root seed")
    run.add_argument("--out", type=Path, help="run folder (default outputs/<scenario>/<id>)")
    run.add_argument("--force", action="store_true", help="replace an existing run folder")
    run.add_argument("--no-charts", action="store_true", help="skip the charts")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress bar")

    cmp_ = sub.add_parser("compare", help="run scenarios on common random numbers and compare")
    cmp_.add_argument("scenarios", nargs="+", help="scenario YAML files (first = reference)")
    cmp_.add_argument("--replicates", "-n", type=_positive_int)
    cmp_.add_argument("--seed", type=_seed)
    cmp_.add_argument("--out", type=Path)
    cmp_.add_argument("--force", action="store_true")
    cmp_.add_argument("--quiet", "-q", action="store_true")

    val = sub.add_parser("validate", help="check scenario files without running them")
    val.add_argument("files", nargs="+")

    fc = sub.add_parser("forecast", help="statistical baseline forecasts (netCDF + fan charts)")
    fc.add_argument("--as-of", type=int, default=2015, dest="as_of")
    fc.add_argument("--horizon", type=int, default=2025)
    fc.add_argument("--paths", type=_positive_int, default=1000)
    fc.add_argument("--seed", type=_seed, default=20160114)
    fc.add_argument("--out", type=Path, default=Path("outputs/forecast"))
    fc.add_argument("--force", action="store_true")

    par = sub.add_parser("params", help="print the parameter catalogue")
    par.add_argument("--format", choices=("table", "csv", "json"), default="table")
    return parser


def _check_out(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise UsageError(
            f"{path}: run folder already exists (use --force to replace it, or another --out)"
        )
    parent = path.parent
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"{parent}: not a directory")
    import os

    if not os.access(probe, os.W_OK):
        raise UsageError(f"{parent}: output folder is not writable")


def _load(paths: Sequence[str]) -> list[ResolvedScenario]:
    from model.scenario import ScenarioError, load_scenario

    resolved = []
    problems: list[str] = []
    for p in paths:
        try:
            resolved.append(load_scenario(p))
        except ScenarioError as err:
            problems.extend(str(problem) for problem in err.problems)
    if problems:
        raise UsageError("\n".join(problems))
    return resolved


def _progress(total: int, quiet: bool, label: str) -> AbstractContextManager[Any]:
    from contextlib import nullcontext

    if quiet or total <= 1:
        return nullcontext(None)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        transient=False,
    )
    return progress


def _ensemble(
    resolved: ResolvedScenario, args: argparse.Namespace, fit: BaselineFit, label: str
) -> xr.Dataset:
    from model.ensemble import run_ensemble

    scenario = resolved.scenario
    n = args.replicates or scenario.replicates
    with _progress(n, args.quiet, label) as progress:
        callback = None
        if progress is not None:
            task = progress.add_task(label, total=n)

            def callback(k: int) -> None:
                progress.advance(task, k)

        return run_ensemble(
            scenario, replicates=args.replicates, seed=args.seed, fit=fit, progress=callback
        )


def _scenario_info(resolved: ResolvedScenario) -> dict[str, Any]:
    return {
        "title": resolved.scenario.title,
        "path": str(resolved.path),
        "chain": [str(p) for p in resolved.chain],
        "sha256": resolved.sha256,
    }


def _cmd_run(args: argparse.Namespace) -> int:
    from calibration.forecast import fit_baseline
    from model.runs import default_run_dir, write_run
    from model.targets import TARGETS

    (resolved,) = _load([args.scenario])
    scenario = resolved.scenario
    seed = scenario.seed if args.seed is None else args.seed
    n = args.replicates or scenario.replicates
    out = args.out or default_run_dir(resolved.path, resolved.sha256, seed, n)
    _check_out(out, args.force)
    t0 = time.perf_counter()
    fit = fit_baseline(as_of=scenario.base_year)
    t1 = time.perf_counter()
    ds = _ensemble(resolved, args, fit, scenario.title[:40])
    t2 = time.perf_counter()
    folder = write_run(
        out,
        ds,
        resolved_yaml=resolved.to_yaml(),
        scenario_info=_scenario_info(resolved),
        history=fit.history,
        timings={"baseline_fit": round(t1 - t0, 3), "ensemble": round(t2 - t1, 3)},
        command=" ".join(["mfgplan", *sys.argv[1:]]),
        charts=not args.no_charts,
    )
    print(f"{scenario.title}: {n} replicates in {t2 - t1:.1f} s -> {folder}")
    for target in TARGETS:
        v = ds[target.indicator].sel(year=target.year).values
        import numpy as np

        print(
            f"  {target.name:<22} {target.year}: P(met) = {np.mean(v >= target.threshold):.2f}, "
            f"median {np.median(v):.4g} (threshold {target.threshold:.4g} {target.units})"
        )
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from calibration.forecast import fit_baseline
    from model.charts import diff_chart
    from model.runs import compare_table, manifest

    resolved = _load(args.scenarios)
    labels = [r.path.stem for r in resolved]
    if len(set(labels)) != len(labels):
        raise UsageError("compare: scenario file names must differ (they label the columns)")
    first = resolved[0].scenario
    seed = first.seed if args.seed is None else args.seed
    n = args.replicates or first.replicates
    out = args.out or Path("outputs") / "compare" / time.strftime("%Y%m%dT%H%M%S")
    _check_out(out, args.force)
    bases = {(r.scenario.base_year, r.scenario.horizon) for r in resolved}
    if len(bases) != 1:
        raise UsageError("compare: scenarios must share base_year and horizon")
    fit = fit_baseline(as_of=first.base_year)
    t0 = time.perf_counter()
    datasets = {}
    for label, r in zip(labels, resolved, strict=True):
        args.seed = seed
        args.replicates = n
        datasets[label] = _ensemble(r, args, fit, label[:40])
    elapsed = time.perf_counter() - t0
    import shutil

    import numpy as np

    partial = out.with_name(out.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    (partial / "charts").mkdir(parents=True)
    table = compare_table(datasets, labels[0])
    table.to_csv(partial / "compare.csv", index=False, float_format="%.6g")
    from model.runs import CHARTED

    for name, (ylabel, scale) in CHARTED.items():
        ref = datasets[labels[0]][name].values
        diffs = {lab: ds[name].values - ref for lab, ds in datasets.items() if lab != labels[0]}
        if not diffs:
            break
        fig = diff_chart(
            datasets[labels[0]]["year"].values,
            diffs,
            title=f"{name}: difference from {labels[0]} (same draws)",
            ylabel=ylabel,
            scale=scale,
        )
        fig.savefig(partial / "charts" / f"{name}_difference.png", dpi=110)
    for label, ds in datasets.items():
        ds.to_netcdf(partial / f"results_{label}.nc", engine="netcdf4")
    man = manifest(
        command=" ".join(["mfgplan", *sys.argv[1:]]),
        scenarios=[_scenario_info(r) for r in resolved],
        seed=seed,
        replicates=n,
        timings={"ensembles": round(elapsed, 3)},
        files=sorted(str(p.relative_to(partial)) for p in partial.rglob("*") if p.is_file()),
    )
    (partial / "manifest.json").write_text(json.dumps(man, indent=2), encoding="utf-8")
    if out.exists():
        shutil.rmtree(out)
    partial.rename(out)
    view = table[["scenario", "target", "probability", "median", "diff_median"]]
    with np.printoptions(precision=4):
        print(view.to_string(index=False))
    print(f"-> {out}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from model.scenario import validate_files

    return validate_files(args.files)


def _cmd_forecast(args: argparse.Namespace) -> int:
    from calibration.forecast import write_forecast

    if not 2000 <= args.as_of <= 2015:
        raise UsageError(f"--as-of: must be between 2000 and 2015 (got {args.as_of})")
    if not args.as_of < args.horizon <= 2050:
        raise UsageError(f"--horizon: must be after --as-of and at most 2050 (got {args.horizon})")
    _check_out(args.out, args.force)
    folder = write_forecast(
        args.out, as_of=args.as_of, horizon=args.horizon, n_paths=args.paths, seed=args.seed
    )
    print(f"baseline forecast as of {args.as_of} -> {folder}")
    return 0


def _cmd_params(args: argparse.Namespace) -> int:
    from model.parameters import catalogue

    rows = catalogue()
    if args.format == "json":
        print(json.dumps(rows, indent=1, ensure_ascii=False, default=str))
    elif args.format == "csv":
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    k: json.dumps(v, ensure_ascii=False, default=str)
                    if isinstance(v, (dict, list, tuple))
                    else v
                    for k, v in row.items()
                }
            )
    else:
        for row in rows:
            print(f"{row['name']:<70} {row['default']!s:<14} {row['units']:<28} {row['source']}")
    return 0


COMMANDS = {
    "run": _cmd_run,
    "compare": _cmd_compare,
    "validate": _cmd_validate,
    "forecast": _cmd_forecast,
    "params": _cmd_params,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mfgplan`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except UsageError as err:
        print(str(err), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted: no run folder was completed", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
