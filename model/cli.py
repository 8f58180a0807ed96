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
    from model.scenario import ResolvedScenario

__all__ = ["main"]

EXIT_USAGE = 2
#: the run completed but some replicates failed (listed in the manifest)
EXIT_PARTIAL = 3


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


def _parallel_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--workers",
        "-j",
        type=_positive_int,
        default=1,
        help="local worker processes for the replicates (results do not depend on it)",
    )
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="address of a running dask.distributed scheduler (e.g. tcp://10.0.0.5:8786)",
    )


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
    run.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run in --out from its finished replicates",
    )
    run.add_argument("--no-charts", action="store_true", help="skip the charts")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    _parallel_options(run)

    cmp_ = sub.add_parser("compare", help="run scenarios on common random numbers and compare")
    cmp_.add_argument("scenarios", nargs="+", help="scenario YAML files (first = reference)")
    cmp_.add_argument("--replicates", "-n", type=_positive_int)
    cmp_.add_argument("--seed", type=_seed)
    cmp_.add_argument("--out", type=Path)
    cmp_.add_argument("--force", action="store_true")
    cmp_.add_argument("--quiet", "-q", action="store_true")
    _parallel_options(cmp_)

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
    """Refuse an existing folder (unless ``force``) and prove the parent is writable."""
    import os
    import tempfile

    if path.exists() and not force:
        raise UsageError(
            f"{path}: run folder already exists (use --force to replace it, or another --out)"
        )
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        if not parent.is_dir():
            raise NotADirectoryError(20, "not a directory")
        fd, probe = tempfile.mkstemp(prefix=".mfgplan-probe-", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise UsageError(
            f"{parent}: output folder is not writable ({err.strerror or err})"
        ) from None


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


def _probe_scheduler(address: str | None) -> None:
    """Fail before any work if the scheduler does not answer."""
    if address is None:
        return
    from model.parallel import SchedulerError, connect

    try:
        connect(address, timeout=5.0).close()
    except SchedulerError as err:
        raise UsageError(str(err)) from None


def _scenario_info(resolved: ResolvedScenario) -> dict[str, Any]:
    return {
        "title": resolved.scenario.title,
        "path": str(resolved.path),
        "chain": [str(p) for p in resolved.chain],
        "sha256": resolved.sha256,
    }


def _prepare_out(out: Path, *, force: bool, resume: bool) -> bool:
    """Decide what to do with ``out`` and ``out.partial``; True if a partial run is resumed."""
    partial = out.with_name(out.name + ".partial")
    if out.exists() and not force and not resume:
        raise UsageError(
            f"{out}: run folder already exists (use --force to replace it, or another --out)"
        )
    if partial.exists():
        if resume:
            if not partial.is_dir():
                raise UsageError(f"{partial}: not a directory")
            return True
        if not force:
            raise UsageError(
                f"{partial}: an interrupted run is here; continue it with --resume or start "
                "again with --force"
            )
        import shutil

        shutil.rmtree(partial)
    _check_out(out, force=True)
    return False


def _cmd_run(args: argparse.Namespace) -> int:
    import numpy as np

    from calibration.forecast import fit_baseline
    from model.ensemble import VARIABLES, dataset_skeleton, resolve_job
    from model.parallel import Failure, iter_outcomes
    from model.runs import default_run_dir, finish_run, git_commit
    from model.store import ReplicateStore, RunMismatchError, write_results
    from model.targets import TARGETS

    if args.resume and args.force:
        raise UsageError("--resume and --force: choose one")
    (resolved,) = _load([args.scenario])
    scenario = resolved.scenario
    seed = scenario.seed if args.seed is None else args.seed
    n = args.replicates or scenario.replicates
    if args.resume and args.out is None:
        raise UsageError("--resume: give the --out folder of the run to continue")
    out = args.out or default_run_dir(resolved.path, resolved.sha256, seed, n)
    if args.resume and out.is_dir() and (out / "manifest.json").is_file():
        print(f"{out}: already complete; nothing to resume")
        return 0
    resuming = _prepare_out(out, force=args.force, resume=args.resume)
    _probe_scheduler(args.scheduler)
    partial = out.with_name(out.name + ".partial")
    t0 = time.perf_counter()
    fit = fit_baseline(as_of=scenario.base_year)
    job = resolve_job(scenario, seed=seed, fit=fit)
    identity = {
        "scenario_sha256": resolved.sha256,
        "seed": job.root_seed,
        "n_firms": job.n_firms,
        "baseline_as_of": fit.as_of,
        "model_version": __import__("model").__version__,
        "git_commit": git_commit(),
    }
    store = ReplicateStore(partial)
    try:
        if resuming:
            store.check(identity)
            store.discard_temporary()
        else:
            store.create(identity)
    except RunMismatchError as err:
        raise UsageError(str(err)) from None
    except OSError as err:
        raise UsageError(f"{partial}: cannot write the run folder ({err.strerror})") from None
    done = {r for r in store.finished() if r < n}
    todo = [r for r in range(n) if r not in done]
    if resuming:
        print(f"resuming {partial}: {len(done)} of {n} replicates already finished")
    t1 = time.perf_counter()
    label = scenario.title[:40]
    try:
        with _progress(n, args.quiet, label) as progress:
            task = progress.add_task(label, total=n, completed=len(done)) if progress else None
            for _j, r, outcome in iter_outcomes(
                [job], [todo], workers=args.workers, scheduler=args.scheduler
            ):
                if isinstance(outcome, Failure):
                    store.save_failure(outcome)
                else:
                    store.save(r, outcome)
                if progress is not None:
                    progress.advance(task, 1)
    except KeyboardInterrupt:
        saved = len([r for r in store.finished() if r < n])
        print(
            f"interrupted: {saved} of {n} replicates are saved in {partial}; continue with the "
            "same command and --resume",
            file=sys.stderr,
        )
        return 130
    except Exception as err:
        from concurrent.futures.process import BrokenProcessPool

        if isinstance(err, BrokenProcessPool):
            print(
                f"a worker process died ({err}); finished replicates are saved in {partial}; "
                "continue with --resume",
                file=sys.stderr,
            )
            return 1
        raise
    t2 = time.perf_counter()
    ok = sorted(r for r in store.finished() if r < n)
    failures = [f for f in store.failures() if f.replicate < n]
    if not ok:
        first = failures[0]
        print(
            f"every replicate failed; the first, replicate {first.replicate} (seed entropy "
            f"{first.root_seed}, spawn key [{first.replicate}]): {first.error}",
            file=sys.stderr,
        )
        return 1
    skeleton = dataset_skeleton(scenario, fit, job.root_seed, job.n_firms, ok)
    write_results(partial / "results.nc", skeleton, VARIABLES, store.load, ok)
    t3 = time.perf_counter()
    folder = finish_run(
        partial,
        out,
        resolved_yaml=resolved.to_yaml(),
        scenario_info=_scenario_info(resolved),
        history=fit.history,
        timings={
            "baseline_fit": round(t1 - t0, 3),
            "ensemble": round(t2 - t1, 3),
            "results": round(t3 - t2, 3),
        },
        command=" ".join(["mfgplan", *sys.argv[1:]]),
        charts=not args.no_charts,
        failures=failures,
        replicates_requested=n,
        extra={
            "workers": args.workers if args.scheduler is None else None,
            "scheduler": args.scheduler,
            "resumed_replicates": len(done),
            "n_firms": job.n_firms,
        },
    )
    print(f"{scenario.title}: {len(todo)} replicates in {t2 - t1:.1f} s -> {folder}")
    import xarray as xr

    with xr.open_dataset(folder / "results.nc") as ds:
        for target in TARGETS:
            v = ds[target.indicator].sel(year=target.year).values
            print(
                f"  {target.name:<22} {target.year}: P(met) = "
                f"{np.mean(v >= target.threshold):.2f}, median {np.median(v):.4g} "
                f"(threshold {target.threshold:.4g} {target.units})"
            )
    if failures:
        print(
            f"{len(failures)} of {n} replicates failed (listed in manifest.json); the first, "
            f"replicate {failures[0].replicate}: {failures[0].error}",
            file=sys.stderr,
        )
        return EXIT_PARTIAL
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from calibration.forecast import fit_baseline
    from model.charts import diff_chart
    from model.runs import compare_table, manifest, replace_folder
    from model.store import atomic_write_text

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
    _probe_scheduler(args.scheduler)
    from model.ensemble import EnsembleFailedError, resolve_job, run_ensembles

    fit = fit_baseline(as_of=first.base_year)
    t0 = time.perf_counter()
    jobs = [resolve_job(r.scenario, seed=seed, fit=fit) for r in resolved]
    total = n * len(jobs)
    try:
        with _progress(total, args.quiet, "compare") as progress:
            task = progress.add_task("compare", total=total) if progress else None

            def advance(_j: int, k: int) -> None:
                if progress is not None:
                    progress.advance(task, k)

            results, failures = run_ensembles(
                jobs, range(n), workers=args.workers, scheduler=args.scheduler, progress=advance
            )
    except EnsembleFailedError as err:
        print(str(err), file=sys.stderr)
        return 1
    # common random numbers: compare only replicates that succeeded in every scenario
    common = set(results[0].replicate.values.tolist())
    for ds in results[1:]:
        common &= set(ds.replicate.values.tolist())
    keep = sorted(common)
    if not keep:
        print("compare: no replicate succeeded in every scenario", file=sys.stderr)
        return 1
    datasets = {label: ds.sel(replicate=keep) for label, ds in zip(labels, results, strict=True)}
    failed = [
        {"scenario": label, **f.to_dict()}
        for label, fails in zip(labels, failures, strict=True)
        for f in fails
    ]
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
        extra={
            "status": "complete_with_failures" if failed else "complete",
            "replicates_compared": keep,
            "replicates_failed": failed,
        },
    )
    atomic_write_text(partial / "manifest.json", json.dumps(man, indent=2))
    replace_folder(partial, out)
    view = table[["scenario", "target", "probability", "median", "diff_median"]]
    with np.printoptions(precision=4):
        print(view.to_string(index=False))
    print(f"-> {out}")
    if failed:
        print(f"{len(failed)} replicate runs failed (listed in manifest.json)", file=sys.stderr)
        return EXIT_PARTIAL
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
    except OSError as err:
        # the environment failed under us (disk full, folder removed): say so in one line
        where = f"{err.filename}: " if err.filename else ""
        print(f"{where}{err.strerror or err}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
