"""Sector groups and prefecture-level cities of Jiangxi's above-scale industry.

Sector groups follow the plan's section 二 (advantage / growth / nurtured industries) plus the
traditional base and the two non-manufacturing industrial divisions (mining, utilities), which
count in industrial value added (the denominator of the SEI and high-tech targets) but not in
manufacturing value added (the 1-trillion target).

Every number here is an **assumption** unless a source is named: no 2015 sector breakdown of
Jiangxi's value added is in the data the model may see. The shares are informed by the sourced
revenue figures in ``calibration/data`` (nonferrous revenue 2,960亿元 in 2010 against roughly
1.3万亿元 for all above-scale industry; equipment manufacturing 4,329亿元 Jan-Oct 2013 with
electronics 687亿元 and autos 702亿元) and are normalised to sum to one. The model rescales the
product-mix shares at start-up so that the province-wide SEI, high-tech and CNC levels equal the
base-year values of the time-series baseline; only the *relative* pattern below matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Tier = Literal["advantage", "growth", "nurtured", "traditional", "non_manufacturing"]

__all__ = ["CITIES", "SECTORS", "Sector", "sector_arrays"]


@dataclass(frozen=True)
class Sector:
    """One sector group.

    Attributes
    ----------
    name, label_zh, gbt_codes
        Identifier, Chinese name, GB/T 4754-2011 codes covered.
    tier
        The plan's grouping (section 二), or ``traditional`` / ``non_manufacturing``.
    manufacturing
        Part of manufacturing (GB/T section C); mining and utilities are not.
    key_area
        Counts in the "CNC rate of production equipment in key areas" indicator.
    va_share, firm_share
        Share of 2015 above-scale industrial VA and of firm count [fraction]; assumption.
    sei_mean, hightech_mean, cnc_mean
        Mean VA share of SEI products, of provincial-definition high-tech products, and mean
        key-process CNC share in 2015 [fraction]; assumption (rescaled at start-up).
    relative_growth
        Real VA growth relative to all above-scale industry [1/year]; assumption.
    equipment_maker
        Makes equipment that can qualify as first-of-a-kind major equipment (首台套).
    """

    name: str
    label_zh: str
    gbt_codes: str
    tier: Tier
    manufacturing: bool
    key_area: bool
    va_share: float
    firm_share: float
    sei_mean: float
    hightech_mean: float
    cnc_mean: float
    relative_growth: float
    equipment_maker: bool


def _s(*args: object) -> Sector:
    return Sector(*args)  # type: ignore[arg-type]


# fmt: off
#: name, label, codes, tier, mfg, key, va_share, firm_share, sei, ht, cnc, rel_growth, maker
SECTORS: tuple[Sector, ...] = (
    _s("electronics_it", "电子信息", "C39", "advantage", True, True, .075, .050, .45, .85, .40, .03, True),
    _s("biomedicine", "生物医药", "C27,C358", "advantage", True, False, .060, .045, .40, .80, .30, .02, False),
    _s("nonferrous_metals", "有色金属", "C32,B09", "advantage", True, True, .150, .070, .10, .15, .35, .00, False),
    _s("aviation", "航空制造", "C374", "advantage", True, True, .012, .003, .90, .95, .45, .03, True),
    _s("photovoltaics", "光伏", "C3825,C3976", "growth", True, True, .030, .012, .80, .70, .40, .01, False),
    _s("automobiles", "汽车及零部件", "C36", "growth", True, True, .050, .035, .05, .35, .45, .01, True),
    _s("energy_saving_equipment", "节能环保装备", "C346,C359", "growth", True, True, .035, .030, .60, .50, .35, .02, True),
    _s("special_ships", "特种船舶", "C373", "growth", True, True, .004, .002, .20, .50, .30, .00, True),
    _s("nev_lithium_batteries", "新能源汽车及锂电", "C3841,C3612", "nurtured", True, True, .018, .010, .90, .80, .45, .05, False),
    _s("intelligent_equipment_robots", "智能装备(机器人)", "C342,C349", "nurtured", True, True, .012, .012, .85, .80, .50, .05, True),
    _s("integrated_circuits", "集成电路", "C3973", "nurtured", True, True, .004, .002, .95, .95, .55, .05, False),
    _s("food_beverages_tobacco", "食品饮料烟草", "C13-C16", "traditional", True, False, .090, .120, .02, .05, .25, -.005, False),
    _s("textiles_apparel", "纺织服装鞋帽", "C17-C19", "traditional", True, False, .070, .110, .01, .03, .20, -.01, False),
    _s("building_materials_ceramics", "建材陶瓷", "C30", "traditional", True, False, .100, .130, .05, .08, .25, -.01, False),
    _s("petrochemicals_chemicals", "石化化工", "C25,C26,C28,C29", "traditional", True, True, .100, .100, .12, .30, .35, .00, False),
    _s("steel", "钢铁", "C31", "traditional", True, True, .050, .020, .02, .05, .40, -.02, False),
    _s("machinery_electrical_other", "机械电气(其他)", "C33-C35,C38", "traditional", True, True, .090, .140, .15, .40, .30, .005, True),
    _s("light_other_manufacturing", "家具造纸印刷等", "C20-C24,C41-C43", "traditional", True, False, .040, .090, .02, .05, .20, -.005, False),
    _s("mining", "采矿业(不含有色矿)", "B06-B12 excl. B09", "non_manufacturing", False, False, .035, .030, .00, .02, .20, -.02, False),
    _s("utilities", "电力燃气水", "D44-D46", "non_manufacturing", False, False, .035, .030, .05, .03, .30, -.01, False),
)
# fmt: on

#: The 11 prefecture-level cities and their assumed shares of above-scale firms (assumption:
#: ordered by 2015 economic size; no firm counts by city are in the data).
CITIES: tuple[tuple[str, str, float], ...] = (
    ("nanchang", "南昌", 0.18),
    ("ganzhou", "赣州", 0.13),
    ("jiujiang", "九江", 0.12),
    ("yichun", "宜春", 0.10),
    ("shangrao", "上饶", 0.09),
    ("jian", "吉安", 0.09),
    ("fuzhou", "抚州", 0.07),
    ("pingxiang", "萍乡", 0.06),
    ("xinyu", "新余", 0.055),
    ("yingtan", "鹰潭", 0.05),
    ("jingdezhen", "景德镇", 0.045),
)

TIER_CODES: dict[str, int] = {
    "advantage": 0,
    "growth": 1,
    "nurtured": 2,
    "traditional": 3,
    "non_manufacturing": 4,
}


def sector_arrays() -> dict[str, np.ndarray]:
    """The sector table as arrays indexed by sector code (0 .. len(SECTORS)-1).

    Shares are normalised to sum to one.
    """
    va = np.array([s.va_share for s in SECTORS])
    firms = np.array([s.firm_share for s in SECTORS])
    return {
        "va_share": va / va.sum(),
        "firm_share": firms / firms.sum(),
        "manufacturing": np.array([s.manufacturing for s in SECTORS]),
        "key_area": np.array([s.key_area for s in SECTORS]),
        "sei_mean": np.array([s.sei_mean for s in SECTORS]),
        "hightech_mean": np.array([s.hightech_mean for s in SECTORS]),
        "cnc_mean": np.array([s.cnc_mean for s in SECTORS]),
        "relative_growth": np.array([s.relative_growth for s in SECTORS]),
        "equipment_maker": np.array([s.equipment_maker for s in SECTORS]),
        "tier": np.array([TIER_CODES[s.tier] for s in SECTORS], dtype=np.int8),
        "priority": np.array([s.tier in ("advantage", "growth", "nurtured") for s in SECTORS]),
        # where firm-level upgrading can raise a product share (assumption): SEI products in
        # the plan's advantage, growth and nurtured sectors (section 二, the province's
        # emerging industries), high-tech products in manufacturing; mining and utilities
        # move the shares only through their weight in industrial VA (composition)
        "sei_eligible": np.array([s.tier in ("advantage", "growth", "nurtured") for s in SECTORS]),
        "hightech_eligible": np.array([s.manufacturing for s in SECTORS]),
    }


def city_shares() -> np.ndarray:
    """Firm shares of the 11 cities, normalised to sum to one."""
    shares = np.array([c[2] for c in CITIES])
    return shares / shares.sum()
