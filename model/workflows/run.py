"""``mfgplan run``: an ensemble of one scenario into a run folder, resumable after a kill.

The replicates are saved as they finish (:class:`mfgplan.runs.store.ReplicateStore`);
``results.nc`` is written from them in chunks; then the targets table, the parameter share of
the spread (``uncertainty.csv``), fan charts, the resolved scenario with a copy of its
parameter file, and the manifest (:class:`mfgplan.runs.folders.RunFolder`).
:func:`simulate` gives the same dataset in memory (the notebook API).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xarray as xr

from mfgplan.analysis.summary import budget_by_year, budget_use, programme_effects
from mfgplan.analysis.targets import target_table
from mfgplan.analysis.uncertainty import uncertainty_table
from mfgplan.calibration.forecast import fit_baseline
from mfgplan.errors import InputError, RunFailedError, RunInterruptedError
from mfgplan.inputs.scenario import Problem, ResolvedScenario
from mfgplan.parallel import Failure
from mfgplan.provenance import __version__
from mfgplan.report.figures import CHARTED, run_charts
from mfgplan.report.html import RunReport, run_report
from mfgplan.report.words import Language
from mfgplan.runs.ensemble import iter_outcomes, run_ensemble
from mfgplan.runs.folders import RunFolder, default_run_folder, run_identity
from mfgplan.runs.job import EnsembleJob, resolve_job
from mfgplan.runs.store import ReplicateStore, write_results
from mfgplan.runs.variables import VARIABLES, job_skeleton
from mfgplan.workflows.common import (
    QUIET,
    Reporter,
    keep_calibration,
    keep_counterfactual,
    load_scenarios,
    parameter_records,
    probe_scheduler,
    unidentified_parameters,
)

__all__ = ["RunOptions", "RunResult", "run_scenario", "save_replicates", "simulate"]


@dataclass(frozen=True)
class RunOptions:
    """What ``mfgplan run`` is asked to do."""

    scenario: Path
    replicates: int | None = None
    seed: int | None = None
    out: Path | None = None
    force: bool = False
    resume: bool = False
    charts: bool = True
    workers: int = 1
    scheduler: str | None = None
    #: the language of the charts and the report: zh, en or both
    lang: Language = "both"
    #: the command line, as the manifest records it
    command: str = "mfgplan run"


@dataclass
class RunResult:
    """What a run did: where its folder is, what it ran and the 2020 picture."""

    folder: Path
    title: str
    requested: int
    ran: int = 0
    resumed: int = 0
    seconds: float = 0.0
    #: the folder was already complete: nothing was run
    already_complete: bool = False
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)
    uncertainty: pd.DataFrame | None = None
    #: the programme's paired effect on each target indicator in the target year
    effects: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: each grant line's money: allocated, committed, paid, lapsed (median over replicates)
    budget: pd.DataFrame = field(default_factory=pd.DataFrame)
    failures: list[Failure] = field(default_factory=list)
    #: what the scenario sets that is legal but probably not meant (``file:line: field: ...``)
    warnings: tuple[Problem, ...] = ()
    #: the programme's parameters the calibration did not move (None: no calibrated sample)
    unidentified: list[str] | None = None


def job_of(resolved: ResolvedScenario, seed: int | None = None) -> EnsembleJob:
    """The ensemble job of a loaded scenario as every command builds it.

    The statistical baseline is fitted on the data up to the base year and the scenario's
    calibration applied (its sample, the parameters it sets itself winning).
    """
    scenario = resolved.scenario
    fit = fit_baseline(as_of=scenario.base_year)
    return resolve_job(
        scenario,
        seed=seed,
        fit=fit,
        parameters=resolved.parameters,
        explicit=resolved.explicit_behaviour,
        counterfactual=resolved.counterfactual,
    )


def simulate(
    path: str | Path,
    *,
    replicates: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
) -> xr.Dataset:
    """The results dataset of ``mfgplan run PATH`` with the same options, in memory."""
    (resolved,) = load_scenarios([path])
    probe_scheduler(scheduler)
    job = job_of(resolved, seed)
    n = replicates or resolved.scenario.replicates
    return run_ensemble(
        job.scenario,
        replicates=n,
        seed=job.root_seed,
        fit=job.fit,
        n_firms=job.n_firms,
        workers=workers,
        scheduler=scheduler,
        parameters=job.parameters,
        explicit=job.explicit,
        counterfactual=job.counterfactual,
    )


def save_replicates(
    jobs: list[EnsembleJob],
    stores: list[ReplicateStore],
    todo: list[list[int]],
    partial: Path,
    *,
    workers: int,
    scheduler: str | None,
    advance: Callable[[int], None],
    total: int,
) -> None:
    """Run the replicates ``todo[j]`` of each job and save each as it finishes in its store.

    An interruption, a dead worker or a full disk ends with a one-line error naming the
    partial folder; what was saved stays there for ``--resume``.
    """

    def saved() -> int:
        return sum(len(s.finished()) for s in stores)

    try:
        for j, r, outcome in iter_outcomes(jobs, todo, workers=workers, scheduler=scheduler):
            if isinstance(outcome, Failure):
                stores[j].save_failure(outcome)
            else:
                stores[j].save(r, outcome)
            advance(1)
    except KeyboardInterrupt:
        raise RunInterruptedError(
            f"interrupted: {saved()} of {total} replicates are saved in {partial}; continue "
            "with the same command and --resume"
        ) from None
    except BrokenProcessPool as err:
        raise RunFailedError(
            f"a worker process died ({err}); finished replicates are saved in {partial}; "
            "continue with --resume"
        ) from None
    except OSError as err:
        raise RunFailedError(
            f"{partial}: {err.strerror or err} while saving replicates; {saved()} of {total} "
            "replicates are saved; free the space and continue with the same command and "
            "--resume"
        ) from None


def run_scenario(options: RunOptions, reporter: Reporter = QUIET) -> RunResult:
    """Run ``options.scenario`` into a run folder (see module doc)."""
    (resolved,) = load_scenarios([options.scenario])
    scenario = resolved.scenario
    seed = scenario.seed if options.seed is None else options.seed
    n = options.replicates or scenario.replicates
    if options.resume and options.out is None:
        raise InputError("--resume: give the --out folder of the run to continue")
    out = options.out or default_run_folder(resolved.path, resolved.sha256, seed, n)
    probe_scheduler(options.scheduler)  # before the folder is touched
    folder = RunFolder.open(out, force=options.force, resume=options.resume, resumable=True)
    with folder:
        if folder.complete:
            return RunResult(
                out, scenario.title, n, already_complete=True, warnings=resolved.warnings
            )
        t0 = time.perf_counter()
        job = job_of(resolved, seed)
        identity = run_identity(
            resolved.sha256, seed=job.root_seed, n_firms=job.n_firms, baseline_as_of=job.fit.as_of
        )
        folder.start(identity)
        store = folder.store()
        done = {r for r in store.finished() if r < n}
        todo = [r for r in range(n) if r not in done]
        if folder.resuming:
            reporter.say(
                f"resuming {folder.partial}: {len(done)} of {n} replicates already finished"
            )
        t1 = time.perf_counter()
        advance = reporter.task(scenario.title[:40], n, len(done))
        save_replicates(
            [job], [store], [todo], folder.partial, workers=options.workers,
            scheduler=options.scheduler, advance=advance, total=n,
        )  # fmt: skip
        t2 = time.perf_counter()
        ok = sorted(r for r in store.finished() if r < n)
        failures = [f for f in store.failures() if f.replicate < n]
        if not ok:
            first = failures[0]
            raise RunFailedError(
                f"every replicate failed; the first, replicate {first.replicate} (seed entropy "
                f"{first.root_seed}, spawn key [{first.replicate}]): {first.error}"
            )
        with folder.writing("writing the results (the replicates are saved)"):
            skeleton = job_skeleton(job, ok)
            write_results(folder.path("results.nc"), skeleton, VARIABLES, store.load, ok)
            t3 = time.perf_counter()
            targets, uncertainty, effects, budget = _products(
                folder, resolved, job, charts=options.charts, lang=options.lang
            )
            timings = {
                "baseline_fit": round(t1 - t0, 3),
                "ensemble": round(t2 - t1, 3),
                "results": round(t3 - t2, 3),
                "write": round(time.perf_counter() - t3, 3),
            }
            path = folder.finish(
                command=options.command,
                scenarios=[resolved.info()],
                seed=job.root_seed,
                replicates=len(ok),
                timings=timings,
                extra={
                    "status": "complete_with_failures" if failures else "complete",
                    "replicates_requested": n,
                    "replicates_failed": [f.to_dict() for f in failures],
                    "baseline_methods": "; ".join(
                        f"{k}: {v}" for k, v in sorted(job.fit.methods.items())
                    ),
                    "workers": options.workers if options.scheduler is None else None,
                    "scheduler": options.scheduler,
                    "resumed_replicates": len(done),
                    "n_firms": job.n_firms,
                },
            )
    return RunResult(
        path, scenario.title, n, ran=len(todo), resumed=len(done), seconds=t2 - t1,
        targets=targets, uncertainty=uncertainty, effects=effects, budget=budget,
        failures=failures, warnings=resolved.warnings,
        unidentified=unidentified_parameters(resolved),
    )  # fmt: skip


def _products(
    folder: RunFolder,
    resolved: ResolvedScenario,
    job: EnsembleJob,
    *,
    charts: bool,
    lang: Language = "both",
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame, pd.DataFrame]:
    """The tables, charts, resolved scenario and parameter file beside ``results.nc``.

    Returns the targets, the parameter share of the spread, the programme's effects and the
    budget use.
    """
    with xr.open_dataset(folder.partial / "results.nc") as ds:
        targets = target_table(ds)
        effects = programme_effects(ds)
        budget = budget_use(ds)
        folder.write_csv("targets.csv", targets)
        folder.write_csv("budget.csv", budget_by_year(ds))
        if charts:
            run_charts(ds, folder.path("charts"), job.fit.history, lang)
        uncertainty = uncertainty_table(ds)
        if uncertainty is not None:
            folder.write_csv("uncertainty.csv", uncertainty)
    reference = keep_calibration(folder, resolved)
    counterfactual = keep_counterfactual(folder, resolved, "scenario.resolved.yaml")
    folder.write_text(
        "scenario.resolved.yaml",
        resolved.to_yaml(calibration_ref=reference, counterfactual_ref=counterfactual),
    )
    charts_made = {
        name: folder.path(f"charts/{name}.png")
        for name in CHARTED
        if charts and folder.path(f"charts/{name}.png").is_file()
    }
    page = RunReport(
        title=resolved.scenario.title,
        scenario_file=resolved.path.name,
        replicates=int(targets["replicates"].iloc[0]),
        seed=job.root_seed,
        version=__version__,
        targets=targets,
        effects=effects,
        budget=budget,
        uncertainty=uncertainty,
        parameters=parameter_records(job.parameters),
        charts=charts_made,
        warnings=[str(w) for w in resolved.warnings],
    )
    folder.write_text("report.html", run_report(page, lang))
    return targets, uncertainty, effects, budget
