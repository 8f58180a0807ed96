"""What a planner reads first of an ensemble: the programme's effect and how the money was used.

Both are computed replicate by replicate from the results dataset (``results.nc``): the
programme's effect is the paired difference of each indicator from the same replicate without
the provincial programme; the money is the ledger's committed, paid and lapsed totals over the
programme against the allocation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from mfgplan.analysis.targets import TARGETS
from mfgplan.runs.anchoring import INDICATORS

__all__ = ["budget_by_year", "budget_use", "programme_effects"]


def programme_effects(ds: xr.Dataset, year: int | None = None) -> pd.DataFrame:
    """The programme's effect on each target indicator in ``year`` (the targets' year).

    One row per target indicator: ``units``, the median and the 5-95% range over replicates of
    ``X - X_counterfactual`` (same replicate, common random numbers), and the mean.
    """
    rows = []
    for target in TARGETS:
        when = target.year if year is None else year
        effect = (
            ds[target.indicator].sel(year=when)
            - ds[f"{target.indicator}_counterfactual"].sel(year=when)
        ).values
        rows.append(
            {
                "indicator": target.indicator,
                "year": int(when),
                "units": INDICATORS[target.indicator][0],
                "median": float(np.median(effect)),
                "p5": float(np.quantile(effect, 0.05)),
                "p95": float(np.quantile(effect, 0.95)),
                "mean": float(effect.mean()),
            }
        )
    return pd.DataFrame(rows)


def budget_use(ds: xr.Dataset) -> pd.DataFrame:
    """Each grant line's money over the programme [yuan]: allocated, committed, paid, lapsed.

    Committed, paid and lapsed are medians over replicates; ``paid_share`` is paid over
    allocated. The totals run over every year of the results (payments after the programme's
    last year count).
    """
    allocated = ds["allocation"].sum("year")
    totals = {
        name: ds[f"grant_{name}"].sum(("year", "sector")).median("replicate")
        for name in ("committed", "paid", "lapsed")
    }
    rows = []
    for instrument in ds["instrument"].values:
        a = float(allocated.sel(instrument=instrument))
        paid = float(totals["paid"].sel(instrument=instrument))
        rows.append(
            {
                "instrument": str(instrument),
                "allocated": a,
                "committed": float(totals["committed"].sel(instrument=instrument)),
                "paid": paid,
                "lapsed": float(totals["lapsed"].sel(instrument=instrument)),
                "paid_share": paid / a if a > 0 else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def budget_by_year(ds: xr.Dataset) -> pd.DataFrame:
    """Each grant line's money per year [yuan], the medians over replicates (``budget.csv``).

    ``allocated`` is the scenario's allocation of the year; ``committed`` what the year's calls
    committed; ``paid`` what was paid in the year (on any year's commitments);
    ``lapsed_awards`` awards of the year's commitments that lapsed (abandoned projects,
    exits); ``lapsed_uncommitted`` money of the year left uncommitted that lapsed under the
    carry-over rule; ``outstanding`` the year's commitments still owed at the horizon.
    """
    columns = {
        "committed": "grant_committed",
        "paid": "grant_paid",
        "lapsed_awards": "grant_lapsed",
        "outstanding": "grant_outstanding",
    }
    medians = {
        column: ds[variable].sum("sector").median("replicate")
        for column, variable in columns.items()
    }
    uncommitted = ds["grant_unspent_lapsed"].median("replicate")
    rows = []
    for instrument in ds["instrument"].values:
        for year in ds["year"].values[1:]:
            row = {"instrument": str(instrument), "year": int(year)}
            row["allocated"] = float(ds["allocation"].sel(instrument=instrument, year=year))
            for column, values in medians.items():
                row[column] = float(values.sel(instrument=instrument, year=year))
            row["lapsed_uncommitted"] = float(uncommitted.sel(instrument=instrument, year=year))
            rows.append(row)
    return pd.DataFrame(rows)
