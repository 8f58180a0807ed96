"""The provincial programme in the catalogue: grant instruments, budget, fund, national tax.

Sources cited as "plan 四(三)" refer to sections of the Jiangxi Provincial Government's
*Implementation Opinions on "Made in China 2025"* (2016-01-14); literature references are listed
in ``model/ODD.md``. Each instrument's rules (rate, cap, count, eligibility, payment) are one
model here; how the economy applies them is :mod:`mfgplan.economy.programme`.
"""

from __future__ import annotations

from typing import Any, Literal

from mfgplan.inputs.fields import (
    PLAN,
    PLAN_4,
    Fraction,
    Frozen,
    Money,
    P,
    Rationing,
    SelectionRule,
    YearlyFraction,
    YearlyMoney,
    expand_yearly,
)

__all__ = [
    "GRANT_INSTRUMENTS",
    "Allocation",
    "Instruments",
    "InvestmentFund",
    "NationalPolicy",
    "Programme",
]

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

    def without_money(self) -> Programme:
        """The same programme with no budget, no allocation and no investment fund."""
        zero = Allocation(**dict.fromkeys(GRANT_INSTRUMENTS, 0.0))
        fund = self.investment_fund.model_copy(update={"size": 0.0, "annual_investment": 0.0})
        return self.model_copy(
            update={"annual_budget": 0.0, "allocation": zero, "investment_fund": fund}
        )


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
    counterfactual_rd_super_deduction_rate: Fraction = P(
        0.5,
        units="fraction of expensed R&D",
        source="national rule in force in 2015 (Caishui [2015] 119)",
        description="The deduction in force in the base year: the national rule the "
        "statistical baseline's trends were made under.",
    )

    def base_year_rules(self) -> NationalPolicy:
        """These rules with the base year's super-deduction in every year."""
        return self.model_copy(
            update={"rd_super_deduction_rate": self.counterfactual_rd_super_deduction_rate}
        )

    def changes_rules(self, years: range) -> bool:
        """Whether the super-deduction differs from the base year's in any of ``years``."""
        schedule = expand_yearly(
            self.rd_super_deduction_rate, years, field="rd_super_deduction_rate"
        )
        return any(v != self.counterfactual_rd_super_deduction_rate for v in schedule.values())
