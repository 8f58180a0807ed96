"""Routine investment and the capital a change of its user cost adds (ODD 7.2)."""

from __future__ import annotations

import numpy as np
import pytest

from mfgplan.economy import rules
from mfgplan.economy.economy import ManufacturingEconomy
from mfgplan.economy.firm_dynamics import FirmDynamics
from tests.conftest import flat_baseline, no_programme_scenario

CREDIT = 0.087


def test_routine_investment_by_hand():
    # Y0 = 40 yuan a year, kappa 3, delta 0.025 and g 0.015 a quarter: 0.04 x 120 = 4.8
    assert float(rules.routine_investment(40.0, 3.0, 0.025, 0.015)) == pytest.approx(4.8)
    # a shrinking sector still replaces nothing less than zero: g floored at -delta
    assert float(rules.routine_investment(40.0, 3.0, 0.025, -0.05)) == 0.0


def test_a_year_of_adjustment_closes_lambda_of_the_gap():
    # desired gap -1.84 ln(1 - 0.10) = 0.19386; four quarters at lambda = 0.3 a year close
    # exactly 30% of it: 0.058159 (the quarterly speed is 1 - 0.7^(1/4) = 0.085309)
    target = float(rules.user_cost_capital_gap(0.10, 1.84))
    assert target == pytest.approx(0.193863, abs=1e-6)
    gap = 0.0
    for _ in range(4):
        gap, _x = rules.capital_gap_step(gap, target, 0.3, 0.02, 0.01)
    assert float(gap) == pytest.approx(0.058159, abs=1e-6)


def test_in_the_long_run_investment_rises_by_the_elasticity_times_the_cost_fall():
    # the user-cost elasticity of investment in steady state is eps (investment is
    # proportional to capital): ln(I/I0) -> -eps ln(1 - c) = 1.5 x 0.091 = 0.1365
    delta, g = 0.02, 0.02
    gap = 0.0
    target = rules.user_cost_capital_gap(CREDIT, 1.5)
    for _ in range(400):
        gap, x = rules.capital_gap_step(gap, target, 0.22, delta, g)
    assert float(x) / (delta + g) == pytest.approx(0.1365, abs=1e-3)


class CreditForAll(FirmDynamics):
    """Every firm's investment carries the credit from the first projected year."""

    def investment_credit(self, year, slots):
        return np.full(slots.size, CREDIT)


def _run(dynamics):
    model = ManufacturingEconomy(
        no_programme_scenario().model_copy(update={"horizon": 2018}),
        flat_baseline(),
        np.random.SeedSequence(3),
        300,
        firm_dynamics=dynamics,
    )
    for _ in range(model.n_quarters):
        model.step()
    return model


@pytest.fixture(scope="module")
def worlds():
    return _run(FirmDynamics), _run(CreditForAll)


def test_without_a_user_cost_change_no_capital_gap_opens(worlds):
    plain, _ = worlds
    f = plain.firms
    assert not plain.dynamics.gap_open
    assert np.all(f.capital_gap == 0.0) and np.all(f.investment_routine_extra == 0.0)
    # routine investment is still booked: (0.02 + g/4) of capital a quarter, g = ln 1.08 + s
    # (entrants of the year's end have not invested yet: the first-year firms)
    first = f.live_slots()[f.firm_id[f.live_slots()] < 300]
    assert np.all(f.investment_routine[first] > 0.0)


def test_a_credit_opens_the_gap_the_accelerator_predicts(worlds):
    _, credit = worlds
    f = credit.firms
    b = credit.behaviour
    # firms of the first year (ids below the initial 300) have had 12 quarters of adjustment:
    # e = e* (1 - (1 - lambda)^3), by hand with eps = 1.5 and lambda = 0.22
    target = -1.5 * np.log(1.0 - CREDIT)
    expected = target * (1.0 - 0.78**3)
    assert (b.investment_elasticity, b.capital_adjustment_speed) == (1.5, 0.22)
    first = f.live_slots()[f.firm_id[f.live_slots()] < 300]
    np.testing.assert_allclose(f.capital_gap[first], expected, rtol=1e-12)
    # the extra investment carries productivity and capital: value added above the plain world
    assert np.all(f.uplift_tfp[first] > 0.0) and np.all(f.uplift_capital[first] > 0.0)


def test_the_credit_leaves_the_no_programme_world_alone(worlds):
    plain, credit = worlds
    # common random numbers: the same firms, the same no-programme value added and investment
    np.testing.assert_array_equal(plain.firms.va_base, credit.firms.va_base)
    np.testing.assert_array_equal(plain.firms.investment_routine, credit.firms.investment_routine)
