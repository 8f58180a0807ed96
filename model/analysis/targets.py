"""The plan's quantitative targets and their evaluation on an ensemble.

Targets are those of the plan's section 一(四) (``../shared/plan/README.md``); the 2025 goal
("national upper-middle") is qualitative and not evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["TARGETS", "Target", "target_table"]


@dataclass(frozen=True)
class Target:
    """A threshold an indicator must reach (``value >= threshold``) in ``year``."""

    name: str
    indicator: str
    year: int
    threshold: float
    units: str
    description: str
    source: str


TARGETS: tuple[Target, ...] = (
    Target(
        "manufacturing_va_1tn",
        "manufacturing_va",
        2020,
        1e12,
        "yuan",
        "manufacturing value added above 1 trillion yuan (nominal)",
        "plan 一(四)",
    ),
    Target(
        "sei_share_30",
        "sei_share",
        2020,
        0.30,
        "fraction",
        "strategic emerging industries at least 30% of industrial value added",
        "plan 一(四)",
    ),
    Target(
        "hightech_share_30",
        "hightech_share",
        2020,
        0.30,
        "fraction",
        "high-tech industries at least 30% of industrial value added",
        "plan 一(四)",
    ),
    Target(
        "cnc_rate_60",
        "cnc_rate",
        2020,
        0.60,
        "fraction",
        "CNC rate of production equipment in key areas at least 60%",
        "plan 一(四)",
    ),
)


def target_table(results: xr.Dataset, targets: tuple[Target, ...] = TARGETS) -> pd.DataFrame:
    """One row per target and year: probability the threshold is met, median and 5-95%.

    The probability is the share of replicates with ``value >= threshold`` (all targets are
    floors); ``target_year`` marks the year the plan sets.
    """
    rows = []
    for target in targets:
        values = results[target.indicator]
        for year in results["year"].values:
            v = values.sel(year=year).values
            rows.append(
                {
                    "target": target.name,
                    "indicator": target.indicator,
                    "year": int(year),
                    "target_year": int(year) == target.year,
                    "threshold": target.threshold,
                    "units": target.units,
                    "probability": float(np.mean(v >= target.threshold)),
                    "median": float(np.median(v)),
                    "p5": float(np.quantile(v, 0.05)),
                    "p95": float(np.quantile(v, 0.95)),
                    "replicates": int(v.size),
                }
            )
    return pd.DataFrame(rows)
