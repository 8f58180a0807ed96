"""One above-scale enterprise as a ``mesa.Agent``: its state and its rules (ODD 2, 7.2-7.7).

Written from ``model/ODD.md`` with scalar arithmetic and the ``math`` module; nothing is shared
with the production economy. An agent reads the random draws of a phase from the element of
the model's arrays at its ``slot`` (the random-stream layout: one draw per firm slot), so the
order in which ``shuffle_do`` visits the agents changes nothing.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa

from benchmarks.classic.province import expit

if TYPE_CHECKING:
    from benchmarks.classic.economy import ClassicEconomy

__all__ = ["Enterprise"]

RETROFIT, INTELLIGENT, CAPACITY, RD_EQUIPMENT = range(4)


class Enterprise(mesa.Agent):
    """An enterprise of the above-scale register; both worlds' state (ODD 2)."""

    model: ClassicEconomy

    def __init__(self, model: ClassicEconomy, slot: int, firm_id: int, **state: object) -> None:
        super().__init__(model)
        self.slot = slot
        self.firm_id = firm_id
        self.sector = 0
        self.city = 0
        self.soe = False
        self.va_base = 0.0  # yuan/year, no programme
        self.uplift_capital = self.uplift_tfp = 0.0  # log points
        self.pending_capital = self.pending_tfp = 0.0
        self.routine_investment = 0.0  # yuan, year to date
        self.hurdle = self.liquidity = 0.0
        self.taxable = self.rd_performer = self.claims = False
        self.rd_intensity_ref = self.rd = self.rd_base = 0.0
        self.cnc = self.cnc_base = self.sei = self.sei_base = 0.0
        self.hightech = self.hightech_base = 0.0
        self.prior_support = self.im_demo = self.it_demo = False
        for name, value in state.items():
            setattr(self, name, value)
        self.arrives = self.arrives_without_programme = self.exits = False
        self.proposal: dict | None = None

    @property
    def value_added(self) -> float:
        """``Y = Y0 exp(uK + uA)`` [yuan/year] (ODD 7.2)."""
        return self.va_base * math.exp(self.uplift_capital + self.uplift_tfp)

    # -- 7.2 production and routine investment ---------------------------------------------------

    def produce(self) -> None:
        """``ln Y0 += (g_y + g_s)/4 + (sigma/2) eps - (sigma/2)^2/2``; uplifts ramp; CNC drifts."""
        m = self.model
        b = m.b
        sd = b.idiosyncratic_sd
        growth = m.quarter_growth[self.sector]
        shock = m.draws["production"][self.slot]
        self.va_base *= math.exp(growth + 0.5 * sd * shock - 0.5 * (0.5 * sd) ** 2)
        ramp = 1.0 - math.exp(-1.0 / b.output_ramp_quarters)
        moved = self.pending_capital * ramp
        self.uplift_capital += moved
        self.pending_capital -= moved
        moved = self.pending_tfp * ramp
        self.uplift_tfp += moved
        self.pending_tfp -= moved
        self.uplift_capital *= 1.0 - b.capital_depreciation
        self.cnc += b.cnc_drift * (1.0 - self.cnc)
        self.cnc_base += b.cnc_drift * (1.0 - self.cnc_base)
        # routine investment (delta + g) K0 keeps the capital on its path; no instrument of the
        # plan changes the user cost, so no capital gap opens
        keep = b.capital_depreciation + max(growth, -b.capital_depreciation)
        if m.quarter == 0:
            self.routine_investment = 0.0
        self.routine_investment += keep * b.capital_output_ratio * self.va_base

    # -- 7.6 R&D and product upgrading -------------------------------------------------------------

    def research(self) -> None:
        """R&D adjusts 3.5% a quarter to its tax-price target; a Poisson innovation draw."""
        if not self.rd_performer:
            return
        m = self.model
        b = m.b
        claiming = self.claims and self.taxable
        va = (self.value_added, self.va_base)
        for world in (0, 1):
            revenue = va[world] / b.va_to_revenue
            desired = self.rd_intensity_ref * revenue * (m.rd_response[world] if claiming else 1.0)
            if world == 0:
                self.rd += b.rd_adjustment_speed * (desired - self.rd)
            else:
                self.rd_base += b.rd_adjustment_speed * (desired - self.rd_base)
        u = m.draws["innovation"][self.slot]
        boost = b.innovation_centre_spillover * m.province.centres[self.sector]
        for world in (0, 1):
            revenue = max(va[world] / b.va_to_revenue, 1.0)
            rd = self.rd if world == 0 else self.rd_base
            bst = boost if world == 0 else 0.0
            p = 1.0 - math.exp(-b.innovation_rate * (1.0 + bst) * (rd / revenue) / m.rd_reference)
            if u >= p:
                continue
            if m.sectors["sei_eligible"][self.sector]:
                if world == 0:
                    self.sei += b.sei_upgrade_step * (1.0 - self.sei)
                else:
                    self.sei_base += b.sei_upgrade_step * (1.0 - self.sei_base)
            if m.sectors["hightech_eligible"][self.sector]:
                if world == 0:
                    self.hightech += b.hightech_upgrade_step * (1.0 - self.hightech)
                else:
                    self.hightech_base += b.hightech_upgrade_step * (1.0 - self.hightech_base)

    # -- 7.3-7.4 projects --------------------------------------------------------------------------

    def consider_project(self) -> None:
        """Does an opportunity arrive: ``u < a`` without, ``u < min(a + boost, a_max)`` with."""
        m = self.model
        b = m.b
        cell = (self.sector, self.city)
        province = m.province
        boost = 0.0
        if not (self.im_demo or self.it_demo):
            peers = max(m.cell_count.get(cell, 0) - 1.0, 1.0)
            boost = b.demonstration_effect * 100.0 * province.demo_firms.get(cell, 0) / peers
        boost += b.base_effect * (cell in province.base_cells)
        boost += b.park_effect * (cell in province.park_cells)
        u = m.draws["arrival"][self.slot]
        self.arrives_without_programme = u < b.project_arrival_rate
        self.arrives = u < min(b.project_arrival_rate + boost, b.max_arrival_probability)

    def evaluate_project(self) -> None:
        """Value the opportunity in both worlds and decide before financing (ODD 7.3).

        ``NPV = [m dY (1 - tau) + tau I / L] F(h, L_b, L) - I (1 - s)``, ``dY = Y (e^g - 1)``,
        ``g = (alpha + phi) ln(1 + I/K)``; adopt in world ``w`` if feasible and
        ``u < expit((NPV_w / I - c0) / tau_i)``.
        """
        m = self.model
        b = m.b
        u_type, z_size, u_adopt, u_apply, u_abandon = m.project_draw[self.slot]
        only_actual = not self.arrives_without_programme
        if only_actual:
            kind = INTELLIGENT
        else:
            total = sum(b.project_type_shares)
            kind, acc = 0, 0.0
            for share in b.project_type_shares:
                acc += share
                if acc <= u_type * total:
                    kind += 1
            kind = min(kind, 3)
        capital = b.capital_output_ratio * self.va_base
        ratio = math.exp(b.project_size_log_mean + b.project_size_log_sd * z_size)
        investment = ratio * capital
        tfp = b.retrofit_tfp_effect if kind in (RETROFIT, INTELLIGENT) else 0.0
        gain = (b.capital_elasticity + tfp) * math.log1p(ratio)
        build = int(b.build_quarters[kind])
        size_rel = self.va_base / m.median_va
        scale = (1.0 - b.reference_adoption_probability) / b.investment_elasticity
        if size_rel < 1.0:
            scale *= size_rel ** (-b.small_firm_responsiveness)

        def npv(va: float, cost: float, subsidy: float) -> float:
            tau = m.spec.national_policy.corporate_income_tax_rate
            v = (1.0 + self.hurdle) ** -0.25
            n = 4 * b.project_life_years
            annuity = 0.25 * v ** (build + 1) * (1.0 - v**n) / (1.0 - v)
            flow = b.cash_flow_per_va * va * math.expm1(gain) * (1 - tau)
            flow += tau * cost / b.project_life_years
            return flow * annuity - cost * (1.0 - subsidy)

        npv0_per_yuan = npv(self.va_base, investment, 0.0) / investment
        p0 = expit((npv0_per_yuan - b.real_options_premium) / scale)
        name, award, share = (None, 0.0, 0.0)
        if m.in_programme:
            name, award, share = m.province.best_offer(self, kind, investment, build, m.year)
        cell = (self.sector, self.city)
        cost = investment * (1.0 - b.base_cost_reduction * (cell in m.province.base_cells))
        # the valuation with the programme: the cost net of the IM-base cut, the actual VA
        p1 = expit(
            (npv(self.value_added, cost, share) / investment - b.real_options_premium) / scale
        )
        lam = b.borrowing_capacity_soe if self.soe else b.borrowing_capacity_private
        capacity = lam * math.exp(self.liquidity) * capital
        feasible0 = investment <= capacity
        self.proposal = {
            "kind": kind, "ratio": ratio, "investment": investment, "build": build,
            "npv0_per_yuan": npv0_per_yuan, "instrument": name, "offer": award, "cost": cost,
            "capacity": capacity, "feasible0": feasible0,
            "adopt0": feasible0 and u_adopt < p0 and not only_actual, "wants1": u_adopt < p1,
            "applies": u_apply < b.application_propensity,
            "abandon": u_abandon > b.completion_probability, "equity": 0.0, "guarantee": 0.0,
        }  # fmt: skip

    def complete(self, due: list) -> None:
        """This quarter's projects of the firm take effect (ODD 7.3).

        A project the programme added adds ``alpha ln(1 + I/K)`` and
        ``phi (1 - d) ln(1 + I/K)`` (retrofit and intelligent equipment) to the pending
        uplifts; in each world that adopted it, an intelligent (retrofit: half) project raises
        the CNC share by ``0.25 min(1, (I/K)/0.15)`` of its remaining gap, the gap taken before
        the quarter's completions.
        """
        b = self.model.b
        start_cnc, start_base = self.cnc, self.cnc_base
        for p in due:
            x = math.log1p(p.ratio)
            if p.in_actual and not p.in_baseline:
                tfp = b.retrofit_tfp_effect * (1.0 - b.subsidised_tfp_discount)
                self.pending_capital += b.capital_elasticity * x
                self.pending_tfp += (tfp if p.kind in (RETROFIT, INTELLIGENT) else 0.0) * x
            weight = {INTELLIGENT: 1.0, RETROFIT: b.retrofit_cnc_weight}.get(p.kind, 0.0)
            gain = b.cnc_gain_per_project * weight * min(p.ratio / b.cnc_full_size_ratio, 1.0)
            if gain > 0:
                if p.in_actual:
                    self.cnc += gain * (1.0 - start_cnc)
                if p.in_baseline:
                    self.cnc_base += gain * (1.0 - start_base)
        self.cnc = min(max(self.cnc, 0.0), 1.0)
        self.cnc_base = min(max(self.cnc_base, 0.0), 1.0)

    # -- 7.7 exit ----------------------------------------------------------------------------------

    def consider_exit(self) -> None:
        """Leave the register with probability ``1 - (1 - chi)^((Y0 / Y0_med)^eta)``."""
        m = self.model
        b = m.b
        scale = max(self.va_base / m.year_median, 1e-6) ** b.exit_size_elasticity
        hazard = 1.0 - (1.0 - min(b.exit_rate, 0.999999)) ** scale
        self.exits = m.draws["exit"][self.slot] < hazard
