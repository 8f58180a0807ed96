"""``mfgplan compare``: several scenarios on common random numbers, side by side.

The same replicates of every scenario (one seed: every draw the programme does not change is
shared) are saved as they finish, one store per scenario, so an interrupted comparison
continues with ``--resume``; only replicates that succeeded in every scenario are compared.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xarray as xr

from mfgplan.analysis.compare import common_replicates, compare_table
from mfgplan.calibration.forecast import fit_baseline
from mfgplan.errors import InputError, RunFailedError
from mfgplan.inputs.scenario import Problem, ResolvedScenario
from mfgplan.provenance import __version__
from mfgplan.report.figures import difference_charts
from mfgplan.report.html import CompareReport, compare_report
from mfgplan.report.words import Language
from mfgplan.runs.ensemble import EnsembleFailedError, run_ensembles
from mfgplan.runs.folders import RunFolder, default_folder, run_identity
from mfgplan.runs.job import EnsembleJob, resolve_job
from mfgplan.runs.store import ReplicateStore
from mfgplan.runs.variables import assemble, job_skeleton
from mfgplan.workflows.common import QUIET, Reporter, load_scenarios, probe_scheduler
from mfgplan.workflows.run import save_replicates

__all__ = [
    "CompareOptions",
    "CompareResult",
    "Comparison",
    "compare_in_memory",
    "compare_scenarios",
    "stored_dataset",
]


@dataclass(frozen=True)
class CompareOptions:
    """What ``mfgplan compare`` is asked to do (the first scenario is the reference)."""

    scenarios: tuple[Path, ...]
    replicates: int | None = None
    seed: int | None = None
    out: Path | None = None
    force: bool = False
    resume: bool = False
    workers: int = 1
    scheduler: str | None = None
    #: the language of the charts and the report: zh, en or both
    lang: Language = "both"
    command: str = "mfgplan compare"


@dataclass
class CompareResult:
    """The comparison table, the datasets compared and where they were written."""

    folder: Path
    labels: list[str]
    table: pd.DataFrame
    datasets: dict[str, xr.Dataset]
    #: failed replicate runs, each with its scenario's label
    failed: list[dict[str, object]] = field(default_factory=list)
    #: ``--resume`` of a finished comparison: nothing was run
    already_complete: bool = False
    #: what the scenarios set that is legal but probably not meant
    warnings: tuple[Problem, ...] = ()


def stored_dataset(job: EnsembleJob, store: ReplicateStore, n: int) -> xr.Dataset:
    """The results dataset of a job's finished replicates below ``n`` in ``store``."""
    ok = sorted(r for r in store.finished() if r < n)
    if not ok:
        first = min((f for f in store.failures() if f.replicate < n), key=lambda f: f.replicate)
        raise RunFailedError(f"every replicate failed; replicate {first.replicate}: {first.error}")
    skeleton = job_skeleton(job, ok)
    return assemble(skeleton, [store.load(r) for r in ok])


@dataclass
class Comparison:
    """Scenarios compared in memory (the notebook API): the table and the datasets."""

    labels: list[str]
    table: pd.DataFrame
    datasets: dict[str, xr.Dataset]


def _comparable(paths: Sequence[str | Path]) -> tuple[list[ResolvedScenario], list[str]]:
    resolved = load_scenarios(paths)
    labels = [r.path.stem for r in resolved]
    if len(set(labels)) != len(labels):
        raise InputError("compare: scenario file names must differ (they label the columns)")
    if len({(r.scenario.base_year, r.scenario.horizon) for r in resolved}) != 1:
        raise InputError("compare: scenarios must share base_year and horizon")
    return resolved, labels


def _jobs(resolved: list[ResolvedScenario], seed: int) -> list[EnsembleJob]:
    fit = fit_baseline(as_of=resolved[0].scenario.base_year)
    return [
        resolve_job(
            r.scenario,
            seed=seed,
            fit=fit,
            parameters=r.parameters,
            explicit=r.explicit_behaviour,
            counterfactual=r.counterfactual,
        )
        for r in resolved
    ]


def compare_in_memory(
    paths: Sequence[str | Path],
    *,
    replicates: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
) -> Comparison:
    """The table and datasets ``mfgplan compare PATHS`` writes, in memory."""
    resolved, labels = _comparable(paths)
    first = resolved[0].scenario
    seed = first.seed if seed is None else seed
    n = replicates or first.replicates
    probe_scheduler(scheduler)
    jobs = _jobs(resolved, seed)
    try:
        results, _ = run_ensembles(jobs, range(n), workers=workers, scheduler=scheduler)
    except EnsembleFailedError as err:
        raise RunFailedError(str(err)) from None
    keep = common_replicates(results)
    if not keep:
        raise RunFailedError("compare: no replicate succeeded in every scenario")
    datasets = {label: ds.sel(replicate=keep) for label, ds in zip(labels, results, strict=True)}
    return Comparison(labels, compare_table(datasets, labels[0]), datasets)


def compare_scenarios(options: CompareOptions, reporter: Reporter = QUIET) -> CompareResult:
    """Run and compare ``options.scenarios`` (see module doc)."""
    resolved, labels = _comparable(options.scenarios)
    first = resolved[0].scenario
    seed = first.seed if options.seed is None else options.seed
    n = options.replicates or first.replicates
    if options.resume and options.out is None:
        raise InputError("--resume: give the --out folder of the comparison to continue")
    out = options.out or default_folder("compare", "-".join(labels)[:80])
    probe_scheduler(options.scheduler)  # before the folder is touched
    folder = RunFolder.open(out, force=options.force, resume=options.resume, resumable=True)
    with folder:
        if folder.complete:
            table = pd.read_csv(out / "compare.csv")
            return CompareResult(
                out, labels, table, {}, already_complete=True,
                warnings=tuple(w for r in resolved for w in r.warnings),
            )  # fmt: skip
        t0 = time.perf_counter()
        jobs = _jobs(resolved, seed)
        folder.start(
            run_identity(
                [r.sha256 for r in resolved], seed=seed, n_firms=[j.n_firms for j in jobs],
                baseline_as_of=jobs[0].fit.as_of,
            )
        )  # fmt: skip
        stores = [folder.store(label) for label in labels]
        todo = [[r for r in range(n) if r not in store.finished()] for store in stores]
        done = sum(n - len(t) for t in todo)
        if folder.resuming:
            reporter.say(f"resuming {folder.partial}: {done} of {n * len(jobs)} runs finished")
        advance = reporter.task("compare", n * len(jobs), done)
        save_replicates(
            jobs, stores, todo, folder.partial, workers=options.workers,
            scheduler=options.scheduler, advance=advance, total=n * len(jobs),
        )  # fmt: skip
        results = [stored_dataset(j, s, n) for j, s in zip(jobs, stores, strict=True)]
        keep = common_replicates(results)
        if not keep:
            raise RunFailedError("compare: no replicate succeeded in every scenario")
        datasets = {
            label: ds.sel(replicate=keep) for label, ds in zip(labels, results, strict=True)
        }
        failed = [
            {"scenario": label, **f.to_dict()}
            for label, store in zip(labels, stores, strict=True)
            for f in store.failures()
            if f.replicate < n
        ]
        elapsed = time.perf_counter() - t0
        table = compare_table(datasets, labels[0])
        with folder.writing("writing the comparison (the replicates are saved)"):
            folder.write_csv("compare.csv", table)
            drawn = difference_charts(datasets, labels[0], folder.path("charts"), lang=options.lang)
            page = CompareReport(
                labels, table, replicates=len(keep), seed=seed, version=__version__,
                charts={p.stem.removesuffix("_difference"): p for p in drawn},
            )  # fmt: skip
            folder.write_text("report.html", compare_report(page, options.lang))
            for label, ds in datasets.items():
                ds.to_netcdf(folder.path(f"results_{label}.nc"), engine="netcdf4")
            path = folder.finish(
                command=options.command, scenarios=[r.info() for r in resolved], seed=seed,
                replicates=n, timings={"ensembles": round(elapsed, 3)},
                extra={
                    "status": "complete_with_failures" if failed else "complete",
                    "replicates_compared": keep,
                    "replicates_failed": failed,
                },
            )  # fmt: skip
    return CompareResult(
        path, labels, table, datasets, failed,
        warnings=tuple(w for r in resolved for w in r.warnings),
    )  # fmt: skip
