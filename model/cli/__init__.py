"""Command line: ``mfgplan run | compare | validate | forecast | calibrate | backtest | params``.

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
    from mfgplan.inputs.scenario import ResolvedScenario

__all__ = ["main"]

EXIT_USAGE = 2
#: the run completed but some replicates failed (listed in the manifest)
EXIT_PARTIAL = 3


class UsageError(Exception):
    """A problem with the command line or the environment; printed as one line, exit 2."""


class RunFailedError(Exception):
    """The work could not be done (every replicate failed); printed as one line, exit 1."""


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


def _analysis_options(parser: argparse.ArgumentParser, command: str) -> None:
    """Options shared by optimize and sensitivity."""
    parser.add_argument(
        "--firms",
        type=_positive_int,
        help="override the firm population for speed (changes results: the plan's counts "
        "are not scaled with it)",
    )
    parser.add_argument("--seed", type=_seed, help="override the root seed")
    parser.add_argument("--out", type=Path, help=f"output folder (default outputs/{command}/<id>)")
    parser.add_argument("--force", action="store_true", help="replace an existing folder")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    _parallel_options(parser)


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

    cal = sub.add_parser(
        "calibrate", help="estimate the behavioural parameters from the data up to a year"
    )
    cal.add_argument("--as-of", type=int, default=2015, dest="as_of", help="last year of data")
    cal.add_argument(
        "--draws", type=_positive_int, default=2048, help="prior draws (a power of two)"
    )
    cal.add_argument(
        "--replicates", type=_positive_int, default=2, help="model runs per draw (common seeds)"
    )
    cal.add_argument(
        "--sample", type=_positive_int, default=200, help="parameter sets in the posterior sample"
    )
    cal.add_argument("--seed", type=_seed, default=20151231)
    cal.add_argument(
        "--out",
        type=Path,
        help="parameter file (default calibration/params/as-of-YEAR.json if there is none yet, "
        "else outputs/calibration/as-of-YEAR-<time>.json)",
    )
    cal.add_argument(
        "--force",
        action="store_true",
        help="replace an existing parameter file (without --out: the one the scenarios use)",
    )
    cal.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    cal.add_argument(
        "--workers", "-j", type=_positive_int, default=1, help="local worker processes"
    )

    bt = sub.add_parser(
        "backtest", help="project from an earlier year and score against later statistics"
    )
    bt.add_argument("scenario", help="scenario YAML file (moved to each as-of year)")
    bt.add_argument(
        "--as-of", required=True, dest="as_of", help="as-of year(s), e.g. 2012 or 2012,2013,2014"
    )
    bt.add_argument(
        "--observed",
        type=Path,
        help="CSV of observations (indicator, year, value, unit[, period, source]); default: "
        "the shipped data after each as-of year",
    )
    bt.add_argument(
        "--calibration",
        type=Path,
        help="parameter file to use (default calibration/params/as-of-YEAR.json, calibrated "
        "afresh if missing)",
    )
    bt.add_argument("--replicates", "-n", type=_positive_int, help="override replicates")
    bt.add_argument("--seed", type=_seed, help="override the root seed")
    bt.add_argument("--out", type=Path, help="output folder (default outputs/backtest/<id>)")
    bt.add_argument("--force", action="store_true", help="replace an existing folder")
    bt.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    bt.add_argument("--workers", "-j", type=_positive_int, default=1, help="local worker processes")

    att = sub.add_parser(
        "attribute", help="what each instrument buys: effects, money, deadweight, per yuan"
    )
    att.add_argument("scenario", help="scenario YAML file")
    att.add_argument(
        "--replicates", "-n", type=_positive_int, default=100, help="replicates per ensemble"
    )
    att.add_argument("--seed", type=_seed, help="override the root seed")
    att.add_argument("--out", type=Path, help="output folder (default outputs/attribute/<id>)")
    att.add_argument("--force", action="store_true", help="replace an existing folder")
    att.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    _parallel_options(att)

    opt = sub.add_parser(
        "optimize", help="search allocations of the grant budget for the best objective"
    )
    opt.add_argument("scenario", help="scenario YAML file (its budget and rules are kept)")
    opt.add_argument(
        "--objective",
        default="all",
        help="all (probability of meeting all 2020 targets; default), a target name "
        "(e.g. hightech_share_30), or va:YEAR (expected manufacturing VA)",
    )
    opt.add_argument(
        "--min-share",
        action="append",
        default=[],
        metavar="INSTRUMENT=SHARE",
        help="fix a minimum share of the grant budget for an instrument (repeatable)",
    )
    opt.add_argument(
        "--by-year",
        action="store_true",
        help="then also search how the programme's grant money is spread over its years "
        "(the annual budget follows; the instruments' split stays the chosen one)",
    )
    opt.add_argument(
        "--quick", action="store_true", help="fewer candidates and replicates (a first look)"
    )
    opt.add_argument(
        "--final-replicates", type=_positive_int, help="replicates to re-evaluate the finalists"
    )
    _analysis_options(opt, "optimize")

    sen = sub.add_parser(
        "sensitivity", help="which uncertain parameters the targets hinge on (Morris/Sobol, PRIM)"
    )
    sen.add_argument("scenario", help="scenario YAML file")
    sen.add_argument("--method", choices=("morris", "sobol"), default="morris")
    sen.add_argument(
        "--samples",
        type=_positive_int,
        help="Morris trajectories (default 10) or Sobol base samples (a power of two; 64)",
    )
    sen.add_argument(
        "--replicates",
        "-n",
        type=_positive_int,
        default=2,
        help="replicates per design point (common seeds; default 2)",
    )
    sen.add_argument(
        "--parameters-only",
        action="store_true",
        help="vary only the behavioural parameters, not the scenario's assumed instrument inputs",
    )
    sen.add_argument(
        "--prim-replicates",
        type=_positive_int,
        default=200,
        help="replicates of the ensemble scenario discovery works on (default 200)",
    )
    _analysis_options(sen, "sensitivity")

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
    from mfgplan.inputs.scenario import ScenarioError, load_scenario

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


def _advancer(progress: Any, label: str, total: int) -> Any:
    """A ``progress(k)`` callback advancing a new task of ``progress`` (None if quiet)."""
    if progress is None:
        return None
    task = progress.add_task(label, total=total)
    return lambda k: progress.advance(task, k)


def _probe_scheduler(address: str | None) -> None:
    """Fail before any work if the scheduler does not answer."""
    if address is None:
        return
    from mfgplan.parallel import SchedulerError, connect

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
        "calibration": (
            {
                "file": str(resolved.parameters.path),
                "sha256": resolved.parameters.sha256,
                "as_of": resolved.parameters.as_of,
                "parameter_sets": resolved.parameters.size,
            }
            if resolved.parameters
            else None
        ),
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

    from mfgplan.analysis.targets import TARGETS
    from mfgplan.calibration.forecast import fit_baseline
    from mfgplan.parallel import Failure, iter_outcomes
    from mfgplan.runs.ensemble import VARIABLES, dataset_skeleton, resolve_job
    from mfgplan.runs.folders import default_run_dir, finish_run, git_commit
    from mfgplan.runs.store import ReplicateStore, RunMismatchError, write_results

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
    job = resolve_job(
        scenario,
        seed=seed,
        fit=fit,
        parameters=resolved.parameters,
        explicit=resolved.explicit_behaviour,
    )
    identity = {
        "scenario_sha256": resolved.sha256,
        "seed": job.root_seed,
        "n_firms": job.n_firms,
        "baseline_as_of": fit.as_of,
        "model_version": __import__("mfgplan").__version__,
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
    skeleton = dataset_skeleton(scenario, fit, job.root_seed, job.n_firms, ok, job.parameters)
    write_results(partial / "results.nc", skeleton, VARIABLES, store.load, ok)
    t3 = time.perf_counter()
    folder = finish_run(
        partial,
        out,
        resolved_yaml=resolved.to_yaml(
            calibration_ref="calibration.json" if resolved.parameters else None
        ),
        calibration_file=resolved.parameters.path if resolved.parameters else None,
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
    uncertainty = folder / "uncertainty.csv"
    if uncertainty.is_file():
        import pandas as pd

        table = pd.read_csv(uncertainty)
        parts = []
        for target in TARGETS:
            row = table[
                (table["indicator"] == target.indicator)
                & (table["year"] == target.year)
                & (table["quantity"] == "programme_effect")
            ]
            if len(row) and np.isfinite(row["parameter_share"].iloc[0]):
                parts.append(f"{target.indicator} {row['parameter_share'].iloc[0]:.0%}")
        if parts:
            print(
                "  share of the spread of the programme's 2020 effect due to the parameters "
                "(uncertainty.csv): " + ", ".join(parts)
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
    from mfgplan.calibration.forecast import fit_baseline
    from mfgplan.report.charts import diff_chart
    from mfgplan.runs.folders import compare_table

    resolved = _load(args.scenarios)
    labels = [r.path.stem for r in resolved]
    if len(set(labels)) != len(labels):
        raise UsageError("compare: scenario file names must differ (they label the columns)")
    first = resolved[0].scenario
    seed = first.seed if args.seed is None else args.seed
    n = args.replicates or first.replicates
    out = args.out or Path("outputs") / "compare" / time.strftime("%Y%m%dT%H%M%S")
    _check_out(out, args.force)  # before any work; the folder is made when results exist
    bases = {(r.scenario.base_year, r.scenario.horizon) for r in resolved}
    if len(bases) != 1:
        raise UsageError("compare: scenarios must share base_year and horizon")
    _probe_scheduler(args.scheduler)
    from mfgplan.runs.ensemble import EnsembleFailedError, resolve_job, run_ensembles

    fit = fit_baseline(as_of=first.base_year)
    t0 = time.perf_counter()
    jobs = [
        resolve_job(
            r.scenario,
            seed=seed,
            fit=fit,
            parameters=r.parameters,
            explicit=r.explicit_behaviour,
        )
        for r in resolved
    ]
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
    import numpy as np

    partial = _start_folder(out, args.force)
    table = compare_table(datasets, labels[0])
    table.to_csv(partial / "compare.csv", index=False, float_format="%.6g")
    from mfgplan.runs.folders import CHARTED

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
    _finish_folder(
        partial, out, resolved, seed=seed, replicates=n,
        timings={"ensembles": round(elapsed, 3)},
        extra={
            "status": "complete_with_failures" if failed else "complete",
            "replicates_compared": keep,
            "replicates_failed": failed,
        },
    )  # fmt: skip
    view = table[["scenario", "target", "probability", "median", "diff_median"]]
    with np.printoptions(precision=4):
        print(view.to_string(index=False))
    print(f"-> {out}")
    if failed:
        print(f"{len(failed)} replicate runs failed (listed in manifest.json)", file=sys.stderr)
        return EXIT_PARTIAL
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from mfgplan.inputs.scenario import validate_files

    return validate_files(args.files)


def _cmd_forecast(args: argparse.Namespace) -> int:
    from mfgplan.calibration.forecast import write_forecast

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


def _check_as_of(value: int, option: str = "--as-of") -> None:
    from mfgplan.inputs.parameters import Scenario

    info = Scenario.model_fields["base_year"]
    lo = next(m.ge for m in info.metadata if hasattr(m, "ge"))
    hi = next(m.le for m in info.metadata if hasattr(m, "le"))
    if not lo <= value <= hi:
        raise UsageError(
            f"{option}: must be between {lo} and {hi} (the first year with data on every "
            f"starting level, and the plan's base year; got {value})"
        )


def default_parameter_file(as_of: int) -> Path:
    """``calibration/params/as-of-YEAR.json`` in the project."""
    from mfgplan.paths import parameter_file

    return parameter_file(as_of)


def _calibrate_into(
    out: Path, as_of: int, *, quiet: bool, **options: Any
) -> tuple[Any, dict[str, Any]]:
    """Calibrate as of ``as_of`` (``options`` of :func:`mfgplan.calibration.estimate.calibrate`) with
    a progress bar, and write the parameter file ``out``; returns the result and the file's
    content."""
    from mfgplan.calibration.estimate import calibrate, to_document
    from mfgplan.calibration.paramfile import write_parameter_file
    from mfgplan.runs.folders import manifest

    draws = options.get("draws", 1024)
    label = f"calibrate as of {as_of}"
    with _progress(draws, quiet, label) as progress:
        result = calibrate(as_of, progress=_advancer(progress, label, draws), **options)
    info = manifest(
        command=" ".join(["mfgplan", *sys.argv[1:]]), scenarios=[], seed=result.seed,
        replicates=result.settings["replicates_per_draw"], timings={}, files={},
    )  # fmt: skip
    provenance = {k: info[k] for k in ("command", "created", "git_commit", "versions")}
    document = to_document(result, provenance)
    write_parameter_file(document, out)
    return result, document


def _cmd_calibrate(args: argparse.Namespace) -> int:
    _check_as_of(args.as_of)
    if args.draws < 2 or args.draws & (args.draws - 1):
        raise UsageError(f"--draws: must be a power of two (Sobol balance; got {args.draws})")
    shipped = default_parameter_file(args.as_of)
    if args.out is not None:
        out = args.out
    elif shipped.exists() and not args.force:
        # never replace the calibration the scenarios use without being asked to
        stamp = time.strftime("%Y%m%dT%H%M%S")
        out = Path("outputs") / "calibration" / f"as-of-{args.as_of}-{stamp}.json"
    else:
        out = shipped
    if out.exists() and not args.force:
        raise UsageError(f"{out}: parameter file already exists (use --force to replace it)")
    _check_out(out, force=True)  # proves the folder is writable before the work
    result, document = _calibrate_into(
        out, args.as_of, draws=args.draws, replicates=args.replicates, sample_size=args.sample,
        seed=args.seed, workers=args.workers, quiet=args.quiet,
    )  # fmt: skip
    print(
        f"calibrated as of {args.as_of}: {args.draws} draws x {args.replicates} runs in "
        f"{result.seconds:.0f} s, effective sample size {result.ess:.0f} -> {out}"
    )
    for m in document["moments"]:
        print(
            f"  {m['name']:<15} data {m['data']:+.4f} (se {m['data_se']:.4f}); model prior "
            f"{m['simulated_prior_mean']:+.4f}, posterior {m['simulated_posterior_mean']:+.4f} "
            f"(z {m['z_posterior']:+.2f})"
        )
    moved = sorted(document["parameters"], key=lambda p: -abs(p["shift_in_prior_sd"]))[:5]
    for p in moved:
        print(
            f"  {p['name']:<28} prior mean {p['prior_mean']:.4g} -> posterior "
            f"{p['posterior_mean']:.4g} ({p['shift_in_prior_sd']:+.2f} prior sd; sd ratio "
            f"{p['sd_ratio']:.2f})"
        )
    if out.resolve() != shipped.resolve() and shipped.exists():
        print(
            f"  the scenarios use {shipped}; to replace it with this calibration: "
            f"mfgplan calibrate --as-of {args.as_of} --force (or copy the file)"
        )
    if result.ess < 50:
        print(
            f"warning: effective sample size {result.ess:.0f} is small; use more --draws",
            file=sys.stderr,
        )
    return 0


def _as_of_list(text: str) -> list[int]:
    years = []
    for part in text.split(","):
        try:
            years.append(int(part.strip()))
        except ValueError:
            raise UsageError(
                f"--as-of: {part.strip()!r} is not a year (give e.g. 2012 or 2012,2013)"
            ) from None
    for year in years:
        _check_as_of(year)
    if len(set(years)) != len(years):
        raise UsageError("--as-of: a year is given twice")
    return sorted(years)


def _cmd_backtest(args: argparse.Namespace) -> int:
    import shutil

    import pandas as pd

    from mfgplan.analysis.backtest import backtest_one, rebase, summary_table
    from mfgplan.calibration.observed import ObservedError, read_observed, shipped_observations
    from mfgplan.inputs.sample import ParameterFileError, load_parameter_file
    from mfgplan.inputs.scenario import first_problem

    years = _as_of_list(args.as_of)
    (resolved,) = _load([args.scenario])
    scenario = resolved.scenario
    if args.observed is not None:
        try:
            observed = read_observed(args.observed)
        except ObservedError as err:
            raise UsageError(str(err)) from None
        source = str(args.observed)
    else:
        observed = None
        source = "shipped data (calibration/data/jiangxi_history.csv) after each as-of year"
    plans = []
    skipped = []
    for year in years:
        obs = observed if observed is not None else shipped_observations(year)
        after = obs[obs["year"] > year]
        if after.empty:
            skipped.append(year)
            continue
        path = args.calibration if args.calibration is not None else default_parameter_file(year)
        if path.exists():
            try:
                sample = load_parameter_file(path)
            except ParameterFileError as err:
                raise UsageError(str(err)) from None
            if sample.as_of != year:
                raise UsageError(
                    f"--calibration: {path} is calibrated as of {sample.as_of}, not {year}"
                )
        elif args.calibration is not None:
            raise UsageError(f"--calibration: {path}: no such file")
        else:
            sample = None
        try:
            rebase(scenario, year)
        except ValueError as err:
            raise UsageError(
                f"{resolved.path}: cannot start in {year}: {first_problem(err)}"
            ) from None
        plans.append((year, obs, sample))
    if not plans:
        raise UsageError(
            f"nothing to score: no observations after {', '.join(map(str, years))} in {source} "
            "(give later statistics with --observed FILE.csv)"
        )
    for year in skipped:
        print(f"as of {year}: no observations after {year} to score; skipped", file=sys.stderr)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    out = args.out or Path("outputs") / "backtest" / f"{resolved.path.stem}-{stamp}"
    partial = _start_folder(out, args.force)
    n = args.replicates or scenario.replicates
    seed = scenario.seed if args.seed is None else args.seed
    results = []
    calibrations = {}
    t0 = time.perf_counter()
    for year, obs, sample in plans:
        if sample is None:
            sample = _fresh_calibration(year, partial, args)
        calibrations[year] = sample
        label = f"backtest as of {year}"
        with _progress(n, args.quiet, label) as progress:
            advance = _advancer(progress, label, n)
            result = backtest_one(
                scenario,
                year,
                obs,
                parameters=sample,
                explicit=resolved.explicit_behaviour,
                replicates=n,
                seed=seed,
                workers=args.workers,
                progress=advance,
            )
        results.append(result)
        _backtest_chart(result, partial / "charts" / f"backtest_as-of-{year}.png")
        result.results.to_netcdf(partial / f"results_as-of-{year}.nc", engine="netcdf4")
        shutil.copyfile(sample.path, partial / f"calibration_as-of-{year}.json")
    table = pd.concat([r.table for r in results], ignore_index=True)
    summary = pd.concat([r.summary for r in results], ignore_index=True)
    from mfgplan.calibration.scoring import summarise_by_indicator

    overall = summary_table(table).assign(as_of="all")
    summary = pd.concat([summary, overall], ignore_index=True)
    by_indicator = summarise_by_indicator(table)
    verdicts = pd.concat([r.verdicts for r in results], ignore_index=True)
    from mfgplan.runs.folders import atomic_csv

    atomic_csv(table, partial / "backtest.csv")
    atomic_csv(summary, partial / "summary.csv")
    atomic_csv(by_indicator, partial / "summary_by_indicator.csv")
    atomic_csv(verdicts, partial / "verdicts.csv")
    _finish_folder(
        partial,
        out,
        resolved,
        seed=seed,
        replicates=n,
        timings={"backtest": round(time.perf_counter() - t0, 3)},
        extra={
            "observations": source,
            "as_of": [r.as_of for r in results],
            "calibrations": {
                str(y): {"file": str(c.path), "sha256": c.sha256} for y, c in calibrations.items()
            },
            "ets_methods": {str(r.as_of): r.ets_methods for r in results},
        },
    )
    _print_backtest(summary, verdicts)
    print(f"-> {out}")
    return 0


def _fresh_calibration(year: int, folder: Path, args: argparse.Namespace) -> Any:
    """Calibrate at ``year`` (no parameter file for it) into ``folder``; return the sample."""
    from mfgplan.inputs.sample import load_parameter_file

    path = folder / f".as-of-{year}.json"
    _calibrate_into(path, year, draws=1024, workers=args.workers, quiet=args.quiet)
    return load_parameter_file(path)


def _backtest_chart(result: Any, path: Path) -> None:
    from mfgplan.calibration.forecast import UNITS
    from mfgplan.report.charts import backtest_chart
    from mfgplan.runs.folders import CHARTED

    table = result.table
    ds = result.results
    scored = {}
    for name in dict.fromkeys(table["indicator"]):
        model_rows = table[(table["indicator"] == name) & (table["forecaster"] == "mfgplan")]
        model_rows = model_rows[model_rows["status"].str.startswith("scored")]
        if model_rows.empty:
            continue
        ets_rows = table[(table["indicator"] == name) & (table["forecaster"] == "ets")]
        points = []
        for _, row in model_rows.iterrows():
            match = ets_rows[
                (ets_rows["year"] == row["year"]) & (ets_rows["period"] == row["period"])
            ]
            band = None
            if not match.empty and match.iloc[0]["status"].startswith("scored"):
                band = (float(match.iloc[0]["p5"]), float(match.iloc[0]["p95"]))
            points.append(
                (int(row["year"]), float(row["observed"]), bool(row["approximate"]), band)
            )
        scored[name] = points
    if not scored:
        return
    scales = {
        name: (CHARTED[name][1], CHARTED[name][0]) if name in CHARTED else (1.0, UNITS[name][0])
        for name in scored
    }
    results = {name: (ds["year"].values, ds[name].values) for name in scored}
    fig = backtest_chart(results, scored, result.history, as_of=result.as_of, scales=scales)
    fig.savefig(path, dpi=110)


def _print_backtest(summary: Any, verdicts: Any) -> None:
    origins = list(dict.fromkeys(summary["as_of"]))
    for as_of in origins if len(origins) > 2 else origins[:1]:
        mine = summary[summary["as_of"] == as_of]
        own = mine[(mine["rows"] == "all") & (mine["forecaster"] == "mfgplan")].iloc[0]
        common = mine[mine["rows"] == "common"].set_index("forecaster")
        line = (
            f"as of {as_of}: model coverage of the 90% band {own['coverage90']:.2f} over "
            f"{int(own['n_scored'])} observations ({int(own['n_approximate'])} partial-year)"
        )
        if "ets" in common.index and common.loc["ets", "n_scored"] > 0:
            line += (
                f"; on the {int(common.loc['ets', 'n_scored'])} both forecast: mean relative "
                f"CRPS model {common.loc['mfgplan', 'mean_crps_relative']:.4f} vs ETS "
                f"{common.loc['ets', 'mean_crps_relative']:.4f}, coverage model "
                f"{common.loc['mfgplan', 'coverage90']:.2f} vs ETS "
                f"{common.loc['ets', 'coverage90']:.2f}"
            )
        print(line)
    if verdicts.empty:
        print("target verdicts: no target year among the observations")
    for _, row in verdicts.iterrows():
        print(
            f"target {row['target']} {row['year']}: P(met) {row['probability']:.2f}, observed "
            f"{'met' if row['observed_met'] else 'missed'}; verdict "
            f"{'matched' if row['verdict_matched'] else 'did NOT match'}"
        )


def _start_folder(out: Path, force: bool) -> Path:
    """Check ``out`` and create its empty ``.partial`` folder (with ``charts/``)."""
    import shutil

    _check_out(out, force)
    partial = out.with_name(out.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    (partial / "charts").mkdir(parents=True)
    return partial


def _finish_folder(
    partial: Path,
    out: Path,
    resolved: ResolvedScenario | Sequence[ResolvedScenario],
    *,
    seed: int,
    replicates: int,
    timings: dict[str, float],
    extra: dict[str, Any],
) -> None:
    """Write ``manifest.json`` last (with the sha256 of every file) and rename the folder
    into place."""
    import hashlib

    from mfgplan.runs.folders import manifest, replace_folder
    from mfgplan.runs.store import atomic_write_text

    scenarios = [resolved] if not isinstance(resolved, Sequence) else list(resolved)
    files = {
        str(p.relative_to(partial)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(partial.rglob("*"))
        if p.is_file()
    }
    man = manifest(
        command=" ".join(["mfgplan", *sys.argv[1:]]),
        scenarios=[_scenario_info(r) for r in scenarios],
        seed=seed,
        replicates=replicates,
        timings=timings,
        files=files,
        extra=extra,
    )
    atomic_write_text(partial / "manifest.json", json.dumps(man, indent=2, default=str))
    replace_folder(partial, out)


def _run_variants(
    resolved: ResolvedScenario,
    scenarios: list[Any],
    ids: Sequence[int],
    args: argparse.Namespace,
    label: str,
    seed: int,
    *,
    fit: Any,
    with_sample: bool = True,
    paired: bool = True,
) -> tuple[list[Any], list[Any]]:
    """Ensembles of several variants of one scenario on the same replicates (common random
    numbers), on the statistical baseline ``fit``.

    ``with_sample``: the replicates draw from the scenario's parameter sample (off when the
    variants set the behavioural values themselves). ``paired``: replicates that failed in
    any variant are dropped from all. The caller has probed ``--scheduler``.
    """
    from mfgplan.runs.ensemble import EnsembleFailedError, resolve_job, run_ensembles

    sample = resolved.parameters if with_sample else None
    explicit = resolved.explicit_behaviour if with_sample else frozenset()
    jobs = [
        resolve_job(s, seed=seed, fit=fit, parameters=sample, explicit=explicit) for s in scenarios
    ]
    total = len(jobs) * len(ids)
    try:
        with _progress(total, args.quiet, label) as progress:
            advance = _advancer(progress, label, total)
            datasets, failures = run_ensembles(
                jobs,
                ids,
                workers=args.workers,
                scheduler=args.scheduler,
                progress=(lambda _j, k: advance(k)) if advance else None,
            )
    except EnsembleFailedError as err:
        raise RunFailedError(str(err)) from None
    failed = [f for fs in failures for f in fs]
    if not paired:
        return datasets, failed
    common = set(datasets[0].replicate.values.tolist())
    for ds in datasets[1:]:
        common &= set(ds.replicate.values.tolist())
    if not common:
        raise RunFailedError(f"{label}: no replicate succeeded in every variant")
    keep = sorted(common)
    return [ds.sel(replicate=keep) for ds in datasets], failed


def _cmd_attribute(args: argparse.Namespace) -> int:
    import numpy as np

    from mfgplan.analysis.attribution import OUTCOMES, attribution_table, variants
    from mfgplan.calibration.forecast import fit_baseline
    from mfgplan.report.charts import per_yuan_chart
    from mfgplan.runs.folders import atomic_csv

    (resolved,) = _load([args.scenario])
    scenario = resolved.scenario
    seed = scenario.seed if args.seed is None else args.seed
    stamp = time.strftime("%Y%m%dT%H%M%S")
    out = args.out or Path("outputs") / "attribute" / f"{resolved.path.stem}-{stamp}"
    try:
        variant_list, notes = variants(scenario)
    except ValueError as err:
        raise UsageError(
            f"{resolved.path}: cannot build the attribution variants ({err})"
        ) from None
    _probe_scheduler(args.scheduler)
    partial = _start_folder(out, args.force)
    t0 = time.perf_counter()
    fit = fit_baseline(as_of=scenario.base_year)
    datasets, failures = _run_variants(
        resolved, [v.scenario for v in variant_list], range(args.replicates), args,
        "attribute", seed, fit=fit,
    )  # fmt: skip
    by_label = {v.label: ds for v, ds in zip(variant_list, datasets, strict=True)}
    table = attribution_table(by_label, variant_list, scenario, seed=seed)
    atomic_csv(table, partial / "attribution.csv")
    for outcome in OUTCOMES:
        rows = table[(table["outcome"] == outcome) & table["instrument"].isin(
            [v.instrument for v in variant_list if v.instrument])]  # fmt: skip
        units, description = OUTCOMES[outcome]
        # value added per yuan; shares in points per 100 million yuan
        scale, per = (1e8, "yuan of value added per yuan") if units == "yuan" else (
            1.0, f"{units} per 100 million yuan")  # fmt: skip
        fig = per_yuan_chart(
            rows["instrument"].tolist(),
            rows["per_100m_yuan"].to_numpy() / scale,
            rows[["per_100m_low", "per_100m_high"]].to_numpy() / scale,
            rows["marginal_per_100m"].to_numpy() / scale,
            rows[["marginal_low", "marginal_high"]].to_numpy() / scale,
            title=f"What each instrument buys: {description}",
            xlabel=f"{per} of fiscal cost ({len(datasets[0].replicate)} paired replicates; "
            "bars: 90% interval)",
        )
        fig.savefig(partial / "charts" / f"per_yuan_{outcome}.png", dpi=110)
    _finish_folder(
        partial, out, resolved, seed=seed, replicates=int(datasets[0].sizes["replicate"]),
        timings={"attribution": round(time.perf_counter() - t0, 3)},
        extra={
            "variants": [v.label for v in variant_list],
            "notes": notes,
            "replicates_failed": [f.to_dict() for f in failures],
        },
    )  # fmt: skip
    view = table[table["outcome"] == "industrial_va_cumulative"].copy()
    view["per_100m_yuan"] = view["per_100m_yuan"] / 1e8
    view["marginal_per_100m"] = view["marginal_per_100m"] / 1e8
    print("extra industrial VA (first programme year to horizon) per yuan of fiscal cost:")
    with np.printoptions(precision=3):
        print(
            view[["instrument", "fiscal_cost", "per_100m_yuan", "marginal_per_100m",
                  "deadweight_share"]]
            .rename(columns={"per_100m_yuan": "VA_per_yuan", "marginal_per_100m":
                             "marginal_VA_per_yuan"})
            .to_string(index=False, float_format=lambda v: f"{v:.3g}")
        )  # fmt: skip
    for note in notes:
        print(f"note: {note}")
    print(f"-> {out}")
    return EXIT_PARTIAL if failures else 0


def _min_shares(items: Sequence[str]) -> dict[str, float]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise UsageError(
                f"--min-share: {item!r}: write INSTRUMENT=SHARE, e.g. tech_retrofit_grant=0.3"
            )
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise UsageError(f"--min-share: {item!r}: {value!r} is not a number") from None
    return out


def _with_firms(scenario: Any, firms: int | None) -> Any:
    if firms is None:
        return scenario
    if firms < 100:
        raise UsageError(f"--firms: at least 100 (got {firms})")
    return scenario.model_copy(update={"n_firms": int(firms)})


def _cmd_optimize(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from mfgplan.analysis.optimise import OptimiseSettings, optimise, optimiser_chart
    from mfgplan.analysis.planning import (
        allocation_scenario,
        current_shares,
        objective,
        optimised_document,
        share_bounds,
    )
    from mfgplan.calibration.forecast import fit_baseline
    from mfgplan.inputs.programme import GRANT_INSTRUMENTS
    from mfgplan.runs.folders import atomic_csv
    from mfgplan.runs.store import atomic_write_text

    (resolved,) = _load([args.scenario])
    scenario = _with_firms(resolved.scenario, args.firms)
    try:
        goal = objective(args.objective, scenario)
        lower, upper = share_bounds(scenario, _min_shares(args.min_share))
    except ValueError as err:
        raise UsageError(str(err)) from None
    if sum(scenario.budget_by_year().values()) <= 0:
        raise UsageError(f"{resolved.path}: the scenario has no grant budget to allocate")
    seed = scenario.seed if args.seed is None else args.seed
    # about 2,800 replicate runs (4 minutes for the plan on 2 cores); --quick about 900
    settings = OptimiseSettings(screening_replicates=12, local_rounds=2, seed=seed)
    if args.quick:
        settings = OptimiseSettings(
            screening_candidates=8, screening_replicates=8, local_rounds=1, finalists=3,
            final_replicates=24, seed=seed,
        )  # fmt: skip
    if args.final_replicates:
        settings.final_replicates = args.final_replicates
    stamp = time.strftime("%Y%m%dT%H%M%S")
    out = args.out or Path("outputs") / "optimize" / f"{resolved.path.stem}-{stamp}"
    _probe_scheduler(args.scheduler)
    partial = _start_folder(out, args.force)
    fit = fit_baseline(as_of=scenario.base_year)  # once for every batch
    start = np.clip(current_shares(scenario), lower, upper)
    start = start / start.sum() if start.sum() > 0 else None
    calls = {"n": 0}
    # the optimiser reports its stages; the batches run without their own progress bars
    run_args = argparse.Namespace(**{**vars(args), "quiet": True})

    def evaluator(build: Any) -> Any:
        """``evaluate(candidates, ids)`` for the optimiser; ``build(candidate)`` is a scenario."""

        def evaluate(candidates: list[Any], ids: Sequence[int]) -> Any:
            return _objective_values(build, candidates, ids)

        return evaluate

    def _objective_values(build: Any, candidates: list[Any], ids: Sequence[int]) -> Any:
        calls["n"] += 1
        scenarios = [build(c) for c in candidates]
        datasets, failures = _run_variants(
            resolved, scenarios, list(ids), run_args, f"batch {calls['n']}", seed, fit=fit
        )
        if failures:
            first = failures[0]
            raise RunFailedError(
                f"optimize: replicate {first.replicate} failed ({first.error}); the comparison "
                "needs every replicate of every candidate"
            )
        return np.stack([goal.values(ds) for ds in datasets])

    def say(message: str) -> None:
        if not args.quiet:
            print(message, flush=True)

    t0 = time.perf_counter()
    say("stage 1: the split of the grant budget over the instruments")
    result = optimise(
        evaluator(lambda c: allocation_scenario(scenario, c)), len(GRANT_INSTRUMENTS),
        lower=lower, upper=upper, start=start, settings=settings,
        names=list(GRANT_INSTRUMENTS), progress=say,
    )  # fmt: skip
    year_result = None
    years = list(scenario.programme_years)
    if args.by_year:
        if len(years) < 2:
            raise UsageError("--by-year: the programme has a single year")
        say("stage 2: the spread of the programme's grant money over its years")
        by_year = scenario.budget_by_year()
        year_start = np.array([by_year[y] for y in years]) / sum(by_year.values())
        year_result = optimise(
            evaluator(lambda c: allocation_scenario(scenario, result.best, c)), len(years),
            lower=np.zeros(len(years)), upper=np.ones(len(years)), start=year_start,
            settings=settings, names=[str(y) for y in years], progress=say,
        )  # fmt: skip
    elapsed = time.perf_counter() - t0
    names = list(GRANT_INSTRUMENTS)
    atomic_csv(result.history, partial / "history.csv")
    atomic_csv(result.finalists, partial / "finalists.csv")
    budget = sum(scenario.budget_by_year().values())
    allocation = pd.DataFrame(
        {
            "instrument": names,
            "scenario_share": start if start is not None else np.nan,
            "optimised_share": result.best,
            "lower_bound": lower,
            "upper_bound": upper,
            "optimised_yuan_over_programme": result.best * budget,
        }
    )
    atomic_csv(allocation, partial / "allocation.csv")
    fig = optimiser_chart(
        result, names, start_label=resolved.path.stem,
        title=f"Allocation search: {goal.label}",
    )  # fmt: skip
    fig.savefig(partial / "charts" / "optimiser.png", dpi=110)
    calibration_ref = None
    if resolved.parameters is not None:
        atomic_write_text(
            partial / "calibration.json", resolved.parameters.path.read_text(encoding="utf-8")
        )
        calibration_ref = "calibration.json"
    lo, hi = result.best_interval
    notes = [
        f"Optimised allocation of {resolved.path.name} for: {goal.label}.",
        f"Objective {result.best_mean:.4g} (90% interval {lo:.4g} to {hi:.4g}) against "
        f"{result.start_mean:.4g} for the scenario's own allocation; gain "
        f"{'in the tie-break ' if result.compared_on == 'secondary' else ''}{result.gain:.4g} "
        f"(paired 90% interval {result.gain_interval[0]:.4g} to {result.gain_interval[1]:.4g}), "
        f"on {settings.final_replicates} replicates not used in the search.",
        "Written by mfgplan optimize; every other value is the scenario's.",
        *result.notes,
    ]
    year_shares = None
    extra_years: dict[str, Any] = {}
    if year_result is not None:
        year_shares = year_result.best
        by_year = scenario.budget_by_year()
        profile = pd.DataFrame(
            {
                "year": years,
                "scenario_share": [by_year[y] / budget for y in years],
                "optimised_share": year_shares,
                "optimised_yuan": year_shares * budget,
            }
        )
        atomic_csv(profile, partial / "year_profile.csv")
        atomic_csv(year_result.history, partial / "history_years.csv")
        atomic_csv(year_result.finalists, partial / "finalists_years.csv")
        fig = optimiser_chart(
            year_result, [str(y) for y in years], start_label="even spread",
            title=f"Spread over the years (chosen split): {goal.label}",
        )  # fmt: skip
        fig.savefig(partial / "charts" / "optimiser_years.png", dpi=110)
        ylo, yhi = year_result.best_interval
        notes.append(
            f"Spread over the years: objective {year_result.best_mean:.4g} (90% interval "
            f"{ylo:.4g} to {yhi:.4g}) against {year_result.start_mean:.4g} for the scenario's "
            f"spread with the chosen split; gain {year_result.gain:.4g} (paired 90% interval "
            f"{year_result.gain_interval[0]:.4g} to {year_result.gain_interval[1]:.4g})."
        )
        notes.extend(year_result.notes)
        extra_years = {
            "by_year": {
                "best": dict(zip(map(str, years), map(float, year_shares), strict=True)),
                "best_mean": year_result.best_mean,
                "best_interval": list(year_result.best_interval),
                "start_mean": year_result.start_mean,
                "gain": year_result.gain,
                "gain_interval": list(year_result.gain_interval),
                "evaluations": year_result.evaluations,
                "notes": year_result.notes,
            }
        }
    atomic_write_text(
        partial / "optimized.yaml",
        optimised_document(
            scenario, result.best, title=f"{scenario.title} (optimised: {goal.spec})",
            notes=notes, calibration=calibration_ref, year_shares=year_shares,
        ),
    )  # fmt: skip
    _finish_folder(
        partial, out, resolved, seed=seed, replicates=settings.final_replicates,
        timings={"optimise": round(elapsed, 3)},
        extra={
            "objective": {"spec": goal.spec, "label": goal.label, "units": goal.units},
            "settings": vars(settings),
            "evaluations": result.evaluations,
            "best": dict(zip(names, map(float, result.best), strict=True)),
            "best_mean": result.best_mean,
            "best_interval": list(result.best_interval),
            "start_mean": result.start_mean,
            "gain": result.gain,
            "gain_interval": list(result.gain_interval),
            "gain_compared_on": result.compared_on,
            "notes": result.notes,
            **extra_years,
        },
    )  # fmt: skip
    print(f"objective: {goal.label} ({goal.units})")
    gain_of = "" if result.compared_on == "primary" else " in the tie-break"
    print(
        f"scenario's allocation {result.start_mean:.4g}; optimised {result.best_mean:.4g} "
        f"[{lo:.4g}, {hi:.4g}]; gain{gain_of} {result.gain:.4g} [{result.gain_interval[0]:.4g}, "
        f"{result.gain_interval[1]:.4g}] ({result.evaluations} replicate runs)"
    )
    fin = result.finalists
    if "mean_secondary" in fin and fin["mean_secondary"].notna().any():
        start_row = fin[fin["is_start"]]
        best_row = fin[fin["is_best"]]
        if len(start_row) and len(best_row):
            what = "mean of min(value / threshold, 1)" if goal.targets else goal.units
            print(
                f"tie-break ({what}): "
                f"scenario's allocation {float(start_row['mean_secondary'].iloc[0]):.4f}, "
                f"chosen {float(best_row['mean_secondary'].iloc[0]):.4f}"
            )
    for note in result.notes:
        print(f"note: {note}")
    print(allocation[["instrument", "scenario_share", "optimised_share"]].to_string(
        index=False, float_format=lambda v: f"{v:.3f}"))  # fmt: skip
    indistinct = result.finalists[result.finalists["indistinguishable"]]
    print(f"{len(indistinct)} of {len(result.finalists)} finalists are statistically "
          "indistinguishable from the chosen one (finalists.csv)")  # fmt: skip
    if year_result is not None:
        ylo, yhi = year_result.best_interval
        spread = ", ".join(f"{y}: {v:.0%}" for y, v in zip(years, year_result.best, strict=True))
        print(
            f"spread over the years {spread}: {year_result.best_mean:.4g} [{ylo:.4g}, "
            f"{yhi:.4g}] against {year_result.start_mean:.4g} for the scenario's spread; gain "
            f"{year_result.gain:.4g} "
            f"[{year_result.gain_interval[0]:.4g}, {year_result.gain_interval[1]:.4g}]"
        )
    print(f"-> {out}")
    return 0


def _cmd_sensitivity(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from mfgplan.analysis.planning import (
        apply_factors,
        replicate_inputs,
        scenario_factors,
        uncertain_factors,
    )
    from mfgplan.analysis.sensitivity import (
        Factor,
        morris_design,
        morris_indices,
        prim,
        prim_chart,
        sobol_design,
        sobol_indices,
        stability_warnings,
        tornado_chart,
    )
    from mfgplan.analysis.targets import TARGETS
    from mfgplan.calibration.forecast import fit_baseline
    from mfgplan.runs.ensemble import run_ensemble
    from mfgplan.runs.folders import atomic_csv

    (resolved,) = _load([args.scenario])
    scenario = _with_firms(resolved.scenario, args.firms)
    seed = scenario.seed if args.seed is None else args.seed
    ranges = uncertain_factors(resolved.parameters, resolved.explicit_behaviour)
    if not args.parameters_only:
        ranges += scenario_factors(scenario)
    factors = [Factor(f.name, f.low, f.high, f.units, f.source) for f in ranges]
    if args.method == "morris":
        samples = args.samples or 10
        design = morris_design(factors, samples, seed)
    else:
        samples = args.samples or 64
        if samples & (samples - 1):
            raise UsageError(f"--samples: Sobol needs a power of two (got {samples})")
        design = sobol_design(factors, samples, seed)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    out = args.out or Path("outputs") / "sensitivity" / f"{resolved.path.stem}-{stamp}"
    _probe_scheduler(args.scheduler)
    partial = _start_folder(out, args.force)
    t0 = time.perf_counter()
    fit = fit_baseline(as_of=scenario.base_year)
    names_ = [f.name for f in factors]
    points = [apply_factors(scenario, names_, row) for row in design]
    datasets, failures = _run_variants(
        resolved, points, range(args.replicates), args, "design points", seed, fit=fit,
        with_sample=False, paired=False,
    )  # fmt: skip
    outputs = np.array(
        [[float(ds[t.indicator].sel(year=t.year).mean()) for t in TARGETS] for ds in datasets]
    )
    names = [f"{t.indicator}_{t.year}" for t in TARGETS]
    if args.method == "morris":
        table = morris_indices(factors, design, outputs, names)
    else:
        table = sobol_indices(factors, design, outputs, names)
    warnings_ = stability_warnings(table, args.method, len(design))
    atomic_csv(table, partial / "sensitivity.csv")
    atomic_csv(pd.DataFrame([vars(f) for f in ranges]), partial / "factors.csv")
    for name in names:
        fig = tornado_chart(table, name, args.method)
        fig.savefig(partial / "charts" / f"sensitivity_{name}.png", dpi=110)
    t1 = time.perf_counter()
    # scenario discovery on the scenario's own ensemble (parameters and baseline draws)
    label = "ensemble for scenario discovery"
    with _progress(args.prim_replicates, args.quiet, label) as progress:
        advance = _advancer(progress, label, args.prim_replicates)
        ensemble = run_ensemble(
            scenario, replicates=args.prim_replicates, seed=seed, fit=fit, workers=args.workers,
            scheduler=args.scheduler, progress=advance, parameters=resolved.parameters,
            explicit=resolved.explicit_behaviour,
        )  # fmt: skip
    inputs = replicate_inputs(ensemble, resolved.parameters)
    discovery = []
    for t in TARGETS:
        missed = ensemble[t.indicator].sel(year=t.year).values < t.threshold
        result = prim(inputs, missed)
        lines = result.describe()
        discovery.append({"target": t.name, "missed_share": float(missed.mean()),
                          "conditions": " AND ".join(lines[:-1]) or "(none)",
                          "summary": lines[-1], "coverage": result.coverage,
                          "density": result.density})  # fmt: skip
        atomic_csv(result.limits, partial / f"prim_{t.name}.csv")
        fig = prim_chart(result, f"Where {t.name} is missed ({missed.mean():.0%} of replicates)")
        fig.savefig(partial / "charts" / f"prim_{t.name}.png", dpi=110)
    atomic_csv(pd.DataFrame(discovery), partial / "discovery.csv")
    _finish_folder(
        partial, out, resolved, seed=seed, replicates=args.replicates,
        timings={"sensitivity": round(t1 - t0, 3), "discovery": round(time.perf_counter() - t1, 3)},
        extra={
            "method": args.method, "samples": samples, "design_points": len(design),
            "warnings": warnings_, "replicates_failed": [f.to_dict() for f in failures],
            "prim_replicates": args.prim_replicates,
        },
    )  # fmt: skip
    print(f"{args.method}: {len(design)} design points x {args.replicates} replicates")
    for name in names:
        part = table[table["output"] == name].sort_values("rank").head(3)
        print(f"  {name}: hinges most on " + ", ".join(part["factor"]))
    for row in discovery:
        print(f"  {row['target']} missed in {row['missed_share']:.0%}: {row['conditions']}; "
              f"{row['summary']}")  # fmt: skip
    for warning in warnings_:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"-> {out}")
    return 0


def _cmd_params(args: argparse.Namespace) -> int:
    from mfgplan.inputs.parameters import catalogue

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
    "calibrate": _cmd_calibrate,
    "backtest": _cmd_backtest,
    "attribute": _cmd_attribute,
    "optimize": _cmd_optimize,
    "sensitivity": _cmd_sensitivity,
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
    except RunFailedError as err:
        print(str(err), file=sys.stderr)
        return 1
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
