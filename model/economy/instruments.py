"""Each grant instrument's eligibility, call and what an award does (ODD 7.5).

The rules (rates, caps, counts) are the scenario's (:mod:`mfgplan.inputs.programme`); this
module says how each instrument applies them to the model's firms. Three kinds:

- **Project instruments** (:data:`PROJECT_INSTRUMENTS`: technical retrofit, intelligent-
  manufacturing demonstration, major projects) fund investment projects. When a project
  arrives its firm sees what each instrument would offer (:meth:`ProjectInstrument.offer`) and
  applies to the best; the Q4 call ranks the year's applications
  (:meth:`mfgplan.economy.programme.ProvincialProgramme.project_calls`).
- **Site instruments** (:data:`SITE_INSTRUMENTS`: cluster guiding funds, intelligent-
  manufacturing bases, demonstration parks) select (sector, city) cells in a Q1 call.
- **Firm instruments** (:data:`FIRM_INSTRUMENTS`: innovation centres, IT-integration
  demonstration firms) select firms in a Q1 call.

First-of-a-kind equipment subsidies and loan-guarantee subsidies are not calls: they are paid
as sets are sold and as loans are guaranteed (:mod:`mfgplan.economy.programme`).

Counts are phased evenly over the programme years: ``ceil(remaining count / remaining years)``
each year (:func:`phased_count`).
"""

from __future__ import annotations

from collections.abc import Mapping
from math import ceil
from typing import ClassVar, Protocol, override

import numpy as np

from mfgplan.economy import rules
from mfgplan.economy.firms import FirmTable, ProjectType
from mfgplan.inputs.behaviour import Behaviour
from mfgplan.inputs.programme import Instruments

__all__ = [
    "FIRM_INSTRUMENTS",
    "PROJECT_INSTRUMENTS",
    "SCALED_AMOUNTS",
    "SCALED_COUNTS",
    "SITE_INSTRUMENTS",
    "Administration",
    "FirmInstrument",
    "ProjectInstrument",
    "SiteInstrument",
    "count_limit",
    "phased_count",
    "scaled_count",
]

#: the attribute of an instrument's rules that holds its count of awards (plan 三, 四(三))
COUNT_FIELDS = ("total_awards", "projects", "clusters", "bases", "parks", "centres")


def count_limit(rule: object) -> int | None:
    """The plan's count of awards of an instrument, or None for an instrument without one."""
    for attr in COUNT_FIELDS:
        if hasattr(rule, attr):
            return int(getattr(rule, attr))
    return None


#: instruments whose count is of firms or projects: scaled with the sample of firms. The
#: counts of places and institutions (clusters, bases, parks, innovation centres) are not: the
#: model has all the province's cells and sectors, and a centre serves its whole sector; their
#: money per place is scaled instead (:data:`SCALED_AMOUNTS`).
SCALED_COUNTS = frozenset(
    {"intelligent_mfg_demo_award", "it_integration_demo_award", "major_project_support"}
)
#: instruments whose award per place or institution is scaled with the sample of firms
SCALED_AMOUNTS = frozenset(
    {
        "sei_cluster_guiding_fund",
        "intelligent_mfg_base_grant",
        "platform_and_park_subsidy",
        "innovation_centre_grant",
    }
)


def scaled_count(count: int, sample_fraction: float, u: float) -> int:
    """A count of the province scaled to a sample of its firms, rounded without bias.

    ``floor(x) + (u < x - floor(x))`` with ``x = count * sample_fraction`` and ``u`` a uniform
    draw: its expectation is ``x``. ``scaled_count(200, 0.25, u) = 50`` for any ``u``;
    ``scaled_count(20, 0.27, 0.3) = 6`` and ``scaled_count(20, 0.27, 0.5) = 5``.
    """
    x = count * sample_fraction
    whole = int(np.floor(x + 1e-9))
    return whole + int(u < x - whole - 1e-9)


def phased_count(remaining: int, years_left: int) -> int:
    """Awards a Q1 call may make this year: ``min(ceil(remaining / years_left), remaining)``."""
    return min(ceil(remaining / years_left), remaining)


class Administration(Protocol):
    """What an instrument uses of the province's administration.

    The administration is :class:`mfgplan.economy.programme.ProvincialProgramme`.
    """

    rules: Instruments
    behaviour: Behaviour
    firms: FirmTable
    sectors: Mapping[str, np.ndarray]
    streams: Mapping[str, np.random.Generator]
    allocation: Mapping[str, Mapping[int, float]]
    awards_used: dict[str, int]
    demo_count: np.ndarray
    centres: np.ndarray
    cluster_capital: np.ndarray
    cluster_uninvested: np.ndarray
    #: the model's firms as a fraction of the province's
    sample: float

    def call(
        self,
        name: str,
        amounts: np.ndarray,
        max_count: int,
        score_size: np.ndarray,
        score_return: np.ndarray,
        prior: np.ndarray,
        city: np.ndarray,
        arrival: np.ndarray,
    ) -> np.ndarray:
        """Run one call; the accepted mask."""
        ...

    def commit_lump(self, name: str, year: int, t: int, sector: int, amount: float) -> None:
        """Commit a lump sum and schedule its payment."""
        ...

    def count_awards(self, name: str, year: int, n: int) -> None:
        """Count awards made."""
        ...

    def count_limit(self, name: str) -> int:
        """Awards still allowed by the plan's count (scaled to the sample of firms)."""
        ...


# -- project instruments ---------------------------------------------------------------------


class ProjectInstrument:
    """An instrument that funds investment projects (offered at arrival, awarded in Q4)."""

    name: ClassVar[str]

    def offer(
        self,
        p: Administration,
        slots: np.ndarray,
        kind: np.ndarray,
        investment: np.ndarray,
        revenue: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Which arriving projects are eligible and the award each would get [yuan]."""
        raise NotImplementedError

    def awarded(self, p: Administration, firms: np.ndarray) -> None:
        """What an award does to the winning firms besides the money (nothing by default)."""


class TechRetrofitGrant(ProjectInstrument):
    """Technical-retrofit grants (plan 四(三)).

    Retrofit and intelligent-equipment projects above a minimum investment get
    ``min(rate x investment, cap)``.
    """

    name = "tech_retrofit_grant"

    @override
    def offer(
        self,
        p: Administration,
        slots: np.ndarray,
        kind: np.ndarray,
        investment: np.ndarray,
        revenue: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        r = p.rules.tech_retrofit_grant
        retrofit_like = (kind == ProjectType.RETROFIT) | (kind == ProjectType.INTELLIGENT)
        return (
            retrofit_like & (investment >= r.min_investment),
            rules.award_amount(r.matching_rate, r.cap, investment),
        )


class IntelligentMfgDemoAward(ProjectInstrument):
    """Intelligent-manufacturing demonstration awards (plan 三(二)).

    An intelligent-equipment project of a firm with enough CNC share and revenue, not yet a
    demonstration firm, while awards are left, gets ``min(rate x equipment share x investment,
    cap)``; the firm becomes a demonstration firm of its (sector, city) cell.
    """

    name = "intelligent_mfg_demo_award"

    @override
    def offer(
        self,
        p: Administration,
        slots: np.ndarray,
        kind: np.ndarray,
        investment: np.ndarray,
        revenue: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        d = p.rules.intelligent_mfg_demo_award
        f = p.firms
        return (
            (kind == ProjectType.INTELLIGENT)
            & (f.cnc[slots] >= d.min_cnc_share)
            & (revenue >= d.min_revenue)
            & ~f.im_demo[slots]
            & (p.count_limit(self.name) > 0),
            rules.award_amount(d.matching_rate, d.cap, investment * d.equipment_share),
        )

    @override
    def awarded(self, p: Administration, firms: np.ndarray) -> None:
        f = p.firms
        f.im_demo[firms] = True
        np.add.at(p.demo_count, (f.sector[firms], f.city[firms]), 1.0)


class MajorProjectSupport(ProjectInstrument):
    """Major-project support (plan 四(三)).

    A project of a priority sector above a minimum investment gets a fixed sum (at most its
    investment) while projects are left.
    """

    name = "major_project_support"

    @override
    def offer(
        self,
        p: Administration,
        slots: np.ndarray,
        kind: np.ndarray,
        investment: np.ndarray,
        revenue: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        m = p.rules.major_project_support
        return (
            (investment >= m.min_investment)
            & p.sectors["priority"][p.firms.sector[slots]]
            & (p.count_limit(self.name) > 0),
            np.minimum(np.full(slots.size, m.support_per_project), investment),
        )


#: project instruments in the order a tie between their offers is broken (the first wins)
PROJECT_INSTRUMENTS: tuple[ProjectInstrument, ...] = (
    TechRetrofitGrant(),
    IntelligentMfgDemoAward(),
    MajorProjectSupport(),
)


# -- site instruments: (sector, city) cells ---------------------------------------------------


class SiteInstrument:
    """An instrument that selects (sector, city) cells with value added in a Q1 call.

    It pays each selected cell a lump sum; the cell is then marked in the programme's state.
    """

    name: ClassVar[str]
    #: the programme's boolean [sector, city] array of cells already selected
    cells: ClassVar[str]

    def eligible(self, p: Administration, sector: np.ndarray) -> np.ndarray:
        """Which cells may apply, from the sector of each flattened cell."""
        raise NotImplementedError

    def amount(self, p: Administration) -> float:
        """The lump sum per selected cell [yuan]."""
        raise NotImplementedError

    def awarded(self, p: Administration, sector: np.ndarray, amount: float) -> None:
        """What a selection does besides marking the cell (nothing by default)."""


class SEIClusterGuidingFund(SiteInstrument):
    """Cluster guiding funds for priority-sector cells (plan 四(三)).

    Each injection is meant to raise ``leverage_target`` times its size in cluster-fund
    capital; a guidance fund raises on average only ``guidance_fund_size_reached`` of its
    target (Wei, Ang & Jia 2023: about 44%), and never less than the injection itself:
    capital ``= injection x max(1, leverage_target x guidance_fund_size_reached)``.
    """

    name = "sei_cluster_guiding_fund"
    cells = "cluster_cell"

    @override
    def eligible(self, p: Administration, sector: np.ndarray) -> np.ndarray:
        return p.sectors["priority"][sector]

    @override
    def amount(self, p: Administration) -> float:
        return p.rules.sei_cluster_guiding_fund.per_cluster

    @override
    def awarded(self, p: Administration, sector: np.ndarray, amount: float) -> None:
        leverage = p.rules.sei_cluster_guiding_fund.leverage_target
        capital = amount * max(1.0, leverage * p.behaviour.guidance_fund_size_reached)
        np.add.at(p.cluster_capital, sector, capital)
        np.add.at(p.cluster_uninvested, sector, capital)


class IntelligentMfgBaseGrant(SiteInstrument):
    """Intelligent-manufacturing bases: cells of priority sectors in key areas (plan 三(三))."""

    name = "intelligent_mfg_base_grant"
    cells = "base_cell"

    @override
    def eligible(self, p: Administration, sector: np.ndarray) -> np.ndarray:
        return p.sectors["priority"][sector] & p.sectors["key_area"][sector]

    @override
    def amount(self, p: Administration) -> float:
        return p.rules.intelligent_mfg_base_grant.per_base


class PlatformAndParkSubsidy(SiteInstrument):
    """Platforms and demonstration parks: manufacturing cells (plan 三(三))."""

    name = "platform_and_park_subsidy"
    cells = "park_cell"

    @override
    def eligible(self, p: Administration, sector: np.ndarray) -> np.ndarray:
        return p.sectors["manufacturing"][sector]

    @override
    def amount(self, p: Administration) -> float:
        return p.rules.platform_and_park_subsidy.per_park


#: site instruments in the order of their Q1 calls
SITE_INSTRUMENTS: tuple[SiteInstrument, ...] = (
    SEIClusterGuidingFund(),
    IntelligentMfgBaseGrant(),
    PlatformAndParkSubsidy(),
)


# -- firm instruments --------------------------------------------------------------------------


class FirmInstrument:
    """An instrument that selects firms in a Q1 call."""

    name: ClassVar[str]

    def call(self, p: Administration, year: int, t: int, live: np.ndarray, n_now: int) -> None:
        """Run this year's call over the live firms ``live`` for at most ``n_now`` awards."""
        raise NotImplementedError


class InnovationCentreGrant(FirmInstrument):
    """Innovation centres (plan 三(一), 四(四)).

    Candidates are R&D performers of priority sectors; the grant is ``min(rate x new R&D
    equipment, cap)`` with the equipment drawn around its median; applications are scored by R&D
    size; a centre raises its sector's innovation rate.

    The equipment draws are made every programme year whatever the call (common random
    numbers).
    """

    name = "innovation_centre_grant"

    @override
    def call(self, p: Administration, year: int, t: int, live: np.ndarray, n_now: int) -> None:
        c = p.rules.innovation_centre_grant
        f = p.firms
        hw = f.high_water
        rng = p.streams["programme"]
        sd = p.behaviour.centre_equipment_sd
        equipment = c.equipment_median * np.exp(sd * rng.standard_normal(hw))
        cand = live[f.rd_performer[live] & p.sectors["priority"][f.sector[live]] & (f.rd[live] > 0)]
        if n_now > 0 and cand.size and p.allocation[self.name].get(year, 0.0) > 0:
            # a centre's grant is the province's for one centre, scaled to the sample of firms
            amounts = rules.award_amount(c.matching_rate, c.cap, equipment[cand]) * p.sample
            accepted = p.call(
                self.name, amounts, n_now, np.log(f.rd[cand]), np.zeros(cand.size),
                f.prior_support[cand], f.city[cand], np.zeros(cand.size, dtype=np.int64),
            )  # fmt: skip
            for i in np.flatnonzero(accepted):
                p.commit_lump(self.name, year, t, int(f.sector[cand[i]]), float(amounts[i]))
            np.add.at(p.centres, f.sector[cand[accepted]], 1.0)
            f.prior_support[cand[accepted]] = True
            p.count_awards(self.name, year, int(accepted.sum()))


class ITIntegrationDemoAward(FirmInstrument):
    """IT-integration (两化融合) demonstration firms (plan 三(二)).

    Candidates are firms with enough CNC share, not yet demonstration firms, scored by size and
    CNC share; a fixed award; the firm counts as a demonstration firm of its cell.
    """

    name = "it_integration_demo_award"

    @override
    def call(self, p: Administration, year: int, t: int, live: np.ndarray, n_now: int) -> None:
        d = p.rules.it_integration_demo_award
        f = p.firms
        cand = live[(f.cnc[live] >= d.min_cnc_share) & ~f.it_demo[live]]
        if n_now > 0 and cand.size and p.allocation[self.name].get(year, 0.0) > 0:
            accepted = p.call(
                self.name, np.full(cand.size, d.award), n_now, np.log(f.va_base[cand]),
                f.cnc[cand], f.prior_support[cand], f.city[cand],
                np.zeros(cand.size, dtype=np.int64),
            )  # fmt: skip
            won = cand[accepted]
            for s in f.sector[won]:
                p.commit_lump(self.name, year, t, int(s), d.award)
            f.it_demo[won] = True
            f.prior_support[won] = True
            np.add.at(p.demo_count, (f.sector[won], f.city[won]), 1.0)
            p.count_awards(self.name, year, won.size)


#: firm instruments in the order of their Q1 calls (after the site instruments)
FIRM_INSTRUMENTS: tuple[FirmInstrument, ...] = (InnovationCentreGrant(), ITIntegrationDemoAward())
