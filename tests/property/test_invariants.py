"""Property tests: calls never overspend, ledgers balance, probabilities stay probabilities."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mfgplan.economy import rules as b
from mfgplan.economy.calls import run_call
from mfgplan.economy.ledger import GrantLedger

amounts = st.lists(st.floats(0.0, 1e7), min_size=0, max_size=40)


@settings(max_examples=200, deadline=None)
@given(
    amounts=amounts,
    budget=st.floats(0.0, 5e7),
    max_count=st.integers(0, 50),
    rule=st.sampled_from(["merit", "lottery", "first_come", "city_quota"]),
    rationing=st.sampled_from(["greedy", "strict_prefix"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_calls_never_overspend(amounts, budget, max_count, rule, rationing, seed):
    rng = np.random.default_rng(seed)
    a = np.asarray(amounts, dtype=float)
    n = a.size
    out = run_call(
        a, budget, max_count, rule, rationing, rng.normal(size=n), rng.integers(0, 4, n),
        rng.random(n), rng.integers(0, 3, n), np.array([0.5, 0.3, 0.2]),
    )  # fmt: skip
    assert out.committed <= budget + 1e-6
    assert out.accepted.sum() <= max_count
    assert np.isclose(a[out.accepted].sum(), out.committed)


@settings(max_examples=100, deadline=None)
@given(ops=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)), max_size=30),
       carry=st.sampled_from(["lapse", "roll_same_instrument", "roll_pool"]))  # fmt: skip
def test_ledger_balances_under_random_operations(ops, carry):
    years = [2016, 2017, 2018, 2019]
    led = GrantLedger(["a", "b"], years, 2, {"a": {2016: 50.0, 2017: 50.0},
                                            "b": {2016: 20.0, 2017: 30.0}}, carry)  # fmt: skip
    open_commitments: list[list] = []
    for i, year in enumerate(years):
        led.open_year(year)
        for frac_commit, frac_pay, frac_lapse in ops[i::4]:
            name = "a" if frac_commit < 0.5 else "b"
            amount = led.remaining(name) * frac_commit
            if amount > 0:
                led.commit(name, year, 0, amount)
                open_commitments.append([name, year, amount])
            for c in open_commitments:
                pay = c[2] * frac_pay
                led.pay(c[0], c[1], year, 0, pay)
                c[2] -= pay
                lapse = c[2] * frac_lapse
                led.lapse(c[0], c[1], 0, lapse, year)
                c[2] -= lapse
        led.close_year(year)
        led.check()
    # the ledger's records add up to its arrays, and what it says is outstanding is what this
    # test itself left unpaid and unlapsed of each commitment (not the ledger's own remainder)
    check_payment_record(led)
    owed = np.zeros(led.committed.shape[:2])
    for name, year, rest in open_commitments:
        owed[led.index[name], led.year_index[year]] += rest
    np.testing.assert_allclose(led.outstanding().sum(axis=2), owed, atol=1e-9)
    assert (
        np.cumsum(led.paid.sum(axis=(0, 2))) <= np.cumsum(led.allocated.sum(axis=0)) + 1e-6
    ).all()


@given(st.floats(-50, 50), st.floats(0, 0.5), st.floats(0.01, 2))
def test_adoption_probability_in_unit_interval_and_monotone(x, s, scale):
    p0 = float(b.adoption_probability(x, 0.02, scale))
    p1 = float(b.adoption_probability(x + s, 0.02, scale))
    assert 0.0 <= p0 <= p1 <= 1.0


# -- whole-model properties on generated scenarios ------------------------------------------------

from mfgplan.economy.economy import ManufacturingEconomy  # noqa: E402
from mfgplan.inputs.parameters import Scenario  # noqa: E402
from mfgplan.inputs.programme import GRANT_INSTRUMENTS  # noqa: E402
from tests.conftest import flat_baseline  # noqa: E402
from tests.unit.economy.test_ledger_records import (  # noqa: E402
    check_outstanding,
    check_payment_record,
    check_project_payments,
)

RULES = ["merit", "lottery", "first_come", "city_quota"]


def plan_limits(plan: Scenario) -> dict[str, float]:
    """Per-year allocation each fixed-count instrument can use (count x amount / 5 years)."""
    ins = plan.programme.instruments
    return {
        "it_integration_demo_award": ins.it_integration_demo_award.total_awards
        * ins.it_integration_demo_award.award
        / 5,
        "sei_cluster_guiding_fund": ins.sei_cluster_guiding_fund.clusters
        * ins.sei_cluster_guiding_fund.per_cluster
        / 5,
        "intelligent_mfg_base_grant": ins.intelligent_mfg_base_grant.bases
        * ins.intelligent_mfg_base_grant.per_base
        / 5,
        "platform_and_park_subsidy": ins.platform_and_park_subsidy.parks
        * ins.platform_and_park_subsidy.per_park
        / 5,
        "innovation_centre_grant": ins.innovation_centre_grant.centres
        * ins.innovation_centre_grant.cap
        / 5,
        "intelligent_mfg_demo_award": ins.intelligent_mfg_demo_award.total_awards
        * ins.intelligent_mfg_demo_award.cap
        / 5,
        "major_project_support": ins.major_project_support.projects
        * ins.major_project_support.support_per_project
        / 5,
    }


def yuan(amount: float) -> float:
    """An amount a scenario may give: 0 below 1万元."""
    return float(amount) if amount >= 1e4 else 0.0


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A random valid scenario: budget, its split, carry-over and call rules, short horizon."""
    # each instrument gets a random fraction of what it can use in a year (the plan's count x
    # amount over five years for fixed-count instruments, 300 M yuan for open-ended ones)
    plan = Scenario(title="limits")
    limits = plan_limits(plan)
    # a scenario's amounts are 0 or at least 1万元 (smaller ones cannot be meant as yuan)
    allocation = {
        name: yuan(np.floor(draw(st.floats(0.0, 1.0)) * limits.get(name, 3e8)))
        for name in GRANT_INSTRUMENTS
    }
    budget = sum(allocation.values()) * (1.0 + draw(st.floats(0.0, 0.5)))
    instruments = {
        name: {"selection": draw(st.sampled_from(RULES)),
               "rationing": draw(st.sampled_from(["greedy", "strict_prefix"]))}
        for name in GRANT_INSTRUMENTS
    }  # fmt: skip
    instruments["tech_retrofit_grant"]["matching_rate"] = draw(st.floats(0.0, 0.5))
    return Scenario.model_validate(
        {
            "title": "generated",
            "horizon": 2020,
            "programme": {
                "annual_budget": budget,
                "allocation": allocation,
                "carryover": draw(st.sampled_from(["lapse", "roll_same_instrument", "roll_pool"])),
                "instruments": instruments,
                "investment_fund": {"size": yuan(draw(st.floats(0.0, 1e10)))},
            },
        }
    )


@settings(max_examples=25, deadline=None)
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_money_is_conserved_and_states_stay_valid(scenario, seed):
    years = np.arange(2015, 2021)
    model = ManufacturingEconomy(
        scenario, flat_baseline(years), np.random.SeedSequence(seed), n_firms=250
    )
    record = model.run()  # raises LedgerError if an identity fails
    led = record.ledger
    # money against records outside the ledger's arrays: its payment and lapse records, the
    # project book and the lump sums still scheduled (committed = paid + outstanding + lapsed)
    check_payment_record(led)
    check_project_payments(model)
    check_outstanding(model)
    assert (led.committed >= -1e-9).all() and (led.paid >= -1e-9).all()
    assert (led.outstanding() >= -1e-3).all() and (led.lapsed >= -1e-9).all()
    budget = np.array([sum(scenario.budget_by_year().get(int(y), 0.0) for _ in [0])
                       for y in years[1:]])  # fmt: skip
    assert (np.cumsum(led.paid.sum(axis=(0, 2))) <= np.cumsum(budget) + 1e-3).all()
    for name in ("sei", "hightech", "cnc"):
        for world in ("actual", "baseline"):
            v = getattr(record, f"{name}_{world}")
            assert ((v >= 0) & (v <= 1)).all(), (name, world)
    f = model.firms
    live = f.live_slots()
    for arr in (f.va_base, f.rd, f.rd_base, f.sei, f.hightech, f.cnc):
        assert (arr[live] >= 0).all()
    for arr in (f.sei, f.hightech, f.cnc, f.cnc_base):
        assert (arr[live] <= 1).all()
    assert (record.va_actual >= 0).all() and (record.firms_actual > 0).all()
    # the fund never invests more than it raised: its size times the share of its target a
    # guidance fund reaches (the model holds the whole province here: sample fraction 1)
    fund = scenario.programme.investment_fund
    raised = fund.size * scenario.behaviour.guidance_fund_size_reached
    assert (record.fund_equity >= 0).all() and record.fund_equity.sum() <= raised + 1e-3
