"""The province's administration of the programme: budget, calls, awards, payments, funds.

:class:`ProvincialProgramme` holds what the province decides and owes: the grant ledger, the
counts of awards made, the selected cells (clusters, bases, parks), demonstration firms and
innovation centres per cell and sector, the cluster funds' capital and the investment fund's
money, awards waiting for payment, and the cohorts of cluster-fund entrants. Each instrument's
eligibility and call is in :mod:`mfgplan.economy.instruments`; the phases of a quarter that
belong to the province are the public methods here, called by
:meth:`mfgplan.economy.economy.ManufacturingEconomy.step` (ODD 3 and 7.5).
"""

from __future__ import annotations

import numpy as np

from mfgplan.economy import rules
from mfgplan.economy.calls import merit_score, run_call
from mfgplan.economy.instruments import (
    FIRM_INSTRUMENTS,
    PROJECT_INSTRUMENTS,
    SCALED_COUNTS,
    SITE_INSTRUMENTS,
    count_limit,
    phased_count,
    scaled_count,
)
from mfgplan.economy.ledger import GrantLedger, grant_ledger
from mfgplan.economy.record import Cohorts
from mfgplan.economy.shared import Shared
from mfgplan.inputs.fields import expand_yearly
from mfgplan.inputs.programme import GRANT_INSTRUMENTS
from mfgplan.inputs.sectors import CITIES, SECTORS

__all__ = ["K", "ProvincialProgramme", "grant_ledger"]

N_SECTORS = len(SECTORS)
N_CITIES = len(CITIES)
#: index of each grant instrument in the ``instrument`` dimension
K = {name: k for k, name in enumerate(GRANT_INSTRUMENTS)}


class ProvincialProgramme:
    """The province's side of a replicate (see module doc).

    Parameters
    ----------
    shared
        The firms, projects, sectors, random streams and record of the replicate.
    ledger
        The grant ledger (:func:`grant_ledger`), also the record's.
    """

    def __init__(self, shared: Shared, ledger: GrantLedger) -> None:
        scenario = shared.scenario
        self.shared = shared
        self.config = scenario.programme
        self.rules = scenario.programme.instruments
        self.behaviour = scenario.behaviour
        self.firms = shared.firms
        self.projects = shared.projects
        self.sectors = shared.sectors
        self.city_shares = shared.city_shares
        self.streams = shared.streams
        self.years = shared.years
        self.recorder = shared.recorder
        self.programme_years = set(scenario.programme_years)
        self.allocation = scenario.allocation_by_year()
        self.ledger = ledger
        #: the model's firms as a fraction of the province's (budgets and counts scale by it)
        self.sample = shared.sample_fraction
        fund = self.config.investment_fund
        reached = self.behaviour.guidance_fund_size_reached
        #: the investment fund's capital made available each programme year [yuan]: the
        #: plan's annual investment times the share of its target a guidance fund raises
        self.fund_annual = {
            year: amount * reached * self.sample
            for year, amount in expand_yearly(
                fund.annual_investment, scenario.programme_years, field="annual_investment"
            ).items()
        }
        #: capital the fund has still to raise: its size, reached in the same proportion [yuan]
        self.fund_unraised = fund.size * reached * self.sample
        #: equity the investment fund can still invest [yuan]
        self.fund_remaining = 0.0
        #: the plan's counts of awards, scaled to the sample where they count firms or projects
        u_round = self.streams["scaling"].random(len(GRANT_INSTRUMENTS))
        self.count_total: dict[str, int | None] = {}
        for k, name in enumerate(GRANT_INSTRUMENTS):
            limit = count_limit(getattr(self.rules, name))
            if limit is not None and name in SCALED_COUNTS:
                limit = scaled_count(limit, self.sample, float(u_round[k]))
            self.count_total[name] = limit
        #: each project instrument's award rate as firms perceive it (updated after each call)
        self.perceived_award_probability = {
            i.name: self.behaviour.initial_award_probability for i in PROJECT_INSTRUMENTS
        }
        self.awards_used = dict.fromkeys(GRANT_INSTRUMENTS, 0)
        #: selected cells [sector, city]: intelligent-manufacturing bases, parks, clusters
        self.base_cell = np.zeros((N_SECTORS, N_CITIES), dtype=bool)
        self.park_cell = np.zeros((N_SECTORS, N_CITIES), dtype=bool)
        self.cluster_cell = np.zeros((N_SECTORS, N_CITIES), dtype=bool)
        #: demonstration firms per cell [sector, city] and innovation centres per sector
        self.demo_count = np.zeros((N_SECTORS, N_CITIES))
        self.centres = np.zeros(N_SECTORS)
        #: cluster-fund capital raised, not yet invested, and investable this year [sector]
        self.cluster_capital = np.zeros(N_SECTORS)
        self.cluster_uninvested = np.zeros(N_SECTORS)
        self.cluster_capacity = np.zeros(N_SECTORS)
        self.cohorts = Cohorts.empty()
        #: lump sums due later: (quarter due, instrument, commitment year, sector, yuan)
        self.scheduled: list[tuple[int, int, int, int, float]] = []
        #: award each application would receive under its instrument's rule [yuan], by project
        self.pending_amount = np.zeros(0)
        #: the equipment makers of the year (:meth:`equipment_makers`) and that year
        self._makers = np.zeros(0, dtype=np.intp)
        self._makers_year = 0

    # -- the budget year ---------------------------------------------------------------------

    def open_year(self, year: int, t: int, in_programme: bool) -> None:
        """Open the budget year (Q1).

        The year's allocation becomes available, the fund gets its annual money, the Q1 calls run,
        and the cluster funds' investable capacity is set.
        """
        self.ledger.open_year(year)
        if in_programme:
            raised = min(self.fund_annual[year], self.fund_unraised)
            self.fund_unraised -= raised
            self.fund_remaining += raised
            self.lump_sum_calls(year, t)
        share = self.rules.sei_cluster_guiding_fund.invest_share_per_year
        self.cluster_capacity = np.minimum(self.cluster_capital * share, self.cluster_uninvested)

    def close_year(self, year: int) -> None:
        """Q4: the carry-over rule applies to money not committed."""
        self.ledger.close_year(year)

    def count_limit(self, name: str) -> int:
        """Awards of ``name`` still allowed by the plan's count (``10**9`` without a count).

        Counts of firms and projects are the plan's scaled to the sample of firms
        (:func:`scaled_count`); counts of places are the plan's.
        """
        limit = self.count_total[name]
        return 10**9 if limit is None else limit - self.awards_used[name]

    def count_awards(self, name: str, year: int, n: int) -> None:
        """Count ``n`` awards of ``name`` made in ``year``."""
        self.awards_used[name] += n
        self.recorder.awards[K[name], year - int(self.years[0])] += n

    # -- calls -------------------------------------------------------------------------------

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
        """Run one call of ``name`` over candidate applications; returns the accepted mask.

        The call is :func:`mfgplan.economy.calls.run_call` on the reviewers' merit score.
        """
        rule = getattr(self.rules, name)
        b = self.behaviour
        rng = self.streams["selection"]
        n = amounts.size
        noise = rng.standard_normal(n)
        tiebreak = rng.random(n)
        score = merit_score(
            score_return, score_size, prior, noise, b.selection_weight_size,
            b.selection_weight_prior, b.selection_noise,
        )  # fmt: skip
        outcome = run_call(
            amounts,
            self.ledger.remaining(name),
            max_count,
            rule.selection,
            rule.rationing,
            score,
            arrival,
            tiebreak,
            city,
            self.city_shares,
        )
        return outcome.accepted

    def lump_sum_calls(self, year: int, t: int) -> None:
        """Q1 calls of the instruments that select places or firms, not projects (ODD 7.5).

        The site instruments run first, then the firm instruments, counts phased evenly.
        """
        f = self.firms
        hw = f.high_water
        live = np.flatnonzero(f.alive[:hw])
        years_left = max(self.config.last_year - year + 1, 1)
        cell_va = np.zeros((N_SECTORS, N_CITIES))
        np.add.at(cell_va, (f.sector[live], f.city[live]), f.va_base[live])
        cell_sector, cell_city = np.divmod(np.arange(N_SECTORS * N_CITIES), N_CITIES)
        flat_va = cell_va.ravel()
        for instrument in SITE_INSTRUMENTS:
            name = instrument.name
            taken = getattr(self, instrument.cells)
            amount = instrument.amount(self) * self.sample
            n_now = phased_count(self.count_limit(name), years_left)
            eligible = instrument.eligible(self, cell_sector)
            cand = np.flatnonzero(eligible & (flat_va > 0) & ~taken.ravel())
            if n_now <= 0 or cand.size == 0 or self.allocation[name].get(year, 0.0) <= 0:
                continue
            accepted = self.call(
                name,
                np.full(cand.size, amount),
                n_now,
                np.log(flat_va[cand]),
                np.zeros(cand.size),
                np.zeros(cand.size, dtype=bool),
                cell_city[cand],
                np.zeros(cand.size, dtype=np.int64),
            )
            chosen = cand[accepted]
            for c in chosen:
                self.commit_lump(name, year, t, int(cell_sector[c]), amount)
            taken.ravel()[chosen] = True
            self.count_awards(name, year, chosen.size)
            instrument.awarded(self, cell_sector[chosen], amount)
        for instrument in FIRM_INSTRUMENTS:
            n_now = phased_count(self.count_limit(instrument.name), years_left)
            instrument.call(self, year, t, live, n_now)

    def commit_lump(self, name: str, year: int, t: int, sector: int, amount: float) -> None:
        """Commit a lump sum now; pay the upfront share now and the rest after the lag."""
        rule = getattr(self.rules, name)
        self.ledger.commit(name, year, sector, amount)
        upfront = rule.upfront_share * amount
        if upfront > 0:
            self.ledger.pay(name, year, year, sector, upfront)
        if amount - upfront > 0:
            due = t + max(rule.payment_lag_quarters, 0)
            self.scheduled.append((due, K[name], year, sector, amount - upfront))

    # -- project instruments -------------------------------------------------------------------

    def offers(
        self,
        year: int,
        slots: np.ndarray,
        kind: np.ndarray,
        investment: np.ndarray,
        hurdle: np.ndarray,
        build: np.ndarray,
        in_programme: bool,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The project instrument each arriving project would apply to, award and subsidy share.

        The expected subsidy share is :func:`mfgplan.economy.rules.effective_subsidy`; the
        instrument is ``-1`` where none. Instruments without money this year offer nothing.
        """
        n = slots.size
        best = np.full(n, -1, dtype=np.int8)
        best_award = np.zeros(n)
        best_share = np.zeros(n)
        if not in_programme:
            return best, best_award, best_share
        b = self.behaviour
        revenue = self.firms.va(slots) / b.va_to_revenue
        offers = [
            (i.name, *i.offer(self, slots, kind, investment, revenue)) for i in PROJECT_INSTRUMENTS
        ]
        for name, eligible, amount in offers:
            if self.allocation[name].get(year, 0.0) <= 0.0:
                continue
            rule = getattr(self.rules, name)
            share = rules.effective_subsidy(
                amount,
                investment,
                self.perceived_award_probability[name],
                b.application_propensity,
                build + rule.payment_lag_quarters,
                hurdle,
            )
            better = eligible & (share > best_share)
            best[better] = K[name]
            best_award[better] = amount[better]
            best_share[better] = share[better]
        return best, best_award, best_share

    def hold_applications(self, rows: np.ndarray, award: np.ndarray) -> None:
        """Keep the award each new project row would receive if its application wins."""
        pb = self.projects
        if self.pending_amount.size < pb.capacity:
            grown = np.zeros(pb.capacity)
            grown[: self.pending_amount.size] = self.pending_amount
            self.pending_amount = grown
        self.pending_amount[rows] = award

    def project_calls(self, year: int, t: int) -> None:
        """Annual calls of the project instruments, decided in Q4 (ODD 7.5).

        One award per firm and call; the perceived award rate moves halfway to this call's rate.
        """
        pb = self.projects
        f = self.firms
        n = pb.n
        for instrument in PROJECT_INSTRUMENTS:
            name = instrument.name
            k = K[name]
            apps = np.flatnonzero(
                (pb.instrument[:n] == k)
                & (pb.apply_year[:n] == year)
                & (pb.award[:n] == 0)
                & ~(pb.completed[:n] & pb.abandon[:n])
                & ~pb.closed[:n]
            )
            limit = self.count_limit(name)
            if apps.size == 0 or limit <= 0:
                continue
            firm = pb.firm[apps]
            amounts = self.pending_amount[apps]
            accepted = self.call(
                name,
                amounts,
                limit,
                np.log(f.va_base[firm]),
                pb.npv_per_yuan[apps],
                f.prior_support[firm],
                f.city[firm],
                pb.start[apps],
            )
            # one award per firm and call: keep the first accepted project of each firm
            win = apps[accepted]
            _, first = np.unique(pb.firm[win], return_index=True)
            win = win[np.sort(first)]
            self._award_projects(instrument.name, win, year, t)
            instrument.awarded(self, pb.firm[win])
            rate = win.size / apps.size
            p = self.perceived_award_probability[name]
            w = self.behaviour.award_belief_weight
            self.perceived_award_probability[name] = (1.0 - w) * p + w * rate

    def _award_projects(self, name: str, rows: np.ndarray, year: int, t: int) -> None:
        """Commit the awards of project rows ``rows`` and pay their upfront share."""
        pb = self.projects
        rule = getattr(self.rules, name)
        for r in rows:
            amount = float(self.pending_amount[r])
            sector = int(pb.sector[r])
            self.ledger.commit(name, year, sector, amount)
            pb.award[r] = amount
            pb.award_year[r] = year
            pb.award_quarter[r] = t
            upfront = rule.upfront_share * amount
            if upfront > 0:
                self.ledger.pay(name, year, year, sector, upfront, project=int(r))
                pb.paid[r] = upfront
        self.firms.prior_support[pb.firm[rows]] = True
        k = K[name]
        yi = year - int(self.years[0])
        self.count_awards(name, year, rows.size)
        self.recorder.additional[k, yi] += int((pb.in_actual[rows] & ~pb.in_baseline[rows]).sum())
        self.recorder.deadweight[k, yi] += int(pb.in_baseline[rows].sum())

    # -- financing -----------------------------------------------------------------------------

    def finance(
        self,
        year: int,
        slots: np.ndarray,
        investment: np.ndarray,
        capacity: np.ndarray,
        feasible: np.ndarray,
        wants: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Relax liquidity constraints with guarantees, fund and cluster-fund equity (ODD 7.5).

        First come first served within the quarter (in slot order) while money lasts.
        Returns the feasibility with the programme, equity and guarantee-fee subsidy per project.
        """
        f = self.firms
        b = self.behaviour
        feasible = feasible | (investment <= capacity)
        equity = np.zeros(slots.size)
        guarantee = np.zeros(slots.size)
        need = wants & ~feasible
        if not need.any():
            return feasible, equity, guarantee
        # loan guarantees for SMEs: guaranteed borrowing on top of capacity
        g = self.rules.loan_guarantee_subsidy
        revenue = f.va(slots) / b.va_to_revenue
        eligible = (
            need
            & (revenue <= g.max_revenue)
            & (investment <= capacity * (1.0 + b.guarantee_capacity_uplift))
        )
        for i in np.flatnonzero(eligible):
            loan = investment[i] - capacity[i]
            subsidy = loan * g.fee_rate * g.subsidy_share_of_fee
            if subsidy <= self.ledger.remaining("loan_guarantee_subsidy"):
                s = int(f.sector[slots[i]])
                self.ledger.commit("loan_guarantee_subsidy", year, s, subsidy)
                self.ledger.pay("loan_guarantee_subsidy", year, year, s, subsidy)
                guarantee[i] = subsidy
                feasible[i] = True
        # equity: the investment fund (large projects), cluster funds (members' projects)
        fund = self.config.investment_fund
        stake = fund.max_stake
        need = wants & ~feasible & (investment * (1.0 - stake) <= capacity)
        for i in np.flatnonzero(need):
            amount = stake * investment[i]
            s = int(f.sector[slots[i]])
            if investment[i] >= fund.min_project and amount <= self.fund_remaining:
                self.fund_remaining -= amount
                self.recorder.fund_year += amount
            elif self.cluster_cell[s, f.city[slots[i]]] and amount <= self.cluster_capacity[s]:
                self.cluster_capacity[s] -= amount
                self.cluster_uninvested[s] -= amount
                self.recorder.cluster_year += amount
            else:
                continue
            equity[i] = amount
            feasible[i] = True
        return feasible, equity, guarantee

    # -- first-of-a-kind equipment -------------------------------------------------------------

    def first_of_kind(self, year: int, t: int, in_programme: bool) -> None:
        """First-of-a-kind sets look for buyers (ODD 7.5).

        The province subsidises maker, buyer and insurance. Draws are made whatever the scenario
        (common random numbers).
        """
        rng = self.streams["first_of_kind"]
        rule = self.rules.first_of_kind_equipment_subsidy
        b = self.behaviour
        f = self.firms
        n = int(rng.poisson(rule.candidates_per_year * self.sample / 4.0))
        z = rng.standard_normal(n)
        u_sale = rng.random(n)
        u_buyer = rng.random(n)
        u_maker = rng.random(n)
        if n == 0:
            return
        makers = self.equipment_makers(year)
        if makers.size == 0:
            return
        maker = makers[np.minimum((u_maker * makers.size).astype(np.int64), makers.size - 1)]
        price = rule.price_median * np.exp(b.first_of_kind_price_sd * z)
        national = rule.insurance_national_share
        p0 = rules.first_of_kind_sale_probability(
            b.first_of_kind_sale_logit, 0.0, b.first_of_kind_risk, national
        )
        sold0 = u_sale < p0
        name = "first_of_kind_equipment_subsidy"
        active = in_programme and self.allocation[name].get(year, 0.0) > 0
        maker_sub = rules.award_amount(rule.maker_rate, rule.maker_cap, price)
        in_province = u_buyer < rule.buyer_in_province_share
        buyer_sub = np.where(
            in_province, rules.award_amount(rule.buyer_rate, rule.buyer_cap, price), 0.0
        )
        insurance = rule.premium_rate * price * rule.insurance_province_share
        total = maker_sub + buyer_sub + insurance
        p1 = rules.first_of_kind_sale_probability(
            b.first_of_kind_sale_logit,
            (maker_sub + buyer_sub) / price,
            b.first_of_kind_risk,
            national + rule.insurance_province_share,
        )
        sold1 = sold0.copy()
        yi = year - int(self.years[0])
        k = K[name]
        if active:
            for i in range(n):
                if u_sale[i] < p1[i] and total[i] <= self.ledger.remaining(name):
                    s = int(f.sector[maker[i]])
                    self.commit_lump(name, year, t, s, float(total[i]))
                    sold1[i] = True
                    self.recorder.awards[k, yi] += 1
                    if sold0[i]:
                        self.recorder.deadweight[k, yi] += 1
                    else:
                        self.recorder.additional[k, yi] += 1
        extra = sold1 & ~sold0
        if extra.any():
            # an additional sale adds its value added to the maker's year, once, and raises the
            # maker's high-tech share: each sale, so a maker with two sales moves twice
            m = maker[extra]
            np.add.at(self.recorder.one_off_va, f.sector[m], price[extra] * b.va_to_revenue)
            for i in m:
                f.hightech[i] += b.hightech_upgrade_step * (1.0 - f.hightech[i])

    def equipment_makers(self, year: int) -> np.ndarray:
        """Slots of the live firms of the equipment sectors, in slot order.

        The register changes only at the end of Q4 (ODD 3, step 9), after the year's last
        first-of-a-kind sets, so the makers are found once a year.
        """
        if self._makers_year != year:
            f = self.firms
            hw = f.high_water
            maker = self.sectors["equipment_maker"][f.sector[:hw]]
            self._makers = np.flatnonzero(f.alive[:hw] & maker)
            self._makers_year = year
        return self._makers

    # -- cluster funds: entry ------------------------------------------------------------------

    def cluster_entry(self, year: int) -> None:
        """Cluster-fund capital draws new firms into the cluster's sector (ODD 7.5).

        Capacity not used by members' projects this year is invested in new firms: expected
        entrants ``beta_E * (capital invested / sector VA) * firms in sector``; they are kept
        as a cohort per sector (value added, count, product mix), in the actual world only.
        """
        invested = np.maximum(self.cluster_capacity, 0.0)
        self.cluster_uninvested -= invested
        self.cluster_capacity[:] = 0.0
        self.recorder.cluster_year += float(invested.sum())
        if not (invested > 0).any():
            return
        f = self.firms
        b = self.behaviour
        hw = f.high_water
        live = f.alive[:hw]
        sector_va = np.bincount(
            f.sector[:hw][live], weights=f.va_base[:hw][live], minlength=N_SECTORS
        )
        counts = np.bincount(f.sector[:hw][live], minlength=N_SECTORS)
        expected = b.fund_entry_effect * invested / np.maximum(sector_va, 1.0) * counts
        entrants = self.streams["programme"].poisson(expected)
        va_each = b.entrant_median_revenue * b.va_to_revenue
        sei, ht = self.shared.population.sector_levels()
        cohorts = self.cohorts
        cohorts.count += entrants
        cohorts.va += entrants * va_each
        cohorts.sei += entrants * va_each * sei
        cohorts.hightech += entrants * va_each * ht

    # -- payments ------------------------------------------------------------------------------

    def pay(self, year: int, t: int) -> None:
        """Pay awards that are due (ODD 7.5: ex-post payment after completion and a lag)."""
        pb = self.projects
        n = pb.n
        lag = np.array([getattr(self.rules, k).payment_lag_quarters for k in GRANT_INSTRUMENTS])
        open_ = np.flatnonzero(
            (pb.award[:n] > 0) & ~pb.closed[:n] & pb.completed[:n] & ~pb.abandon[:n]
        )
        if open_.size:
            due = np.maximum(pb.done[open_], pb.award_quarter[open_]) + lag[pb.instrument[open_]]
            rows = open_[due <= t]
            # in row order, as one payment each
            self.ledger.pay_many(
                pb.instrument[rows], pb.award_year[rows], year, pb.sector[rows].astype(np.intp),
                pb.award[rows] - pb.paid[rows], rows,
            )  # fmt: skip
            pb.paid[rows] = pb.award[rows]
            pb.closed[rows] = True
        if self.scheduled:
            due_now = [item for item in self.scheduled if item[0] <= t]
            if due_now:
                _, k, commit_year, sector, amount = zip(*due_now, strict=True)
                self.ledger.pay_many(
                    np.array(k), np.array(commit_year), year, np.array(sector, dtype=np.intp),
                    np.array(amount, dtype=float), np.full(len(due_now), -1),
                )  # fmt: skip
                self.scheduled = [item for item in self.scheduled if item[0] > t]

    def release(self, rows: np.ndarray, year: int) -> None:
        """Lapse what is left of the awards of projects ``rows`` and close them.

        The projects were abandoned, or the firm exited; rows in ascending order.
        """
        pb = self.projects
        rest = pb.award[rows] - pb.paid[rows]
        open_award = (pb.award[rows] > 0) & ~pb.closed[rows] & (rest > 0)
        for row, amount in zip(rows[open_award], rest[open_award], strict=True):
            k = int(pb.instrument[row])
            self.ledger.lapse(
                GRANT_INSTRUMENTS[k], int(pb.award_year[row]), int(pb.sector[row]), amount, year,
                project=int(row),
            )  # fmt: skip
        pb.closed[rows] = True
