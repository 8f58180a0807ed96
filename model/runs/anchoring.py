"""Anchoring: the statistical baseline plus the programme's effect in the model (ODD 7.8).

The statistical baseline extrapolates the trends up to the base year, and so stands for the
world in which the policy of those years continues: the **reference** world. In the
agent-based model that is the scenario's counterfactual programme (``counterfactual:``, the
pre-plan policy mix, under the base year's national rules), or, for a scenario without one,
the world without any provincial programme. What the scenario changes, measured inside the
model on common random numbers, is put on top.

For one replicate with baseline draw ``B`` (the statsmodels forecast path), the scenario's
world ``a`` and the reference world ``0`` (same draws):

- levels (value added): ``X = B * R_a / R_0`` (the scenario's relative effect);
- real growth: ``(1 + g) = (1 + g_B) * (R_a/R_0)_t / (R_a/R_0)_{t-1}``;
- shares and rates: ``logit X = logit B + (logit R_a - logit R_0)`` (stays in (0, 1));
- R&D intensity: ``X = B + (RD_a - RD_0) / f * P_t / GDP_t`` with ``P_t`` the VA price index
  and ``f`` the model's sample fraction of the province's firms;
- enterprise count: ``X = B * N_a / N_0`` (relative, like value added: the model's firms are
  a sample of the province's, so its counts are not the province's).

So the counterfactual scenario reproduces the baseline exactly, and any scenario differs from
it only by what the model says the scenario changes. The ``_counterfactual`` variables are the
counterfactual programme under the scenario's national policy: the baseline itself unless the
scenario changes national policy, which then shows in both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mfgplan.economy.record import ReplicateRecord
from mfgplan.economy.rules import expit, logit
from mfgplan.inputs.sectors import sector_arrays

__all__ = ["INDICATORS", "World", "anchor", "anchor_world"]

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


@dataclass(frozen=True)
class World:
    """One world of a replicate's record: the annual aggregates anchoring reads."""

    #: sector value added [year, sector], yuan/year at base-year prices
    va: np.ndarray
    #: VA-weighted SEI and high-tech shares, key-area CNC rate [year], fractions
    sei: np.ndarray
    hightech: np.ndarray
    cnc: np.ndarray
    #: business R&D [year], yuan/year, in the model's units
    rd: np.ndarray
    #: enterprises [year], in the model's units
    firms: np.ndarray

    @classmethod
    def actual(cls, record: ReplicateRecord) -> World:
        """The world with the record's programme."""
        return cls(
            record.va_actual, record.sei_actual, record.hightech_actual, record.cnc_actual,
            record.rd_actual, record.firms_actual,
        )  # fmt: skip

    @classmethod
    def without_programme(cls, record: ReplicateRecord) -> World:
        """The record's world without any provincial programme (ODD 7.1)."""
        return cls(
            record.va_baseline, record.sei_baseline, record.hightech_baseline,
            record.cnc_baseline, record.rd_baseline, record.firms_baseline,
        )  # fmt: skip


def anchor_world(
    baseline: Mapping[str, np.ndarray], world: World, reference: World, sample_fraction: float
) -> dict[str, np.ndarray]:
    """The indicators of ``world`` when ``reference`` is the statistical baseline (module doc)."""
    mfg = sector_arrays()["manufacturing"]
    price = _price_index(baseline["va_deflator_growth"])
    ratio_ind = world.va.sum(axis=1) / reference.va.sum(axis=1)
    ratio_mfg = world.va[:, mfg].sum(axis=1) / reference.va[:, mfg].sum(axis=1)
    out: dict[str, np.ndarray] = {}
    out["industrial_va"] = baseline["industrial_va"] * ratio_ind
    out["manufacturing_va"] = baseline["manufacturing_va"] * ratio_mfg
    growth = np.asarray(baseline["industrial_va_growth"], dtype=float)
    relative = np.ones_like(ratio_ind)
    relative[1:] = ratio_ind[1:] / ratio_ind[:-1]
    out["industrial_va_growth"] = (1.0 + growth) * relative - 1.0
    for name, act, base in (
        ("sei_share", world.sei, reference.sei),
        ("hightech_share", world.hightech, reference.hightech),
        ("cnc_rate", world.cnc, reference.cnc),
    ):
        out[name] = expit(logit(baseline[name]) + logit(act) - logit(base))
    rd_change = (world.rd - reference.rd) / sample_fraction
    out["rd_intensity"] = baseline["rd_intensity"] + rd_change * price / np.asarray(
        baseline["gdp"], dtype=float
    )
    out["enterprise_count"] = baseline["enterprise_count"] * (world.firms / reference.firms)
    return out


def anchor(
    baseline: Mapping[str, np.ndarray],
    record: ReplicateRecord,
    reference: ReplicateRecord | None = None,
    comparison: ReplicateRecord | None = None,
) -> dict[str, np.ndarray]:
    """Projections of one replicate with the scenario and in its counterfactual.

    Parameters
    ----------
    baseline
        One draw of the statistical baseline, arrays over years base..horizon.
    record
        The agent-based model's annual record of the scenario for the same replicate.
    reference
        The record of the world the statistical baseline stands for, on the same draws: the
        counterfactual programme (the pre-plan policy mix) under the base year's national
        rules; its actual world is set on the baseline. None: the scenario record's own
        world without any provincial programme.
    comparison
        The record of the counterfactual programme under the scenario's national policy: the
        world the programme's effect is measured against. None: the reference itself.

    Returns
    -------
    dict
        For each of :data:`INDICATORS` the projection with the scenario (``name``) and in
        its counterfactual (``name + "_counterfactual"``; the baseline itself unless national
        policy changes), plus ``sector_va`` [year, sector] (nominal yuan) and
        ``price_index``.
    """
    f = record.sample_fraction
    ref = World.without_programme(record) if reference is None else World.actual(reference)
    out = anchor_world(baseline, World.actual(record), ref, f)
    if comparison is None:
        for name in INDICATORS:
            out[f"{name}_counterfactual"] = np.asarray(baseline[name], dtype=float).copy()
    else:
        other = anchor_world(baseline, World.actual(comparison), ref, f)
        for name in INDICATORS:
            out[f"{name}_counterfactual"] = other[name]
    shares = record.va_actual / record.va_actual.sum(axis=1)[:, None]
    out["sector_va"] = out["industrial_va"][:, None] * shares
    out["price_index"] = _price_index(baseline["va_deflator_growth"])
    return out
