"""The compiled firm kernels: numbers computed by hand, and the NumPy rendering's replicates."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mfgplan.economy import kernels, rules
from mfgplan.economy.compiled import CompiledFirmDynamics
from mfgplan.economy.economy import ManufacturingEconomy
from mfgplan.economy.firm_dynamics import FirmDynamics
from mfgplan.economy.firms import FIELDS
from mfgplan.economy.replicate import replicate_seed
from tests.conftest import flat_baseline


def produce_quarter(advance_baseline: bool) -> tuple[np.ndarray, ...]:
    """Two slots through one new-year quarter of :func:`kernels.produce_and_reinvest`.

    Returns va, pending_capital, uplift_capital, pending_tfp, uplift_tfp, cnc, cnc_base,
    routine, extra after the quarter (before it: the literals below).
    """
    va = np.array([100.0, 50.0])
    pending_capital, uplift_capital = np.array([0.1, 0.0]), np.array([0.0, 0.2])
    pending_tfp, uplift_tfp = np.array([0.04, 0.0]), np.array([0.0, 0.0])
    cnc, cnc_base = np.array([0.3, 0.5]), np.array([0.3, 0.0])
    routine, extra = np.array([7.0, 7.0]), np.array([1.0, 1.0])
    kernels.produce_and_reinvest(
        va, np.array([0, 1], dtype=np.int8), np.array([1.0, 0.0]), np.array([0.04, -0.2]),
        0.06, 0.2, 0.5, pending_capital, uplift_capital, pending_tfp, uplift_tfp, 0.02, 0.01,
        cnc, cnc_base, 2.5, routine, extra, True, advance_baseline,
    )  # fmt: skip
    return (
        va,
        pending_capital,
        uplift_capital,
        pending_tfp,
        uplift_tfp,
        cnc,
        cnc_base,
        routine,
        extra,
    )


def test_production_and_routine_investment_by_hand():
    # slot 0: g = (0.06 + 0.04) / 4 = 0.025 a quarter; sd 0.2 and shock +1 give
    # exp(0.025 + 0.1 - 0.5 x 0.1^2) = exp(0.12); routine investment (0.02 + 0.025) x 2.5 x Y0
    # slot 1: g = (0.06 - 0.2) / 4 = -0.035 < -delta, so it replaces nothing (rate 0)
    va, pending_capital, uplift_capital, pending_tfp, uplift_tfp, cnc, cnc_base, routine, extra = (
        produce_quarter(advance_baseline=True)
    )
    assert va[0] == pytest.approx(112.7496851579376, rel=1e-14)
    assert va[1] == pytest.approx(50.0 * math.exp(-0.035 - 0.005), rel=1e-14)
    # half the pending uplift moves in; the capital uplift then depreciates by 2%
    assert uplift_capital == pytest.approx([0.049, 0.196], rel=1e-14)
    assert pending_capital == pytest.approx([0.05, 0.0])
    assert uplift_tfp == pytest.approx([0.02, 0.0]) and pending_tfp == pytest.approx([0.02, 0.0])
    assert cnc == pytest.approx([0.307, 0.505]) and cnc_base == pytest.approx([0.307, 0.01])
    # a new year resets the year-to-date sums before the quarter is added
    assert routine == pytest.approx([0.1125 * 112.7496851579376, 0.0], rel=1e-14)
    assert extra.tolist() == [0.0, 0.0]


def test_a_further_world_leaves_the_no_programme_state_alone():
    # the same quarter as above in a further programme world: its own uplifts and CNC share
    # move as there, the shared no-programme arrays (VA, baseline CNC, routine investment) not
    va, _, uplift_capital, _, _, cnc, cnc_base, routine, extra = produce_quarter(
        advance_baseline=False
    )
    assert va.tolist() == [100.0, 50.0] and cnc_base.tolist() == [0.3, 0.0]
    assert routine.tolist() == [7.0, 7.0] and extra.tolist() == [0.0, 0.0]
    assert uplift_capital == pytest.approx([0.049, 0.196], rel=1e-14)
    assert cnc == pytest.approx([0.307, 0.505])
    # R&D: the actual world's 44,000 and 2,062.5 of tax as in test_research_by_hand; the
    # baseline world's R&D, shares and tax stay as they were
    rd, rd_base = np.array([40_000.0]), np.array([40_000.0])
    sei, sei_base = np.array([0.2]), np.array([0.2])
    ht, ht_base = np.array([0.1]), np.array([0.1])
    tax = np.array([0.0, 7.0])
    kernels.research(
        np.array([0]), np.array([True]), np.array([0], dtype=np.int8), np.array([1e6]),
        np.zeros(1), np.zeros(1), np.array([0.01]), rd, rd_base, sei, sei_base, ht, ht_base,
        np.array([0.2]), 0.25, 1.2, 1.0, 0.5, 0.01, 0.4, np.array([0.5]), np.array([True]),
        np.array([True]), 0.1, 0.2, 0.75, 0.5, 0.25, tax, False,
    )  # fmt: skip
    assert rd[0] == pytest.approx(44_000.0) and rd_base[0] == 40_000.0
    assert tax[0] == pytest.approx(2_062.5) and tax[1] == 7.0
    # u = 0.2 is below both worlds' innovation probability: only the actual world moves
    assert sei[0] == pytest.approx(0.28) and ht[0] == pytest.approx(0.28)
    assert (sei_base[0], ht_base[0]) == (0.2, 0.1)
    # completions: the retrofit both worlds made raises only this world's CNC share
    pending_capital, pending_tfp = np.zeros(1), np.zeros(1)
    cnc, cnc_base = np.array([0.4]), np.array([0.2])
    kernels.complete_projects(
        np.array([0]), np.array([0]), np.array([0], dtype=np.int8), np.array([2.0]),
        np.array([True]), np.array([True]), pending_capital, pending_tfp, cnc, cnc_base, 0.3,
        0.15, 0.5, 0.1, 1.0, False,
    )  # fmt: skip
    assert cnc[0] == pytest.approx(0.43) and cnc_base[0] == 0.2


def test_research_by_hand():
    # one claimant: VA 1e6 (no uplift), revenue 4e6; intensity 1% at the reference price, a
    # tax-price response of 1.2 in the actual world: desired 48,000, half the gap from 40,000
    # closes: 44,000; the baseline world (response 1) stays at 40,000. Tax saved in the
    # quarter: 0.25 x 0.75 x 44,000 / 4 = 2,062.5 and 0.25 x 0.5 x 40,000 / 4 = 1,250.
    # Innovation: p = 1 - exp(-0.4 x 1.5 x 1.1) = 0.4831 (actual, centre boost 0.5) and
    # 1 - exp(-0.4 x 1.0) = 0.3297 (baseline); u = 0.4 innovates in the actual world only.
    # The second performer does not claim and does not innovate (u = 0.99).
    rd, rd_base = np.array([40_000.0, 0.0, 1_000.0]), np.array([40_000.0, 0.0, 1_000.0])
    sei, sei_base = np.array([0.2, 0.0, 0.5]), np.array([0.2, 0.0, 0.5])
    ht, ht_base = np.array([0.1, 0.0, 0.5]), np.array([0.1, 0.0, 0.5])
    tax = np.zeros(2)
    kernels.research(
        np.array([0, 2]), np.array([True, False]), np.array([0, 0, 1], dtype=np.int8),
        np.array([1e6, 5e5, 1e6]), np.zeros(3), np.zeros(3), np.array([0.01, 0.0, 0.01]),
        rd, rd_base, sei, sei_base, ht, ht_base, np.array([0.4, 0.99]), 0.25, 1.2, 1.0, 0.5,
        0.01, 0.4, np.array([0.5, 0.0]), np.array([True, True]), np.array([False, True]),
        0.1, 0.2, 0.75, 0.5, 0.25, tax, True,
    )  # fmt: skip
    assert rd[0] == pytest.approx(44_000.0) and rd_base[0] == pytest.approx(40_000.0)
    # the non-claimant's desired R&D is 1% of 4e6 in both worlds: 1,000 + 0.5 x 39,000
    assert rd[2] == pytest.approx(20_500.0) and rd_base[2] == pytest.approx(20_500.0)
    assert tax == pytest.approx([2_062.5, 1_250.0])
    # SEI-eligible sector: 0.2 + 0.1 x 0.8; the sector hosts no high-tech products
    assert sei[0] == pytest.approx(0.28) and sei_base[0] == 0.2
    assert ht[0] == 0.1 and ht_base[0] == 0.1
    assert (sei[2], ht[2], sei_base[2], ht_base[2]) == (0.5, 0.5, 0.5, 0.5)


def test_arrivals_by_hand():
    # one cell of three live firms (one a demonstration pilot) and a closed firm; one
    # demonstration firm among 2 peers: 0.001 x 100 x 1/2 = 0.05 extra hazard for the
    # non-pilots, plus 0.02 for an IM base, on an arrival rate of 0.05: thresholds 0.12 for
    # the non-pilots and 0.07 for the pilot (no demonstration effect on itself)
    counts = np.zeros(2)
    cand, only = kernels.arrivals(
        np.array([True, True, True, False]), np.zeros(4, dtype=np.int8),
        np.zeros(4, dtype=np.int8), np.array([True, False, False, False]),
        np.array([0.06, 0.03, 0.11, 0.0]), 2, np.array([1.0, 0.0]), np.array([0.02, 0.0]),
        0.001, 0.05, 0.5, counts,
    )  # fmt: skip
    assert counts.tolist() == [3.0, 0.0]
    assert cand.tolist() == [0, 1, 2]
    assert only.tolist() == [True, False, True]
    # the cap on the arrival probability binds
    cand, _ = kernels.arrivals(
        np.array([True, True]), np.zeros(2, dtype=np.int8), np.zeros(2, dtype=np.int8),
        np.array([False, False]), np.array([0.2, 0.3]), 1, np.array([1.0]), np.array([0.0]),
        0.01, 0.05, 0.25, np.zeros(1),
    )  # fmt: skip
    assert cand.tolist() == [0]


#: no lead world's valuation to copy (the first programme world of a replicate)
NO_LEAD = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int8), np.zeros(0, dtype=np.int64),
           np.zeros((9, 0)))  # fmt: skip


def test_a_further_world_copies_the_lead_valuation_and_values_its_own_projects():
    # candidate 0 arrived without the programme: its type, build time and values are the lead
    # world's row 1 (numbers no rule would give, so a copy is visible); its VA is this world's
    # with its uplifts, 100 e^0.2; candidate 1 only this world's programme brought: valued
    shares = np.cumsum([0.4, 0.3, 0.2, 0.1])
    lead_values = np.arange(18, dtype=float).reshape(9, 2)
    kind, build, values, va_actual = kernels.value_projects(
        np.array([0, 1]), np.array([False, True]), np.array([0.1, 0.5]), np.array([0.0, 0.0]),
        shares, np.array([2, 3, 4, 1]), np.array([100.0, 50.0]), np.array([0.1, 0.0]),
        np.array([0.1, 0.0]), np.array([0.1, 0.1]), 2.0, math.log(0.2), 0.5, 0.3, 0.2, 50.0,
        1.0 / 3.0, 0.5, 0.5, 0.25, 10, 0.05, np.arange(2), np.full((2, 4), -1.0),
        np.full(2, -1, dtype=np.int64), np.array([1, -1]), np.array([0, 3], dtype=np.int8),
        np.array([2, 7]), lead_values,
    )  # fmt: skip
    assert kind.tolist() == [3, 1] and build.tolist() == [7, 3]
    assert values[:, 0].tolist() == lead_values[:, 1].tolist()
    assert va_actual[0] == pytest.approx(100.0 * math.exp(0.2), rel=1e-14)
    # the induced project: intelligent equipment, I/K 0.2, K = 2 x 50, its own values
    assert values[0, 1] == pytest.approx(0.2) and values[2, 1] == 100.0


def test_project_values_by_hand_and_against_the_numpy_rules():
    # three candidates: u_type 0.1 (retrofit: below 0.4), 0.75 (capacity: 0.7 <= x < 0.9) and
    # one only the programme brought (intelligent equipment whatever its draw)
    shares = np.cumsum([0.4, 0.3, 0.2, 0.1])
    va = np.array([100.0, 400.0, 50.0])
    cache = (np.full((3, 4), -1.0), np.full(3, -1, dtype=np.int64))
    out = kernels.value_projects(
        np.array([0, 1, 2]), np.array([False, False, True]), np.array([0.1, 0.75, 0.95]),
        np.array([0.0, 1.0, -1.0]), shares, np.array([2, 3, 4, 1]), va, np.zeros(3),
        np.array([0.0, 0.1, 0.0]), np.array([0.10, 0.08, 0.12]), 2.0, math.log(0.2), 0.5, 0.3,
        0.2, 200.0, 1.0 / 3.0, 0.5, 0.5, 0.25, 10, 0.05, np.arange(3), *cache, *NO_LEAD,
    )  # fmt: skip
    kind, build, values, va_actual = out
    ratio, investment, capital, gain, hurdle, scale, annuity, npv, p0 = values
    assert kind.tolist() == [0, 2, 1] and build.tolist() == [2, 4, 3]
    assert ratio == pytest.approx([0.2, 0.2 * math.exp(0.5), 0.2 * math.exp(-0.5)], rel=1e-14)
    assert capital.tolist() == [200.0, 800.0, 100.0]
    # the retrofit: (0.3 + 0.2) ln 1.2; the capacity project has no productivity part
    assert gain[0] == pytest.approx(0.5 * math.log(1.2), rel=1e-14)
    assert gain[1] == pytest.approx(0.3 * math.log1p(ratio[1]), rel=1e-14)
    assert va_actual[1] == pytest.approx(400.0 * math.exp(0.1), rel=1e-14)
    # below the median firm's size the logit widens: (1/3) x 0.5^-0.5; above it stays 1/3
    assert scale == pytest.approx([1 / 3 / math.sqrt(0.5), 1 / 3, 1 / 3 / math.sqrt(0.25)])
    # the annuity as the plain sum over the quarters of the life after the build
    v = 1.1**-0.25
    assert annuity[0] == pytest.approx(sum(0.25 * v**q for q in range(3, 43)), rel=1e-12)
    # the annuity is kept for the firm and type, and forgotten when another firm takes the slot
    assert cache[0][0, 0] == annuity[0] and cache[1].tolist() == [0, 1, 2]
    again = kernels.value_projects(
        np.array([0]), np.array([False]), np.array([0.1]), np.array([0.0]), shares,
        np.array([2, 3, 4, 1]), va, np.zeros(3), np.zeros(3), np.array([0.2, 0.08, 0.12]), 2.0,
        math.log(0.2), 0.5, 0.3, 0.2, 200.0, 1.0 / 3.0, 0.5, 0.5, 0.25, 10, 0.05,
        np.array([7, 1, 2]), *cache, *NO_LEAD,
    )  # fmt: skip
    v = 1.2**-0.25  # the new firm's hurdle 0.2
    assert again[2][6, 0] == pytest.approx(sum(0.25 * v**q for q in range(3, 43)), rel=1e-12)
    assert cache[1][0] == 7 and cache[0][0, 1:].tolist() == [-1.0, -1.0, -1.0]
    expected = rules.project_npv(va, investment, gain, 0.5, 0.25, hurdle, build, 10) / investment
    np.testing.assert_allclose(npv, expected, rtol=1e-12)
    np.testing.assert_allclose(p0, rules.adoption_probability(expected, 0.05, scale), rtol=1e-12)
    # with the programme: the IM base of cell 0 cuts the first project's cost by 10%, a 20%
    # subsidy share on the second; capacity 1.5 (private) or 0.5 (state-owned) x e^l x K
    u_adopt = np.array([0.0, 0.999, 0.0])
    cost, capacity, feasible0, adopt0, wants1 = kernels.decide_projects(
        np.array([0, 1, 2]), np.array([False, False, True]), u_adopt,
        np.array([0, 1, 1], dtype=np.int8), np.zeros(3, dtype=np.int8),
        np.array([1, 0, 1], dtype=np.int8), np.array([0.0, 0.0, math.log(2.0)]),
        np.array([1.0, 0.0]), 1, 0.1, np.array([0.0, 0.2, 0.0]), np.zeros(3), investment,
        capital, gain, va_actual, scale, annuity, p0, 0.5, 0.25, 10, 0.05, 0.5, 1.5,
    )  # fmt: skip
    assert cost == pytest.approx([0.9 * investment[0], investment[1], investment[2]])
    assert capacity == pytest.approx([300.0, 400.0, 300.0])
    assert feasible0.tolist() == [True, True, True]
    # a project only the programme brought is never adopted without it
    assert adopt0.tolist() == [True, False, False] and wants1.tolist() == [True, False, True]


def test_completions_by_hand():
    # rows 0 and 1 are due in quarter 5 (row 1 abandoned), row 2 in quarter 6
    completed = np.array([False, False, False])
    abandoned, finished = kernels.due_projects(
        3, 5, np.array([5, 5, 6]), completed, np.array([False, True, False])
    )
    assert abandoned.tolist() == [1] and finished.tolist() == [0]
    assert completed.tolist() == [True, True, False]
    # firm 0 completes an intelligent-equipment project only the programme made (I/K 0.5) and a
    # retrofit both worlds made (I/K 2, capped at the full-size ratio 1); each raises the CNC
    # share by its gain times the gap before the quarter's projects (0.6 actual, 0.8 baseline)
    pending_capital, pending_tfp = np.zeros(1), np.zeros(1)
    cnc, cnc_base = np.array([0.4]), np.array([0.2])
    kernels.complete_projects(
        np.array([0, 1]), np.array([0, 0]), np.array([1, 0], dtype=np.int8),
        np.array([0.5, 2.0]), np.array([True, True]), np.array([False, True]),
        pending_capital, pending_tfp, cnc, cnc_base, 0.3, 0.15, 0.5, 0.1, 1.0, True,
    )  # fmt: skip
    assert pending_capital[0] == pytest.approx(0.3 * math.log(1.5))
    assert pending_tfp[0] == pytest.approx(0.15 * math.log(1.5))
    # actual: 0.4 + 0.1 x 0.5 x 0.6 (intelligent) + 0.1 x 0.5 x 1 x 0.6 (retrofit) = 0.46
    assert cnc[0] == pytest.approx(0.46) and cnc_base[0] == pytest.approx(0.24)


def test_exits_by_hand():
    # median firm: hazard 0.1; eight times its size: 1 - 0.9^(8^-0.3) = 0.05489
    leaving = kernels.exits(
        np.array([True, True, True, False]), np.array([100.0, 800.0, 800.0, 0.0]),
        np.array([0.09, 0.06, 0.05, 0.0]), 100.0, 0.1, -0.3,
    )  # fmt: skip
    assert leaving.tolist() == [0, 2]


def _run(dynamics: type[FirmDynamics], scenario, seed: int) -> ManufacturingEconomy:
    model = ManufacturingEconomy(
        scenario, flat_baseline(), replicate_seed(seed, 0), 300, firm_dynamics=dynamics
    )
    model.run()
    return model


@pytest.mark.parametrize("seed", [3, 11])
def test_the_compiled_rendering_gives_the_numpy_rendering_to_rounding(plan, seed):
    numpy_model = _run(FirmDynamics, plan, seed)
    compiled = _run(CompiledFirmDynamics, plan, seed)
    a, b = numpy_model.firms, compiled.firms
    assert a.high_water == b.high_water and numpy_model.projects.n == compiled.projects.n
    for name in FIELDS:
        x, y = getattr(a, name)[: a.high_water], getattr(b, name)[: b.high_water]
        if x.dtype.kind == "f":
            np.testing.assert_allclose(y, x, rtol=1e-12, atol=1e-300, err_msg=name)
        else:
            np.testing.assert_array_equal(y, x, err_msg=name)
    ra, rb = numpy_model.record, compiled.record
    for name in (
        "va_actual",
        "va_baseline",
        "sei_actual",
        "hightech_actual",
        "cnc_actual",
        "rd_actual",
    ):
        np.testing.assert_allclose(getattr(rb, name), getattr(ra, name), rtol=1e-12)
    np.testing.assert_array_equal(rb.awards, ra.awards)
    np.testing.assert_allclose(rb.ledger.paid, ra.ledger.paid, rtol=1e-12)


class NumpyCredit(FirmDynamics):
    """The VAT experiment's kind of world: every firm's investment carries a credit."""

    def investment_credit(self, year, slots):
        return np.full(slots.size, 0.087) if year >= 2017 else 0.0


class CompiledCredit(CompiledFirmDynamics):
    """The same world on the compiled kernels."""

    def investment_credit(self, year, slots):
        return np.full(slots.size, 0.087) if year >= 2017 else 0.0


def test_a_user_cost_change_closes_its_gap_alike_on_both_renderings(plan):
    scenario = plan.model_copy(update={"horizon": 2019})
    numpy_model, compiled = _run(NumpyCredit, scenario, 5), _run(CompiledCredit, scenario, 5)
    a, b = numpy_model.firms, compiled.firms
    assert compiled.dynamics.gap_open and np.any(b.capital_gap > 0.0)
    for name in ("capital_gap", "investment_routine", "investment_routine_extra", "pending_tfp"):
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=1e-12, err_msg=name)
