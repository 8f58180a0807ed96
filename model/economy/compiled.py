"""The firm phases on compiled kernels: :class:`CompiledFirmDynamics`.

A rendering of :class:`~mfgplan.economy.firm_dynamics.FirmDynamics` through the economy's
``firm_dynamics`` seam whose per-firm work runs in the numba kernels of
:mod:`mfgplan.economy.kernels`: production and routine investment in one pass over the slots,
R&D and innovation of the performers in another, and the arrival of project opportunities
(the cell counts, the demonstration hazard and the arrival test) in a third. The valuation and
settlement of the projects that arrive, completions, entry and exit are the NumPy phases of
:class:`FirmDynamics`; so is the capital gap a user-cost change opens (virtual experiments only).

Each phase draws its streams exactly as the NumPy rendering (the same stream, the same array
length, in the same order), so a replicate gives the NumPy rendering's results to rounding (the
kernels use the C library's ``exp`` and ``log1p``; see :mod:`mfgplan.economy.kernels`).

**Further programme worlds.** A replicate may carry several programme worlds on one
no-programme world (ODD 7.1; :class:`~mfgplan.economy.economy.ManufacturingEconomy`'s
``worlds``). The first world's dynamics lead: they draw the no-programme streams, advance the
no-programme state and leave what they drew in :class:`CommonDraws`; a further world's dynamics
(:meth:`CompiledFirmDynamics.follow`) read it there and advance only their own world, so each
world gets the numbers it would get alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mfgplan.economy import kernels, rules
from mfgplan.economy.firm_dynamics import N_CITIES, FirmDynamics, Proposals
from mfgplan.economy.programme import ProvincialProgramme
from mfgplan.economy.shared import Shared

__all__ = ["CommonDraws", "CompiledFirmDynamics"]


@dataclass
class CommonDraws:
    """What the lead world drew for the no-programme world this quarter (see module doc)."""

    #: production shocks by slot (``production`` stream)
    shock: np.ndarray | None = None
    #: innovation uniforms by R&D performer (``innovation`` stream)
    innovation: np.ndarray | None = None
    #: arrival uniforms by slot (``arrival`` stream)
    arrival: np.ndarray | None = None
    #: the draws of the projects that arrive without the programme, ``[5, projects]``
    project_draws: np.ndarray | None = None
    #: the lead world's valuation of its projects: which arrived only with its programme, and
    #: their types, build times and no-programme values (:func:`kernels.value_projects`)
    valuation: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
    #: the baseline world's R&D tax expenditure of the year so far [yuan]
    tax_baseline: float = 0.0


class CompiledFirmDynamics(FirmDynamics):
    """The firm phases with production, R&D and project arrival on compiled kernels."""

    #: can carry further programme worlds of a replicate (:meth:`follow`)
    shares_worlds = True

    def __init__(self, shared: Shared, province: ProvincialProgramme) -> None:
        super().__init__(shared, province)
        #: the no-programme draws of the quarter, shared with further worlds
        self.common = CommonDraws()
        #: whether these dynamics draw and advance the no-programme world
        self.leads = True

    def follow(self, lead: CompiledFirmDynamics) -> None:
        """Make these the dynamics of a further programme world led by ``lead`` (module doc)."""
        self.common = lead.common
        self.leads = False

    def produce(self, year: int, quarter: int) -> None:
        """Production and routine investment (ODD 7.2): :func:`kernels.produce_and_reinvest`."""
        f = self.firms
        hw = f.high_water
        b = self.behaviour
        if self.leads:
            shock = self.common.shock = self.streams["production"].standard_normal(hw)
        else:
            shock = self.common.shock
        growth = self.baseline_growth(year)
        kernels.produce_and_reinvest(
            f.va_base[:hw], f.sector[:hw], shock, self.sectors["relative_growth"],
            growth, b.idiosyncratic_sd,
            -np.expm1(-1.0 / b.output_ramp_quarters),
            f.pending_capital[:hw], f.uplift_capital[:hw], f.pending_tfp[:hw],
            f.uplift_tfp[:hw], b.capital_depreciation, b.cnc_drift, f.cnc[:hw],
            f.cnc_base[:hw], b.capital_output_ratio, f.investment_routine[:hw],
            f.investment_routine_extra[:hw], quarter == 0, self.leads,
        )  # fmt: skip
        self.grow_cohorts(growth)

    def reinvest(self, year: int, quarter: int) -> None:
        """Routine investment is booked in :meth:`produce`; here only the capital gap."""
        self.close_capital_gap(year)

    def research(self, year: int) -> None:
        """R&D and product innovation of the performers (ODD 7.6): :func:`kernels.research`."""
        b = self.behaviour
        tax = self.spec.national_policy
        f = self.firms
        hw = f.high_water
        perf = np.flatnonzero(f.alive[:hw] & f.rd_performer[:hw])
        if self.leads:
            uniform = self.common.innovation = self.streams["innovation"].random(hw)[perf]
        else:
            uniform = self.common.innovation
        cit = tax.corporate_income_tax_rate
        sd_actual = float(self.super_deduction[year])
        sd_base = float(tax.counterfactual_rd_super_deduction_rate)
        response_actual, response_base = map(self.rd_price_response, (sd_actual, sd_base))
        centre_boost = b.innovation_centre_spillover * np.asarray(
            self.province.centres, dtype=float
        )
        kernels.research(
            perf, f.claims_deduction[perf] & f.taxable[perf], f.sector, f.va_base,
            f.uplift_capital, f.uplift_tfp, f.rd_intensity_ref, f.rd, f.rd_base, f.sei,
            f.sei_base, f.hightech, f.hightech_base, uniform, b.va_to_revenue, response_actual,
            response_base, b.rd_adjustment_speed, self.population.reference_rd_intensity,
            b.innovation_rate, centre_boost, self.sectors["sei_eligible"],
            self.sectors["hightech_eligible"], b.sei_upgrade_step, b.hightech_upgrade_step,
            sd_actual, sd_base, cit, self.recorder.tax_year, self.leads,
        )  # fmt: skip
        if self.leads:
            self.common.tax_baseline = float(self.recorder.tax_year[1])
        else:
            self.recorder.tax_year[1] = self.common.tax_baseline

    def invest(self, year: int, t: int, in_programme: bool) -> None:
        """Project arrival, valuation and decisions (ODD 7.3) on the kernels.

        :func:`kernels.arrivals`, :func:`kernels.value_projects` and
        :func:`kernels.decide_projects`; the province's offers and the settlement (financing,
        the project book) are those of :class:`FirmDynamics`.
        """
        if self.leads:
            self.common.project_draws = self.common.valuation = None
        cand, only_actual = self.arrivals()
        if cand.size == 0:
            return
        b = self.behaviour
        f = self.firms
        province = self.province
        u_type, z_size, u_adopt, u_apply, u_abandon = self.project_draws(only_actual)
        tau = float(self.spec.national_policy.corporate_income_tax_rate)
        life = int(b.project_life_years)
        lead = self.lead_valuation(only_actual)
        kind, build, values, va_actual = kernels.value_projects(
            cand, only_actual, u_type, z_size, np.cumsum(b.project_type_shares),
            np.asarray(b.build_quarters, dtype=np.int64), f.va_base, f.uplift_capital,
            f.uplift_tfp, f.hurdle, b.capital_output_ratio, b.project_size_log_mean,
            b.project_size_log_sd, b.capital_elasticity, b.retrofit_tfp_effect,
            self.population.median_va,
            rules.logit_scale(b.investment_elasticity, b.reference_adoption_probability),
            b.small_firm_responsiveness, b.cash_flow_per_va, tau, life, b.real_options_premium,
            f.firm_id, *self.annuity_cache(), *lead,
        )  # fmt: skip
        if self.leads:
            self.common.valuation = (only_actual, kind, build, values)
        ratio, investment, capital, gain, hurdle, scale, annuity, npv0_per_yuan, p0 = values
        instrument, award, subsidy_share = province.offers(
            year, cand, kind, investment, hurdle, build, in_programme
        )
        credit = np.broadcast_to(self.investment_credit(year, cand), cand.shape).astype(float)
        cost, capacity, feasible0, adopt0, wants1 = kernels.decide_projects(
            cand, only_actual, u_adopt, f.sector, f.city, f.ownership, f.liquidity,
            np.ascontiguousarray(province.base_cell, dtype=float).ravel(), N_CITIES,
            b.base_cost_reduction, np.asarray(subsidy_share, dtype=float), credit, investment,
            capital, gain, va_actual, scale, annuity, p0, b.cash_flow_per_va, tau, life,
            b.real_options_premium, b.borrowing_capacity_soe, b.borrowing_capacity_private,
        )  # fmt: skip
        self.settle_projects(
            year, t, in_programme,
            Proposals(
                cand, kind, ratio, investment, build, npv0_per_yuan, instrument, award, cost,
                capacity, feasible0, adopt0, wants1, u_apply, u_abandon,
            ),
        )  # fmt: skip

    def lead_valuation(
        self, only_actual: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """What :func:`kernels.value_projects` copies from the lead world's valuation.

        For the lead world nothing (an empty index). A further world's projects that arrive
        without the programme are the lead's in the same order: their rows in the lead's
        valuation, and its types, build times and values.
        """
        valuation = None if self.leads else self.common.valuation
        if valuation is None:
            none = np.zeros(0, dtype=np.int64)
            return none, np.zeros(0, dtype=np.int8), none, np.zeros((9, 0))
        lead_only, kind, build, values = valuation
        index = np.full(only_actual.size, -1, dtype=np.int64)
        index[~only_actual] = np.flatnonzero(~lead_only)
        return index, kind, build, values

    def annuity_cache(self) -> tuple[np.ndarray, np.ndarray]:
        """Each slot's annuity factors by project type and the firm they belong to.

        The cache of :func:`kernels.value_projects`, as large as the firm table (grown with
        it; ``-1`` marks what is not computed yet and a slot no firm has owned).
        """
        cap = self.firms.capacity
        cache = getattr(self, "_annuity", None)
        if cache is None or cache[0].shape[0] < cap:
            table = np.full((cap, len(self.behaviour.build_quarters)), -1.0)
            owner = np.full(cap, -1, dtype=np.int64)
            if cache is not None:
                table[: cache[0].shape[0]] = cache[0]
                owner[: cache[1].shape[0]] = cache[1]
            self._annuity = cache = (table, owner)
        return cache

    def complete(self, year: int, t: int) -> None:
        """Completions (ODD 7.3) on the kernels.

        :func:`kernels.due_projects` finds and marks the due rows, the province releases the
        awards of the abandoned ones, :func:`kernels.complete_projects` applies the others.
        """
        pb = self.projects
        abandoned, finished = kernels.due_projects(pb.n, t, pb.done, pb.completed, pb.abandon)
        if abandoned.size == 0 and finished.size == 0:
            return
        self.province.release(abandoned, year)
        b = self.behaviour
        f = self.firms
        kernels.complete_projects(
            finished, pb.firm, pb.kind, pb.investment_to_capital, pb.in_actual, pb.in_baseline,
            f.pending_capital, f.pending_tfp, f.cnc, f.cnc_base, b.capital_elasticity,
            b.retrofit_tfp_effect * (1.0 - b.subsidised_tfp_discount), b.retrofit_cnc_weight,
            b.cnc_gain_per_project, b.cnc_full_size_ratio, self.leads,
        )  # fmt: skip

    def exiting(self) -> tuple[np.ndarray, float]:
        """The year's exits (ODD 7.7) on :func:`kernels.exits`, and the median live VA."""
        b = self.behaviour
        f = self.firms
        hw = f.high_water
        uniform = self.streams["exit"].random(hw)
        live = f.alive[:hw]
        median = float(np.median(f.va_base[:hw][live]))
        leaving = kernels.exits(
            live, f.va_base[:hw], uniform, median, b.exit_rate, b.exit_size_elasticity
        )
        return leaving, median

    def arrivals(self) -> tuple[np.ndarray, np.ndarray]:
        """Project opportunities of the quarter (ODD 7.3-7.4): :func:`kernels.arrivals`."""
        b = self.behaviour
        f = self.firms
        hw = f.high_water
        province = self.province
        if self.leads:
            uniform = self.common.arrival = self.streams["arrival"].random(hw)
        else:
            uniform = self.common.arrival
        site = b.base_effect * province.base_cell + b.park_effect * province.park_cell
        counts = np.zeros(self.cell_firm_count.size)
        cand, only_actual = kernels.arrivals(
            f.alive[:hw], f.sector[:hw], f.city[:hw], f.im_demo[:hw] | f.it_demo[:hw], uniform,
            N_CITIES, np.ascontiguousarray(province.demo_count, dtype=float).ravel(),
            np.ascontiguousarray(site, dtype=float).ravel(), b.demonstration_effect,
            b.project_arrival_rate, b.max_arrival_probability, counts,
        )  # fmt: skip
        self.cell_firm_count = counts.reshape(self.cell_firm_count.shape)
        return cand, only_actual

    def no_programme_project_draws(self, k: int) -> np.ndarray:
        """The draws of the ``k`` projects that arrive without the programme (``[5, k]``).

        The lead world draws them (:meth:`FirmDynamics.no_programme_project_draws`) and leaves
        them in :attr:`common`; a further world takes them from there.
        """
        if self.leads:
            block = self.common.project_draws = super().no_programme_project_draws(k)
            return block
        block = self.common.project_draws
        if block is None:
            block = np.empty((5, 0))
        if block.shape[1] != k:
            raise RuntimeError(
                f"a programme world has {k} projects without the programme, its lead "
                f"{block.shape[1]}: the worlds do not share one no-programme world"
            )
        return block
