"""The production model against its oracle, the classic-Mesa rendering of the same rules.

Both run the plan scenario from the same seed on a small population; every annual aggregate of
both worlds, the ledger and the classic model's DataCollector must agree. A difference means the
vectorised rules drifted from the per-agent ones (or the other way round).
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.reference import ClassicEconomy
from mfgplan.economy.economy import ManufacturingEconomy
from mfgplan.economy.firm_dynamics import FirmDynamics
from mfgplan.inputs.scenario import load_scenario
from tests.conftest import flat_baseline

RECORD_FIELDS = (
    "va_actual", "va_baseline", "sei_actual", "sei_baseline", "hightech_actual",
    "hightech_baseline", "cnc_actual", "cnc_baseline", "rd_actual", "rd_baseline",
    "firms_actual", "firms_baseline", "tax_expenditure_actual", "tax_expenditure_baseline",
    "fund_equity", "cluster_equity", "awards", "additional_projects", "deadweight_projects",
)  # fmt: skip


@pytest.mark.parametrize("seed", [3, 2016])
def test_classic_mesa_rendering_gives_the_same_aggregates(seed):
    scenario = load_scenario("scenarios/plan-2016.yaml").scenario
    baseline = flat_baseline()
    fast = ManufacturingEconomy(
        scenario, baseline, np.random.SeedSequence(seed), n_firms=600, firm_dynamics=FirmDynamics
    )
    classic = ClassicEconomy(scenario, baseline, np.random.SeedSequence(seed), n_firms=600)
    a, b = fast.run(), classic.run()
    # the same arithmetic on the same draws: equal to the last bit
    for name in RECORD_FIELDS:
        np.testing.assert_array_equal(getattr(b, name), getattr(a, name), err_msg=name)
    for name in ("committed", "paid", "lapsed"):
        np.testing.assert_array_equal(
            getattr(b.ledger, name), getattr(a.ledger, name), err_msg=name
        )
    assert fast.projects.n == classic.projects.n > 0
    # the classic model's DataCollector walks the agents: it sees the same economy
    frame = classic.datacollector.get_model_vars_dataframe()
    assert len(frame) == len(a.years) - 1
    np.testing.assert_array_equal(frame["enterprises"].to_numpy(), a.firms_baseline[1:])
    np.testing.assert_allclose(
        frame["value_added_no_programme"].to_numpy(), a.va_baseline[1:].sum(axis=1), rtol=1e-9
    )
    np.testing.assert_allclose(frame["business_rd"].to_numpy(), a.rd_actual[1:], rtol=1e-9)
    assert len(classic.agents) == fast.firms.n_alive
