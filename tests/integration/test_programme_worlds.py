"""Several programme worlds on one no-programme world give each world its own record.

A scenario and its counterfactual run as the programme worlds of one economy
(``ManufacturingEconomy(..., worlds=...)``): the no-programme world is drawn and advanced once.
The check is against an independent record, each scenario in an economy of its own (the way
every run was made before the worlds shared): every array of every world's record, the ledger
included, must be the same to the last bit, for the plan against its counterfactuals, a
national tax change, every call and rationing rule, and a world where cluster-fund cohorts and
the population's growth beyond the first table's capacity matter.
"""

from __future__ import annotations

import gc
import weakref
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from mfgplan.economy.economy import ManufacturingEconomy, shares_no_programme_world
from mfgplan.economy.firm_dynamics import FirmDynamics
from mfgplan.economy.firms import WORLD_FIELDS, FirmTable
from mfgplan.economy.record import ReplicateRecord
from mfgplan.inputs.scenario import load_scenario
from tests.conftest import flat_baseline, strict_rules

ROOT = Path(__file__).resolve().parents[2]


def scenario(name: str, **behaviour: float) -> object:
    loaded = load_scenario(ROOT / "scenarios" / f"{name}.yaml").scenario
    if behaviour:
        loaded = loaded.model_copy(
            update={"behaviour": loaded.behaviour.model_copy(update=behaviour)}
        )
    return loaded


def with_programme(base: object, name: str) -> object:
    """``base`` with the programme of scenario ``name`` (as a counterfactual is built)."""
    return base.model_copy(update={"programme": scenario(name).programme})


def tax_change(base: object) -> object:
    """The super-deduction raised to 75% from 2018 (a national change, actual world only)."""
    national = base.national_policy.model_copy(
        update={"rd_super_deduction_rate": {2016: 0.5, 2018: 0.75}}
    )
    return base.model_copy(update={"national_policy": national})


def assert_same_record(alone: ReplicateRecord, shared: ReplicateRecord) -> None:
    for f in fields(ReplicateRecord):
        a, b = getattr(alone, f.name), getattr(shared, f.name)
        if f.name == "ledger":
            for name, value in vars(a).items():
                other = vars(b)[name]
                if isinstance(value, np.ndarray):
                    assert np.array_equal(value, other), f"ledger.{name}"
                else:
                    assert value == other, f"ledger.{name}"
        elif isinstance(a, np.ndarray):
            assert np.array_equal(a, b), f.name
        else:
            assert a == b, f.name


def run_alone(s: object, seed: int, n: int) -> ReplicateRecord:
    return ManufacturingEconomy(s, flat_baseline(), np.random.SeedSequence(seed), n).run()


def run_shared(worlds: list, seed: int, n: int) -> list[ReplicateRecord]:
    model = ManufacturingEconomy(
        worlds[0], flat_baseline(), np.random.SeedSequence(seed), n, worlds=worlds[1:]
    )
    model.run()
    return model.records


def cases() -> dict[str, list]:
    plan = scenario("plan-2016")
    national = tax_change(plan)
    strict = strict_rules(scenario("demonstration-heavy"))
    cohorts = scenario("cluster-innovation-heavy", fund_entry_effect=200.0)
    return {
        # the plan, its counterfactual programme, and no programme at all
        "plan": [plan, with_programme(plan, "pre-plan"), with_programme(plan, "no-programme")],
        # a national change: the counterfactual under the base year's rules and under the new
        "national": [
            national,
            with_programme(plan, "pre-plan"),
            with_programme(national, "pre-plan"),
        ],
        # the first world need not have the most programme
        "rules": [with_programme(strict, "pre-plan"), strict],
        "cohorts": [cohorts, with_programme(cohorts, "pre-plan")],
    }


@pytest.mark.parametrize("case", ["plan", "national", "rules", "cohorts"])
@pytest.mark.parametrize("seed", [3, 2016])
def test_each_world_gets_the_record_of_its_own_economy(case: str, seed: int) -> None:
    worlds = cases()[case]
    n = 600
    shared = run_shared(worlds, seed, n)
    assert len(shared) == len(worlds)
    for s, record in zip(worlds, shared, strict=True):
        assert_same_record(run_alone(s, seed, n), record)


def test_the_worlds_differ_where_their_programmes_do() -> None:
    # not one record three times: the plan's money buys projects the others do not have
    records = run_shared(cases()["plan"], 3, 600)
    additional = [r.additional_projects.sum() for r in records]
    assert additional[0] > additional[1] > 0 and additional[2] == 0
    assert np.array_equal(records[0].va_baseline, records[2].va_baseline)
    assert not np.array_equal(records[0].va_actual, records[2].va_actual)


def test_a_population_that_outgrows_its_table_grows_every_world() -> None:
    # 300 firms at 30% entry a year outgrow the first table (capacity 2 x 300) in a few years
    plan = scenario("plan-2016", entry_rate=0.3)
    worlds = [plan, with_programme(plan, "pre-plan")]
    model = ManufacturingEconomy(
        plan, flat_baseline(), np.random.SeedSequence(5), 300, worlds=worlds[1:]
    )
    start = model.firms.capacity
    model.run()
    assert model.firms.capacity > start
    for s, record in zip(worlds, model.records, strict=True):
        assert_same_record(run_alone(s, 5, 300), record)


def test_only_scenarios_that_differ_in_programme_and_tax_can_share() -> None:
    plan = scenario("plan-2016")
    assert shares_no_programme_world(plan, with_programme(plan, "pre-plan"))
    assert shares_no_programme_world(plan, tax_change(plan))
    other_behaviour = scenario("plan-2016", entry_rate=0.2)
    assert not shares_no_programme_world(plan, other_behaviour)
    national = plan.national_policy.model_copy(update={"corporate_income_tax_rate": 0.15})
    other_tax = plan.model_copy(update={"national_policy": national})
    assert not shares_no_programme_world(plan, other_tax)
    with pytest.raises(ValueError, match="needs an economy of its own"):
        ManufacturingEconomy(
            plan, flat_baseline(), np.random.SeedSequence(1), 100, worlds=[other_behaviour]
        )
    with pytest.raises(ValueError, match="cannot carry further programme worlds"):
        ManufacturingEconomy(
            plan, flat_baseline(), np.random.SeedSequence(1), 100,
            firm_dynamics=FirmDynamics, worlds=[with_programme(plan, "pre-plan")],
        )  # fmt: skip


def test_a_further_world_cannot_draw_the_no_programme_streams() -> None:
    plan = scenario("plan-2016")
    model = ManufacturingEconomy(
        plan, flat_baseline(), np.random.SeedSequence(1), 100,
        worlds=[with_programme(plan, "pre-plan")],
    )  # fmt: skip
    further = model.worlds[1].dynamics
    assert set(further.streams) == {"first_of_kind", "selection", "programme", "induced", "scaling"}
    with pytest.raises(KeyError):
        further.exiting()


def test_a_world_table_shares_the_no_programme_fields_and_owns_the_rest() -> None:
    lead = FirmTable(4)
    slots = lead.allocate(3)
    lead.va_base[slots] = [1.0, 2.0, 3.0]
    lead.cnc[slots] = [0.1, 0.2, 0.3]
    world = lead.programme_world()
    # its own copy of what a programme can change, the lead's arrays for the rest
    assert world.cnc.tolist() == lead.cnc.tolist() and world.cnc is not lead.cnc
    assert world.va_base is lead.va_base and world.high_water == 3
    world.cnc[0] = 0.9
    assert lead.cnc[0] == 0.1
    # entrants enter through the lead, which grows the world's fields and starts them alike
    new = lead.allocate(3)
    lead.cnc[new] = [0.4, 0.5, 0.6]
    lead.sync_worlds(new)
    assert lead.capacity == world.capacity == 8
    assert world.cnc[:6].tolist() == [0.9, 0.2, 0.3, 0.4, 0.5, 0.6]
    assert all(getattr(world, name).size == 8 for name in WORLD_FIELDS)
    assert world.n_alive == 6
    with pytest.raises(TypeError):
        world.allocate(1)


def test_a_finished_economy_frees_its_firms_without_the_cycle_collector() -> None:
    # the firm tables of every world go when the replicate does: a reference cycle between the
    # tables kept 8 to 18 replicates' firms alive in a worker (its memory grew 363 -> 486 MB
    # over 40 replicates of the plan) until Python's oldest generation was collected
    plan = scenario("plan-2016")
    gc.collect()
    gc.disable()
    try:
        model = ManufacturingEconomy(
            plan, flat_baseline(), np.random.SeedSequence(2), 300,
            worlds=[with_programme(plan, "pre-plan")],
        )  # fmt: skip
        model.run()
        tables = [weakref.ref(model.firms), weakref.ref(model.worlds[1].dynamics.firms)]
        model.release()
        del model
        assert [table() for table in tables] == [None, None]
    finally:
        gc.enable()
