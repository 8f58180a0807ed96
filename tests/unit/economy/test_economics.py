"""The economic rules a review found wrong, each checked against a number worked out by hand.

Each test failed on the model before the rule was mended (the double-counted CNC channel, the
permanent first-of-a-kind uplift, the fund size that never bound, the cluster funds that
always reached their leverage target, the counts that did not scale with the population, the
entrant cohorts that never left).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from mfgplan.economy.economy import ManufacturingEconomy
from mfgplan.economy.firms import FirmTable
from mfgplan.economy.instruments import (
    SCALED_AMOUNTS,
    SCALED_COUNTS,
    SEIClusterGuidingFund,
    scaled_count,
)
from mfgplan.economy.ledger import grant_ledger
from mfgplan.inputs.parameters import Scenario
from mfgplan.inputs.programme import GRANT_INSTRUMENTS
from tests.conftest import flat_baseline

YEARS = np.arange(2015, 2024)


def only(allocation: dict[str, float], **programme) -> Scenario:
    """The plan's defaults with money on the named lines only (yuan a year), horizon 2023."""
    lines = dict.fromkeys(GRANT_INSTRUMENTS, 0.0) | allocation
    return Scenario.model_validate(
        {
            "title": "only",
            "horizon": 2023,
            "programme": {
                "annual_budget": sum(lines.values()),
                "allocation": lines,
                "investment_fund": {"size": 0, "annual_investment": 0},
            }
            | programme,
        }
    )


def run(scenario: Scenario, n_firms: int = 800, province_firms: int | None = None, seed: int = 3):
    model = ManufacturingEconomy(
        scenario, flat_baseline(YEARS), np.random.SeedSequence(seed), n_firms,
        province_firms=province_firms,
    )  # fmt: skip
    return model, model.run()


# -- each channel counts once ----------------------------------------------------------------


def test_a_higher_cnc_share_is_not_a_second_productivity_gain():
    """VA with the programme is ``Y0 exp(uK + uA)``: 1e8 * exp(0.02 + 0.03) = 105,127,110."""
    f = FirmTable(4)
    slots = f.allocate(2)
    f.va_base[slots] = 1e8
    f.uplift_capital[slots] = 0.02
    f.uplift_tfp[slots] = 0.03
    f.cnc[slots] = [0.9, 0.5]  # the first firm's projects raised its CNC share by 0.4
    f.cnc_base[slots] = 0.5
    np.testing.assert_allclose(f.va(slots), [105_127_109.6, 105_127_109.6], rtol=1e-9)


def test_a_first_of_a_kind_sale_adds_value_added_once():
    """Only first-of-a-kind money: after the programme's last year (2020) the worlds agree.

    A sale is one year's value added of the maker, not a permanent productivity uplift; the
    worlds differ in 2016-2020 (sales) and not at all in 2021-2023 (value added).
    """
    model, rec = run(only({"first_of_kind_equipment_subsidy": 1e8}))
    assert rec.awards[GRANT_INSTRUMENTS.index("first_of_kind_equipment_subsidy")].sum() > 0
    f = model.firms
    assert (f.uplift_tfp == 0).all() and (f.pending_tfp == 0).all()
    after = YEARS > 2020
    np.testing.assert_array_equal(rec.va_actual[after], rec.va_baseline[after])
    assert (rec.va_actual[~after].sum(axis=1) >= rec.va_baseline[~after].sum(axis=1)).all()
    assert (rec.va_actual[~after] > rec.va_baseline[~after]).any()


# -- rules that bind -------------------------------------------------------------------------


def test_the_investment_fund_never_invests_more_than_it_raised():
    """A fund of 1亿元 target raises 44% of it: at most 0.44亿元 of equity, whatever its pace."""
    scenario = only(
        {"tech_retrofit_grant": 1e8},
        investment_fund={"size": 1e8, "annual_investment": 2e9, "min_project": 1e6},
    )
    _, rec = run(scenario)
    assert 0 < rec.fund_equity.sum() <= 0.44e8 + 1e-3


def test_a_fund_of_size_zero_invests_nothing():
    scenario = only(
        {"tech_retrofit_grant": 1e8}, investment_fund={"size": 0, "annual_investment": 2e9}
    )
    _, rec = run(scenario)
    assert rec.fund_equity.sum() == 0.0


def test_cluster_funds_raise_the_share_of_their_target_that_guidance_funds_reach():
    """20 M of guiding money, target leverage 4, 44% of target reached: 20 M x 1.76 = 35.2 M."""
    scenario = Scenario(title="plan")
    p = SimpleNamespace(
        rules=scenario.programme.instruments,
        behaviour=scenario.behaviour,
        cluster_capital=np.zeros(3),
        cluster_uninvested=np.zeros(3),
    )
    SEIClusterGuidingFund().awarded(p, np.array([1]), 2e7)
    np.testing.assert_allclose(p.cluster_capital, [0.0, 35.2e6, 0.0])
    # a fund never has less than the guiding money itself: leverage 1.5 x 44% -> 1, 20 M
    instruments = scenario.programme.instruments
    cluster = instruments.sei_cluster_guiding_fund.model_copy(update={"leverage_target": 1.5})
    rules = instruments.model_copy(update={"sei_cluster_guiding_fund": cluster})
    q = SimpleNamespace(rules=rules, behaviour=scenario.behaviour,
                        cluster_capital=np.zeros(3), cluster_uninvested=np.zeros(3))  # fmt: skip
    SEIClusterGuidingFund().awarded(q, np.array([2]), 2e7)
    np.testing.assert_allclose(q.cluster_capital, [0.0, 0.0, 2e7])


# -- a smaller population is a smaller sample of the same province ---------------------------


@pytest.mark.parametrize(
    ("count", "fraction", "u", "expected"),
    [(200, 0.25, 0.99, 50), (20, 0.27, 0.3, 6), (20, 0.27, 0.5, 5), (30, 1.0, 0.0, 30),
     (100, 0.076, 0.59, 8), (100, 0.076, 0.61, 7)],
)  # fmt: skip
def test_counts_scale_with_the_sample_without_bias(count, fraction, u, expected):
    """``floor(x) + (u < x - floor(x))``: 20 x 0.27 = 5.4 -> 6 if u < 0.4, else 5."""
    assert scaled_count(count, fraction, u) == expected


def test_budgets_scale_with_the_sample_and_places_do_not():
    scenario = Scenario(title="plan")
    ledger = grant_ledger(scenario, 0.25)
    # 4.7亿元 a year x 0.25 = 1.175亿元 a year available in 2016
    ledger.open_year(2016)
    assert ledger.remaining("tech_retrofit_grant") == pytest.approx(1.175e8)
    # counts of firms and projects scale; clusters, bases, parks and innovation centres are
    # places and institutions: their counts do not, their money per place does
    assert set(SCALED_COUNTS) == {
        "intelligent_mfg_demo_award", "it_integration_demo_award", "major_project_support",
    }  # fmt: skip
    assert set(SCALED_AMOUNTS) == {
        "sei_cluster_guiding_fund", "intelligent_mfg_base_grant", "platform_and_park_subsidy",
        "innovation_centre_grant",
    }  # fmt: skip


def test_a_quarter_of_the_province_pays_a_quarter_of_the_money_and_reports_the_whole():
    """At 1,000 of 4,000 firms the firms are province-sized, budgets and counts a quarter."""
    scenario = only({"it_integration_demo_award": 2e7})
    _, rec = run(scenario, n_firms=1000, province_firms=4000)
    k = GRANT_INSTRUMENTS.index("it_integration_demo_award")
    # 100 firms x 1 M over 2016-2020 in the province: 25 in the model, 25 M committed
    assert rec.awards[k].sum() == 25
    assert rec.ledger.committed[k].sum() == pytest.approx(25e6)
    assert rec.sample_fraction == 0.25
    _, whole_rec = run(scenario, n_firms=1000)
    assert whole_rec.awards[k].sum() == 100
    # a whole province of 1,000 firms adds up to the baseline's industrial VA (4.5e11 in 2015)
    assert whole_rec.va_baseline[0].sum() == pytest.approx(4.5e11)

    # a sample of 1,000 of 4,000 firms has firms of the size of a whole province of 4,000
    # (the median, robust to the heavy tail, within 10%), not of a province of 1,000
    def median_va(n_firms, province_firms):
        seed = np.random.SeedSequence(3)
        model = ManufacturingEconomy(
            scenario, flat_baseline(YEARS), seed, n_firms, province_firms=province_firms
        )
        return float(np.median(model.firms.va_base[model.firms.live_slots()]))

    province = median_va(4000, 4000)
    assert median_va(1000, 4000) == pytest.approx(province, rel=0.10)
    assert median_va(1000, 1000) > 3 * province


def test_entrant_cohorts_leave_the_register_like_firms_of_their_size():
    """A cohort of 10 firms of median size loses 4% a year: 9.6 firms, VA 9.6 x 1e7 after."""
    model, _ = run(only({}), n_firms=300)
    cohorts = model.province.cohorts
    cohorts.count[:] = 0.0
    cohorts.va[:] = 0.0
    cohorts.count[2] = 10.0
    cohorts.va[2] = 1e8
    cohorts.sei[2] = 0.5e8
    behaviour = model.behaviour.model_copy(update={"exit_rate": 0.04})
    model.dynamics.behaviour = behaviour
    model.dynamics.exit_cohorts(median=1e7)  # each firm at the median: hazard 4%
    assert cohorts.count[2] == pytest.approx(9.6)
    assert cohorts.va[2] == pytest.approx(9.6e7)
    assert cohorts.sei[2] == pytest.approx(0.48e8)
    assert cohorts.count.sum() == pytest.approx(9.6)


def test_more_firms_than_the_province_is_a_larger_province_alike():
    """2,000 firms for a province of 1,000: twice its VA (2 x 4.5e11) and twice its counts."""
    scenario = only({"it_integration_demo_award": 2e7})
    model, rec = run(scenario, n_firms=2000, province_firms=1000)
    assert rec.sample_fraction == 2.0
    assert rec.va_baseline[0].sum() == pytest.approx(2 * 4.5e11)
    k = GRANT_INSTRUMENTS.index("it_integration_demo_award")
    assert rec.awards[k].sum() == 200  # 100 firms x 2
    assert model.firms.n_alive > 0
