"""Attribution: sums and signs on a small synthetic model with known answers, and the
variants it runs."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from mfgplan.analysis.attribution import (
    INSTRUMENTS,
    NATIONAL_INSTRUMENTS,
    OUTCOMES,
    PROVINCIAL_INSTRUMENTS,
    Variant,
    attribution_table,
    variants,
)
from mfgplan.inputs.parameters import Scenario
from mfgplan.inputs.programme import GRANT_INSTRUMENTS

YEARS = np.arange(2015, 2026)
N_REP = 6
#: known per-year effect of each instrument on every outcome's level (negative: crowding out)
EFFECT = {name: 1e9 * (k + 1) for k, name in enumerate(INSTRUMENTS)}
EFFECT["major_project_support"] = -2e9
PAID = {name: 1e8 * (k + 1) for k, name in enumerate(INSTRUMENTS)}
#: per-year effect of the pre-plan policy mix (the counterfactual programme) on every outcome
PRE_PLAN = 4e9


def synthetic(
    effects: dict[str, float], interaction: float = 0.0, counterfactual: float | None = None
) -> xr.Dataset:
    """A results dataset whose world is a level with nothing plus ``effects`` (per year from
    2016, on every outcome) plus ``interaction``; its counterfactual is the level plus the
    national effect and the pre-plan mix's (``counterfactual``, default ``PRE_PLAN``)."""
    rng = np.random.default_rng(1)
    level = 1e12 + 1e10 * rng.standard_normal((N_REP, 1)) + 1e10 * np.arange(YEARS.size)
    active = (YEARS >= 2016).astype(float)
    total = sum(effects.values()) + interaction
    cf = (PRE_PLAN if counterfactual is None else counterfactual) + EFFECT["rd_super_deduction"]
    data = {}
    for name in ("manufacturing_va", "industrial_va"):
        data[name] = level + total * active
        data[f"{name}_counterfactual"] = level + cf * active
    for name in ("sei_share", "hightech_share", "cnc_rate"):
        # shares: the effect in fraction is effect / 1e12 (so 1e9 yuan -> 0.001)
        base = 0.2 + 0 * level
        data[name] = base + total / 1e12 * active
        data[f"{name}_counterfactual"] = base + cf / 1e12 * active
    ds = xr.Dataset(
        {k: (("replicate", "year"), v) for k, v in data.items()},
        coords={"replicate": np.arange(N_REP), "year": YEARS,
                "instrument": list(GRANT_INSTRUMENTS), "sector": ["a", "b"]},
    )  # fmt: skip
    paid = np.zeros((N_REP, YEARS.size, len(GRANT_INSTRUMENTS), 2))
    for k, name in enumerate(GRANT_INSTRUMENTS):
        if name in effects:
            paid[:, 1, k, 0] = PAID[name]
    ds["grant_paid"] = (("replicate", "year", "instrument", "sector"), paid)
    equity = np.zeros((N_REP, YEARS.size))
    equity[:, 1] = PAID["investment_fund"] / 0.3 if "investment_fund" in effects else 0.0
    ds["fund_equity"] = (("replicate", "year"), equity)
    tax = np.zeros((N_REP, YEARS.size))
    tax[:, 1] = PAID["rd_super_deduction"] if "rd_super_deduction" in effects else 0.0
    ds["rd_tax_expenditure"] = (("replicate", "year"), tax)
    projects = np.zeros((N_REP, YEARS.size, len(GRANT_INSTRUMENTS)))
    ds["deadweight_projects"] = (("replicate", "year", "instrument"), projects + 1.0)
    ds["additional_projects"] = (("replicate", "year", "instrument"), projects + 3.0)
    return ds


@pytest.mark.parametrize("interaction", [0.0, 5e9])
def test_attribution_sums_and_signs(interaction):
    scenario = Scenario(title="t")
    datasets = {"full": synthetic(EFFECT, interaction)}
    labels = [Variant("full", None, "full", scenario)]
    for name in INSTRUMENTS:
        rest = {k: v for k, v in EFFECT.items() if k != name}
        datasets[f"{name}:off"] = synthetic(rest, interaction)
        labels.append(Variant(f"{name}:off", name, "off", scenario))
    # all provincial money off: the national rule's effect alone, no interaction
    datasets["province:off"] = synthetic({"rd_super_deduction": EFFECT["rd_super_deduction"]})
    labels.append(Variant("province:off", None, "off", scenario))
    table = attribution_table(datasets, labels, scenario, seed=0, n_boot=200)
    cumulative = table[table["outcome"] == "industrial_va_cumulative"].set_index("instrument")
    active_years = int((YEARS >= 2016).sum())
    for name in INSTRUMENTS:
        row = cumulative.loc[name]
        expected = EFFECT[name] * active_years
        assert row["effect_mean"] == pytest.approx(expected)
        # the same in every replicate: a zero-width interval
        assert row["effect_low"] == pytest.approx(expected)
        assert np.sign(row["effect_mean"]) == np.sign(EFFECT[name])
        assert row["fiscal_cost"] == pytest.approx(PAID[name])
        assert row["per_100m_yuan"] == pytest.approx(expected * 1e8 / PAID[name])
    assert cumulative.loc["investment_fund", "money_paid"] == pytest.approx(
        PAID["investment_fund"] / 0.3
    )
    # by hand: the provincial lines are 1..11 bn a year (major projects, the 9th, -2 instead
    # of 9): 66 - 9 - 2 = 55 bn a year; the national rule (12 bn) is in no provincial row
    assert PROVINCIAL_INSTRUMENTS[-1] == "investment_fund"
    assert NATIONAL_INSTRUMENTS == ("rd_super_deduction",)
    provincial = 55e9 * active_years
    assert sum(EFFECT[n] for n in PROVINCIAL_INSTRUMENTS) == 55e9
    assert cumulative.loc["sum of provincial instruments", "effect_mean"] == pytest.approx(
        provincial
    )
    assert cumulative.loc["all provincial money", "effect_mean"] == pytest.approx(
        provincial + interaction * active_years
    )
    assert cumulative.loc["interaction", "effect_mean"] == pytest.approx(
        interaction * active_years, abs=1.0
    )
    # against the counterfactual the pre-plan mix's 4 bn a year is not counted as new
    assert cumulative.loc["plan against its counterfactual", "effect_mean"] == pytest.approx(
        (55e9 + interaction - 4e9) * active_years
    )
    shares = table[table["outcome"] == "cnc_rate_2020"].set_index("instrument")
    # percentage points: 1e9 yuan of effect is 0.001 of the share, i.e. 0.1 points
    assert shares.loc["tech_retrofit_grant", "effect_mean"] == pytest.approx(0.1)
    # deadweight: 1 of 4 supported projects would have gone ahead anyway
    assert cumulative.loc["tech_retrofit_grant", "deadweight_share"] == pytest.approx(0.25)
    assert np.isnan(cumulative.loc["investment_fund", "deadweight_share"])
    assert set(table["outcome"]) == set(OUTCOMES)


def test_variants_of_the_plan():
    scenario = Scenario(title="plan defaults")
    variant_list, notes = variants(scenario)
    labels = [v.label for v in variant_list]
    assert labels[0] == "full"
    for name in INSTRUMENTS:
        assert f"{name}:off" in labels
    off = next(v for v in variant_list if v.label == "tech_retrofit_grant:off").scenario
    assert off.programme.allocation.tech_retrofit_grant == 0.0
    assert off.programme.annual_budget == scenario.programme.annual_budget
    plus = next(v for v in variant_list if v.label == "tech_retrofit_grant:plus")
    assert plus.extra_allocation == pytest.approx(0.1 * 4.7e8 * 5)
    # lines at their count x amount limit cannot take more money: said in a note
    assert "it_integration_demo_award:plus" not in labels
    assert any(
        n.startswith("it_integration_demo_award: 10% more money is not allowed") for n in notes
    )
    fund_off = next(v for v in variant_list if v.label == "investment_fund:off").scenario
    assert fund_off.programme.investment_fund.size == 0.0
    tax_off = next(v for v in variant_list if v.label == "rd_super_deduction:off").scenario
    assert tax_off.national_policy.rd_super_deduction_rate == 0.0


def test_scenario_assumptions_as_uncertain_inputs():
    from mfgplan.analysis.planning import apply_factors, scenario_factors

    scenario = Scenario(title="plan defaults")
    factors = {f.name: f for f in scenario_factors(scenario)}
    fee = factors["programme.instruments.loan_guarantee_subsidy.fee_rate"]
    # +-25% of the scenario's value (0.02), an assumption
    assert (fee.low, fee.high) == pytest.approx((0.015, 0.025))
    assert "assumption" in fee.source
    # amounts per count set the plan's limits and are not varied; plan-sourced rates neither
    assert not any(n.endswith(("per_park", "support_per_project")) for n in factors)
    assert "programme.instruments.tech_retrofit_grant.matching_rate" not in factors
    changed = apply_factors(
        scenario, ["programme.instruments.loan_guarantee_subsidy.fee_rate", "exit_rate"],
        [0.025, 0.05],
    )  # fmt: skip
    assert changed.programme.instruments.loan_guarantee_subsidy.fee_rate == 0.025
    assert changed.behaviour.exit_rate == 0.05
    assert scenario.programme.instruments.loan_guarantee_subsidy.fee_rate == 0.02
