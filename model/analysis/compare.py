"""Scenarios side by side on common random numbers: target-year results and paired differences.

Scenarios compared with the same seed share every draw the programme does not change, so the
difference of two scenarios is taken replicate by replicate and its interval is the interval of
the difference itself, not of two independent spreads.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from mfgplan.analysis.targets import TARGETS

__all__ = ["common_replicates", "compare_table"]


def common_replicates(datasets: Sequence[xr.Dataset]) -> list[int]:
    """Replicates present in every dataset (those that succeeded in every scenario), sorted."""
    common = set(datasets[0].replicate.values.tolist())
    for ds in datasets[1:]:
        common &= set(ds.replicate.values.tolist())
    return sorted(common)


def compare_table(datasets: dict[str, xr.Dataset], reference: str) -> pd.DataFrame:
    """Side-by-side target-year results and paired differences against ``reference``.

    The scenarios share seeds, so differences are taken replicate by replicate (common random
    numbers) and their 5-95% interval is the interval of the programme difference itself.
    """
    rows = []
    ref = datasets[reference]
    for label, ds in datasets.items():
        for target in TARGETS:
            v = ds[target.indicator].sel(year=target.year).values
            r = ref[target.indicator].sel(year=target.year).values
            diff = v - r
            rows.append(
                {
                    "scenario": label,
                    "target": target.name,
                    "year": target.year,
                    "threshold": target.threshold,
                    "probability": float(np.mean(v >= target.threshold)),
                    "median": float(np.median(v)),
                    "p5": float(np.quantile(v, 0.05)),
                    "p95": float(np.quantile(v, 0.95)),
                    "reference": reference,
                    "diff_median": float(np.median(diff)),
                    "diff_p5": float(np.quantile(diff, 0.05)),
                    "diff_p95": float(np.quantile(diff, 0.95)),
                    "grant_paid_total": float(
                        ds["grant_paid"].sum(("year", "instrument", "sector")).median()
                    ),
                }
            )
    return pd.DataFrame(rows)
