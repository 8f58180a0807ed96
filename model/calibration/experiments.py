"""Virtual experiments: published quasi-experiments on Chinese firms, re-run on the model's firms.

Indirect inference (Gourieroux, Monfort & Renault 1993): apply the study's policy change to the
model's firms (a world without the provincial programme plus that change), sample the firms as
the study did, run the study's estimator on the simulated panel (:mod:`mfgplan.calibration.panel`)
and compare the simulated estimate and its spread over the calibrated parameter sets with the
published estimate (``calibration/evidence/published.csv``: every number, where it was read).
Each replicate ``r`` draws parameter set ``r mod size`` of the calibration's sample, so the
simulated range carries the parameters' uncertainty and the simulated study's sampling noise.

The designs (each an assumption where the study's own detail could not be read):

``vat_reform`` (Liu & Mao 2019; Zhang, Chen & He 2018)
    From 2019 the firms of the VAT-pilot industries (:data:`VAT_PILOT_SECTORS`) deduct input VAT
    on equipment: a credit of ``17/117 x 0.6 = 8.7%`` of a project's investment (the 17% VAT
    rate; equipment 60% of fixed investment, assumption) in the project's valuation
    (:meth:`~mfgplan.economy.firm_dynamics.FirmDynamics.investment_credit`). Balanced panel
    2016-2022, pre 2016-2018, post 2019-2022. Investment: the difference-in-differences of group
    means in logs (:func:`~mfgplan.calibration.panel.ratio_did`; the studies take logs of
    firm-level investment over investing firms, the model's projects are lumpy), less the same
    estimate in the world without the reform (parallel trends, which the studies assume; the
    model's sectors grow at their own rates). TFP: two-way fixed effects on
    ``ln TFP = ln Y0 + u_A`` with the sector-year mean of ``ln Y0`` removed (the same reason).
    User-cost elasticity: the investment effect over ``-ln(1 - 0.087)``.
``super_deduction`` (Qian, Zhan & Pan 2023; the real response of Chen et al. 2021)
    From 2018 the super-deduction rises from 50% to 75% of expensed R&D; treated: R&D performers
    that claim it (taxable and claiming), controls: the other R&D performers. Two-way fixed
    effects on ``ln R&D``, 2016-2021; the elasticity is the effect over the fall of the log tax
    price, ``ln(0.8333 / 0.75) = 0.105`` (:func:`~mfgplan.economy.rules.tax_price`, 25% CIT).
``plan_peers_selection`` (Liu et al. 2025; Boeing 2016; Branstetter, Li & Ren 2023) and
``plan_tfp`` (Liu & Ren 2025; Li & Branstetter 2024)
    The plan scenario's own world (its actual world, the scenario's instruments). Peers: non-pilot
    firms whose city-and-sector cell has an intelligent-manufacturing demonstration firm from
    the year before; two-way fixed effects on intelligent-equipment projects started in the
    year, 2016-2020. Selection: over all firm-years (the studies take all listed firms), a linear
    probability model of an award on last year's log value added, last year's prior-support flag
    and last year's TFP growth, with year effects. TFP: two-way fixed effects on ``ln TFP`` of
    the key-area sectors (the plan's targets) against the others, 2015 before, 2016-2020 after,
    with the sectors' own baseline growth removed from ``ln Y0`` (the studies' parallel trends;
    otherwise the model's sector growth rates would pass for a policy effect).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mfgplan.calibration.forecast import BaselineFit
from mfgplan.calibration.panel import balanced, linear_probability, ratio_did, simulate_panel, twfe
from mfgplan.calibration.worlds import calibration_scenario
from mfgplan.economy.compiled import CompiledFirmDynamics
from mfgplan.economy.rules import tax_price
from mfgplan.inputs.parameters import Scenario
from mfgplan.inputs.sample import ParameterSample
from mfgplan.inputs.sectors import SECTORS

__all__ = [
    "EXPERIMENTS",
    "PUBLISHED",
    "VAT_PILOT_SECTORS",
    "ExperimentContext",
    "VatReformDynamics",
    "published_table",
    "run_experiment",
]

#: the published estimates (figures and where they were read)
PUBLISHED = Path(__file__).resolve().parents[2] / "calibration" / "evidence" / "published.csv"

#: sector groups of the 2004-2009 VAT pilot industries (equipment manufacturing, petrochemicals,
#: metallurgy, agricultural processing, shipbuilding, automobiles; Liu & Mao 2019 Online
#: Appendix Table A1), mapped to the model's groups (assumption: a group is in if most of its
#: value added is in a pilot industry)
VAT_PILOT_SECTORS = (
    "nonferrous_metals", "automobiles", "energy_saving_equipment", "special_ships",
    "intelligent_equipment_robots", "food_beverages_tobacco", "textiles_apparel",
    "petrochemicals_chemicals", "steel", "machinery_electrical_other", "biomedicine",
)  # fmt: skip
#: the year the virtual VAT reform starts, and the credit [share of a project's investment]
VAT_YEAR = 2019
VAT_CREDIT = 17.0 / 117.0 * 0.6
#: the virtual super-deduction reform: year, rate before and after [share of expensed R&D]
SD_YEAR, SD_BEFORE, SD_AFTER = 2018, 0.5, 0.75
#: corporate income tax rate of the tax price [fraction] (the Enterprise Income Tax Law)
CIT = 0.25


@dataclass(frozen=True)
class ExperimentContext:
    """What every virtual experiment needs (picklable, sent once per worker)."""

    fit: BaselineFit
    parameters: ParameterSample | None
    plan: Scenario
    n_firms: int
    province_firms: int
    root_seed: int
    #: every replicate on this replicate's random numbers (common random numbers across
    #: parameter sets, as the calibration's evidence stage needs); ``None``: replicate ``r``'s own
    common_seed: int | None = None


class VatReformDynamics(CompiledFirmDynamics):
    """The firm phases with the VAT reform's equipment credit for the pilot industries."""

    def investment_credit(self, year: int, slots: np.ndarray) -> np.ndarray | float:
        """:data:`VAT_CREDIT` for the pilot sectors from :data:`VAT_YEAR`, else 0."""
        if year < VAT_YEAR:
            return 0.0
        pilot = np.array([s.name in VAT_PILOT_SECTORS for s in SECTORS])
        return np.where(pilot[self.firms.sector[slots]], VAT_CREDIT, 0.0)


def _with_parameters(scenario: Scenario, ctx: ExperimentContext, replicate: int) -> Scenario:
    if ctx.parameters is None:
        return scenario
    updates = ctx.parameters.behaviour_updates(replicate % ctx.parameters.size)
    return scenario.model_copy(update={"behaviour": scenario.behaviour.model_copy(update=updates)})


def _no_programme(horizon: int, super_deduction: object = None) -> Scenario:
    scenario = calibration_scenario(2015)
    policy = scenario.national_policy
    if super_deduction is not None:
        policy = policy.model_copy(update={"rd_super_deduction_rate": super_deduction})
    return scenario.model_copy(update={"horizon": horizon, "national_policy": policy})


def _panel(
    scenario: Scenario, ctx: ExperimentContext, replicate: int, **kw: object
) -> pd.DataFrame:
    seed_replicate = replicate if ctx.common_seed is None else ctx.common_seed
    return simulate_panel(
        _with_parameters(scenario, ctx, replicate), ctx.fit, ctx.root_seed, seed_replicate,
        ctx.n_firms, province_firms=ctx.province_firms, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def _log_tfp(panel: pd.DataFrame) -> pd.Series:
    """``ln TFP = ln Y0 + u_A`` [log points]: the no-programme VA carries the firm's own draws."""
    return np.log(panel["va_base"]) + panel["uplift_tfp"]


def _parallel_log_tfp(panel: pd.DataFrame) -> pd.Series:
    """``ln TFP`` with the sectors' own baseline growth removed [log points].

    The studies assume parallel trends; the model's sectors grow at their own rates
    (``relative_growth``), which a DiD between sectors would take for a policy effect. So the
    sector-year mean of ``ln Y0`` (no policy in it) is removed and ``u_A`` kept.
    """
    log_y0 = np.log(panel["va_base"])
    trend = log_y0.groupby([panel["sector"], panel["year"]]).transform("mean")
    return log_y0 - trend + panel["uplift_tfp"]


def vat_reform(ctx: ExperimentContext, replicate: int) -> dict[tuple[str, str], float]:
    """The VAT reform's investment and TFP effects (see the module doc)."""
    scenario = _no_programme(2022)
    panel = balanced(_panel(scenario, ctx, replicate, firm_dynamics=VatReformDynamics),
                     range(2016, 2023))  # fmt: skip
    pilot = {k for k, s in enumerate(SECTORS) if s.name in VAT_PILOT_SECTORS}
    panel["treated"] = panel["sector"].isin(pilot)
    panel["post"] = panel["year"] >= VAT_YEAR
    panel["reform"] = (panel["treated"] & panel["post"]).astype(float)
    panel["log_tfp"] = _parallel_log_tfp(panel)
    # parallel trends: the same design on the world without the reform (the sectors' own
    # growth) taken out
    investment = ratio_did(panel, "investment", "treated", "post") - ratio_did(
        panel, "investment_base", "treated", "post"
    )
    tfp = twfe(panel, "log_tfp", "reform")
    return {
        ("liu_mao_2019", "investment_effect"): investment,
        ("liu_mao_2019", "tfp_effect"): tfp.value,
        ("zhang_chen_he_2018", "investment_effect"): 100.0 * float(np.expm1(investment)),
        ("zhang_chen_he_2018", "user_cost_elasticity"): investment / -np.log1p(-VAT_CREDIT),
    }


def super_deduction(ctx: ExperimentContext, replicate: int) -> dict[tuple[str, str], float]:
    """The elasticity of R&D to the tax price under a super-deduction rise (module doc)."""
    rates = {y: (SD_AFTER if y >= SD_YEAR else SD_BEFORE) for y in range(2016, 2022)}
    panel = _panel(_no_programme(2021, rates), ctx, replicate)
    panel = balanced(panel[panel["rd_performer"] & (panel["rd"] > 0)], range(2016, 2022))
    panel["reform"] = (
        (panel["claims_deduction"] & panel["taxable"]) & (panel["year"] >= SD_YEAR)
    ) * 1.0
    panel["log_rd"] = np.log(panel["rd"])
    effect = twfe(panel, "log_rd", "reform").value
    fall = float(np.log(tax_price(CIT, SD_BEFORE, 1.0) / tax_price(CIT, SD_AFTER, 1.0)))
    elasticity = effect / fall
    return {
        ("qian_zhan_pan_2023", "rd_elasticity_2013"): elasticity,
        ("qian_zhan_pan_2023", "rd_elasticity_2016"): elasticity,
        # the model's R&D is real R&D: Chen et al.'s real response is the like-for-like number
        ("chen_liu_serrato_xu_2021", "real_rd_user_cost_elasticity"): elasticity,
    }


def plan_peers_selection(ctx: ExperimentContext, replicate: int) -> dict[tuple[str, str], float]:
    """Peers of demonstration firms and the selection of awards, in the plan's own world."""
    panel = _panel(ctx.plan, ctx, replicate)
    panel = panel[panel["year"] <= 2020].copy()
    out: dict[tuple[str, str], float] = {}
    # peers: exposure from the year after a pilot appears in the cell
    panel["cell"] = panel["sector"].astype(int) * 100 + panel["city"].astype(int)
    pilots = panel[panel["im_demo"]].groupby(["cell", "year"]).size().rename("pilots")
    lagged = pilots.reset_index().assign(year=lambda d: d["year"] + 1)
    panel = panel.merge(lagged, on=["cell", "year"], how="left").fillna({"pilots": 0})
    ever_pilot = panel.groupby("firm_id")["im_demo"].transform("max").astype(bool)
    peers = balanced(panel[~ever_pilot], range(2016, 2021))
    peers["exposed"] = (peers["pilots"] > 0) * 1.0
    out[("liu_chao_mbanyele_zhu_huang_2025", "peer_intelligent_transformation")] = twfe(
        peers, "intelligent", "exposed"
    ).t
    # selection: last year's size, prior support and TFP growth
    panel = panel.sort_values(["firm_id", "year"])
    panel["log_tfp"] = _log_tfp(panel)
    by_firm = panel.groupby("firm_id")
    panel["size_lag"] = by_firm["va"].shift(1).pipe(np.log)
    panel["prior_lag"] = by_firm["prior_support"].shift(1)
    panel["tfp_growth_lag"] = by_firm["log_tfp"].shift(1) - by_firm["log_tfp"].shift(2)
    # all firms, as the studies' samples of listed firms (not only those that applied)
    rows = panel.dropna(subset=["size_lag", "prior_lag", "tfp_growth_lag"])
    rows = rows.assign(awarded=(rows["awarded"] > 0) * 1.0, prior_lag=rows["prior_lag"] * 1.0)
    if len(rows) > 20 and rows["awarded"].nunique() > 1:
        sel = linear_probability(rows, "awarded", ["size_lag", "prior_lag", "tfp_growth_lag"])
        out[("branstetter_li_ren_2023", "selection_size")] = sel["size_lag"].t
        out[("boeing_2016", "selection_prior_grants")] = sel["prior_lag"].t
        out[("branstetter_li_ren_2023", "selection_lagged_tfp")] = sel["tfp_growth_lag"].t
    return out


def plan_tfp(ctx: ExperimentContext, replicate: int) -> dict[tuple[str, str], float]:
    """TFP in the plan's targeted (key-area) sectors against the others, in the plan's world."""
    base = _panel(ctx.plan, ctx, replicate, include_base_year=True)
    base = balanced(base[base["year"] <= 2020], range(2015, 2021))
    key = {k for k, s in enumerate(SECTORS) if s.key_area}
    base["reform"] = (base["sector"].isin(key) & (base["year"] >= 2016)) * 1.0
    base["log_tfp"] = _parallel_log_tfp(base)
    t = twfe(base, "log_tfp", "reform").t
    return {("liu_ren_2025", "tfp_effect"): t, ("li_branstetter_2024", "tfp_effect"): t}


#: experiment name -> its design (each returns ``{(study, quantity): estimate}`` per replicate;
#: for sign-only quantities the estimate is the t statistic)
EXPERIMENTS: dict[str, Callable[[ExperimentContext, int], dict[tuple[str, str], float]]] = {
    "vat_reform": vat_reform,
    "super_deduction": super_deduction,
    "plan_peers_selection": plan_peers_selection,
    "plan_tfp": plan_tfp,
}


def run_experiment(ctx: ExperimentContext, task: tuple[str, int]) -> dict[tuple[str, str], float]:
    """One replicate of one experiment (a top-level function, for worker processes)."""
    name, replicate = task
    return EXPERIMENTS[name](ctx, replicate)


def published_table(path: Path = PUBLISHED) -> pd.DataFrame:
    """The published estimates, one row per study and quantity."""
    return pd.read_csv(path, dtype={"sign": str}, keep_default_na=False, na_values=[""])
