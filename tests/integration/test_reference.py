"""The production model against its oracle: the classic-Mesa model written from the ODD.

``benchmarks/classic`` is the model of ``model/ODD.md`` written again as a textbook Mesa model
(one agent per firm with its state as attributes, ``shuffle_do``, a DataCollector, the province
as plain Python over the agents) sharing no code with ``mfgplan.economy``: only the scenario,
the input tables and the random-stream layout. From one seed both must make the same
decisions (the same enterprises enter and leave, the same projects go ahead in the same worlds,
the same awards, payments and lapses, counted exactly) and the same money and aggregates to
rounding: they compute the same rules in a different order of floating-point operations
(NumPy's pairwise sums and SIMD functions against Python's sequential sums and ``math``), which
moves the last bits and nothing else.

Two bugs of the production model were found this way and fixed (CHANGELOG 0.6.0): a maker
with two additional first-of-a-kind sales in a quarter gained high-tech share once, and the
cluster-fund cohorts' SEI and high-tech value added did not grow with their value added.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from benchmarks.classic.economy import ClassicEconomy
from mfgplan.economy.economy import ManufacturingEconomy
from mfgplan.inputs.programme import GRANT_INSTRUMENTS
from mfgplan.inputs.scenario import load_scenario
from tests.conftest import flat_baseline, strict_rules

ROOT = Path(__file__).resolve().parents[2]
COUNTS = ("firms_baseline", "awards", "additional_projects", "deadweight_projects")
#: relative agreement of money and aggregates: a few units in the last place of a double
RTOL = 1e-12


def plan(**behaviour: float) -> object:
    scenario = load_scenario(ROOT / "scenarios" / "plan-2016.yaml").scenario
    if behaviour:
        scenario = scenario.model_copy(
            update={"behaviour": scenario.behaviour.model_copy(update=behaviour)}
        )
    return scenario


def rules_variant() -> object:
    """The demonstration-heavy scenario with every call by city quota, strict prefixes,
    30% paid up front and uncommitted money pooled over the instruments."""
    return strict_rules(load_scenario(ROOT / "scenarios" / "demonstration-heavy.yaml").scenario)


def both(scenario: object, seed: int, n: int, province: int | None = None):
    baseline = flat_baseline()
    fast = ManufacturingEconomy(
        scenario, baseline, np.random.SeedSequence(seed), n_firms=n, province_firms=province
    )
    classic = ClassicEconomy(
        scenario, baseline, np.random.SeedSequence(seed), n, province_firms=province
    )
    return fast, fast.run(), classic, classic.run()


def assert_same_economy(fast, record, classic, ref) -> None:
    # the annual record, both worlds: counts exactly, the rest to rounding
    for name, expected in ref.items():
        if name.startswith("ledger."):
            continue
        got = np.asarray(getattr(record, name), dtype=float)
        if name in COUNTS:
            np.testing.assert_array_equal(got, expected, err_msg=name)
        else:
            np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0, err_msg=name)
    for name in ("committed", "paid", "lapsed"):
        np.testing.assert_allclose(
            getattr(record.ledger, name), ref[f"ledger.{name}"], rtol=RTOL, atol=1e-6,
            err_msg=name,
        )  # fmt: skip
    # every payment and lapse, in the order made: the same movements of the same projects
    ledger = classic.province.ledger
    for got, expected in ((record.ledger.payments(), ledger.payments),
                          (record.ledger.lapses(), ledger.lapses)):  # fmt: skip
        assert len(got) == len(expected)
        keys = [(GRANT_INSTRUMENTS.index(e[0]), e[1], e[2], e[3], e[5]) for e in expected]
        assert [tuple(int(x) for x in (g[0], g[1], g[2], g[3], g[5])) for g in got] == keys
        np.testing.assert_allclose(got["yuan"], [e[4] for e in expected], rtol=RTOL)
    # every project: the same firm, type, dates, worlds and award
    pb = fast.projects
    assert pb.n == len(classic.projects) > 0
    names = [
        GRANT_INSTRUMENTS.index(p.instrument) if p.instrument else -1 for p in classic.projects
    ]
    np.testing.assert_array_equal(pb.view("instrument"), names)
    for column, attr in (("firm_id", "firm"), ("kind", "kind"), ("start", "start"),
                         ("done", "done"), ("in_actual", "in_actual"),
                         ("in_baseline", "in_baseline"), ("closed", "closed")):  # fmt: skip
        values = [p.firm.firm_id if attr == "firm" else getattr(p, attr) for p in classic.projects]
        np.testing.assert_array_equal(pb.view(column), values, err_msg=column)
    np.testing.assert_allclose(pb.view("award"), [p.award for p in classic.projects], rtol=RTOL)
    # the firms at the end: the same enterprises in the same slots, the same state
    f = fast.firms
    live = f.live_slots()
    assert list(live) == sorted(classic.slots)
    agents = [classic.slots[s] for s in live]
    np.testing.assert_array_equal(f.firm_id[live], [a.firm_id for a in agents])
    for name in ("va_base", "cnc", "cnc_base", "sei", "hightech", "rd", "rd_base"):
        np.testing.assert_allclose(
            getattr(f, name)[live], [getattr(a, name) for a in agents], rtol=RTOL, atol=1e-15,
            err_msg=name,
        )  # fmt: skip
    # the last year's routine investment (ODD 7.2), firm by firm
    np.testing.assert_allclose(
        f.investment_routine[live], [a.routine_investment for a in agents], rtol=RTOL
    )
    # the DataCollector walked the agents once a year, base year included
    assert len(classic.datacollector.get_model_vars_dataframe()) == len(record.years)


@pytest.mark.parametrize("seed", [3, 2016])
def test_the_plan_is_the_same_economy_in_both_models(seed):
    assert_same_economy(*both(plan(), seed, 600))


def test_a_sample_of_the_province_scales_budgets_and_counts_alike():
    # 1,500 of the data's 9,226 firms: budgets, the fund and firm counts times f, rounded
    assert_same_economy(*both(plan(), 7, 1500, province=9226))


def test_the_other_call_and_carry_over_rules_agree():
    assert_same_economy(*both(rules_variant(), 1, 500))


def test_cluster_fund_cohorts_agree_when_they_matter():
    # a strong entry response makes the cohorts a visible part of the actual world
    fast, record, classic, ref = both(plan(fund_entry_effect=200.0), 11, 600)
    assert sum(classic.province.cohort_count) > 20
    assert_same_economy(fast, record, classic, ref)


def test_the_reference_shares_no_code_with_the_production_economy():
    allowed = {"mfgplan.inputs", "mfgplan.economy.economy"}
    for path in sorted((ROOT / "benchmarks" / "classic").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mfgplan"):
                assert any(node.module.startswith(a) for a in allowed), (path.name, node.module)
                if node.module == "mfgplan.economy.economy":
                    # the random-stream layout, nothing else
                    assert [a.name for a in node.names] == ["spawn_streams"], path.name
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("mfgplan") for a in node.names), path.name


@pytest.mark.slow
def test_the_full_population_is_the_same_economy():
    # the data's 9,226 firms: more sets, calls and entrants than any small run meets (~25 s)
    assert_same_economy(*both(plan(), 2016, 9226))
