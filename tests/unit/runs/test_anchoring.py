"""Anchoring of the model's programme effect on the statistical baseline (ODD 7.8)."""

from __future__ import annotations

import numpy as np
import pytest

from mfgplan.economy.ledger import GrantLedger
from mfgplan.economy.record import ReplicateRecord
from mfgplan.inputs.sectors import SECTORS, sector_arrays
from mfgplan.runs.anchoring import anchor


def record(scale_last: float, sei=(0.2, 0.2, 0.25), sei0=(0.2, 0.2, 0.2)) -> ReplicateRecord:
    """Three years; the actual world's VA is the baseline's times ``scale_last`` in year 3."""
    n_s = len(SECTORS)
    va0 = np.ones((3, n_s)) * 100.0
    va1 = va0.copy()
    va1[2] *= scale_last
    z = np.zeros(3)
    ledger = GrantLedger(["x"], [2016, 2017], n_s, {"x": {}}, "lapse")
    return ReplicateRecord(
        years=np.array([2015, 2016, 2017]),
        va_actual=va1,
        va_baseline=va0,
        sei_actual=np.array(sei),
        sei_baseline=np.array(sei0),
        hightech_actual=np.array([0.3, 0.3, 0.3]),
        hightech_baseline=np.array([0.3, 0.3, 0.3]),
        cnc_actual=np.array([0.3, 0.4, 0.5]),
        cnc_baseline=np.array([0.3, 0.35, 0.4]),
        rd_actual=np.array([10.0, 12.0, 15.0]),
        rd_baseline=np.array([10.0, 11.0, 12.0]),
        firms_actual=np.array([100.0, 105.0, 112.0]),
        firms_baseline=np.array([100.0, 104.0, 108.0]),
        tax_expenditure_actual=z,
        tax_expenditure_baseline=z,
        fund_equity=z,
        cluster_equity=z,
        awards=np.zeros((1, 3)),
        additional_projects=np.zeros((1, 3)),
        deadweight_projects=np.zeros((1, 3)),
        ledger=ledger,
    )


def baseline():
    return {
        "industrial_va": np.array([100.0, 110.0, 121.0]),
        "manufacturing_va": np.array([80.0, 88.0, 96.8]),
        "industrial_va_growth": np.array([0.09, 0.08, 0.07]),
        "va_deflator_growth": np.array([0.0, 0.10, 0.0]),
        "sei_share": np.array([0.15, 0.16, 0.20]),
        "hightech_share": np.array([0.25, 0.26, 0.27]),
        "cnc_rate": np.array([0.30, 0.32, 0.34]),
        "gdp": np.array([1000.0, 1100.0, 1200.0]),
        "rd_intensity": np.array([0.01, 0.011, 0.012]),
        "enterprise_count": np.array([9000.0, 9500.0, 10000.0]),
    }


def test_levels_scale_by_the_programme_ratio():
    out = anchor(baseline(), record(1.02))
    # 121 * 1.02 = 123.42 in the last year; earlier years unchanged
    np.testing.assert_allclose(out["industrial_va"], [100.0, 110.0, 123.42])
    np.testing.assert_allclose(out["manufacturing_va"], [80.0, 88.0, 96.8 * 1.02])
    # growth: (1 + 0.07) * 1.02 / 1.0 - 1 = 0.0914
    np.testing.assert_allclose(out["industrial_va_growth"], [0.09, 0.08, 0.0914])
    np.testing.assert_allclose(out["industrial_va_counterfactual"], [100.0, 110.0, 121.0])
    # sector VA sums to industrial VA
    np.testing.assert_allclose(out["sector_va"].sum(axis=1), out["industrial_va"])


def test_shares_move_on_the_logit_scale():
    out = anchor(baseline(), record(1.0))
    # year 3: logit(0.20) + logit(0.25) - logit(0.20) = logit(0.25) -> 0.25
    assert out["sei_share"][2] == pytest.approx(0.25)
    # no programme effect -> baseline value
    assert out["sei_share"][0] == pytest.approx(0.15)
    np.testing.assert_allclose(out["hightech_share"], [0.25, 0.26, 0.27])
    # CNC year 2: logit(0.32) + logit(0.4) - logit(0.35), by hand:
    lg = lambda p: np.log(p / (1 - p))  # noqa: E731
    expected = 1 / (1 + np.exp(-(lg(0.32) + lg(0.4) - lg(0.35))))
    assert out["cnc_rate"][1] == pytest.approx(expected)


def test_rd_intensity_adds_the_difference_and_enterprises_scale_by_the_ratio():
    out = anchor(baseline(), record(1.0))
    # year 2: 0.011 + (12 - 11) * price 1.1 / GDP 1100 = 0.011 + 0.001 = 0.012
    assert out["rd_intensity"][1] == pytest.approx(0.012)
    # year 3: 0.012 + 3 * 1.1 / 1200 = 0.01475
    assert out["rd_intensity"][2] == pytest.approx(0.01475)
    # relative, like value added: 9500 * 105 / 104 = 9591.35; 10000 * 112 / 108 = 10370.37
    np.testing.assert_allclose(out["enterprise_count"], [9000.0, 9591.346154, 10370.370370])


def test_a_sample_of_the_province_reports_in_the_provinces_units():
    """A model holding a quarter of the province's firms: R&D differences count four times.

    The enterprise count is relative, so the model's own count (a quarter) does not matter.
    """
    rec = record(1.0)
    rec.sample_fraction = 0.25
    rec.firms_actual = rec.firms_actual / 4
    rec.firms_baseline = rec.firms_baseline / 4
    out = anchor(baseline(), rec)
    # year 2: 0.011 + (12 - 11) / 0.25 * 1.1 / 1100 = 0.011 + 0.004 = 0.015
    assert out["rd_intensity"][1] == pytest.approx(0.015)
    np.testing.assert_allclose(out["enterprise_count"], [9000.0, 9591.346154, 10370.370370])


def test_manufacturing_excludes_mining_and_utilities():
    rec = record(1.0)
    mfg = sector_arrays()["manufacturing"]
    rec.va_actual[2, ~mfg] *= 2.0  # only non-manufacturing sectors grow
    out = anchor(baseline(), rec)
    assert out["manufacturing_va"][2] == pytest.approx(96.8)
    assert out["industrial_va"][2] > 121.0
