"""The province in the classic reference: instruments, calls, financing, payments (ODD 7.5).

Written from ``model/ODD.md`` and the plan's rules as the scenario states them
(``scenario.programme.instruments``); nothing is shared with the production economy. Each
instrument is a few lines over the firm agents; queues the plan runs first come first served
(financing, first-of-a-kind sets) take the agents in slot order, the order their draws are laid
out in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from benchmarks.classic.ledger import ClassicLedger, merit_scores, select
from mfgplan.inputs.fields import expand_yearly
from mfgplan.inputs.programme import GRANT_INSTRUMENTS

if TYPE_CHECKING:
    from benchmarks.classic.economy import ClassicEconomy
    from benchmarks.classic.firm import Enterprise

__all__ = ["Project", "Province"]

#: instruments whose count is of firms or projects (scaled with the sample of firms)
FIRM_COUNTS = {"intelligent_mfg_demo_award", "it_integration_demo_award", "major_project_support"}
#: the attribute holding each counted instrument's count
COUNT_OF = {
    "intelligent_mfg_demo_award": "total_awards",
    "it_integration_demo_award": "total_awards",
    "major_project_support": "projects",
    "sei_cluster_guiding_fund": "clusters",
    "intelligent_mfg_base_grant": "bases",
    "platform_and_park_subsidy": "parks",
    "innovation_centre_grant": "centres",
}
#: the project instruments, in the order a tie between their offers goes to the first
PROJECT_LINES = ("tech_retrofit_grant", "intelligent_mfg_demo_award", "major_project_support")


def expit(x: float) -> float:
    """Logistic function."""
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


@dataclass
class Project:
    """One investment project that goes ahead in at least one world (ODD 2, 7.3)."""

    row: int
    firm: Enterprise
    kind: int
    investment: float
    ratio: float
    npv_per_yuan: float
    start: int
    done: int
    abandon: bool
    in_actual: bool
    in_baseline: bool
    equity: float = 0.0
    guarantee: float = 0.0
    instrument: str | None = None
    apply_year: int = 0
    offer: float = 0.0
    award: float = 0.0
    award_year: int = 0
    award_quarter: int = 0
    paid: float = 0.0
    completed: bool = False
    closed: bool = False


@dataclass
class Province:
    """The programme's state: ledger, counts, places, funds, cohorts (ODD 2, 7.5)."""

    model: ClassicEconomy
    ledger: ClassicLedger = field(init=False)

    def __post_init__(self) -> None:
        m = self.model
        s = m.spec
        self.rules = s.programme.instruments
        self.allocation = s.allocation_by_year()
        self.ledger = ClassicLedger(
            GRANT_INSTRUMENTS,
            {k: {y: v * m.f for y, v in by.items()} for k, by in self.allocation.items()},
            s.programme.carryover,
        )
        b = m.b
        fund = s.programme.investment_fund
        self.fund_annual = {
            y: v * b.guidance_fund_size_reached * m.f
            for y, v in expand_yearly(
                fund.annual_investment, s.programme_years, field="annual_investment"
            ).items()
        }
        self.fund_unraised = fund.size * b.guidance_fund_size_reached * m.f
        self.fund_left = 0.0
        u = m.streams["scaling"].random(len(GRANT_INSTRUMENTS))
        self.count_left: dict[str, float] = {}
        for k, name in enumerate(GRANT_INSTRUMENTS):
            if name not in COUNT_OF:
                self.count_left[name] = math.inf
                continue
            count = getattr(getattr(self.rules, name), COUNT_OF[name])
            if name in FIRM_COUNTS:
                x = count * m.f
                whole = math.floor(x + 1e-9)
                count = whole + (1 if u[k] < x - whole - 1e-9 else 0)
            self.count_left[name] = count
        self.belief = dict.fromkeys(PROJECT_LINES, b.initial_award_probability)
        self.base_cells: set[tuple[int, int]] = set()
        self.park_cells: set[tuple[int, int]] = set()
        self.cluster_cells: set[tuple[int, int]] = set()
        self.demo_firms: dict[tuple[int, int], int] = {}
        self.centres = [0] * m.n_sectors
        self.cluster_capital = [0.0] * m.n_sectors
        self.cluster_uninvested = [0.0] * m.n_sectors
        self.cluster_capacity = [0.0] * m.n_sectors
        #: cluster-fund entrants per sector: count, VA, SEI and high-tech VA
        self.cohort_count = [0.0] * m.n_sectors
        self.cohort_va = [0.0] * m.n_sectors
        self.cohort_sei = [0.0] * m.n_sectors
        self.cohort_hightech = [0.0] * m.n_sectors
        self.scheduled: list[tuple[int, str, int, int, float]] = []

    # -- helpers -----------------------------------------------------------------------------

    def active(self, name: str, year: int) -> bool:
        """Whether ``name`` has an allocation this year."""
        return self.allocation[name].get(year, 0.0) > 0

    def count_award(self, name: str, year: int, n: int = 1) -> None:
        """Count ``n`` awards of ``name`` made in ``year``."""
        self.count_left[name] -= n
        self.model.tally["awards"][name, year] += n

    def lump(self, name: str, year: int, t: int, sector: int, amount: float) -> None:
        """Commit a lump sum, pay its upfront share now and the rest after the payment lag."""
        rule = getattr(self.rules, name)
        self.ledger.commit(name, year, sector, amount)
        upfront = rule.upfront_share * amount
        if upfront > 0:
            self.ledger.pay(name, year, year, sector, upfront, -1)
        if amount - upfront > 0:
            self.scheduled.append(
                (t + max(rule.payment_lag_quarters, 0), name, year, sector, amount - upfront)
            )

    def call(self, name: str, apps: list[dict], max_count: float) -> list[bool]:
        """A call of ``name`` over applications (dicts of amount, size, return, prior, city)."""
        b = self.model.b
        rng = self.model.streams["selection"]
        n = len(apps)
        noise = rng.standard_normal(n)
        tiebreak = rng.random(n)
        rule = getattr(self.rules, name)
        score = merit_scores(
            [a["return"] for a in apps], [a["log_size"] for a in apps],
            [a["prior"] for a in apps], list(noise), b.selection_weight_size,
            b.selection_weight_prior, b.selection_noise,
        )  # fmt: skip
        return select(
            [a["amount"] for a in apps], self.ledger.left[name],
            int(min(max_count, 10**9)), rule.selection, rule.rationing, score,
            [a.get("arrival", 0) for a in apps], list(tiebreak), [a["city"] for a in apps],
            list(self.model.city_shares),
        )  # fmt: skip

    # -- Q1 ----------------------------------------------------------------------------------

    def open_year(self, year: int, t: int, in_programme: bool) -> None:
        """The budget year opens; the fund raises its year's money; Q1 calls; cluster capacity."""
        self.ledger.open_year(year)
        if in_programme:
            raised = min(self.fund_annual[year], self.fund_unraised)
            self.fund_unraised -= raised
            self.fund_left += raised
            self.q1_calls(year, t)
        share = self.rules.sei_cluster_guiding_fund.invest_share_per_year
        self.cluster_capacity = [
            min(c * share, u)
            for c, u in zip(self.cluster_capital, self.cluster_uninvested, strict=True)
        ]

    def q1_calls(self, year: int, t: int) -> None:
        """Places (clusters, IM bases, parks), then firms (centres, IT demonstration)."""
        m = self.model
        sec = m.sectors
        years_left = max(m.spec.programme.last_year - year + 1, 1)

        def phased(name: str) -> float:
            left = self.count_left[name]
            return min(math.ceil(left / years_left), left)

        cell_va: dict[tuple[int, int], float] = {}
        for a in m.by_slot():
            cell_va[a.sector, a.city] = cell_va.get((a.sector, a.city), 0.0) + a.va_base
        places = (
            ("sei_cluster_guiding_fund", self.cluster_cells, lambda s: sec["priority"][s],
             self.rules.sei_cluster_guiding_fund.per_cluster),
            ("intelligent_mfg_base_grant", self.base_cells,
             lambda s: sec["priority"][s] and sec["key_area"][s],
             self.rules.intelligent_mfg_base_grant.per_base),
            ("platform_and_park_subsidy", self.park_cells, lambda s: sec["manufacturing"][s],
             self.rules.platform_and_park_subsidy.per_park),
        )  # fmt: skip
        for name, taken, eligible, per_place in places:
            amount = per_place * m.f
            n_now = phased(name)
            cells = [
                (s, c)
                for s in range(m.n_sectors)
                for c in range(m.n_cities)
                if eligible(s) and cell_va.get((s, c), 0.0) > 0 and (s, c) not in taken
            ]
            if n_now <= 0 or not cells or not self.active(name, year):
                continue
            apps = [
                {"amount": amount, "log_size": math.log(cell_va[cell]), "return": 0.0,
                 "prior": False, "city": cell[1]}
                for cell in cells
            ]  # fmt: skip
            won = [cell for cell, ok in zip(cells, self.call(name, apps, n_now), strict=True) if ok]
            for s, c in won:
                self.lump(name, year, t, s, amount)
                taken.add((s, c))
                if name == "sei_cluster_guiding_fund":
                    r = self.rules.sei_cluster_guiding_fund
                    capital = amount * max(1.0, r.leverage_target * m.b.guidance_fund_size_reached)
                    self.cluster_capital[s] += capital
                    self.cluster_uninvested[s] += capital
            self.count_award(name, year, len(won))
        self.centre_call(year, t, phased("innovation_centre_grant"))
        self.it_demo_call(year, t, phased("it_integration_demo_award"))

    def centre_call(self, year: int, t: int, n_now: float) -> None:
        """Innovation centres among the R&D performers of priority sectors (ODD 7.5)."""
        m = self.model
        name = "innovation_centre_grant"
        c = self.rules.innovation_centre_grant
        # one equipment draw per slot, every programme year (common random numbers)
        equipment = c.equipment_median * np.exp(
            m.b.centre_equipment_sd * m.streams["programme"].standard_normal(m.high_water)
        )
        cand = [
            a
            for a in m.by_slot()
            if a.rd_performer and m.sectors["priority"][a.sector] and a.rd > 0
        ]
        if n_now <= 0 or not cand or not self.active(name, year):
            return
        amounts = [min(c.matching_rate * equipment[a.slot], c.cap) * m.f for a in cand]
        apps = [
            {"amount": amounts[i], "log_size": math.log(a.rd), "return": 0.0,
             "prior": a.prior_support, "city": a.city}
            for i, a in enumerate(cand)
        ]  # fmt: skip
        won = 0
        for i, ok in enumerate(self.call(name, apps, n_now)):
            if ok:
                a = cand[i]
                self.lump(name, year, t, a.sector, float(amounts[i]))
                self.centres[a.sector] += 1
                a.prior_support = True
                won += 1
        self.count_award(name, year, won)

    def it_demo_call(self, year: int, t: int, n_now: float) -> None:
        """IT-integration demonstration firms: CNC share above the floor, not yet chosen."""
        m = self.model
        name = "it_integration_demo_award"
        d = self.rules.it_integration_demo_award
        cand = [a for a in m.by_slot() if a.cnc >= d.min_cnc_share and not a.it_demo]
        if n_now <= 0 or not cand or not self.active(name, year):
            return
        apps = [
            {"amount": d.award, "log_size": math.log(a.va_base), "return": a.cnc,
             "prior": a.prior_support, "city": a.city}
            for a in cand
        ]  # fmt: skip
        won = [a for a, ok in zip(cand, self.call(name, apps, n_now), strict=True) if ok]
        for a in won:
            self.lump(name, year, t, a.sector, d.award)
            a.it_demo = True
            a.prior_support = True
            self.demo_firms[a.sector, a.city] = self.demo_firms.get((a.sector, a.city), 0) + 1
        self.count_award(name, year, len(won))

    # -- a project's offers and financing ------------------------------------------------------

    def best_offer(
        self, a: Enterprise, kind: int, investment: float, build: int, year: int
    ) -> tuple[str | None, float, float]:
        """The project instrument with the highest expected subsidy share, its award, the share.

        ``s = pi omega (g / I) (1 + h)^(-(build + payment lag) / 4)`` (ODD 7.5).
        """
        b = self.model.b
        revenue = a.value_added / b.va_to_revenue
        best: tuple[str | None, float, float] = (None, 0.0, 0.0)
        for name in PROJECT_LINES:
            rule = getattr(self.rules, name)
            if name == "tech_retrofit_grant":
                ok = kind in (0, 1) and investment >= rule.min_investment
                award = min(rule.matching_rate * investment, rule.cap)
            elif name == "intelligent_mfg_demo_award":
                ok = (
                    kind == 1 and a.cnc >= rule.min_cnc_share and revenue >= rule.min_revenue
                    and not a.im_demo and self.count_left[name] > 0
                )  # fmt: skip
                award = min(rule.matching_rate * (investment * rule.equipment_share), rule.cap)
            else:
                ok = (
                    investment >= rule.min_investment
                    and bool(self.model.sectors["priority"][a.sector])
                    and self.count_left[name] > 0
                )
                award = min(rule.support_per_project, investment)
            if not self.active(name, year):
                continue
            discount = (1.0 + a.hurdle) ** (-(build + rule.payment_lag_quarters) / 4.0)
            share = self.belief[name] * b.application_propensity * (award / investment) * discount
            if ok and share > best[2]:
                best = (name, award, share)
        return best

    def finance(self, a: Enterprise, p: dict, year: int) -> bool:
        """Guarantee, fund or cluster-fund equity for a project that wants money (ODD 7.5).

        Returns whether the project is fundable with the programme; sets ``p["equity"]`` and
        ``p["guarantee"]``.
        """
        b = self.model.b
        cost, capacity = p["cost"], p["capacity"]
        if p["feasible0"] or cost <= capacity:
            return True
        if not p["wants1"]:
            return False
        g = self.rules.loan_guarantee_subsidy
        name = "loan_guarantee_subsidy"
        if a.value_added / b.va_to_revenue <= g.max_revenue and cost <= capacity * (
            1.0 + b.guarantee_capacity_uplift
        ):
            subsidy = (cost - capacity) * g.fee_rate * g.subsidy_share_of_fee
            if subsidy <= self.ledger.left[name]:
                self.ledger.commit(name, year, a.sector, subsidy)
                self.ledger.pay(name, year, year, a.sector, subsidy, -1)
                p["guarantee"] = subsidy
                return True
        fund = self.model.spec.programme.investment_fund
        if cost * (1.0 - fund.max_stake) > capacity:
            return False
        amount = fund.max_stake * cost
        if cost >= fund.min_project and amount <= self.fund_left:
            self.fund_left -= amount
            self.model.year_flows["fund"] += amount
        elif (a.sector, a.city) in self.cluster_cells and amount <= self.cluster_capacity[a.sector]:
            self.cluster_capacity[a.sector] -= amount
            self.cluster_uninvested[a.sector] -= amount
            self.model.year_flows["cluster"] += amount
        else:
            return False
        p["equity"] = amount
        return True

    # -- Q4: the project calls -----------------------------------------------------------------

    def project_calls(self, year: int, t: int) -> None:
        """The year's applications to each project instrument compete (ODD 7.5).

        One award per firm and call (its first accepted application); the perceived award rate
        moves ``award_belief_weight`` of the way to the call's funded share.
        """
        m = self.model
        b = m.b
        for name in PROJECT_LINES:
            apps = [
                p for p in m.projects
                if p.instrument == name and p.apply_year == year and p.award == 0
                and not (p.completed and p.abandon) and not p.closed
            ]  # fmt: skip
            if not apps or self.count_left[name] <= 0:
                continue
            accepted = self.call(
                name,
                [
                    {"amount": p.offer, "log_size": math.log(p.firm.va_base),
                     "return": p.npv_per_yuan, "prior": p.firm.prior_support,
                     "city": p.firm.city, "arrival": p.start}
                    for p in apps
                ],
                self.count_left[name],
            )  # fmt: skip
            winners: list[Project] = []
            seen: set[int] = set()
            for p, ok in zip(apps, accepted, strict=True):
                if ok and p.firm.unique_id not in seen:
                    seen.add(p.firm.unique_id)
                    winners.append(p)
            rule = getattr(self.rules, name)
            for p in winners:
                self.ledger.commit(name, year, p.firm.sector, p.offer)
                p.award, p.award_year, p.award_quarter = p.offer, year, t
                upfront = rule.upfront_share * p.award
                if upfront > 0:
                    self.ledger.pay(name, year, year, p.firm.sector, upfront, p.row)
                    p.paid = upfront
            for p in winners:
                p.firm.prior_support = True
                if name == "intelligent_mfg_demo_award":
                    p.firm.im_demo = True
                    cell = (p.firm.sector, p.firm.city)
                    self.demo_firms[cell] = self.demo_firms.get(cell, 0) + 1
                if p.in_baseline:
                    m.tally["deadweight"][name, year] += 1
                else:
                    m.tally["additional"][name, year] += 1
            self.count_award(name, year, len(winners))
            w = b.award_belief_weight
            self.belief[name] = (1.0 - w) * self.belief[name] + w * len(winners) / len(apps)

    # -- first-of-a-kind equipment ---------------------------------------------------------------

    def first_of_kind(self, year: int, t: int, in_programme: bool) -> None:
        """First-of-a-kind sets look for buyers; the province subsidises maker, buyer, insurance.

        ``P = expit(b0 + b1 s - b2 risk (1 - cover))`` (ODD 7.5); sets are drawn whatever the
        scenario; an additional sale adds its value added to the maker's year once and raises
        its high-tech share.
        """
        m = self.model
        b = m.b
        rule = self.rules.first_of_kind_equipment_subsidy
        rng = m.streams["first_of_kind"]
        n = int(rng.poisson(rule.candidates_per_year * m.f / 4.0))
        z = rng.standard_normal(n)
        u_sale, u_buyer, u_maker = rng.random(n), rng.random(n), rng.random(n)
        if n == 0:
            return
        makers = [a for a in m.by_slot() if m.sectors["equipment_maker"][a.sector]]
        if not makers:
            return
        b0, b1, b2 = b.first_of_kind_sale_logit
        national = rule.insurance_national_share
        p0 = expit(b0 - b2 * b.first_of_kind_risk * (1.0 - national))
        name = "first_of_kind_equipment_subsidy"
        active = in_programme and self.active(name, year)
        cover = national + rule.insurance_province_share
        for i in range(n):
            maker = makers[min(int(u_maker[i] * len(makers)), len(makers) - 1)]
            price = rule.price_median * math.exp(b.first_of_kind_price_sd * z[i])
            maker_sub = min(rule.maker_rate * price, rule.maker_cap)
            buyer_sub = (
                min(rule.buyer_rate * price, rule.buyer_cap)
                if u_buyer[i] < rule.buyer_in_province_share
                else 0.0
            )
            total = (
                maker_sub + buyer_sub + rule.premium_rate * price * rule.insurance_province_share
            )
            p1 = expit(
                b0 + b1 * (maker_sub + buyer_sub) / price - b2 * b.first_of_kind_risk * (1 - cover)
            )
            sold0 = u_sale[i] < p0
            sold1 = sold0
            if active and u_sale[i] < p1 and total <= self.ledger.left[name]:
                self.lump(name, year, t, maker.sector, float(total))
                sold1 = True
                m.tally["awards"][name, year] += 1
                m.tally["deadweight" if sold0 else "additional"][name, year] += 1
            if sold1 and not sold0:
                m.one_off_va[maker.sector] += price * b.va_to_revenue
                maker.hightech += b.hightech_upgrade_step * (1.0 - maker.hightech)

    # -- Q4: cluster-fund entrants -----------------------------------------------------------------

    def cluster_entry(self) -> None:
        """Cluster-fund capacity not used by members draws entrants into the sector (ODD 7.5).

        Expected entrants ``beta_E x invested / sector VA x firms in the sector``, Poisson; a
        cohort of firms of the entrants' median size and the sector's typical product mix, in
        the actual world.
        """
        m = self.model
        b = m.b
        invested = [max(c, 0.0) for c in self.cluster_capacity]
        for s in range(m.n_sectors):
            self.cluster_uninvested[s] -= invested[s]
        self.cluster_capacity = [0.0] * m.n_sectors
        m.year_flows["cluster"] += sum(invested)
        if not any(v > 0 for v in invested):
            return
        sector_va = [0.0] * m.n_sectors
        count = [0] * m.n_sectors
        for a in m.by_slot():
            sector_va[a.sector] += a.va_base
            count[a.sector] += 1
        expected = [
            b.fund_entry_effect * invested[s] / max(sector_va[s], 1.0) * count[s]
            for s in range(m.n_sectors)
        ]
        entrants = m.streams["programme"].poisson(expected)
        va_each = b.entrant_median_revenue * b.va_to_revenue
        for s in range(m.n_sectors):
            sei, ht = m.typical_mix(s)
            self.cohort_count[s] += entrants[s]
            self.cohort_va[s] += entrants[s] * va_each
            self.cohort_sei[s] += entrants[s] * va_each * sei
            self.cohort_hightech[s] += entrants[s] * va_each * ht

    # -- payments and lapses -----------------------------------------------------------------

    def pay(self, year: int, t: int) -> None:
        """Awards due: a project's after completion (or the award) plus the payment lag; lumps."""
        for p in self.model.projects:
            if p.award > 0 and not p.closed and p.completed and not p.abandon:
                rule = getattr(self.rules, p.instrument)
                if max(p.done, p.award_quarter) + rule.payment_lag_quarters <= t:
                    self.ledger.pay(
                        p.instrument, p.award_year, year, p.firm.sector, p.award - p.paid, p.row
                    )
                    p.paid = p.award
                    p.closed = True
        keep = []
        for item in self.scheduled:
            due, name, commit_year, sector, amount = item
            if due <= t:
                self.ledger.pay(name, commit_year, year, sector, amount, -1)
            else:
                keep.append(item)
        self.scheduled = keep

    def release(self, p: Project, year: int) -> None:
        """An abandoned project (or one of an exiting firm): what is unpaid of its award lapses."""
        rest = p.award - p.paid
        if p.award > 0 and not p.closed and rest > 0:
            self.ledger.lapse(p.instrument, p.award_year, year, p.firm.sector, rest, p.row)
        p.closed = True
