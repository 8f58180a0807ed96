"""What would it take? The targets' probabilities as the programme's money is scaled.

For a scenario ``S`` and scales ``k`` (default 0, 0.5, 1, 2, 4, 8, 16), the ensemble of ``S``
with the programme's money times ``k`` (:func:`scaled_scenario`: the annual budget, every
line's allocation, the investment fund's size and pace, and the plan's counts of awards, so
that count-bound lines can take the money) runs on the same replicates as every other scale
(common random numbers). Rates, caps and selection rules stay the scenario's: more of the same
programme, not a different one. Each scale is measured against the scenario's counterfactual,
so ``k = 0`` (no provincial money at all) falls below the baseline and ``k = 1`` is ``S``.

:func:`frontier_table` gives per scale and target the probability the target is met in its
year (Wilson 90% interval), the median and the first year the probability reaches 0.5;
:func:`frontier_summary` per target the smallest scale reaching P >= 0.5 and P >= 0.9, or
``not within 16x``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from mfgplan.analysis.intervals import wilson_interval
from mfgplan.analysis.targets import TARGETS, Target
from mfgplan.inputs.fields import expand_yearly
from mfgplan.inputs.parameters import Scenario, catalogue, count_limits
from mfgplan.inputs.programme import GRANT_INSTRUMENTS

__all__ = [
    "DEFAULT_SCALES",
    "LEVELS",
    "first_year_likely",
    "frontier_summary",
    "frontier_table",
    "scaled_scenario",
]

#: multiples of the scenario's money the frontier runs by default
DEFAULT_SCALES: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
#: the probabilities the summary asks the smallest scale for
LEVELS: tuple[float, ...] = (0.5, 0.9)
#: counts of firms, projects and centres: scaled with the money
SCALED_COUNT_FIELDS = ("total_awards", "projects", "centres")
#: places (clusters, bases, parks) are limited by the province's cells: their count stays and
#: the money per place is scaled
SCALED_PLACE_AMOUNTS = ("per_cluster", "per_base", "per_park")


def _times(value: object, factor: float, years: range, field: str) -> dict[int, float]:
    return {y: v * factor for y, v in expand_yearly(value, years, field=field).items()}


def scaled_scenario(scenario: Scenario, scale: float) -> Scenario:
    """``scenario`` with the programme's money times ``scale`` (module doc).

    The annual budget and each line's allocation are multiplied year by year, the investment
    fund's size and annual investment too; the counts of firms, projects and innovation
    centres become ``ceil(count x scale)``; places (clusters, bases, parks), limited by the
    province's cells, keep their count and get ``scale`` times the money each; a count at the
    catalogue's ceiling gets what it can pay. ``scale = 1`` is the scenario's programme.
    """
    if scale < 0 or not math.isfinite(scale):
        raise ValueError(f"a scale must be a non-negative number (got {scale})")
    data = scenario.model_dump(mode="python")
    programme = data["programme"]
    years = scenario.programme_years
    p = scenario.programme
    programme["annual_budget"] = _times(p.annual_budget, scale, years, "annual_budget")
    programme["allocation"] = {
        name: _times(getattr(p.allocation, name), scale, years, name) for name in GRANT_INSTRUMENTS
    }
    bounds = {row["name"]: row["bounds"] for row in catalogue()}
    for name in GRANT_INSTRUMENTS:
        rules = programme["instruments"][name]
        for attr in SCALED_COUNT_FIELDS:
            if attr in rules:
                ceiling = bounds[f"programme.instruments.{name}.{attr}"].get("le", 10**6)
                rules[attr] = min(math.ceil(rules[attr] * scale - 1e-9), int(ceiling))
        for attr in SCALED_PLACE_AMOUNTS:
            if attr in rules:
                rules[attr] = rules[attr] * scale
    fund = programme["investment_fund"]
    fund["size"] = p.investment_fund.size * scale
    fund["annual_investment"] = _times(
        p.investment_fund.annual_investment, scale, years, "annual_investment"
    )
    data["title"] = f"{scenario.title} (money x {scale:g})"
    # a count at the catalogue's ceiling cannot take all the money: the line gets what its
    # count x amount can pay (the rest of the budget stays unallocated)
    allocation = programme["allocation"]
    programme["allocation"] = dict.fromkeys(GRANT_INSTRUMENTS, 0.0)
    limits = count_limits(Scenario.model_validate(data))
    for name, limit in limits.items():
        total = sum(allocation[name].values())
        if total > limit > 0:
            allocation[name] = {y: v * limit / total for y, v in allocation[name].items()}
    programme["allocation"] = allocation
    return Scenario.model_validate(data)


def first_year_likely(ds: xr.Dataset, target: Target, level: float = 0.5) -> int | None:
    """The first projected year in which ``P(indicator >= threshold) >= level``, or None."""
    for year in ds["year"].values[1:]:
        if np.mean(ds[target.indicator].sel(year=year).values >= target.threshold) >= level:
            return int(year)
    return None


def frontier_table(
    datasets: Mapping[float, xr.Dataset],
    targets: Sequence[Target] = TARGETS,
    confidence: float = 0.90,
) -> pd.DataFrame:
    """Per scale and target: P(met) in the target year with its interval, median, first year.

    Columns: ``scale, target, indicator, year, threshold, units, probability, p_low, p_high,
    median, p5, p95, first_year_p50, replicates``.
    """
    rows = []
    for scale, ds in sorted(datasets.items()):
        n = int(ds.sizes["replicate"])
        for target in targets:
            values = ds[target.indicator].sel(year=target.year).values
            p = float(np.mean(values >= target.threshold))
            lo, hi = wilson_interval(p, n, confidence)
            rows.append(
                {
                    "scale": float(scale),
                    "target": target.name,
                    "indicator": target.indicator,
                    "year": target.year,
                    "threshold": target.threshold,
                    "units": target.units,
                    "probability": p,
                    "p_low": lo,
                    "p_high": hi,
                    "median": float(np.median(values)),
                    "p5": float(np.quantile(values, 0.05)),
                    "p95": float(np.quantile(values, 0.95)),
                    "first_year_p50": first_year_likely(ds, target, 0.5),
                    "replicates": n,
                }
            )
    table = pd.DataFrame(rows)
    table["first_year_p50"] = table["first_year_p50"].astype("Int64")
    return table


def frontier_summary(table: pd.DataFrame, levels: Sequence[float] = LEVELS) -> pd.DataFrame:
    """Per target, the smallest scale whose P(met) in the target year reaches each level.

    ``not within Kx`` (``K`` the largest scale run) where no scale reaches it. The
    probabilities are estimates: the column ``p_at_scale`` gives the estimate at that scale.
    """
    largest = float(table["scale"].max())
    rows = []
    for target, rows_t in table.groupby("target", sort=False):
        rows_t = rows_t.sort_values("scale")
        row: dict[str, object] = {"target": target}
        for level in levels:
            reached = rows_t[rows_t["probability"] >= level]
            key = f"scale_p{round(100 * level)}"
            if reached.empty:
                row[key] = f"not within {largest:g}x"
                row[f"{key}_probability"] = float("nan")
            else:
                first = reached.iloc[0]
                row[key] = f"{first['scale']:g}x"
                row[f"{key}_probability"] = float(first["probability"])
        rows.append(row)
    return pd.DataFrame(rows)
