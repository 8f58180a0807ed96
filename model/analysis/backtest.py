"""Back-tests: project from an earlier as-of year and score against what was published later.

For an as-of year ``A`` (:func:`backtest_one`):

1. the scenario is moved to base year ``A`` (its programme and instruments unchanged);
2. its behavioural parameters come from a calibration at ``A`` (a shipped
   ``calibration/params/as-of-A.json``, a file the user names, or a fresh calibration);
3. the statistical baseline is fitted on the data up to ``A`` only, the ensemble is run, and
   each observation after ``A`` is scored: median, 5-95% band, whether it is inside, and the
   CRPS (:mod:`mfgplan.calibration.scoring`);
4. the same scores for a plain statsmodels ETS forecast of the same history points (the
   benchmark a time-series analyst would use), and the target verdicts where the
   observations reach a target year.

Partial-year figures (``period`` such as ``Jan-Nov``) are scored as approximate: the output
marks them, and the summary gives the scores with and without them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from mfgplan.calibration.forecast import BaselineFit, fit_baseline
from mfgplan.calibration.scoring import ets_samples, score_rows, summarise, verdict_rows
from mfgplan.inputs.parameters import Scenario
from mfgplan.inputs.programme import Programme
from mfgplan.inputs.sample import ParameterSample

__all__ = [
    "BacktestResult",
    "backtest_one",
    "common_rows",
    "ets_forecasts",
    "model_samples",
    "rebase",
    "summary_table",
]

#: transform of each indicator for the ETS benchmark
ETS_TRANSFORM = {
    "manufacturing_va": "log",
    "industrial_va": "log",
    "industrial_va_growth": "none",
    "sei_share": "logit",
    "hightech_share": "logit",
    "cnc_rate": "logit",
    "rd_intensity": "logit",
    "enterprise_count": "log",
}
#: samples drawn from the ETS benchmark per observation
ETS_SAMPLES = 2000


@dataclass
class BacktestResult:
    """Scores of one as-of year."""

    as_of: int
    table: pd.DataFrame
    summary: pd.DataFrame
    verdicts: pd.DataFrame
    results: xr.Dataset
    ets_methods: dict[str, str]
    #: the history points the baseline was fitted on (for charts)
    history: dict[str, tuple[np.ndarray, np.ndarray]]


def common_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of observations that every forecaster in ``table`` scored.

    A fair comparison: the same observations for each.
    """
    scored = table[table["status"].str.startswith("scored")]
    key = (
        ["as_of", "indicator", "year", "period"]
        if "as_of" in table
        else ["indicator", "year", "period"]
    )
    n_forecasters = table["forecaster"].nunique()
    counts = scored.groupby(key)["forecaster"].nunique()
    both = counts[counts == n_forecasters].index
    index = pd.MultiIndex.from_frame(table[key])
    return table[index.isin(both)]


def summary_table(table: pd.DataFrame) -> pd.DataFrame:
    """Coverage and mean relative CRPS per forecaster over three sets of rows.

    The sets are ``common`` (the observations every forecaster scored), ``common, full-year``
    (without partial-year figures) and ``all`` (everything each forecaster scored).
    """
    common = common_rows(table)
    return pd.concat(
        [
            summarise(common, include_approximate=True).assign(rows="common"),
            summarise(common, include_approximate=False).assign(rows="common, full-year"),
            summarise(table, include_approximate=True).assign(rows="all"),
        ],
        ignore_index=True,
    )


def rebase(scenario: Scenario, as_of: int) -> Scenario:
    """The scenario with base year ``as_of`` (everything else as written).

    Raises ``ValueError`` (pydantic's) if the scenario cannot start then, e.g. a yearly value
    dated before the new first projected year is missing.
    """
    data = scenario.model_dump(mode="python")
    data.update(base_year=as_of, calibration=None)
    return Scenario.model_validate(data)


def model_samples(ds: xr.Dataset, observations: pd.DataFrame) -> dict[tuple[str, int], np.ndarray]:
    """The ensemble's values for each observed (indicator, year) inside the projection."""
    years = set(int(y) for y in ds["year"].values[1:])
    out = {}
    for indicator, year in set(zip(observations["indicator"], observations["year"], strict=True)):
        if int(year) in years and indicator in ds:
            out[(indicator, int(year))] = ds[indicator].sel(year=int(year)).values
    return out


def ets_forecasts(
    fit: BaselineFit, observations: pd.DataFrame, seed: int
) -> tuple[dict[tuple[str, int], np.ndarray], dict[str, str]]:
    """ETS benchmark samples for each observed (indicator, year).

    They come from the history points the baseline was fitted on; an indicator with fewer than
    two history points gets none.
    """
    samples: dict[tuple[str, int], np.ndarray] = {}
    methods: dict[str, str] = {}
    for k, indicator in enumerate(sorted(set(observations["indicator"]))):
        history = fit.history.get(indicator)
        if history is None or len(np.unique(history[0])) < 2:
            methods[indicator] = "none (fewer than two history points up to the as-of year)"
            continue
        hist_years, hist_values = (np.asarray(a) for a in history)
        keep = hist_years <= fit.as_of
        hist_years, hist_values = hist_years[keep], hist_values[keep]
        wanted = sorted(
            int(y)
            for y in set(observations.loc[observations["indicator"] == indicator, "year"])
            if int(y) > int(hist_years.max())
        )
        if not wanted:
            continue
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k,)))
        forecast = ets_samples(
            hist_years, hist_values, wanted, ETS_SAMPLES, rng, ETS_TRANSFORM[indicator]
        )
        methods[indicator] = forecast.method
        for year, values in forecast.samples.items():
            samples[(indicator, int(year))] = np.asarray(values)
    return samples, methods


def backtest_one(
    scenario: Scenario,
    as_of: int,
    observations: pd.DataFrame,
    *,
    parameters: ParameterSample | None,
    explicit: frozenset[str] = frozenset(),
    replicates: int,
    seed: int,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    counterfactual: Programme | None = None,
) -> BacktestResult:
    """Project ``scenario`` from ``as_of`` and score it and the ETS benchmark.

    Both are scored against ``observations`` (rows after ``as_of``; see the module docstring).
    """
    from mfgplan.analysis.targets import TARGETS
    from mfgplan.runs.ensemble import run_ensemble

    rebased = rebase(scenario, as_of)
    fit = fit_baseline(as_of=as_of, horizon=max(rebased.horizon, as_of + 1))
    ds = run_ensemble(
        rebased,
        replicates=replicates,
        seed=seed,
        fit=fit,
        workers=workers,
        progress=progress,
        parameters=parameters,
        explicit=explicit,
        counterfactual=counterfactual,
    )
    obs = observations[observations["year"] > as_of].reset_index(drop=True)
    model = model_samples(ds, obs)
    ets, methods = ets_forecasts(fit, obs, seed)
    table = pd.concat(
        [score_rows(obs, model, "mfgplan"), score_rows(obs, ets, "ets")], ignore_index=True
    )
    table.insert(0, "as_of", as_of)
    summary = summary_table(table)
    summary.insert(0, "as_of", as_of)
    verdicts = verdict_rows(obs, model, TARGETS)
    verdicts.insert(0, "as_of", as_of)
    return BacktestResult(as_of, table, summary, verdicts, ds, methods, fit.history)
