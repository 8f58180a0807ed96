"""``mfgplan optimize``: the split of the grant budget that does best on an objective.

With ``--by-year``, the search also finds the budget's spread over the programme years.

The search (:func:`mfgplan.analysis.optimise.optimise`) compares candidate allocations on
common random numbers, re-evaluates the finalists on replicates it did not search on, and
reports the statistically indistinguishable set; the winner is written as a scenario file
that ``mfgplan run`` accepts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mfgplan.analysis.optimise import OptimiseResult, OptimiseSettings, optimise
from mfgplan.analysis.planning import (
    Objective,
    allocation_scenario,
    current_shares,
    objective,
    optimised_document,
    share_bounds,
)
from mfgplan.calibration.forecast import fit_baseline
from mfgplan.errors import InputError, RunFailedError
from mfgplan.inputs.parameters import Scenario
from mfgplan.inputs.programme import GRANT_INSTRUMENTS
from mfgplan.report.planning_charts import optimiser_chart
from mfgplan.report.style import save
from mfgplan.report.words import Language
from mfgplan.runs.folders import RunFolder, default_folder
from mfgplan.workflows.common import (
    QUIET,
    keep_calibration,
    keep_counterfactual,
    load_scenarios,
    probe_scheduler,
    unidentified_parameters,
    with_firms,
)
from mfgplan.workflows.variants import LOCAL, Execution, run_variants

__all__ = ["OptimizeOptions", "OptimizeResult", "optimize", "search_settings"]


@dataclass(frozen=True)
class OptimizeOptions:
    """What ``mfgplan optimize`` is asked to do."""

    scenario: Path
    objective: str = "all"
    min_shares: dict[str, float] = field(default_factory=dict)
    by_year: bool = False
    quick: bool = False
    final_replicates: int | None = None
    firms: int | None = None
    seed: int | None = None
    out: Path | None = None
    force: bool = False
    #: write optimized.yaml even when the objective is the same for every candidate
    write_tied: bool = False
    #: the language of the charts and the report: zh, en or both
    lang: Language = "both"
    command: str = "mfgplan optimize"


@dataclass
class OptimizeResult:
    """The chosen allocation, the search's record and where it was written."""

    folder: Path
    goal: Objective
    result: OptimiseResult
    settings: OptimiseSettings
    allocation: pd.DataFrame
    years: list[int]
    year_result: OptimiseResult | None = None
    #: the objective was the same for every candidate: nothing to choose on it
    tied: bool = False
    #: the optimised scenario file, if one was written
    written: Path | None = None
    #: the programme's parameters the calibration did not move (None: no calibrated sample)
    unidentified: list[str] | None = None


#: objectives to name when the one asked for does not discriminate
DISCRIMINATING = (
    "va:2020 (expected manufacturing VA in 2020: continuous, it always tells allocations apart)",
    "a single target met with a probability between 0 and 1 in this scenario "
    "(e.g. hightech_share_30; mfgplan run prints each target's P(met))",
)


def nothing_to_choose(result: OptimiseResult) -> bool:
    """Whether the primary objective took one value for every candidate the search evaluated.

    The search then ranked by the tie-break alone (``compared_on == "secondary"``), or every
    candidate's mean was the same.
    """
    means = result.history["mean"].to_numpy(dtype=float)
    return result.compared_on == "secondary" or bool(np.ptp(means) == 0.0)


def search_settings(seed: int, quick: bool, final_replicates: int | None) -> OptimiseSettings:
    """The search budget: about 2,800 replicate runs; ``quick`` about 900.

    The full budget takes 4 minutes for the plan on 2 cores.
    """
    settings = OptimiseSettings(screening_replicates=12, local_rounds=2, seed=seed)
    if quick:
        settings = OptimiseSettings(
            screening_candidates=8, screening_replicates=8, local_rounds=1, finalists=3,
            final_replicates=24, seed=seed,
        )  # fmt: skip
    if final_replicates:
        settings.final_replicates = final_replicates
    return settings


def optimize(options: OptimizeOptions, execution: Execution = LOCAL) -> OptimizeResult:
    """Search the allocation (see module doc); progress notes go to the reporter."""
    (resolved,) = load_scenarios([options.scenario])
    scenario = with_firms(resolved.scenario, options.firms)
    try:
        goal = objective(options.objective, scenario)
        lower, upper = share_bounds(scenario, options.min_shares)
    except ValueError as err:
        raise InputError(str(err)) from None
    if sum(scenario.budget_by_year().values()) <= 0:
        raise InputError(f"{resolved.path}: the scenario has no grant budget to allocate")
    years = list(scenario.programme_years)
    if options.by_year and len(years) < 2:
        raise InputError("--by-year: the programme has a single year")
    seed = scenario.seed if options.seed is None else options.seed
    settings = search_settings(seed, options.quick, options.final_replicates)
    probe_scheduler(execution.scheduler)
    out = options.out or default_folder("optimize", resolved.path.stem)
    folder = RunFolder.open(out, force=options.force)
    with folder:
        folder.start()
        fit = fit_baseline(as_of=scenario.base_year)  # once for every batch
        start = np.clip(current_shares(scenario), lower, upper)
        start = start / start.sum() if start.sum() > 0 else None
        # the optimiser reports its stages; the batches run without their own progress bars
        batch_execution = Execution(execution.workers, execution.scheduler, QUIET)
        calls = {"n": 0}

        def evaluator(build: Callable[[np.ndarray], Scenario]) -> Any:
            """``evaluate(candidates, ids)`` for the optimiser; ``build(c)`` is a scenario."""

            def evaluate(candidates: list[np.ndarray], ids: Sequence[int]) -> np.ndarray:
                calls["n"] += 1
                datasets, failures = run_variants(
                    resolved, [build(c) for c in candidates], list(ids), batch_execution,
                    f"batch {calls['n']}", seed, fit=fit,
                )  # fmt: skip
                if failures:
                    first = failures[0]
                    raise RunFailedError(
                        f"optimize: replicate {first.replicate} failed ({first.error}); the "
                        "comparison needs every replicate of every candidate"
                    )
                return np.stack([goal.values(ds) for ds in datasets])

            return evaluate

        say = execution.reporter.say
        t0 = time.perf_counter()
        say("stage 1: the split of the grant budget over the instruments")
        names = list(GRANT_INSTRUMENTS)
        result = optimise(
            evaluator(lambda c: allocation_scenario(scenario, c)), len(names),
            lower=lower, upper=upper, start=start, settings=settings, names=names, progress=say,
        )  # fmt: skip
        year_result = None
        if options.by_year:
            say("stage 2: the spread of the programme's grant money over its years")
            by_year = scenario.budget_by_year()
            year_start = np.array([by_year[y] for y in years]) / sum(by_year.values())
            year_result = optimise(
                evaluator(lambda c: allocation_scenario(scenario, result.best, c)), len(years),
                lower=np.zeros(len(years)), upper=np.ones(len(years)), start=year_start,
                settings=settings, names=[str(y) for y in years], progress=say,
            )  # fmt: skip
        elapsed = time.perf_counter() - t0
        tied = nothing_to_choose(result)
        if tied:
            result.notes.append(
                f"The objective ({goal.label}) is {result.start_mean:.4g} for every allocation "
                "the search tried: there is nothing to choose on it. Objectives that do "
                "discriminate: " + "; ".join(DISCRIMINATING) + "."
                + ("" if options.write_tied else " No optimized.yaml written (--write-tied "
                   "writes the tie-break's choice anyway).")
            )  # fmt: skip
        allocation, written = _write(
            folder, resolved, scenario, goal, result, year_result, start, (lower, upper),
            settings, years, write=options.write_tied or not tied,
        )  # fmt: skip
        path = folder.finish(
            command=options.command, scenarios=[resolved.info()], seed=seed,
            replicates=settings.final_replicates, timings={"optimise": round(elapsed, 3)},
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
                "nothing_to_choose": tied,
                "written": written,
                **_by_year_extra(years, year_result),
            },
        )  # fmt: skip
    return OptimizeResult(
        path, goal, result, settings, allocation, years, year_result, tied,
        path / written if written else None, unidentified_parameters(resolved),
    )  # fmt: skip


def _by_year_extra(years: list[int], year_result: OptimiseResult | None) -> dict[str, Any]:
    if year_result is None:
        return {}
    return {
        "by_year": {
            "best": dict(zip(map(str, years), map(float, year_result.best), strict=True)),
            "best_mean": year_result.best_mean,
            "best_interval": list(year_result.best_interval),
            "start_mean": year_result.start_mean,
            "gain": year_result.gain,
            "gain_interval": list(year_result.gain_interval),
            "evaluations": year_result.evaluations,
            "notes": year_result.notes,
        }
    }


def _write(
    folder: RunFolder,
    resolved: Any,
    scenario: Scenario,
    goal: Objective,
    result: OptimiseResult,
    year_result: OptimiseResult | None,
    start: np.ndarray | None,
    bounds: tuple[np.ndarray, np.ndarray],
    settings: OptimiseSettings,
    years: list[int],
    *,
    write: bool = True,
) -> tuple[pd.DataFrame, str | None]:
    """The search's tables and charts and (if ``write``) the optimised scenario file.

    Returns the allocation table and the scenario file's name (None if not written).
    """
    names = list(GRANT_INSTRUMENTS)
    folder.write_csv("history.csv", result.history)
    folder.write_csv("finalists.csv", result.finalists)
    budget = sum(scenario.budget_by_year().values())
    allocation = pd.DataFrame(
        {
            "instrument": names,
            "scenario_share": start if start is not None else np.nan,
            "optimised_share": result.best,
            "lower_bound": bounds[0],
            "upper_bound": bounds[1],
            "optimised_yuan_over_programme": result.best * budget,
        }
    )
    folder.write_csv("allocation.csv", allocation)
    measure = (
        f"tie-break of {goal.label}: mean over targets of min(value / threshold, 1) (the "
        "objective itself ties)"
        if result.compared_on == "secondary"
        else f"{goal.label} ({goal.units})"
    )
    fig = optimiser_chart(
        result, names, start_label=resolved.path.stem, title=f"Allocation search: {measure}",
        ylabel=f"objective: {goal.units} (mean over replicates)",
    )  # fmt: skip
    save(fig, folder.path("charts/optimiser.png"))
    calibration_ref = keep_calibration(folder, resolved)
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
        folder.write_csv("year_profile.csv", profile)
        folder.write_csv("history_years.csv", year_result.history)
        folder.write_csv("finalists_years.csv", year_result.finalists)
        fig = optimiser_chart(
            year_result, [str(y) for y in years], start_label="even spread",
            title=f"Spread over the years (chosen split): {goal.label}",
        )  # fmt: skip
        save(fig, folder.path("charts/optimiser_years.png"))
        ylo, yhi = year_result.best_interval
        notes.append(
            f"Spread over the years: objective {year_result.best_mean:.4g} (90% interval "
            f"{ylo:.4g} to {yhi:.4g}) against {year_result.start_mean:.4g} for the scenario's "
            f"spread with the chosen split; gain {year_result.gain:.4g} (paired 90% interval "
            f"{year_result.gain_interval[0]:.4g} to {year_result.gain_interval[1]:.4g})."
        )
        notes.extend(year_result.notes)
    if not write:
        return allocation, None
    folder.write_text(
        "optimized.yaml",
        optimised_document(
            resolved, scenario, result.best, title=f"{scenario.title} (optimised: {goal.spec})",
            notes=notes, calibration=calibration_ref, year_shares=year_shares,
            counterfactual=keep_counterfactual(
                folder, resolved, "optimized.yaml", same_programme=False
            ),
        ),
    )  # fmt: skip
    return allocation, "optimized.yaml"
