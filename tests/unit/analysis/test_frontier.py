"""The frontier: the scaled scenario by hand, P(met) and the smallest scale on known data."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from mfgplan.analysis.frontier import frontier_summary, frontier_table, scaled_scenario
from mfgplan.analysis.targets import TARGETS
from mfgplan.inputs.parameters import Scenario

YEARS = np.arange(2015, 2026)


def test_twice_the_money_by_hand():
    plan = Scenario(title="plan")
    two = scaled_scenario(plan, 2.0)
    p, i = two.programme, two.programme.instruments
    assert p.annual_budget == {y: 2e9 for y in range(2016, 2021)}
    assert p.allocation.tech_retrofit_grant == {y: 9.4e8 for y in range(2016, 2021)}
    # firms and projects: twice the count; places: the same count, twice the money each
    assert i.intelligent_mfg_demo_award.total_awards == 400
    assert i.major_project_support.projects == 60
    assert i.innovation_centre_grant.centres == 40
    assert (i.sei_cluster_guiding_fund.clusters, i.sei_cluster_guiding_fund.per_cluster) == (
        20,
        4e7,
    )
    assert (p.investment_fund.size, p.investment_fund.annual_investment[2016]) == (2e10, 4e9)
    # rates and caps are the plan's
    assert i.tech_retrofit_grant.matching_rate == 0.05 and i.tech_retrofit_grant.cap == 3e6
    zero = scaled_scenario(plan, 0.0)
    assert sum(zero.programme.annual_budget.values()) == 0.0


def test_a_count_at_its_ceiling_gets_what_it_can_pay():
    """16 x 20 centres is above the catalogue's 200: 200 centres x 10 M = 20亿 over five years."""
    s = scaled_scenario(Scenario(title="plan"), 16.0)
    assert s.programme.instruments.innovation_centre_grant.centres == 200
    assert sum(s.programme.allocation.innovation_centre_grant.values()) == pytest.approx(2e9)


def dataset(share_met: float, n: int = 10) -> xr.Dataset:
    """``n`` replicates; the first ``share_met x n`` meet every target from 2018 on."""
    data = {}
    met = np.arange(n) < round(share_met * n)
    later = YEARS >= 2018
    for t in TARGETS:
        low, high = 0.9 * t.threshold, 1.1 * t.threshold
        values = np.where(met[:, None] & later[None, :], high, low)
        data[t.indicator] = (("replicate", "year"), values)
    return xr.Dataset(data, coords={"replicate": np.arange(n), "year": YEARS})


def test_probabilities_and_the_smallest_scale():
    table = frontier_table({0.0: dataset(0.0), 1.0: dataset(0.3), 4.0: dataset(0.6)})
    va = table[table["target"] == "manufacturing_va_1tn"].set_index("scale")
    assert va["probability"].tolist() == [0.0, 0.3, 0.6]
    # 6 of 10 meet it from 2018: P >= 0.5 first in 2018 at 4x, never at 1x
    assert va.loc[4.0, "first_year_p50"] == 2018
    assert va["first_year_p50"].isna().tolist() == [True, True, False]
    lo, hi = va.loc[1.0, ["p_low", "p_high"]]
    assert lo < 0.3 < hi
    summary = frontier_summary(table).set_index("target")
    assert summary.loc["manufacturing_va_1tn", "scale_p50"] == "4x"
    assert summary.loc["manufacturing_va_1tn", "scale_p90"] == "not within 4x"
    assert summary.loc["cnc_rate_60", "scale_p50_probability"] == 0.6
