"""The classic-Mesa rendering of the firm rules: the production model's oracle and yardstick.

:class:`ClassicEconomy` runs the same scenario as
:class:`mfgplan.economy.economy.ManufacturingEconomy` with the firm phases rendered the way a
textbook Mesa model would (:class:`ClassicFirmDynamics`, plugged in through the economy's
``firm_dynamics`` seam): one :class:`FirmAgent` (a ``mesa.Agent``) per enterprise, each phase
of the quarter run agent by agent with ``AgentSet.shuffle_do`` and scalar arithmetic, and a
``DataCollector`` whose reporters walk the agents. What it renders this way are the firm rules:
production, R&D and innovation, project arrival and the two-world adoption decision, and exit.
Programme-level steps that are queues over the applicants (calls, financing in slot order,
payments, the ledger) and entry are the production code itself: they are one shared process, not
a firm's rule, and sharing them keeps the two renderings comparable line for line.

Random numbers are drawn by the model, one array per stream and step as in the production model,
and each agent reads its own element, so that the order in which ``shuffle_do`` visits the
agents changes nothing: the two renderings give the same aggregates from the same seed
(``tests/integration/test_reference.py``). Agents hold their slot in the model's firm table and
read and write their state there, so that the shared programme code sees it.

This file is not part of the installed package: it is for the equivalence test and
``benchmarks/run.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import mesa
import numpy as np

from mfgplan.economy import rules
from mfgplan.economy.economy import ManufacturingEconomy
from mfgplan.economy.firm_dynamics import FirmDynamics, Proposals
from mfgplan.economy.firms import ProjectType
from mfgplan.economy.programme import ProvincialProgramme
from mfgplan.economy.shared import Shared
from mfgplan.inputs.parameters import Scenario

__all__ = ["ClassicEconomy", "ClassicFirmDynamics", "FirmAgent"]


class FirmAgent(mesa.Agent):
    """One enterprise; its state lives at ``slot`` of the model's firm table."""

    model: ManufacturingEconomy

    def __init__(self, model: ManufacturingEconomy, slot: int) -> None:
        super().__init__(model)
        self.slot = int(slot)
        self.arrives = False
        self.arrives_without_programme = False
        self.exiting = False
        self.proposal: dict[str, Any] | None = None

    # -- production ----------------------------------------------------------------------------

    def produce(self) -> None:
        """Grow no-programme value added with the baseline and a Gibrat shock; ramp uplifts."""
        m = self.model
        f = m.firms
        i = self.slot
        b = m.behaviour
        sd = b.idiosyncratic_sd
        rel = m.sectors["relative_growth"][f.sector[i]]
        d = m.dynamics
        f.va_base[i] *= np.exp((d.step_growth + rel) / 4 + 0.5 * sd * d.draw_shock[i]
                               - 0.5 * (0.5 * sd) ** 2)  # fmt: skip
        for pending, uplift in (
            (f.pending_capital, f.uplift_capital),
            (f.pending_tfp, f.uplift_tfp),
        ):
            moved = pending[i] * m.dynamics.ramp
            uplift[i] += moved
            pending[i] -= moved
        f.uplift_capital[i] *= 1.0 - b.capital_depreciation
        if b.cnc_drift:
            f.cnc[i] += b.cnc_drift * (1.0 - f.cnc[i])
            f.cnc_base[i] += b.cnc_drift * (1.0 - f.cnc_base[i])

    # -- R&D and innovation --------------------------------------------------------------------

    def research(self) -> None:
        """Partial adjustment of R&D to its tax-price-dependent target, then an innovation draw."""
        m = self.model
        f = m.firms
        i = self.slot
        if not f.rd_performer[i]:
            return
        b = m.behaviour
        claiming = bool(f.claims_deduction[i] and f.taxable[i])
        va_actual = f.va(i)
        va_base = f.va_base[i]
        for va, rd, response in (
            (va_actual, f.rd, m.dynamics.rd_response[0]),
            (va_base, f.rd_base, m.dynamics.rd_response[1]),
        ):
            revenue = va / b.va_to_revenue
            desired = f.rd_intensity_ref[i] * revenue * (response if claiming else 1.0)
            rd[i] = rd[i] + b.rd_adjustment_speed * (desired - rd[i])
        u = m.dynamics.draw_innovation[i]
        boost = b.innovation_centre_spillover * m.province.centres[f.sector[i]]
        for va, rd, sei, ht, bst in (
            (va_actual, f.rd, f.sei, f.hightech, boost),
            (va_base, f.rd_base, f.sei_base, f.hightech_base, 0.0),
        ):
            revenue = max(va / b.va_to_revenue, 1.0)
            p = rules.innovation_probability(
                rd[i] / revenue, m.population.reference_rd_intensity, b.innovation_rate, bst
            )
            if u < p:
                sector = f.sector[i]
                if m.sectors["sei_eligible"][sector]:
                    sei[i] += b.sei_upgrade_step * (1.0 - sei[i])
                if m.sectors["hightech_eligible"][sector]:
                    ht[i] += b.hightech_upgrade_step * (1.0 - ht[i])

    # -- projects ------------------------------------------------------------------------------

    def consider_project(self) -> None:
        """Does a project opportunity arrive (with and without the demonstration effects)?"""
        m = self.model
        f = m.firms
        i = self.slot
        b = m.behaviour
        s, c = int(f.sector[i]), int(f.city[i])
        peers = max(m.dynamics.cell_firm_count[s, c] - 1.0, 1.0)
        pilot = bool(f.im_demo[i] or f.it_demo[i])
        demo = (
            0.0 if pilot else b.demonstration_effect * 100.0 * m.province.demo_count[s, c] / peers
        )
        extra = (
            demo
            + b.base_effect * m.province.base_cell[s, c]
            + b.park_effect * m.province.park_cell[s, c]
        )
        u = m.dynamics.draw_arrival[i]
        self.arrives_without_programme = bool(u < b.project_arrival_rate)
        self.arrives = bool(u < min(b.project_arrival_rate + extra, b.max_arrival_probability))

    def evaluate_project(self) -> None:
        """Value the project in both worlds and decide (before financing)."""
        m = self.model
        f = m.firms
        i = self.slot
        b = m.behaviour
        u_type, z_size, u_adopt, u_apply, u_abandon = m.dynamics.draw_project[self.slot]
        only_actual = not self.arrives_without_programme
        shares = np.cumsum(b.project_type_shares)
        kind = min(int(np.searchsorted(shares, u_type * shares[-1], side="right")), 3)
        if only_actual:
            kind = int(ProjectType.INTELLIGENT)
        capital = b.capital_output_ratio * f.va_base[i]
        ratio = np.exp(b.project_size_log_mean + b.project_size_log_sd * z_size)
        investment = ratio * capital
        retrofit_like = kind in (ProjectType.RETROFIT, ProjectType.INTELLIGENT)
        tfp = b.retrofit_tfp_effect if retrofit_like else 0.0
        cap_part, tfp_part = rules.project_log_output_gain(ratio, b.capital_elasticity, tfp)
        gain = cap_part + tfp_part
        build = int(b.build_quarters[kind])
        tau = m.spec.national_policy.corporate_income_tax_rate
        hurdle = f.hurdle[i]
        size_rel = f.va_base[i] / m.population.median_va
        scale = rules.logit_scale(b.investment_elasticity, b.reference_adoption_probability) * (
            size_rel ** (-b.small_firm_responsiveness) if size_rel < 1.0 else 1.0
        )
        npv0 = rules.project_npv(
            f.va_base[i], investment, gain, b.cash_flow_per_va, tau, hurdle, build,
            b.project_life_years,
        )  # fmt: skip
        npv0_per_yuan = npv0 / investment
        p0 = rules.adoption_probability(npv0_per_yuan, b.real_options_premium, scale)
        instrument, award, subsidy_share = m.province.offers(
            m.dynamics.step_year,
            np.array([i]),
            np.array([kind], dtype=np.int8),
            np.array([investment]),
            np.array([hurdle]),
            np.array([build]),
            m.dynamics.step_in_programme,
        )
        cost_cut = b.base_cost_reduction * m.province.base_cell[f.sector[i], f.city[i]]
        npv1 = rules.project_npv(
            f.va(i), investment * (1.0 - cost_cut), gain, b.cash_flow_per_va,
            tau, hurdle, build, b.project_life_years, subsidy_share[0],
        )  # fmt: skip
        p1 = rules.adoption_probability(npv1 / investment, b.real_options_premium, scale)
        lam = b.borrowing_capacity_soe if f.ownership[i] == 0 else b.borrowing_capacity_private
        capacity = lam * np.exp(f.liquidity[i]) * capital
        feasible0 = bool(investment <= capacity)
        self.proposal = {
            "kind": kind,
            "ratio": ratio,
            "investment": investment,
            "build": build,
            "npv0_per_yuan": npv0_per_yuan,
            "instrument": int(instrument[0]),
            "award": float(award[0]),
            "cost_with_programme": investment * (1.0 - cost_cut),
            "capacity": capacity,
            "feasible0": feasible0,
            "adopt0": bool(feasible0 and u_adopt < p0 and not only_actual),
            "wants1": bool(u_adopt < p1),
            "u_apply": u_apply,
            "u_abandon": u_abandon,
        }

    # -- exit ----------------------------------------------------------------------------------

    def consider_exit(self) -> None:
        """Leave the above-scale register with a size-dependent annual hazard."""
        m = self.model
        i = self.slot
        b = m.behaviour
        hazard = rules.exit_hazard(
            b.exit_rate,
            m.firms.va_base[i] / m.dynamics.step_median,
            b.exit_size_elasticity,
            period_years=1.0,
        )
        self.exiting = bool(m.dynamics.draw_exit[i] < hazard)

    @property
    def value_added(self) -> float:
        """Value added with the programme [yuan/year, base-year prices]."""
        return float(self.model.firms.va(self.slot))


class ClassicFirmDynamics(FirmDynamics):
    """The firm phases agent by agent: one :class:`FirmAgent` per live firm, ``shuffle_do``.

    Plugged into the economy through its ``firm_dynamics`` seam; it draws each stream once per
    phase, as the production rendering does, and the agents read their own element.
    """

    def __init__(self, shared: Shared, province: ProvincialProgramme) -> None:
        super().__init__(shared, province)
        self.model = shared.model
        model = self.model
        self.by_slot: dict[int, FirmAgent] = {}
        for slot in self.firms.live_slots():
            self.by_slot[int(slot)] = FirmAgent(model, int(slot))
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "enterprises": lambda m: len(m.agents),
                "value_added_no_programme": lambda m: sum(
                    float(m.firms.va_base[a.slot]) for a in m.agents
                ),
                "value_added": lambda m: sum(a.value_added for a in m.agents),
                "business_rd": lambda m: sum(float(m.firms.rd[a.slot]) for a in m.agents),
            }
        )

    # -- the firm phases, agent by agent ---------------------------------------------------------

    def produce(self, year: int, quarter: int) -> None:
        """Production and the uplifts' ramp, agent by agent."""
        f = self.firms
        self.draw_shock = self.streams["production"].standard_normal(f.high_water)
        yi = year - int(self.years[0])
        self.step_growth = np.log1p(self.baseline_path["industrial_va_growth"][yi])
        self.ramp = -np.expm1(-1.0 / self.behaviour.output_ramp_quarters)
        self.model.agents.shuffle_do("produce")
        self.grow_cohorts(self.step_growth)

    def research(self, year: int) -> None:
        """R&D's partial adjustment and the innovation draw, agent by agent."""
        b = self.behaviour
        f = self.firms
        tax = self.spec.national_policy
        cit = tax.corporate_income_tax_rate
        sd_actual = self.super_deduction[year]
        sd_base = tax.counterfactual_rd_super_deduction_rate
        reference_price = rules.tax_price(cit, sd_base, 1.0)
        self.rd_response = [
            float(
                rules.desired_rd(
                    1.0, 1.0, rules.tax_price(cit, sd, 1.0), reference_price, b.rd_price_elasticity
                )
            )
            for sd in (sd_actual, sd_base)
        ]
        hw = f.high_water
        # the production model draws the innovation uniforms after the R&D update; the stream
        # is the agents' own, so drawing first changes nothing
        self.draw_innovation = self.streams["innovation"].random(hw)
        self.model.agents.shuffle_do("research")
        perf = np.flatnonzero(f.alive[:hw] & f.rd_performer[:hw])
        claiming = f.claims_deduction[perf] & f.taxable[perf]
        tax_year = self.recorder.tax_year
        for world, rd, sd in ((0, f.rd, sd_actual), (1, f.rd_base, sd_base)):
            tax_year[world] += float((cit * sd * rd[perf][claiming]).sum() / 4.0)

    def invest(self, year: int, t: int, in_programme: bool) -> None:
        """Arrival and valuation agent by agent; financing and the book are shared."""
        f = self.firms
        agents = self.model.agents
        self.draw_arrival = self.streams["arrival"].random(f.high_water)
        self.count_cell_firms()
        agents.shuffle_do("consider_project")
        arriving = sorted(a.slot for a in agents if a.arrives)
        if not arriving:
            return
        cand = np.asarray(arriving, dtype=np.intp)
        only_actual = np.array([not self.by_slot[s].arrives_without_programme for s in arriving])
        draws = self.project_draws(only_actual)
        self.draw_project = {s: tuple(draws[:, k]) for k, s in enumerate(arriving)}
        self.step_year, self.step_in_programme = year, in_programme
        agents.select(lambda a: a.arrives).shuffle_do("evaluate_project")
        proposals = [self.by_slot[s].proposal for s in arriving]

        def column(name: str, dtype: Any = float) -> np.ndarray:
            return np.array([p[name] for p in proposals], dtype=dtype)  # type: ignore[index]

        self.settle_projects(
            year,
            t,
            in_programme,
            Proposals(
                cand, column("kind", np.int8), column("ratio"), column("investment"),
                column("build", np.int64), column("npv0_per_yuan"), column("instrument", np.int8),
                column("award"), column("cost_with_programme"), column("capacity"),
                column("feasible0", bool), column("adopt0", bool), column("wants1", bool),
                column("u_apply"), column("u_abandon"),
            ),
        )  # fmt: skip

    def demography(self, year: int) -> None:
        """Exit agent by agent, entry shared; the DataCollector records the year."""
        f = self.firms
        self.draw_exit = self.streams["exit"].random(f.high_water)
        live = f.live_slots()
        self.step_median = float(np.median(f.va_base[live]))
        self.model.agents.shuffle_do("consider_exit")
        exits = np.asarray(sorted(a.slot for a in self.model.agents if a.exiting), dtype=np.intp)
        self.exit_firms(exits, year)
        for slot in exits:
            self.by_slot.pop(int(slot)).remove()
        for slot in self.enter():
            self.by_slot[int(slot)] = FirmAgent(self.model, int(slot))
        # the year's state is final: what the record will show at the end of this step
        self.datacollector.collect(self.model)


class ClassicEconomy(ManufacturingEconomy):
    """The production economy with the classic firm dynamics plugged in (nothing overridden)."""

    def __init__(
        self,
        scenario: Scenario,
        baseline: Mapping[str, np.ndarray],
        seed: np.random.SeedSequence,
        n_firms: int,
    ) -> None:
        super().__init__(scenario, baseline, seed, n_firms, firm_dynamics=ClassicFirmDynamics)

    @property
    def datacollector(self) -> mesa.DataCollector:
        """The classic dynamics' DataCollector (one row per projected year)."""
        return self.dynamics.datacollector
