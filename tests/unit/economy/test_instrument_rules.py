"""Each instrument's rule on one firm, the yuan written out (plan 四(三); the plan's defaults).

The offers are what an arriving project would get under each project instrument
(:mod:`mfgplan.economy.instruments`); the amounts are the plan's rates and caps applied by hand.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from mfgplan.economy import rules
from mfgplan.economy.firms import FirmTable, ProjectType
from mfgplan.economy.instruments import (
    IntelligentMfgDemoAward,
    MajorProjectSupport,
    TechRetrofitGrant,
)
from mfgplan.inputs.parameters import Scenario
from mfgplan.inputs.sectors import SECTORS, sector_arrays

PLAN = Scenario(title="plan")
ELECTRONICS = [s.name for s in SECTORS].index("electronics_it")  # a priority sector
FOOD = [s.name for s in SECTORS].index("food_beverages_tobacco")  # not a priority sector


def admin(cnc: float, sector: int, limit: int = 10) -> SimpleNamespace:
    """One firm with the given CNC share and sector, and an administration with awards left."""
    firms = FirmTable(2)
    slot = firms.allocate(1)
    firms.cnc[slot] = cnc
    firms.sector[slot] = sector
    return SimpleNamespace(
        rules=PLAN.programme.instruments,
        firms=firms,
        sectors=sector_arrays(),
        count_limit=lambda _name: limit,
    )


def offer(instrument, p, kind, investment, revenue):
    eligible, amount = instrument.offer(
        p, np.array([0]), np.array([kind], dtype=np.int8), np.array([investment]),
        np.array([revenue]),
    )  # fmt: skip
    return bool(eligible[0]), float(amount[0])


def test_technical_retrofit_grant():
    """5% of investment, at most 3 M yuan, projects of at least 5 M yuan."""
    p = admin(0.3, FOOD)
    # 40 M yuan retrofit: 5% = 2,000,000 yuan
    assert offer(TechRetrofitGrant(), p, ProjectType.RETROFIT, 4e7, 1e8) == (True, 2_000_000.0)
    # 200 M yuan: 5% would be 10 M, the cap gives 3,000,000 yuan
    assert offer(TechRetrofitGrant(), p, ProjectType.INTELLIGENT, 2e8, 1e8) == (True, 3e6)
    # 4 M yuan is below the 5 M yuan threshold; new capacity is not a retrofit
    assert offer(TechRetrofitGrant(), p, ProjectType.RETROFIT, 4e6, 1e8)[0] is False
    assert offer(TechRetrofitGrant(), p, ProjectType.CAPACITY, 4e7, 1e8)[0] is False


def test_intelligent_manufacturing_demonstration_award():
    """10% of the advanced equipment (60% of the project), at most 5 M yuan; CNC >= 0.35,
    revenue >= 100 M yuan, intelligent-equipment projects, while awards are left."""
    p = admin(0.4, ELECTRONICS)
    # 50 M yuan project: equipment 30 M, 10% = 3,000,000 yuan
    assert offer(IntelligentMfgDemoAward(), p, ProjectType.INTELLIGENT, 5e7, 2e8) == (True, 3e6)
    # 200 M yuan: 10% of 120 M = 12 M, capped at 5,000,000 yuan
    assert offer(IntelligentMfgDemoAward(), p, ProjectType.INTELLIGENT, 2e8, 2e8) == (True, 5e6)
    assert offer(IntelligentMfgDemoAward(), p, ProjectType.INTELLIGENT, 5e7, 9e7)[0] is False
    assert offer(IntelligentMfgDemoAward(), admin(0.3, ELECTRONICS), ProjectType.INTELLIGENT,
                 5e7, 2e8)[0] is False  # fmt: skip
    assert offer(IntelligentMfgDemoAward(), admin(0.4, ELECTRONICS, limit=0),
                 ProjectType.INTELLIGENT, 5e7, 2e8)[0] is False  # fmt: skip


def test_major_project_support():
    """20 M yuan per project of a priority sector with at least 100 M yuan of investment."""
    assert offer(MajorProjectSupport(), admin(0.3, ELECTRONICS), ProjectType.CAPACITY, 1.5e8,
                 5e8) == (True, 2e7)  # fmt: skip
    assert offer(MajorProjectSupport(), admin(0.3, FOOD), ProjectType.CAPACITY, 1.5e8, 5e8)[0] is (
        False
    )
    assert offer(MajorProjectSupport(), admin(0.3, ELECTRONICS), ProjectType.CAPACITY, 9e7,
                 5e8)[0] is False  # fmt: skip


def test_first_of_kind_equipment_subsidy_for_one_set():
    """An 8 M yuan set: maker 30% = 2.4 M (cap 5 M), in-province buyer 10% = 0.8 M (cap 2 M),
    the province's 15% of a 3% premium = 36,000 yuan: 3,236,000 yuan in all."""
    r = PLAN.programme.instruments.first_of_kind_equipment_subsidy
    price = 8e6
    maker = float(rules.award_amount(r.maker_rate, r.maker_cap, price))
    buyer = float(rules.award_amount(r.buyer_rate, r.buyer_cap, price))
    insurance = r.premium_rate * price * r.insurance_province_share
    assert (maker, buyer) == (2_400_000.0, 800_000.0)
    assert insurance == 36_000.0
    assert maker + buyer + insurance == 3_236_000.0
    # a 20 M yuan set reaches the maker's cap (5 M) and the buyer's (2 M)
    assert float(rules.award_amount(r.maker_rate, r.maker_cap, 2e7)) == 5e6
    assert float(rules.award_amount(r.buyer_rate, r.buyer_cap, 2.5e7)) == 2e6


def test_loan_guarantee_fee_subsidy_for_one_loan():
    """A 10 M yuan project of a firm that can borrow 8 M: 2 M guaranteed, fee 2% = 40,000
    yuan, the province pays half: 20,000 yuan."""
    g = PLAN.programme.instruments.loan_guarantee_subsidy
    loan = 1e7 - 8e6
    assert loan * g.fee_rate * g.subsidy_share_of_fee == 20_000.0


def test_lump_sums_of_the_place_and_firm_instruments():
    """The plan's amounts: IT-integration 1 M a firm, cluster 20 M, base 10 M, park 5 M;
    an innovation centre 20% of 30 M of R&D equipment = 6 M (cap 10 M)."""
    i = PLAN.programme.instruments
    assert i.it_integration_demo_award.award == 1e6
    assert i.sei_cluster_guiding_fund.per_cluster == 2e7
    assert i.intelligent_mfg_base_grant.per_base == 1e7
    assert i.platform_and_park_subsidy.per_park == 5e6
    c = i.innovation_centre_grant
    assert float(rules.award_amount(c.matching_rate, c.cap, 3e7)) == 6e6
    assert float(rules.award_amount(c.matching_rate, c.cap, 8e7)) == 1e7
