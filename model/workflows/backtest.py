"""``mfgplan backtest``: project from earlier as-of years and score against later statistics.

For each as-of year the scenario is moved to that base year, takes the calibration made on
the data up to that year (shipped, named, or made afresh into the output folder) and is scored,
beside a plain ETS forecast, against the observations after the year
(:mod:`mfgplan.analysis.backtest`).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mfgplan.analysis.backtest import backtest_one, rebase, summary_table
from mfgplan.calibration.observed import ObservedError, read_observed, shipped_observations
from mfgplan.calibration.scoring import summarise_by_indicator
from mfgplan.errors import InputError
from mfgplan.inputs.sample import ParameterFileError, ParameterSample, load_parameter_file
from mfgplan.inputs.scenario import first_problem
from mfgplan.paths import parameter_file
from mfgplan.report.figures import backtest_figure
from mfgplan.report.words import Language
from mfgplan.runs.folders import RunFolder, default_folder
from mfgplan.workflows.calibrate import calibrate_into, check_as_of
from mfgplan.workflows.common import QUIET, Reporter, load_scenarios

__all__ = ["BacktestOptions", "BacktestOutcome", "backtest"]

#: prior draws of a calibration made afresh for a back-test
FRESH_DRAWS = 1024


@dataclass(frozen=True)
class BacktestOptions:
    """What ``mfgplan backtest`` is asked to do."""

    scenario: Path
    as_of: tuple[int, ...]
    observed: Path | None = None
    calibration: Path | None = None
    replicates: int | None = None
    seed: int | None = None
    out: Path | None = None
    force: bool = False
    workers: int = 1
    #: the language of the charts and the report: zh, en or both
    lang: Language = "both"
    command: str = "mfgplan backtest"


@dataclass
class BacktestOutcome:
    """The scores over every as-of year and where they were written."""

    folder: Path
    summary: pd.DataFrame
    verdicts: pd.DataFrame
    #: as-of years with no observation after them (not scored)
    skipped: list[int] = field(default_factory=list)


def _sample_for(year: int, options: BacktestOptions) -> ParameterSample | None:
    """The calibration of ``year``: the one named, the shipped one, or None (made afresh)."""
    path = options.calibration if options.calibration is not None else parameter_file(year)
    if path.exists():
        try:
            sample = load_parameter_file(path)
        except ParameterFileError as err:
            raise InputError(str(err)) from None
        if sample.as_of != year:
            raise InputError(
                f"--calibration: {path} is calibrated as of {sample.as_of}, not {year}"
            )
        return sample
    if options.calibration is not None:
        raise InputError(f"--calibration: {path}: no such file")
    return None


def backtest(options: BacktestOptions, reporter: Reporter = QUIET) -> BacktestOutcome:
    """Back-test ``options.scenario`` from each as-of year (see module doc)."""
    years = sorted(options.as_of)
    for year in years:
        check_as_of(year)
    if len(set(years)) != len(years):
        raise InputError("--as-of: a year is given twice")
    (resolved,) = load_scenarios([options.scenario])
    scenario = resolved.scenario
    if options.observed is not None:
        try:
            observed = read_observed(options.observed)
        except ObservedError as err:
            raise InputError(str(err)) from None
        source = str(options.observed)
    else:
        observed = None
        source = "shipped data (calibration/data/jiangxi_history.csv) after each as-of year"
    plans = []
    skipped = []
    for year in years:
        obs = observed if observed is not None else shipped_observations(year)
        if obs[obs["year"] > year].empty:
            skipped.append(year)
            continue
        sample = _sample_for(year, options)
        try:
            rebase(scenario, year)
        except ValueError as err:
            raise InputError(
                f"{resolved.path}: cannot start in {year}: {first_problem(err)}"
            ) from None
        plans.append((year, obs, sample))
    if not plans:
        raise InputError(
            f"nothing to score: no observations after {', '.join(map(str, years))} in {source} "
            "(give later statistics with --observed FILE.csv)"
        )
    out = options.out or default_folder("backtest", resolved.path.stem)
    folder = RunFolder.open(out, force=options.force)
    with folder:
        folder.start()
        n = options.replicates or scenario.replicates
        seed = scenario.seed if options.seed is None else options.seed
        results = []
        calibrations = {}
        t0 = time.perf_counter()
        for year, obs, sample in plans:
            if sample is None:
                path = folder.path(f".as-of-{year}.json")
                calibrate_into(
                    path, year, command=options.command, reporter=reporter, draws=FRESH_DRAWS,
                    workers=options.workers,
                )  # fmt: skip
                sample = load_parameter_file(path)
            calibrations[year] = sample
            result = backtest_one(
                scenario, year, obs, parameters=sample, explicit=resolved.explicit_behaviour,
                counterfactual=resolved.counterfactual,
                replicates=n, seed=seed, workers=options.workers,
                progress=reporter.task(f"backtest as of {year}", n),
            )  # fmt: skip
            results.append(result)
            backtest_figure(
                result, folder.path(f"charts/backtest_as-of-{year}.png"), lang=options.lang
            )
            result.results.to_netcdf(folder.path(f"results_as-of-{year}.nc"), engine="netcdf4")
            shutil.copyfile(sample.path, folder.path(f"calibration_as-of-{year}.json"))
        table = pd.concat([r.table for r in results], ignore_index=True)
        summary = pd.concat([r.summary for r in results], ignore_index=True)
        overall = summary_table(table).assign(as_of="all")
        summary = pd.concat([summary, overall], ignore_index=True)
        verdicts = pd.concat([r.verdicts for r in results], ignore_index=True)
        folder.write_csv("backtest.csv", table)
        folder.write_csv("summary.csv", summary)
        folder.write_csv("summary_by_indicator.csv", summarise_by_indicator(table))
        folder.write_csv("verdicts.csv", verdicts)
        path = folder.finish(
            command=options.command, scenarios=[resolved.info()], seed=seed, replicates=n,
            timings={"backtest": round(time.perf_counter() - t0, 3)},
            extra={
                "observations": source,
                "as_of": [r.as_of for r in results],
                "calibrations": {
                    str(y): {"file": str(c.path), "sha256": c.sha256}
                    for y, c in calibrations.items()
                },
                "ets_methods": {str(r.as_of): r.ets_methods for r in results},
            },
        )  # fmt: skip
    return BacktestOutcome(path, summary, verdicts, skipped)
