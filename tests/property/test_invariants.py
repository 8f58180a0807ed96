"""Property tests: calls never overspend, ledgers balance, probabilities stay probabilities."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from model import behaviour as b
from model.instruments import run_call
from model.ledger import GrantLedger

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
    np.testing.assert_allclose(
        led.committed, led.paid_by_commit_year + led.outstanding() + led.lapsed, atol=1e-9
    )
    assert (
        np.cumsum(led.paid.sum(axis=(0, 2))) <= np.cumsum(led.allocated.sum(axis=0)) + 1e-6
    ).all()


@given(st.floats(-50, 50), st.floats(0, 0.5), st.floats(0.01, 2))
def test_adoption_probability_in_unit_interval_and_monotone(x, s, scale):
    p0 = float(b.adoption_probability(x, 0.02, scale))
    p1 = float(b.adoption_probability(x + s, 0.02, scale))
    assert 0.0 <= p0 <= p1 <= 1.0
