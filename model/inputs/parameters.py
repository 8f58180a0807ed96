"""The parameter catalogue: every number the model uses, declared once.

Each field carries a description, units, bounds, a default and a source (a section of the plan,
a statistic, a paper, or "assumption"). Scenario files are validated against these models with
unknown keys rejected (``extra="forbid"``). :func:`catalogue` lists every parameter.

Sources cited as "plan 四(三)" refer to sections of the Jiangxi Provincial Government's
*Implementation Opinions on "Made in China 2025"* (2016-01-14); literature references are listed
in ``model/ODD.md``.

Per-year values (``YearlyMoney``, ``YearlyFraction``) may be written as one value for every year
or as ``{year: value}``; a dated value holds until the next date.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from mfgplan.inputs.money import parse_money

__all__ = [
    "GRANT_INSTRUMENTS",
    "Behaviour",
    "NationalPolicy",
    "Programme",
    "Scenario",
    "catalogue",
    "expand_yearly",
]

Money = Annotated[float, BeforeValidator(parse_money), Field(ge=0)]


def _list_to_tuple(value: Any) -> Any:
    """YAML has lists, not tuples: accept a list where a fixed-length tuple is declared."""
    return tuple(value) if isinstance(value, list) else value


#: a YAML list read as a fixed-length tuple (items still validated strictly)
AsTuple = BeforeValidator(_list_to_tuple)
YearKey = int | Literal["default"]
YearlyMoney = Money | dict[YearKey, Money]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
YearlyFraction = Fraction | dict[YearKey, Fraction]
SelectionRule = Literal["merit", "lottery", "first_come", "city_quota"]
Rationing = Literal["strict_prefix", "greedy"]

#: The grant instruments paid from the provincial programme (plan 四(三)-(四)), in the order of
#: the ``instrument`` dimension of every output.
GRANT_INSTRUMENTS: tuple[str, ...] = (
    "tech_retrofit_grant",
    "intelligent_mfg_demo_award",
    "it_integration_demo_award",
    "sei_cluster_guiding_fund",
    "intelligent_mfg_base_grant",
    "platform_and_park_subsidy",
    "innovation_centre_grant",
    "first_of_kind_equipment_subsidy",
    "major_project_support",
    "loan_guarantee_subsidy",
)

PLAN = "plan 四(三)"
PLAN_4 = "plan 四(四)"


def P(  # noqa: N802 - reads as a declaration
    default: Any,
    *,
    units: str,
    source: str,
    description: str,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
    prior: tuple[float, float] | None = None,
) -> Any:
    """Declare a catalogue parameter (a pydantic ``Field`` with units and source).

    ``prior`` is the plausible range of a behavioural parameter (uniform prior of the
    calibration, ``calibration/estimate.py``); parameters without one are fixed by definition
    or data.
    """
    extra: dict[str, Any] = {"units": units, "source": source}
    if prior is not None:
        extra["prior"] = [float(prior[0]), float(prior[1])]
    return Field(
        default,
        ge=ge,
        le=le,
        gt=gt,
        lt=lt,
        description=description,
        json_schema_extra=extra,
    )


class Frozen(BaseModel):
    """Base for catalogue sections: immutable, unknown keys rejected, types strict (``yes`` is
    not a number, ``"3"`` is not an integer) and no NaN or infinity anywhere."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, strict=True, allow_inf_nan=False
    )


def expand_yearly(value: Any, years: range, *, field: str) -> dict[int, float]:
    """Expand a per-year value to every year of ``years``.

    A scalar applies to every year; ``{2016: a, 2018: b}`` gives ``a`` for 2016-2017 and ``b``
    from 2018 on. The key ``default`` gives the value before the first dated year (a scenario
    that overrides a baseline from 2018 on is stored as ``{default: a, 2018: b}``). Without
    ``default`` the first dated key must be ``years[0]``.

    Raises
    ------
    ValueError
        Naming ``field`` when a year is outside ``years`` or the first year is missing.
    """
    if not isinstance(value, dict):
        return {y: float(value) for y in years}
    dated = {k: v for k, v in value.items() if k != "default"}
    if not dated and "default" not in value:
        raise ValueError(f"{field}: empty mapping of years")
    bad = [y for y in dated if y not in years]
    if bad:
        raise ValueError(
            f"{field}: year {bad[0]} is outside the allowed years {years[0]}-{years[-1]}"
        )
    if "default" not in value and years[0] not in dated:
        raise ValueError(f"{field}: the first dated value must be for {years[0]}")
    out: dict[int, float] = {}
    current = float(value.get("default", 0.0))
    for y in years:
        current = float(dated.get(y, current))
        out[y] = current
    return out


# --------------------------------------------------------------------------------------------
# Grant instruments (the 1 bn yuan a year programme)
# --------------------------------------------------------------------------------------------


class CallRules(Frozen):
    """Rules shared by every annual call for applications."""

    selection: SelectionRule = P(
        "merit",
        units="-",
        source="assumption (provincial special funds rank applications by expert review)",
        description="How applications are ranked when they exceed the budget: merit score, "
        "lottery, first come first served, or city quotas (因素法) with merit within cities.",
    )
    rationing: Rationing = P(
        "greedy",
        units="-",
        source="assumption",
        description="strict_prefix stops at the first application that does not fit the "
        "remaining budget; greedy skips it and goes on down the ranking.",
    )
    payment_lag_quarters: int = P(
        2,
        units="quarters",
        source="assumption (acceptance audit before ex-post payment, 先建后补); range 1-4",
        description="Quarters from project completion (or award, if later) to payment.",
        ge=0,
        le=8,
    )
    upfront_share: Fraction = P(
        0.0,
        units="fraction of award",
        source="assumption (ex-post payment is the norm for retrofit grants)",
        description="Share of an award paid at approval; the rest is paid after completion.",
    )


class TechRetrofitGrant(CallRules):
    """Technical-retrofit grant: 5% of project investment, capped at 3 million yuan."""

    matching_rate: float = P(
        0.05,
        units="fraction of project investment",
        source=PLAN,
        description="Grant as a share of the retrofit project's investment.",
        ge=0.0,
        le=0.5,
    )
    cap: Money = P(3e6, units="yuan per project", source=PLAN, description="Maximum grant.")
    min_investment: Money = P(
        5e6,
        units="yuan",
        source="assumption (calls set a project-size floor; the plan states none)",
        description="Smallest eligible project investment.",
    )


class IntelligentMfgDemoAward(CallRules):
    """Intelligent-manufacturing demonstration firms: 10% of new advanced equipment, cap 5M, 200."""

    matching_rate: float = P(
        0.10,
        units="fraction of advanced-equipment purchase",
        source=PLAN,
        description="Award as a share of newly bought internationally advanced equipment.",
        ge=0.0,
        le=0.5,
    )
    cap: Money = P(5e6, units="yuan per firm", source=PLAN, description="Maximum award.")
    total_awards: int = P(
        200, units="firms", source="plan 三(三)", description="Demonstration firms.", ge=0, le=5000
    )
    equipment_share: Fraction = P(
        0.6,
        units="fraction of project investment",
        source="assumption",
        description="Share of an intelligent-equipment project spent on advanced equipment.",
    )
    min_cnc_share: Fraction = P(
        0.35,
        units="fraction",
        source="assumption (demonstration status needs a digitised base)",
        description="Minimum key-process CNC share of an applicant.",
    )
    min_revenue: Money = P(
        1e8,
        units="yuan per year",
        source="assumption",
        description="Minimum revenue of an applicant.",
    )


class ITIntegrationDemoAward(CallRules):
    """IT-industrialisation integration (两化深度融合) demonstration firms: 1M yuan each, 100."""

    award: Money = P(1e6, units="yuan per firm", source=PLAN, description="Lump-sum award.")
    total_awards: int = P(
        100, units="firms", source="plan 三(三)", description="Demonstration firms.", ge=0, le=5000
    )
    min_cnc_share: Fraction = P(
        0.45,
        units="fraction",
        source="assumption (digital maturity proxied by the CNC share)",
        description="Minimum key-process CNC share of an applicant.",
    )


class SEIClusterGuidingFund(CallRules):
    """Strategic-emerging-industry agglomeration areas: 20 million yuan guiding money each, 20."""

    per_cluster: Money = P(2e7, units="yuan per cluster", source=PLAN, description="Injection.")
    clusters: int = P(20, units="clusters", source=PLAN, description="Clusters.", ge=0, le=200)
    leverage_target: float = P(
        4.0,
        units="fund size / government money",
        source="assumption; Wei, Ang & Jia (2023): guidance funds reach ~44% of target size",
        description="Target size of a cluster fund relative to the guiding money.",
        ge=1.0,
        le=10.0,
    )
    invest_share_per_year: Fraction = P(
        0.2,
        units="fraction of fund per year",
        source="assumption",
        description="Share of a cluster fund invested in member firms' projects each year.",
    )


class IntelligentMfgBaseGrant(CallRules):
    """Intelligent-manufacturing bases: 10 million yuan each for public platforms, 10 bases."""

    per_base: Money = P(1e7, units="yuan per base", source=PLAN, description="Grant per base.")
    bases: int = P(10, units="bases", source="plan 三(三)", description="Bases.", ge=0, le=200)


class PlatformAndParkSubsidy(CallRules):
    """One-off subsidies to national-level public service platforms and 20 demonstration parks."""

    per_park: Money = P(
        5e6,
        units="yuan per park",
        source="assumption: the plan gives no amount (一次性补助)",
        description="One-off subsidy per demonstration park or platform.",
    )
    parks: int = P(20, units="parks", source="plan 三(三)", description="Parks.", ge=0, le=200)


class InnovationCentreGrant(CallRules):
    """Innovation centres: 20% of new R&D instruments and equipment, capped at 10 million yuan."""

    matching_rate: float = P(
        0.20,
        units="fraction of new R&D equipment investment",
        source=PLAN_4,
        description="Grant as a share of the centre's new R&D equipment.",
        ge=0.0,
        le=0.5,
    )
    cap: Money = P(1e7, units="yuan per centre", source=PLAN_4, description="Maximum grant.")
    centres: int = P(
        20,
        units="centres",
        source="plan 三(一): 10 international first-class + 10 domestic leading",
        description="Innovation centres.",
        ge=0,
        le=200,
    )
    equipment_median: Money = P(
        3e7,
        units="yuan",
        source="assumption",
        description="Median new R&D equipment investment of a centre (lognormal, sd 0.7).",
    )


class FirstOfKindEquipmentSubsidy(CallRules):
    """First-of-a-kind major equipment (首台套): maker, in-province buyer and insurance rules."""

    maker_rate: float = P(
        0.30, units="fraction of market price", source=PLAN_4, description="Maker subsidy rate.",
        ge=0.0, le=1.0,
    )  # fmt: skip
    maker_cap: Money = P(5e6, units="yuan per set", source=PLAN_4, description="Maker cap.")
    buyer_rate: float = P(
        0.10, units="fraction of purchase price", source=PLAN_4, description="Buyer subsidy rate.",
        ge=0.0, le=1.0,
    )  # fmt: skip
    buyer_cap: Money = P(2e6, units="yuan per set", source=PLAN_4, description="Buyer cap.")
    buyer_in_province_share: Fraction = P(
        0.3,
        units="fraction of sets",
        source="assumption",
        description="Share of first-of-a-kind sets bought by firms in the province.",
    )
    insurance_province_share: Fraction = P(
        0.15,
        units="fraction of annual premium",
        source=PLAN_4,
        description="Provincial premium subsidy on top of the national share.",
    )
    insurance_national_share: Fraction = P(
        0.80,
        units="fraction of annual premium",
        source=PLAN_4,
        description="National premium subsidy (a national ledger, not the provincial budget).",
    )
    premium_rate: Fraction = P(
        0.03,
        units="fraction of price per year",
        source="assumption",
        description="Annual premium of first-of-a-kind comprehensive insurance.",
    )
    candidates_per_year: float = P(
        40.0,
        units="sets per year",
        source="assumption (pipeline 20-60 a year)",
        description="Expected first-of-a-kind candidates a year at the 2015 innovation rate.",
        ge=0,
        le=1000,
    )
    price_median: Money = P(
        8e6, units="yuan per set", source="assumption", description="Median set price (sd 0.8)."
    )


class MajorProjectSupport(CallRules):
    """Major industrialisation projects, "one product, one policy": 10 + 20 projects."""

    projects: int = P(
        30,
        units="projects",
        source="plan 三(二): 10 international-level + 20 domestic-level",
        description="Major projects.",
        ge=0,
        le=500,
    )
    support_per_project: Money = P(
        2e7,
        units="yuan per project",
        source="assumption: case by case in the plan; no amount stated",
        description="Provincial support per major project.",
    )
    min_investment: Money = P(
        1e8, units="yuan", source="assumption", description="Smallest major-project investment."
    )


class LoanGuaranteeSubsidy(CallRules):
    """Subsidy to guarantors: a share of guarantee-fee income (plan 四(二))."""

    fee_rate: Fraction = P(
        0.02,
        units="fraction of guaranteed loan per year",
        source="assumption",
        description="Guarantee fee rate.",
    )
    subsidy_share_of_fee: Fraction = P(
        0.5,
        units="fraction of fee",
        source="assumption",
        description="Share of the fee the province pays the guarantor.",
    )
    max_revenue: Money = P(
        2e8,
        units="yuan per year",
        source="assumption (SME guarantee programmes)",
        description="Largest revenue of a firm that can use a subsidised guarantee.",
    )


class Instruments(Frozen):
    """Rules of the grant instruments."""

    tech_retrofit_grant: TechRetrofitGrant = TechRetrofitGrant()
    intelligent_mfg_demo_award: IntelligentMfgDemoAward = IntelligentMfgDemoAward()
    it_integration_demo_award: ITIntegrationDemoAward = ITIntegrationDemoAward()
    sei_cluster_guiding_fund: SEIClusterGuidingFund = SEIClusterGuidingFund()
    intelligent_mfg_base_grant: IntelligentMfgBaseGrant = IntelligentMfgBaseGrant()
    platform_and_park_subsidy: PlatformAndParkSubsidy = PlatformAndParkSubsidy()
    innovation_centre_grant: InnovationCentreGrant = InnovationCentreGrant()
    first_of_kind_equipment_subsidy: FirstOfKindEquipmentSubsidy = FirstOfKindEquipmentSubsidy()
    major_project_support: MajorProjectSupport = MajorProjectSupport()
    loan_guarantee_subsidy: LoanGuaranteeSubsidy = LoanGuaranteeSubsidy()


def _alloc(default: float, source: str, what: str) -> Any:
    return P(default, units="yuan per year", source=source, description=f"Budget line: {what}.")


class Allocation(Frozen):
    """Split of the annual programme budget over the grant instruments [yuan per year].

    The plan fixes counts and amounts for some lines (20 clusters x 20M over five years is
    80M a year); the rest is not stated and the defaults are assumptions (retrofit takes the
    residual).
    """

    tech_retrofit_grant: YearlyMoney = _alloc(4.7e8, "assumption (residual)", "retrofit grants")
    intelligent_mfg_demo_award: YearlyMoney = _alloc(
        1e8, "assumption (200 awards of up to 5M over 5 years)", "IM demonstration awards"
    )
    it_integration_demo_award: YearlyMoney = _alloc(2e7, "plan: 100 x 1M over 5 years", "两化融合")
    sei_cluster_guiding_fund: YearlyMoney = _alloc(
        8e7, "plan: 20 x 20M over 5 years", "SEI cluster guiding money"
    )
    intelligent_mfg_base_grant: YearlyMoney = _alloc(2e7, "plan: 10 x 10M over 5 years", "IM bases")
    platform_and_park_subsidy: YearlyMoney = _alloc(
        2e7, "assumption: 20 parks x 5M over 5 years", "platforms and parks"
    )
    innovation_centre_grant: YearlyMoney = _alloc(
        4e7, "plan: 20 centres x up to 10M over 5 years", "innovation centres"
    )
    first_of_kind_equipment_subsidy: YearlyMoney = _alloc(1e8, "assumption", "first-of-a-kind")
    major_project_support: YearlyMoney = _alloc(
        1.2e8, "assumption: 30 projects x 20M over 5 years", "major projects"
    )
    loan_guarantee_subsidy: YearlyMoney = _alloc(3e7, "assumption", "guarantee-fee subsidies")


class InvestmentFund(Frozen):
    """Manufacturing industry investment fund: government-guided equity, built up to 10 bn yuan."""

    size: Money = P(1e10, units="yuan", source="plan 四(二)", description="Target fund size.")
    annual_investment: YearlyMoney = P(
        2e9,
        units="yuan per year",
        source="assumption (10 bn over the five programme years)",
        description="Equity the fund can invest in a year (unused capacity carries over).",
    )
    max_stake: Fraction = P(
        0.3,
        units="fraction of project investment",
        source="assumption (minority stakes)",
        description="Largest share of a project the fund takes.",
    )
    min_project: Money = P(
        1e8, units="yuan", source="assumption", description="Smallest project the fund considers."
    )
    expected_loss_rate: Fraction = P(
        0.3,
        units="fraction of invested equity",
        source="assumption (range 0-0.6)",
        description="Expected loss on invested equity, reported as fiscal cost.",
    )


class Programme(Frozen):
    """The provincial manufacturing programme: 1 bn yuan a year for 2016-2020 (plan 四(三))."""

    first_year: int = P(
        2016, units="year", source=PLAN, description="First programme year.", ge=2000, le=2100
    )
    last_year: int = P(
        2020, units="year", source=PLAN, description="Last programme year.", ge=2000, le=2100
    )
    annual_budget: YearlyMoney = P(
        1e9,
        units="yuan per year",
        source=PLAN + ": 0.7 bn re-pooled special funds + 0.3 bn new",
        description="Money available for the grant instruments each programme year.",
    )
    admin_share: Fraction = P(
        0.0,
        units="fraction of budget",
        source="assumption (the plan states none)",
        description="Share of the budget spent on administration, not on grants.",
    )
    carryover: Literal["lapse", "roll_same_instrument", "roll_pool"] = P(
        "roll_same_instrument",
        units="-",
        source="assumption",
        description="What happens to money not committed by year end: it lapses, stays with "
        "its instrument, or returns to a pool shared by all instruments next year.",
    )
    allocation: Allocation = Allocation()
    instruments: Instruments = Instruments()
    investment_fund: InvestmentFund = InvestmentFund()


# --------------------------------------------------------------------------------------------
# National policy (not from the provincial budget)
# --------------------------------------------------------------------------------------------


class NationalPolicy(Frozen):
    """National tax rules the plan restates; they apply in every scenario unless changed."""

    rd_super_deduction_rate: YearlyFraction = P(
        0.5,
        units="fraction of expensed R&D",
        source="plan 四(四) (national rule, Caishui [2015] 119)",
        description="Extra deduction of expensed R&D from taxable income.",
    )
    corporate_income_tax_rate: Fraction = P(
        0.25, units="fraction", source="Enterprise Income Tax Law", description="Standard CIT."
    )
    hnte_tax_rate: Fraction = P(
        0.15,
        units="fraction",
        source="Enterprise Income Tax Law art. 28",
        description="CIT of certified high and new technology enterprises.",
    )
    counterfactual_rd_super_deduction_rate: Fraction = P(
        0.5,
        units="fraction of expensed R&D",
        source="national rule in force in 2015 (Caishui [2015] 119)",
        description="The deduction in the no-programme world that every run is compared with.",
    )


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
        0.06, units="log points per quarter", source="assumption; Zou (2019) range 0.04-0.15",
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
    revenue_threshold: Money = P(
        2e7, units="yuan per year", source="NBS above-scale threshold since 2011",
        description="Revenue above which a firm is counted as above-scale.",
    )  # fmt: skip
    # -- investment projects
    project_arrival_rate: float = P(
        0.12, units="1/quarter", source="assumption (range 0.06-0.2; calibrate to incidence)",
        prior=(0.06, 0.2),
        description="Probability a firm without a live project draws one in a quarter.",
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
        description="Mean required return; SOEs 3 pp lower, foreign 1 pp lower.", ge=0.0, le=0.5,
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
        description="phi: productivity gain of a completed retrofit or equipment project.",
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
        description="Funds a private or foreign firm can raise relative to its capital.",
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
    cnc_tfp_effect: float = P(
        0.10, units="log TFP per unit CNC share", source="Liu & Ren (2025), range 0-0.2",
        prior=(0.0, 0.2),
        description="gamma_IM: productivity gain per unit rise of the CNC share.", ge=0.0, le=1.0,
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
        description="Share of state-owned firms (foreign-invested: another 10%, assumption).",
        ge=0.0, le=1.0,
    )  # fmt: skip
    fund_entry_effect: float = P(
        0.5, units="entrants per yuan (relative to cluster VA)", source="assumption (beta_E)",
        prior=(0.2, 1.0),
        description="Entry response to cluster-fund capital relative to the cluster's VA.",
        ge=0.0, le=10.0,
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

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Behaviour:
        total = sum(self.project_type_shares)
        if abs(total - 1.0) > 1e-9 or min(self.project_type_shares) < 0:
            raise ValueError(f"project_type_shares must be non-negative and sum to 1 (got {total})")
        return self


# --------------------------------------------------------------------------------------------
# The scenario
# --------------------------------------------------------------------------------------------


class Scenario(Frozen):
    """A complete, validated scenario: header, run settings and every parameter."""

    title: str = Field(min_length=1, max_length=200, description="Short name of the scenario.")
    description: str = Field("", max_length=5000, description="What the scenario represents.")
    author: str = Field("", max_length=200, description="Who wrote the scenario.")
    references: list[str] = Field(default_factory=list, description="Sources the scenario uses.")
    baseline: str | None = Field(None, description="Scenario file this one overrides, if any.")
    calibration: str | None = Field(
        None,
        min_length=1,
        max_length=1000,
        description="Parameter file from mfgplan calibrate (path relative to the scenario "
        "file): replicates draw their behavioural parameters from its sample.",
    )
    seed: int = P(
        20160114, units="-", source="convention", description="Root random seed.", ge=0,
        le=2**63 - 1,
    )  # fmt: skip
    replicates: int = P(
        200, units="replicates", source="convention", description="Monte Carlo replicates.",
        ge=1, le=100_000,
    )  # fmt: skip
    base_year: int = P(
        2015, units="year", source="the plan's base year",
        description="Last year of data the model sees (as-of year): from 2012, the first year "
        "with data on the CNC rate and the enterprise count.", ge=2012, le=2015,
    )  # fmt: skip
    horizon: int = P(
        2025, units="year", source="plan: 2025 goals", description="Last projected year.",
        ge=2016, le=2035,
    )  # fmt: skip
    n_firms: int | None = P(
        None, units="firms", source="data: 9,226 above-scale firms at end-2015 (derived)",
        description="Initial firm population; empty means the data's count.", ge=100, le=200_000,
    )  # fmt: skip
    programme: Programme = Programme()
    national_policy: NationalPolicy = NationalPolicy()
    behaviour: Behaviour = Behaviour()

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        prog = self.programme
        if prog.last_year < prog.first_year:
            raise ValueError("programme.last_year: must not be before programme.first_year")
        if prog.first_year <= self.base_year:
            raise ValueError(
                f"programme.first_year: {prog.first_year} must be after base_year {self.base_year}"
            )
        if prog.last_year > self.horizon:
            raise ValueError(
                f"programme.last_year: {prog.last_year} is beyond the horizon {self.horizon}"
            )
        years = self.programme_years
        budget = expand_yearly(prog.annual_budget, years, field="programme.annual_budget")
        spend = {y: 0.0 for y in years}
        for name in GRANT_INSTRUMENTS:
            per_year = expand_yearly(
                getattr(prog.allocation, name), years, field=f"programme.allocation.{name}"
            )
            for y, v in per_year.items():
                spend[y] += v
        for y in years:
            available = budget[y] * (1.0 - prog.admin_share)
            if spend[y] > available * (1 + 1e-12) + 1.0:
                raise ValueError(
                    f"programme.allocation: {y} allocations sum to {spend[y]:.6g} yuan, more than "
                    f"the {available:.6g} yuan budget after administration"
                )
        _check_count_limits(self)
        expand_yearly(
            prog.investment_fund.annual_investment, years, field="investment_fund.annual_investment"
        )
        expand_yearly(
            self.national_policy.rd_super_deduction_rate,
            range(self.base_year + 1, self.horizon + 1),
            field="national_policy.rd_super_deduction_rate",
        )
        return self

    @property
    def programme_years(self) -> range:
        """Years in which the programme has a budget."""
        return range(self.programme.first_year, self.programme.last_year + 1)

    @property
    def projection_years(self) -> range:
        """Projected years, after the base year up to the horizon."""
        return range(self.base_year + 1, self.horizon + 1)

    def allocation_by_year(self) -> dict[str, dict[int, float]]:
        """Allocation of each grant instrument expanded to every programme year [yuan]."""
        years = self.programme_years
        return {
            name: expand_yearly(getattr(self.programme.allocation, name), years, field=name)
            for name in GRANT_INSTRUMENTS
        }

    def budget_by_year(self) -> dict[int, float]:
        """Programme budget for grants in every programme year, after administration [yuan]."""
        budget = expand_yearly(
            self.programme.annual_budget, self.programme_years, field="annual_budget"
        )
        return {y: v * (1.0 - self.programme.admin_share) for y, v in budget.items()}


def count_limits(scenario: Scenario) -> dict[str, float]:
    """What each fixed-count instrument can ever pay over the programme: its count x amount
    [yuan] (plan 三 and 四(三)); instruments without a count are not listed."""
    ins = scenario.programme.instruments
    return {
        "it_integration_demo_award": ins.it_integration_demo_award.total_awards
        * ins.it_integration_demo_award.award,
        "sei_cluster_guiding_fund": ins.sei_cluster_guiding_fund.clusters
        * ins.sei_cluster_guiding_fund.per_cluster,
        "intelligent_mfg_base_grant": ins.intelligent_mfg_base_grant.bases
        * ins.intelligent_mfg_base_grant.per_base,
        "platform_and_park_subsidy": ins.platform_and_park_subsidy.parks
        * ins.platform_and_park_subsidy.per_park,
        "innovation_centre_grant": ins.innovation_centre_grant.centres
        * ins.innovation_centre_grant.cap,
        "intelligent_mfg_demo_award": ins.intelligent_mfg_demo_award.total_awards
        * ins.intelligent_mfg_demo_award.cap,
        "major_project_support": ins.major_project_support.projects
        * ins.major_project_support.support_per_project,
    }


def _check_count_limits(scenario: Scenario) -> None:
    """Reject allocations larger than the plan's count x amount for fixed-count instruments."""
    by_year = scenario.allocation_by_year()
    for name, limit in count_limits(scenario).items():
        total = sum(by_year[name].values())
        if total > limit * (1 + 1e-12) + 1.0:
            raise ValueError(
                f"programme.allocation.{name}: {total:,.0f} yuan over the programme exceeds what "
                f"its count and amount can use ({limit:,.0f} yuan)"
            )


# --------------------------------------------------------------------------------------------
# The catalogue listing
# --------------------------------------------------------------------------------------------


def catalogue(model: type[BaseModel] = Scenario, prefix: str = "") -> list[dict[str, Any]]:
    """List every parameter: path, units, default, bounds, source, description.

    Nested sections are walked recursively; header fields without units (title, description,
    author, references, baseline) are not parameters and are left out.
    """
    rows: list[dict[str, Any]] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(catalogue(annotation, prefix=f"{path}."))
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if "units" not in extra:
            continue
        bounds: dict[str, float] = {}
        for meta in info.metadata:
            for key in ("ge", "le", "gt", "lt"):
                if hasattr(meta, key):
                    bounds[key] = getattr(meta, key)
        rows.append(
            {
                "name": path,
                "units": extra["units"],
                "default": info.default,
                "bounds": bounds,
                "prior": extra.get("prior"),
                "source": extra["source"],
                "description": info.description or "",
            }
        )
    return rows
