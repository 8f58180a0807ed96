"""How much of each projection's spread comes from the behavioural parameters.

Pairs of replicates share a parameter set (:func:`mfgplan.inputs.sample.set_for_replicate`),
so a one-way ANOVA over the sets splits the spread of every indicator, year and quantity into
a parameter part and the rest (the statistical baseline's uncertainty and the model's shocks).
Written to a run folder as ``uncertainty.csv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from mfgplan.inputs.sample import variance_split
from mfgplan.runs.anchoring import INDICATORS

__all__ = ["PROGRAMME_CHANNELS", "UNMOVED", "uncertainty_table", "unidentified"]

#: the behavioural parameters through which the programme's money changes the outcomes
#: (model/ODD.md 7): every answer about the programme's effect leans on them
PROGRAMME_CHANNELS = (
    "demonstration_effect",
    "innovation_centre_spillover",
    "retrofit_tfp_effect",
    "investment_elasticity",
    "subsidised_tfp_discount",
    "base_effect",
    "park_effect",
    "sei_upgrade_step",
    "hightech_upgrade_step",
    "application_propensity",
    "cnc_gain_per_project",
    "guidance_fund_size_reached",
    "fund_entry_effect",
)
#: posterior sd / prior sd at or above this: the data did not move the parameter (unidentified)
UNMOVED = 0.8


def unidentified(records: list[dict] | None) -> list[str] | None:
    """The programme's parameters the calibration did not move (posterior/prior sd >= 0.8).

    ``records``: the parameter file's ``parameters`` (name, prior_sd, posterior_sd); None: the
    run used no calibrated sample, so nothing is known about any of them (None is returned).
    """
    if records is None:
        return None
    by_name = {r["name"]: r for r in records}
    out = []
    for name in PROGRAMME_CHANNELS:
        r = by_name.get(name)
        if (
            r is None
            or not r.get("prior_sd")
            or float(r["posterior_sd"]) / float(r["prior_sd"]) >= UNMOVED
        ):
            out.append(name)
    return out


def uncertainty_table(ds: xr.Dataset) -> pd.DataFrame | None:
    """How much of each indicator's spread comes from the parameters (one-way ANOVA).

    One row per indicator, year and quantity (``level``: the projection with the programme;
    ``programme_effect``: its difference from the no-programme projection of the same
    replicate). ``parameter_share`` is the parameter variance over the total
    (:func:`mfgplan.inputs.sample.variance_split`); the rest is the statistical baseline's
    uncertainty and the model's own shocks. ``None`` when the run used no parameter sample.
    """
    if "parameter_set" not in ds.coords or (ds["parameter_set"].values < 0).any():
        return None
    groups = ds["parameter_set"].values
    rows = []
    for name in INDICATORS:
        for year in ds["year"].values[1:]:
            level = ds[name].sel(year=year).values
            effect = level - ds[f"{name}_counterfactual"].sel(year=year).values
            for quantity, values in (("level", level), ("programme_effect", effect)):
                param, shock, share = variance_split(values, groups)
                rows.append(
                    {
                        "indicator": name,
                        "year": int(year),
                        "quantity": quantity,
                        "units": INDICATORS[name][0],
                        "total_sd": float(np.sqrt(param + shock)) if np.isfinite(param) else np.nan,
                        "parameter_sd": float(np.sqrt(param)) if np.isfinite(param) else np.nan,
                        "shock_sd": float(np.sqrt(shock)) if np.isfinite(shock) else np.nan,
                        "parameter_share": share,
                        "parameter_sets": int(np.unique(groups).size),
                    }
                )
    return pd.DataFrame(rows)
