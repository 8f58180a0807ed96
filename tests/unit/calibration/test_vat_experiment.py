"""The virtual VAT reform reaches all fixed investment, as the studies measure it."""

from __future__ import annotations

import numpy as np
import pytest

from mfgplan.calibration.experiments import (
    VAT_CREDIT,
    VAT_PILOT_SECTORS,
    VatReformDynamics,
    _no_programme,
)
from mfgplan.calibration.forecast import fit_baseline
from mfgplan.calibration.panel import simulate_panel
from mfgplan.economy.replicate import replicate_economy
from mfgplan.inputs.sectors import SECTORS


@pytest.fixture(scope="module")
def fit():
    return fit_baseline(as_of=2015)


def test_the_credit_opens_the_capital_gap_of_the_pilot_sectors_only(fit):
    model = replicate_economy(_no_programme(2022), fit, 5, 0, 400, firm_dynamics=VatReformDynamics)
    for _ in range(model.n_quarters):
        model.step()
    f = model.firms
    live = f.live_slots()
    pilot = np.array([s.name in VAT_PILOT_SECTORS for s in SECTORS])[f.sector[live]]
    # the credit runs 2019-2022, 16 quarters, at the catalogue's eps = 1.5, lambda = 0.22:
    # e = -1.5 ln(1 - 0.08718) (1 - 0.78^k) after k years, by hand 0.13679 x (1 - 0.78^k):
    # 0.08616 for the firms there from the start (k = 4); entrants of 2019-2021 have had 3, 2
    # or 1 years (0.07190, 0.05357, 0.03009), those of the end of 2022 none
    assert abs(VAT_CREDIT - 0.087179) < 1e-6
    start = f.firm_id[live] < 400
    np.testing.assert_allclose(f.capital_gap[live][pilot & start], 0.08616, atol=2e-5)
    ladder = np.array([0.0, 0.03009, 0.05357, 0.07190, 0.08616])
    nearest = np.abs(f.capital_gap[live][pilot][:, None] - ladder).min(axis=1)
    assert nearest.max() < 2e-5
    assert np.all(f.capital_gap[live][~pilot] == 0.0)


def test_routine_investment_is_most_of_the_panels_investment(fit):
    panel = simulate_panel(_no_programme(2018), fit, 5, 0, 400)
    share = panel["investment_projects"].sum() / panel["investment"].sum()
    # projects are a few per cent of capital a year, routine investment about 16% (8% growth):
    # the projects' share of fixed investment is well under a quarter
    assert 0.0 < share < 0.25
    # without the reform both worlds invest alike
    np.testing.assert_allclose(panel["investment"], panel["investment_base"])
