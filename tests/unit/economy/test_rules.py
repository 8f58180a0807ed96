"""Decision rules and instrument rules with hand-computed numbers."""

from __future__ import annotations

import numpy as np
import pytest

from mfgplan.economy import rules as b
from mfgplan.economy.calls import merit_score, rank_applications, run_call
from mfgplan.economy.ledger import GrantLedger, LedgerError
from mfgplan.inputs.parameters import Scenario


def test_award_amount_matching_rate_and_cap():
    # retrofit: 5% of 200 M = 10 M, capped at 3 M; 5% of 40 M = 2 M (under the cap)
    np.testing.assert_allclose(b.award_amount(0.05, 3e6, [2e8, 4e7]), [3e6, 2e6])
    # IM demo: 10% of equipment (0.6 x 50 M = 30 M) = 3 M, cap 5 M
    assert float(b.award_amount(0.10, 5e6, 0.6 * 5e7)) == pytest.approx(3e6)
    # innovation centre: 20% of 30 M = 6 M; of 80 M = 16 M -> cap 10 M
    np.testing.assert_allclose(b.award_amount(0.2, 1e7, [3e7, 8e7]), [6e6, 1e7])


def test_annuity_factor_closed_form_matches_the_sum():
    # h = 0: sum of 32 quarters x 1/4 = 8 years
    assert float(b.annuity_factor(0.0, 3, 8)) == pytest.approx(8.0)
    q = np.arange(4, 4 + 32)  # quarters 4..35 after a 3-quarter build
    explicit = 0.25 * np.sum(1.13 ** (-q / 4))
    assert float(b.annuity_factor(0.13, 3, 8)) == pytest.approx(explicit)


def test_project_gain_and_npv_by_hand():
    cap, tfp = b.project_log_output_gain(0.15, 0.4, 0.23)
    # ln(1.15) = 0.139762; x 0.4 = 0.055905; x 0.23 = 0.032145
    assert float(cap) == pytest.approx(0.4 * np.log(1.15))
    assert float(tfp) == pytest.approx(0.23 * np.log(1.15))
    # Y = 100, I = 50, gain ln(1.1): dY = 10; CF = 0.3 x 10 x 0.75 + 0.25 x 50 / 8 = 3.8125
    factor = float(b.annuity_factor(0.1, 3, 8))
    npv = float(b.project_npv(100.0, 50.0, np.log(1.1), 0.3, 0.25, 0.1, 3, 8))
    assert npv == pytest.approx(3.8125 * factor - 50.0)
    # a 20% subsidy adds 0.2 x I = 10 to the NPV
    sub = float(b.project_npv(100.0, 50.0, np.log(1.1), 0.3, 0.25, 0.1, 3, 8, 0.2))
    assert sub - npv == pytest.approx(10.0)


def test_adoption_logit():
    assert b.logit_scale(1.5) == pytest.approx(1 / 3)  # (1 - 0.5) / 1.5
    # NPV/I equal to the premium -> P = 0.5; one scale above -> expit(1) = 0.7311
    assert float(b.adoption_probability(0.02, 0.02, 0.5)) == pytest.approx(0.5)
    assert float(b.adoption_probability(0.52, 0.02, 0.5)) == pytest.approx(0.7310586)


def test_effective_subsidy_by_hand():
    # pi 0.5 x omega 0.6 x (3 M / 60 M) x 1.13^(-5/4) = 0.015 x 0.8583 = 0.012875
    s = float(b.effective_subsidy(3e6, 6e7, 0.5, 0.6, 5, 0.13))
    assert s == pytest.approx(0.015 * 1.13 ** (-1.25))
    assert float(b.effective_subsidy(3e6, 0.0, 0.5, 0.6, 5, 0.13)) == 0.0


def test_tax_price_of_rd():
    assert float(b.tax_price(0.25, 0.5, 1)) == pytest.approx(0.625 / 0.75)  # 0.8333
    assert float(b.tax_price(0.25, 0.75, 1)) == pytest.approx(0.8125 * 0 + (1 - 0.4375) / 0.75)
    assert float(b.tax_price(0.25, 0.5, 0)) == pytest.approx(1.0)


def test_desired_rd_and_innovation():
    # nu 2% x revenue 100 x (0.7917 / 0.8333)^-1 = 2.105
    rd = float(b.desired_rd(0.02, 100.0, 0.5625 / 0.75, 0.625 / 0.75, 1.0))
    assert rd == pytest.approx(2.0 * 0.625 / 0.5625)
    # at the reference intensity: 1 - exp(-0.3) = 0.2592; with a 20% boost: 1 - exp(-0.36)
    assert float(b.innovation_probability(0.01, 0.01, 0.3)) == pytest.approx(1 - np.exp(-0.3))
    assert float(b.innovation_probability(0.01, 0.01, 0.3, 0.2)) == pytest.approx(1 - np.exp(-0.36))


def test_first_of_kind_and_exit():
    # s = 0.4, cover 0.95: -1 + 6 x 0.4 - 2 x 0.3 x 0.05 = 1.37 -> expit = 0.7974
    p = float(b.first_of_kind_sale_probability((-1.0, 6.0, 2.0), 0.4, 0.3, 0.95))
    assert p == pytest.approx(1 / (1 + np.exp(-1.37)))
    # median firm: quarterly 1 - 0.96^0.25 = 0.010154
    assert float(b.exit_hazard(0.04, 1.0)) == pytest.approx(0.04)
    assert float(b.exit_hazard(0.04, 1.0, period_years=0.25)) == pytest.approx(1 - 0.96**0.25)
    # a firm 10x the median: 1 - 0.96 ** (10 ** -0.3) = 1 - 0.96 ** 0.50119 = 0.020251
    assert float(b.exit_hazard(0.04, 10.0)) == pytest.approx(0.020251, abs=1e-6)
    assert float(b.exit_hazard(0.04, 10.0)) < float(b.exit_hazard(0.04, 0.1))


def test_calls_greedy_strict_count_and_quota():
    amounts = np.array([3.0, 5.0, 2.0, 1.0])
    score = np.array([4.0, 3.0, 2.0, 1.0])  # ranking 0, 1, 2, 3
    arrival = np.zeros(4, dtype=int)
    tie = np.array([0.1, 0.2, 0.3, 0.4])
    # budget 6: greedy takes 0 (3), skips 1 (5 > 3 left), takes 2 (2), takes 3 (1) -> 6
    out = run_call(amounts, 6.0, 10, "merit", "greedy", score, arrival, tie)
    assert out.accepted.tolist() == [True, False, True, True] and out.committed == 6.0
    # strict prefix stops at the first that does not fit
    out = run_call(amounts, 6.0, 10, "merit", "strict_prefix", score, arrival, tie)
    assert out.accepted.tolist() == [True, False, False, False]
    # count limit 2
    out = run_call(amounts, 100.0, 2, "merit", "greedy", score, arrival, tie)
    assert out.accepted.sum() == 2
    # lottery orders by the tiebreak draw
    assert rank_applications(
        "lottery", score, arrival, np.array([0.9, 0.1, 0.5, 0.3])
    ).tolist() == [1, 3, 2, 0]
    # city quota: budget 6 split 50/50; city 0 has apps 0, 1; city 1 has 2, 3
    city = np.array([0, 0, 1, 1])
    out = run_call(amounts, 6.0, 10, "city_quota", "greedy", score, arrival, tie, city,
                   np.array([0.5, 0.5]))  # fmt: skip
    # city 0 (3 yuan): app 0 (3); city 1 (3 yuan): apps 2 (2) + 3 (1); nothing left
    assert out.accepted.tolist() == [True, False, True, True]
    assert run_call(amounts, 0.0, 10, "merit", "greedy", score, arrival, tie).committed == 0


def test_merit_score_standardises():
    s = merit_score(np.array([1.0, 3.0]), np.array([0.0, 0.0]), np.array([False, True]),
                    np.zeros(2), 0.5, 0.5, 0.0)  # fmt: skip
    # z(NPV) = [-1, 1]; size constant -> 0; prior adds 0.5
    np.testing.assert_allclose(s, [-1.0, 1.5])


def test_ledger_bookkeeping_and_carry_over():
    alloc = {"a": {2016: 100.0, 2017: 50.0}}
    led = GrantLedger(["a"], [2016, 2017, 2018], 2, alloc, "roll_same_instrument")
    led.open_year(2016)
    led.commit("a", 2016, 0, 60.0)
    assert led.remaining("a") == 40.0
    with pytest.raises(LedgerError):
        led.commit("a", 2016, 1, 41.0)
    led.close_year(2016)
    led.open_year(2017)
    assert led.remaining("a") == 90.0  # 40 carried + 50
    led.pay("a", 2016, 2017, 0, 50.0)
    led.lapse("a", 2016, 0, 10.0, 2017)  # released, can be committed again this year
    assert led.remaining("a") == 100.0
    led.close_year(2017)  # last programme year: the rest lapses
    assert led.unspent_lapsed[0, 1] == 100.0
    led.check()
    out = led.outstanding()
    assert out[0, 0, 0] == 0.0  # 60 committed = 50 paid + 10 lapsed
    led.pay("a", 2016, 2018, 0, 1.0)  # more than committed
    with pytest.raises(LedgerError):
        led.check()


def test_ledger_lapse_rule():
    led = GrantLedger(["a"], [2016, 2017], 1, {"a": {2016: 10.0, 2017: 10.0}}, "lapse")
    led.open_year(2016)
    led.close_year(2016)
    led.open_year(2017)
    assert led.remaining("a") == 10.0
    assert led.unspent_lapsed[0, 0] == 10.0


def test_plan_defaults_match_the_plan():
    s = Scenario(title="x")
    ins = s.programme.instruments
    assert (ins.tech_retrofit_grant.matching_rate, ins.tech_retrofit_grant.cap) == (0.05, 3e6)
    d = ins.intelligent_mfg_demo_award
    assert (d.matching_rate, d.cap, d.total_awards) == (0.10, 5e6, 200)
    assert (ins.it_integration_demo_award.award, ins.it_integration_demo_award.total_awards) == (
        1e6, 100,
    )  # fmt: skip
    assert (ins.sei_cluster_guiding_fund.per_cluster, ins.sei_cluster_guiding_fund.clusters) == (
        2e7, 20,
    )  # fmt: skip
    assert (ins.intelligent_mfg_base_grant.per_base, ins.intelligent_mfg_base_grant.bases) == (
        1e7, 10,
    )  # fmt: skip
    c = ins.innovation_centre_grant
    assert (c.matching_rate, c.cap, c.centres) == (0.2, 1e7, 20)
    f = ins.first_of_kind_equipment_subsidy
    assert (f.maker_rate, f.maker_cap, f.buyer_rate, f.buyer_cap) == (0.3, 5e6, 0.1, 2e6)
    assert (f.insurance_province_share, f.insurance_national_share) == (0.15, 0.8)
    assert ins.major_project_support.projects == 30
    assert s.programme.annual_budget == 1e9
    assert s.programme.investment_fund.size == 1e10
    assert s.national_policy.rd_super_deduction_rate == 0.5
    assert all(sum(v.values()) > 0 for v in s.allocation_by_year().values())
    by_year = {y: sum(v[y] for v in s.allocation_by_year().values()) for y in s.programme_years}
    assert all(total == pytest.approx(1e9) for total in by_year.values())


def test_catalogue_rows_have_units_and_sources():
    from mfgplan.inputs.parameters import catalogue

    rows = catalogue()
    assert len(rows) > 150
    for row in rows:
        assert row["units"] and row["source"], row["name"]
