"""Anchoring: the statistical baseline plus the programme's effect in the model (ODD 7.8).

The no-programme world follows the statistical baseline; the programme's effect, measured
inside the agent-based model on common random numbers, is added on top.

For one replicate with baseline draw ``B`` (the statsmodels forecast path) and model record
``R`` (actual world ``a``, no-programme world ``0``):

- levels (value added): ``X = B * R_a / R_0`` (the programme's relative effect);
- real growth: ``(1 + g) = (1 + g_B) * (R_a/R_0)_t / (R_a/R_0)_{t-1}``;
- shares and rates: ``logit X = logit B + (logit R_a - logit R_0)`` (stays in (0, 1));
- R&D intensity: ``X = B + (RD_a - RD_0) * P_t / GDP_t`` with ``P_t`` the VA price index;
- enterprise count: ``X = B + (N_a - N_0)``.

So the no-programme scenario reproduces the baseline exactly, and any scenario differs from it
only by what the model says the programme changes.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mfgplan.economy.record import ReplicateRecord
from mfgplan.economy.rules import expit, logit
from mfgplan.inputs.sectors import sector_arrays

__all__ = ["INDICATORS", "anchor"]

#: indicator -> (units, long name)
INDICATORS: dict[str, tuple[str, str]] = {
    "manufacturing_va": ("yuan", "manufacturing value added, nominal"),
    "industrial_va": ("yuan", "above-scale industrial value added, nominal"),
    "industrial_va_growth": ("fraction", "real growth of above-scale industrial value added"),
    "sei_share": ("fraction", "strategic emerging industries' share of industrial value added"),
    "hightech_share": ("fraction", "high-tech industries' share of industrial value added"),
    "cnc_rate": ("fraction", "CNC rate of production equipment in key areas"),
    "rd_intensity": ("fraction", "R&D expenditure relative to GDP"),
    "enterprise_count": ("count", "above-scale industrial enterprises"),
}


def _price_index(deflator_growth: np.ndarray) -> np.ndarray:
    """Value-added price index relative to the base year (index 0 = 1)."""
    growth = np.asarray(deflator_growth, dtype=float).copy()
    growth[0] = 0.0
    return np.cumprod(1.0 + growth)


def anchor(baseline: Mapping[str, np.ndarray], record: ReplicateRecord) -> dict[str, np.ndarray]:
    """Projections of one replicate with and without the programme.

    Parameters
    ----------
    baseline
        One draw of the statistical baseline, arrays over years base..horizon.
    record
        The agent-based model's annual record for the same replicate.

    Returns
    -------
    dict
        For each of :data:`INDICATORS` the projection with the programme (``name``) and
        without it (``name + "_no_programme"``), plus ``sector_va`` [year, sector] (nominal
        yuan) and ``price_index``.
    """
    mfg = sector_arrays()["manufacturing"]
    price = _price_index(baseline["va_deflator_growth"])
    total_a = record.va_actual.sum(axis=1)
    total_0 = record.va_baseline.sum(axis=1)
    ratio_ind = total_a / total_0
    ratio_mfg = record.va_actual[:, mfg].sum(axis=1) / record.va_baseline[:, mfg].sum(axis=1)
    out: dict[str, np.ndarray] = {}
    out["industrial_va"] = baseline["industrial_va"] * ratio_ind
    out["manufacturing_va"] = baseline["manufacturing_va"] * ratio_mfg
    growth = np.asarray(baseline["industrial_va_growth"], dtype=float)
    relative = np.ones_like(ratio_ind)
    relative[1:] = ratio_ind[1:] / ratio_ind[:-1]
    out["industrial_va_growth"] = (1.0 + growth) * relative - 1.0
    for name, act, base in (
        ("sei_share", record.sei_actual, record.sei_baseline),
        ("hightech_share", record.hightech_actual, record.hightech_baseline),
        ("cnc_rate", record.cnc_actual, record.cnc_baseline),
    ):
        out[name] = expit(logit(baseline[name]) + logit(act) - logit(base))
    out["rd_intensity"] = baseline["rd_intensity"] + (
        record.rd_actual - record.rd_baseline
    ) * price / np.asarray(baseline["gdp"], dtype=float)
    out["enterprise_count"] = baseline["enterprise_count"] + (
        record.firms_actual - record.firms_baseline
    )
    for name in INDICATORS:
        out[f"{name}_no_programme"] = np.asarray(baseline[name], dtype=float).copy()
    shares = record.va_actual / total_a[:, None]
    out["sector_va"] = out["industrial_va"][:, None] * shares
    out["price_index"] = price
    return out
