"""Behavioural parameters of the enterprises in the catalogue (defaults before calibration).

Each parameter has units, bounds, a default (the literature's central value or an assumption),
a source and, where the calibration may move it, a plausible range (``prior``). Equations are
in ``model/ODD.md`` section 7; the calibration is ``calibration/METHOD.md``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import model_validator

from mfgplan.inputs.fields import AsTuple, Frozen, Money, P

__all__ = ["DATA_MOMENTS", "EVIDENCE_MOMENTS", "Behaviour", "identification"]

# --------------------------------------------------------------------------------------------
# Behaviour (defaults before calibration; see model/ODD.md for equations)
# --------------------------------------------------------------------------------------------


class Behaviour(Frozen):
    """Behavioural parameters of enterprises (defaults before calibration)."""

    # -- production and size
    capital_elasticity: float = P(
        0.40, units="-", source="standard (range 0.3-0.5)", prior=(0.3, 0.5),
        description="alpha in Y = A K^alpha.",
        ge=0.1, le=0.8,
    )  # fmt: skip
    capital_output_ratio: float = P(
        2.5, units="yuan capital per yuan VA per year", source="assumption (range 1.5-4)",
        prior=(1.5, 4.0),
        description="K/Y used to size capital.", ge=0.5, le=8.0,
    )  # fmt: skip
    capital_depreciation: float = P(
        0.02, units="1/quarter", source="standard (range 0.0125-0.025)",
        prior=(0.0125, 0.025),
        description="Depreciation of the capital a project adds.", ge=0.0, le=0.1,
    )  # fmt: skip
    idiosyncratic_sd: float = P(
        0.06, units="log points per year (sd/2 each quarter)",
        source="assumption; Zou (2019) range 0.04-0.15",
        prior=(0.04, 0.15),
        description="Sd of firms' idiosyncratic VA growth shocks (Gibrat).", ge=0.0, le=0.5,
    )  # fmt: skip
    size_sd: float = P(
        1.3, units="log revenue", source="Axtell (2001); range 1.0-1.6",
        prior=(1.0, 1.6),
        description="Sd of log revenue in the lognormal body of the size distribution.",
        ge=0.3, le=3.0,
    )  # fmt: skip
    pareto_tail_exponent: float = P(
        1.1, units="-", source="Axtell (2001); Heinrich & Dai (2016); range 1.0-1.5",
        prior=(1.0, 1.5),
        description="Pareto exponent of the size tail above the 95th percentile.", ge=0.8, le=3.0,
    )  # fmt: skip
    va_to_revenue: float = P(
        0.25, units="yuan VA per yuan revenue", source="yearbook range 0.22-0.28 (assumption)",
        prior=(0.22, 0.28),
        description="Value-added ratio used to turn VA into revenue.", ge=0.05, le=0.8,
    )  # fmt: skip
    # -- investment projects
    project_arrival_rate: float = P(
        0.12, units="1/quarter", source="assumption (range 0.06-0.2; calibrate to incidence)",
        prior=(0.06, 0.2),
        description="Probability a live firm draws an investment opportunity in a quarter "
        "(whether or not a project of it is under way).",
        ge=0.0, le=1.0,
    )  # fmt: skip
    project_size_log_mean: float = P(
        -1.9, units="log(I/K)", source="Cooper & Haltiwanger (2006): ln 0.15",
        prior=(-2.3, -1.5),
        description="Mean of log project investment relative to capital.", ge=-6.0, le=1.0,
    )  # fmt: skip
    project_size_log_sd: float = P(
        0.8, units="log(I/K)", source="Cooper & Haltiwanger (2006)",
        prior=(0.6, 1.0),
        description="Sd of log project investment relative to capital.", ge=0.0, le=3.0,
    )  # fmt: skip
    project_type_shares: Annotated[tuple[float, float, float, float], AsTuple] = P(
        (0.40, 0.25, 0.25, 0.10), units="fraction",
        source="assumption (retrofit, intelligent equipment, capacity, R&D equipment)",
        description="Shares of project types among arriving projects.",
    )  # fmt: skip
    hurdle_rate_mean: float = P(
        0.13, units="1/year (real)", source="Poterba & Summers (1995); Jagannathan et al. (2016)",
        prior=(0.08, 0.18),
        description="Mean required return of firms (the same for every ownership).",
        ge=0.0, le=0.5,
    )  # fmt: skip
    hurdle_rate_sd: float = P(
        0.04, units="1/year", source="Jagannathan et al. (2016)",
        prior=(0.02, 0.06),
        description="Sd of firms' hurdle rates.", ge=0.0, le=0.2,
    )  # fmt: skip
    real_options_premium: float = P(
        0.02, units="NPV per yuan invested", source="McDonald & Siegel (1986); range 0-0.08",
        prior=(0.0, 0.08),
        description="Extra NPV a firm requires before it invests (c_0).", ge=0.0, le=0.5,
    )  # fmt: skip
    investment_elasticity: float = P(
        1.5, units="-", source="Zhang et al. (2018); Liu & Mao (2019); range 1.0-1.84",
        prior=(1.0, 1.84),
        description="Elasticity of investment to its user cost; sets the logit scale.",
        ge=0.1, le=5.0,
    )  # fmt: skip
    capital_adjustment_speed: float = P(
        0.22, units="1/year",
        source="Sustainability 10(3) 886 (2018), flexible accelerator on China's capital: "
        "adjustment coefficient 0.22 (abstract); range 0.1-0.4 (assumption)",
        prior=(0.1, 0.4),
        description="lambda: share of the gap between desired and actual capital that routine "
        "investment closes in a year after a change of the user cost of capital.",
        ge=0.0, le=1.0,
    )  # fmt: skip
    small_firm_responsiveness: float = P(
        0.15, units="-", source="Criscuolo et al. (2019); Zwick & Mahon (2017); range 0-0.3",
        prior=(0.0, 0.3),
        description="kappa_tau: logit scale rises as (size/median)^-kappa for small firms.",
        ge=0.0, le=1.0,
    )  # fmt: skip
    project_life_years: int = P(
        8, units="years", source="assumption (equipment life)",
        description="Years a project's cash flows last.", ge=1, le=30,
    )  # fmt: skip
    cash_flow_per_va: float = P(
        0.3, units="yuan cash flow per yuan VA", source="assumption (m_VA)",
        prior=(0.2, 0.4),
        description="Pre-tax cash flow from a yuan of extra value added.", ge=0.05, le=1.0,
    )  # fmt: skip
    retrofit_tfp_effect: float = P(
        0.23, units="log TFP per log(1+I/K)", source="Liu & Mao (2019); range 0.10-0.35",
        prior=(0.1, 0.35),
        description="phi: productivity gain of completed equipment investment (retrofit and "
        "intelligent-equipment projects, and the routine investment a user-cost change adds).",
        ge=0.0, le=1.0,
    )  # fmt: skip
    subsidised_tfp_discount: float = P(
        0.2, units="fraction", source="Branstetter, Li & Ren (2023); range 0-0.5",
        prior=(0.0, 0.5),
        description="mu_ret: lower productivity gain of subsidised projects.", ge=0.0, le=1.0,
    )  # fmt: skip
    build_quarters: Annotated[tuple[int, int, int, int], AsTuple] = P(
        (3, 3, 6, 3), units="quarters",
        source="Kydland & Prescott (1982); Koeva (2000); ranges 2-4, 4-8",
        description="Decision to completion by project type (retrofit, IM, capacity, R&D).",
    )  # fmt: skip
    output_ramp_quarters: float = P(
        2.0, units="quarters", source="assumption (range 0-4)",
        prior=(0.5, 4.0),
        description="Mean lag from completion to full output effect (exponential).",
        ge=0.0, le=12.0,
    )  # fmt: skip
    completion_probability: float = P(
        0.9, units="fraction", source="assumption",
        prior=(0.8, 0.97),
        description="Probability a started project is completed (else abandoned).",
        ge=0.0, le=1.0,
    )  # fmt: skip
    borrowing_capacity_soe: float = P(
        0.8, units="yuan per yuan of capital", source="assumption (lambda_B, range 0.3-1.0)",
        prior=(0.5, 1.0),
        description="Funds an SOE can raise for a project relative to its capital.",
        ge=0.0, le=3.0,
    )  # fmt: skip
    borrowing_capacity_private: float = P(
        0.5, units="yuan per yuan of capital", source="assumption (lambda_B, range 0.3-1.0)",
        prior=(0.3, 0.8),
        description="Funds a non-state firm can raise relative to its capital.",
        ge=0.0, le=3.0,
    )  # fmt: skip
    liquidity_sd: float = P(
        0.6, units="log", source="assumption",
        prior=(0.4, 0.8),
        description="Sd of firms' log liquidity relative to the ownership mean.", ge=0.0, le=3.0,
    )  # fmt: skip
    # -- applying for support
    application_propensity: float = P(
        0.6, units="fraction", source="assumption",
        prior=(0.4, 0.8),
        description="Probability an eligible firm applies for a grant it expects.",
        ge=0.0, le=1.0,
    )  # fmt: skip
    initial_award_probability: float = P(
        0.5, units="fraction", source="assumption",
        prior=(0.3, 0.7),
        description="Perceived award probability before the first call's results are known.",
        ge=0.0, le=1.0,
    )  # fmt: skip
    selection_weight_size: float = P(
        0.5, units="score per sd of log size", source="Boeing (2016); Branstetter et al. (2023)",
        prior=(0.25, 1.0),
        description="Weight of firm size in the merit score.", ge=0.0, le=5.0,
    )  # fmt: skip
    selection_weight_prior: float = P(
        0.5, units="score", source="Boeing (2016)",
        prior=(0.25, 1.0),
        description="Weight of having received support before.", ge=0.0, le=5.0,
    )  # fmt: skip
    selection_noise: float = P(
        0.5, units="score", source="assumption (range 0-2)",
        prior=(0.2, 2.0),
        description="Sd of reviewers' noise in the merit score.", ge=0.0, le=5.0,
    )  # fmt: skip
    # -- diffusion of intelligent equipment (CNC)
    cnc_gain_per_project: float = P(
        0.25, units="fraction of remaining gap", source="Battisti & Stoneman (2005); range 0.1-0.5",
        prior=(0.1, 0.5),
        description="delta_c: CNC share gain on completing a full-size IM project.",
        ge=0.0, le=1.0,
    )  # fmt: skip
    cnc_drift: float = P(
        0.01, units="fraction of remaining gap per quarter", source="Battisti & Stoneman (2005)",
        prior=(0.0, 0.02),
        description="delta_0: autonomous within-firm CNC diffusion.", ge=0.0, le=0.2,
    )  # fmt: skip
    demonstration_effect: float = P(
        0.02, units="1/quarter per demo firm per 100 cluster firms", source="wide prior 0-0.05",
        prior=(0.0, 0.05),
        description="beta_d: rise in IM project hazard from demonstration firms nearby.",
        ge=0.0, le=0.5,
    )  # fmt: skip
    base_effect: float = P(
        0.01, units="1/quarter", source="wide prior 0-0.02",
        prior=(0.0, 0.02),
        description="beta_b: rise in IM project hazard in a city-sector with an IM base.",
        ge=0.0, le=0.5,
    )  # fmt: skip
    park_effect: float = P(
        0.005, units="1/quarter", source="wide prior 0-0.02 (assumption: half the base effect)",
        prior=(0.0, 0.02),
        description="Rise in IM project hazard in a city-sector with a demonstration park.",
        ge=0.0, le=0.5,
    )  # fmt: skip
    base_cost_reduction: float = P(
        0.05, units="fraction of IM project cost", source="wide prior 0-0.15",
        prior=(0.0, 0.15),
        description="x_b: cost saving on IM projects from an IM base's public platform.",
        ge=0.0, le=0.5,
    )  # fmt: skip
    # -- R&D and product upgrading
    rd_price_elasticity: float = P(
        1.0, units="-", source="Hall & Van Reenen (2000); Bloom et al. (2002); range 0.5-2.0",
        prior=(0.5, 2.0),
        description="epsilon_RD: elasticity of R&D to its tax price.", ge=0.0, le=5.0,
    )  # fmt: skip
    rd_adjustment_speed: float = P(
        0.035, units="1/quarter", source="Qian et al. (2022); range 0.02-0.1",
        prior=(0.02, 0.1),
        description="lambda_RD: partial adjustment of R&D to its desired level.", ge=0.0, le=1.0,
    )  # fmt: skip
    super_deduction_take_up: float = P(
        0.4, units="fraction", source="assumption (Cui et al. 2022 bound); range 0.15-0.8",
        prior=(0.15, 0.8),
        description="Share of R&D performers claiming the super-deduction.", ge=0.0, le=1.0,
    )  # fmt: skip
    taxable_share: float = P(
        0.7, units="fraction", source="assumption",
        prior=(0.5, 0.85),
        description="Share of firms with taxable profit (the deduction has value only then).",
        ge=0.0, le=1.0,
    )  # fmt: skip
    rd_performer_share: float = P(
        0.192, units="fraction of firms", source="NBS 2015: above-scale firms with R&D activity",
        description="Share of firms that perform R&D.", ge=0.0, le=1.0,
    )  # fmt: skip
    innovation_rate: float = P(
        0.3, units="-", source="Dosi, Fagiolo & Roventini (2010) (zeta); calibrate",
        prior=(0.1, 0.8),
        description="Scale of product-innovation success 1-exp(-rate * rd/rd_ref) a quarter.",
        ge=0.0, le=5.0,
    )  # fmt: skip
    sei_upgrade_step: float = P(
        0.10, units="fraction of remaining gap", source="assumption (kappa_e, range 0.03-0.3)",
        prior=(0.03, 0.3),
        description="Rise of the SEI product share on a product innovation in eligible sectors.",
        ge=0.0, le=1.0,
    )  # fmt: skip
    hightech_upgrade_step: float = P(
        0.10, units="fraction of remaining gap", source="assumption (kappa_h, range 0.03-0.3)",
        prior=(0.03, 0.3),
        description="Rise of the high-tech product share on a product innovation.",
        ge=0.0, le=1.0,
    )  # fmt: skip
    innovation_centre_spillover: float = P(
        0.2, units="-", source="assumption (beta_ic, range 0-0.5)",
        prior=(0.0, 0.5),
        description="Rise of sector members' innovation success with a funded centre.",
        ge=0.0, le=2.0,
    )  # fmt: skip
    first_of_kind_sale_logit: Annotated[tuple[float, float, float], AsTuple] = P(
        (-1.0, 6.0, 2.0), units="-", source="assumption (b_0, b_1, b_2)",
        description="P(sale) = logistic(b0 + b1*subsidy share - b2*risk*(1-insurance cover)).",
    )  # fmt: skip
    first_of_kind_risk: float = P(
        0.3, units="fraction of price", source="assumption",
        prior=(0.1, 0.5),
        description="Buyer's perceived risk of a first-of-a-kind set.", ge=0.0, le=1.0,
    )  # fmt: skip
    # -- entry and exit
    entry_rate: float = P(
        0.14, units="1/year (entrants / firms)", source="assumption; calibrate to 2012-2015 counts",
        prior=(0.06, 0.2),
        description="Gross entry of new above-scale firms.", ge=0.0, le=1.0,
    )  # fmt: skip
    exit_rate: float = P(
        0.04, units="1/year", source="assumption (range 0.02-0.08)",
        prior=(0.02, 0.08),
        description="Baseline exit hazard of an average firm.", ge=0.0, le=1.0,
    )  # fmt: skip
    entrant_median_revenue: Money = P(
        4e7, units="yuan per year", source="assumption (truncated at the threshold)",
        prior=(25000000.0, 60000000.0),
        description="Median revenue of entrants.",
    )  # fmt: skip
    business_rd_share: float = P(
        0.77, units="fraction of provincial R&D",
        source="assumption (national business-enterprise share of R&D, mid-2010s)",
        prior=(0.7, 0.8),
        description="Share of provincial R&D performed by above-scale industrial firms.",
        ge=0.0, le=1.0,
    )  # fmt: skip
    soe_share: float = P(
        0.10, units="fraction of firms", source="assumption",
        prior=(0.05, 0.15),
        description="Share of state-owned firms (the others are not told apart).",
        ge=0.0, le=1.0,
    )  # fmt: skip
    fund_entry_effect: float = P(
        0.5, units="entrants per yuan (relative to cluster VA)", source="assumption (beta_E)",
        prior=(0.2, 1.0),
        description="Entry response to cluster-fund capital relative to the cluster's VA.",
        ge=0.0, le=10.0,
    )  # fmt: skip
    guidance_fund_size_reached: float = P(
        0.44, units="fraction of target fund size",
        source=(
            "Wei, Ang & Jia (2023): government guidance funds raise on average about 44% of "
            "their target size; 26% reach it"
        ),
        prior=(0.2, 1.0),
        description=(
            "Share of its target size a government-guided fund raises: the investment fund's "
            "capital and the cluster funds' leverage."
        ),
        ge=0.0, le=1.0,
    )  # fmt: skip
    guarantee_capacity_uplift: float = P(
        0.3, units="fraction of borrowing capacity",
        source="assumption (guarantees typically cover 30-50% of an SME loan; range 0-1)",
        prior=(0.1, 0.6),
        description="Extra borrowing a guaranteed SME can raise, relative to its capacity.",
        ge=0.0, le=2.0,
    )  # fmt: skip
    first_of_kind_price_sd: float = P(
        0.5, units="log yuan", source="assumption",
        prior=(0.3, 0.8),
        description="Sd of the log market price of first-of-a-kind sets around the median.",
        ge=0.0, le=3.0,
    )  # fmt: skip
    centre_equipment_sd: float = P(
        0.5, units="log yuan", source="assumption",
        prior=(0.3, 0.8),
        description="Sd of the log new R&D equipment of an innovation centre around its median.",
        ge=0.0, le=3.0,
    )  # fmt: skip

    # -- fixed assumptions of the firm rules (not calibrated: no prior)
    size_tail_quantile: float = P(
        0.95, units="quantile", source="assumption (Axtell 2001: a Pareto upper tail)",
        description="Quantile of the lognormal size body above which sizes follow the Pareto "
        "tail.", ge=0.5, le=1.0,
    )  # fmt: skip
    entrant_size_sd_ratio: float = P(
        0.5, units="fraction of size_sd", source="assumption (entrants are more alike)",
        description="Sd of entrants' log size relative to the incumbents' size_sd.",
        ge=0.0, le=2.0,
    )  # fmt: skip
    hurdle_rate_floor: float = P(
        0.02, units="1/year", source="assumption",
        description="Lowest hurdle rate a firm draws (draws are clipped).", ge=0.0, le=0.2,
    )  # fmt: skip
    hurdle_rate_ceiling: float = P(
        0.5, units="1/year", source="assumption",
        description="Highest hurdle rate a firm draws (draws are clipped).", ge=0.05, le=1.0,
    )  # fmt: skip
    product_mix_logit_sd: float = P(
        0.8, units="log-odds", source="assumption",
        description="Sd of a firm's SEI and high-tech shares around its sector's mean, on the "
        "logit scale.", ge=0.0, le=3.0,
    )  # fmt: skip
    cnc_logit_sd: float = P(
        0.5, units="log-odds", source="assumption",
        description="Sd of a firm's CNC share around its sector's mean, on the logit scale.",
        ge=0.0, le=3.0,
    )  # fmt: skip
    rd_propensity_intercept: float = P(
        0.3, units="-", source="assumption",
        description="R&D of a performer is spread in proportion to revenue x (this + its "
        "high-tech share).", ge=0.0, le=5.0,
    )  # fmt: skip
    max_arrival_probability: float = P(
        0.95, units="1/quarter", source="assumption (a probability below one)",
        description="Cap on a firm's quarterly probability of an intelligent-equipment project "
        "with the hazard boosts.", ge=0.0, le=1.0,
    )  # fmt: skip
    retrofit_cnc_weight: float = P(
        0.5, units="fraction of an intelligent project's CNC gain", source="assumption",
        description="CNC gain of a completed retrofit project relative to an intelligent-"
        "equipment project of the same size.", ge=0.0, le=1.0,
    )  # fmt: skip
    cnc_full_size_ratio: float = P(
        0.15, units="investment / capital",
        source="assumption (the median project size, Cooper & Haltiwanger 2006)",
        description="Project size at and above which a project brings its full CNC gain "
        "(smaller ones in proportion).", ge=0.01, le=2.0,
    )  # fmt: skip
    award_belief_weight: float = P(
        0.5, units="-", source="assumption (adaptive expectations)",
        description="Weight of the last call's funded share in a firm's perceived award "
        "probability: pi <- (1 - w) pi + w funded share.", ge=0.0, le=1.0,
    )  # fmt: skip
    exit_size_elasticity: float = P(
        -0.3, units="-", source="assumption (larger firms exit less, as in most firm data)",
        description="Elasticity of the exit hazard with respect to size relative to the median.",
        ge=-3.0, le=0.0,
    )  # fmt: skip
    reference_adoption_probability: float = P(
        0.5, units="probability", source="assumption",
        description="Adoption probability at which the investment elasticity is read off the "
        "logit (sets the logit scale).", ge=0.01, le=0.99,
    )  # fmt: skip

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Behaviour:
        total = sum(self.project_type_shares)
        if abs(total - 1.0) > 1e-9 or min(self.project_type_shares) < 0:
            raise ValueError(f"project_type_shares must be non-negative and sum to 1 (got {total})")
        return self


#: behavioural parameter -> the history's moments that reach it in the calibration's likelihood
#: (``calibration/METHOD.md``); a parameter with a prior and none of these keeps its prior
DATA_MOMENTS: dict[str, tuple[str, ...]] = {
    "innovation_rate": ("hightech_trend",),
    "hightech_upgrade_step": ("hightech_trend",),
    "cnc_drift": ("cnc_trend",),
    "cnc_gain_per_project": ("cnc_trend",),
    "project_arrival_rate": ("cnc_trend",),
    "entry_rate": ("firm_growth",),
    "exit_rate": ("firm_growth",),
}
#: behavioural parameter -> the published studies' moments that reach it in the calibration's
#: likelihood from 2015 on (the evidence stage, ``mfgplan.calibration.evidence_stage``)
EVIDENCE_MOMENTS: dict[str, tuple[str, ...]] = {
    "investment_elasticity": ("vat_investment", "vat_user_cost", "vat_tfp"),
    "capital_adjustment_speed": ("vat_investment", "vat_user_cost", "vat_tfp"),
    "retrofit_tfp_effect": ("vat_tfp",),
    "rd_price_elasticity": ("rd_elasticity",),
    "rd_adjustment_speed": ("rd_elasticity",),
    "demonstration_effect": ("demo_peers",),
    "selection_weight_size": ("selection_size",),
    "selection_weight_prior": ("selection_prior",),
}
#: behavioural parameter -> published evidence that reaches it but cannot enter the likelihood
UNUSABLE_EVIDENCE: dict[str, str] = {}


def reached_by(name: str, with_evidence: bool = True) -> list[str]:
    """The moments of the calibration's likelihood that reach parameter ``name``."""
    moments = list(DATA_MOMENTS.get(name, ()))
    if with_evidence:
        moments += EVIDENCE_MOMENTS.get(name, ())
    return moments


def identification(name: str, has_prior: bool) -> str:
    """Whether any data reaches a parameter: ``yes: <moments>``, ``no`` (and why), or ``fixed``.

    ``yes: reached by`` names the moments of the likelihood that reach it (the history's and,
    from 2015, the published studies'; whether they moved it is the parameter file's
    ``identified``); ``no`` a parameter with a prior that none reaches (its spread is
    the prior's), with the evidence that reaches it but cannot enter; ``fixed`` a parameter
    without a prior (definition or data).
    """
    if not has_prior:
        return "fixed"
    moments = reached_by(name)
    if moments:
        # reached, not necessarily moved: the parameter file's ``identified`` says that
        return "yes: reached by " + ", ".join(moments)
    if name in UNUSABLE_EVIDENCE:
        return f"no ({UNUSABLE_EVIDENCE[name]})"
    return "no"
