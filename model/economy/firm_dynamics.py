"""What the firms do in a quarter: produce, do R&D, take up projects, complete them, enter, exit.

:class:`FirmDynamics` is the firms' side of a replicate; its public methods are the firm phases
of :meth:`mfgplan.economy.economy.ManufacturingEconomy.step` (ODD 3 and 7.2-7.4, 7.6-7.7). The
decision rules are the pure functions of :mod:`mfgplan.economy.rules`; where the programme
enters (offers, financing, lapses of awards) the phases ask the province
(:class:`mfgplan.economy.programme.ProvincialProgramme`).

**The seam.** An economy is built with a firm-dynamics class
(``ManufacturingEconomy(..., firm_dynamics=FirmDynamics)``): a subclass may render the phases
:meth:`~FirmDynamics.produce`, :meth:`~FirmDynamics.research`,
:meth:`~FirmDynamics.invest` and :meth:`~FirmDynamics.exiting` its own way (the compiled
rendering, :class:`~mfgplan.economy.compiled.CompiledFirmDynamics`, does) and reuse the
shared steps :meth:`~FirmDynamics.count_cell_firms`, :meth:`~FirmDynamics.project_draws`,
:meth:`~FirmDynamics.settle_projects`, :meth:`~FirmDynamics.exit_firms`,
:meth:`~FirmDynamics.exit_cohorts` and :meth:`~FirmDynamics.enter` (the economy's
:meth:`~mfgplan.economy.economy.ManufacturingEconomy.demography` calls the exit and entry
steps in their order). A rendering must draw the same streams in the same order to give
the same results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mfgplan.economy import rules
from mfgplan.economy.firms import ProjectType
from mfgplan.economy.programme import ProvincialProgramme
from mfgplan.economy.shared import Shared
from mfgplan.inputs.fields import expand_yearly
from mfgplan.inputs.sectors import CITIES, SECTORS

__all__ = ["FirmDynamics", "Proposals"]

N_SECTORS = len(SECTORS)
N_CITIES = len(CITIES)


@dataclass
class Proposals:
    """Projects that arrived in a quarter and what each firm decided, in slot order."""

    firm: np.ndarray  #: slots of the firms
    kind: np.ndarray  #: ProjectType
    ratio: np.ndarray  #: investment / capital
    investment: np.ndarray  #: yuan
    build: np.ndarray  #: quarters
    npv0_per_yuan: np.ndarray  #: NPV per yuan without the programme
    instrument: np.ndarray  #: best instrument index, -1 for none
    award: np.ndarray  #: award under that instrument's rule, yuan
    cost_with_programme: np.ndarray  #: investment net of the IM-base cost reduction, yuan
    capacity: np.ndarray  #: borrowing capacity, yuan
    feasible0: np.ndarray  #: fundable without the programme
    adopt0: np.ndarray  #: adopted without the programme
    wants1: np.ndarray  #: wanted with the programme (before financing)
    u_apply: np.ndarray
    u_abandon: np.ndarray


class FirmDynamics:
    """The firm phases of a quarter (see module doc).

    Parameters
    ----------
    shared
        The firms, projects, sectors, random streams and record of the replicate.
    province
        The province's administration of the programme (offers, financing, lapses).
    """

    def __init__(self, shared: Shared, province: ProvincialProgramme) -> None:
        scenario = shared.scenario
        self.shared = shared
        self.province = province
        self.spec = scenario
        self.behaviour = scenario.behaviour
        self.population = shared.population
        self.firms = shared.firms
        self.projects = shared.projects
        self.sectors = shared.sectors
        self.streams = shared.streams
        self.years = shared.years
        self.baseline_path = shared.baseline_path
        self.recorder = shared.recorder
        #: R&D super-deduction rate in each projected year (national policy) [fraction]
        self.super_deduction = expand_yearly(
            scenario.national_policy.rd_super_deduction_rate,
            range(scenario.base_year + 1, scenario.horizon + 1),
            field="rd_super_deduction_rate",
        )
        #: live firms per (sector, city) cell, counted at each quarter's project arrivals
        self.cell_firm_count = np.zeros((N_SECTORS, N_CITIES))
        #: whether a user-cost change has opened a capital gap (routine investment, ODD 7.2)
        self.gap_open = False

    # -- production ----------------------------------------------------------------------------

    def produce(self, year: int, quarter: int) -> None:
        r"""Value added without the programme grows with the statistical baseline (ODD 7.2).

        .. math:: \ln Y^0_{i,t+1} = \ln Y^0_{i,t} + (g_y + g_s)/4 + \sigma\epsilon/2

        ``g_y`` the baseline's real growth of industrial VA in the year, ``g_s`` the sector's
        relative growth, ``sigma_eps`` the annual idiosyncratic sd (Gibrat shocks). The uplifts
        of programme-induced projects ramp in and their capital part depreciates; the CNC share
        of key processes drifts up by ``cnc_drift`` of the remaining gap a quarter (Battisti &
        Stoneman 2005), in both worlds. Cluster-fund cohorts grow with their sector.
        """
        rng = self.streams["production"]
        f = self.firms
        hw = f.high_water
        shock = rng.standard_normal(hw)
        growth = self.quarter_growth(year, f.sector[:hw])
        sd = self.behaviour.idiosyncratic_sd
        # the mean-preserving correction keeps E[Y] growing at g
        # every slot is updated (a free slot's value is never read and is cleared on reuse)
        f.va_base[:hw] *= np.exp(growth + 0.5 * sd * shock - 0.5 * (0.5 * sd) ** 2)
        ramp = -np.expm1(-1.0 / self.behaviour.output_ramp_quarters)
        for name in ("capital", "tfp"):
            pending = getattr(f, f"pending_{name}")
            uplift = getattr(f, f"uplift_{name}")
            moved = pending[:hw] * ramp
            uplift[:hw] += moved
            pending[:hw] -= moved
        f.uplift_capital[:hw] *= 1.0 - self.behaviour.capital_depreciation
        # autonomous diffusion of CNC equipment (replacement investment), both worlds alike
        drift = self.behaviour.cnc_drift
        if drift:
            f.cnc[:hw] += drift * (1.0 - f.cnc[:hw])
            f.cnc_base[:hw] += drift * (1.0 - f.cnc_base[:hw])
        self.grow_cohorts(self.baseline_growth(year))

    def reinvest(self, year: int, quarter: int) -> None:
        r"""Routine fixed investment, and the capital a change of its user cost adds (ODD 7.2).

        Every firm invests :func:`~mfgplan.economy.rules.routine_investment` a quarter in the
        no-programme world: ``(delta + g) kappa Y0``, replacement plus growth at the sector's
        baseline rate (``investment_routine``, yuan in the year to date). Where the user cost of
        capital changes (an investment credit ``c``,
        :meth:`investment_credit`), desired capital moves to ``e* = -eps ln(1 - c)`` over the
        no-programme capital and the gap closes by the flexible accelerator
        (:func:`~mfgplan.economy.rules.capital_gap_step`, speed ``capital_adjustment_speed``).
        The extra investment ``x K0`` is equipment like a project's: it deepens capital
        (``alpha``, only the part that changes the capital ratio, so that the capital uplift
        tracks ``alpha e``) and carries productivity ``phi ln(1 + x)`` (``retrofit_tfp_effect``;
        Liu & Mao 2019), ramping in with the projects' uplifts. No instrument of the plan
        changes the user cost, so in a plan run the gap stays zero.
        """
        f = self.firms
        hw = f.high_water
        b = self.behaviour
        if quarter == 0:
            f.investment_routine[:hw] = 0.0
            f.investment_routine_extra[:hw] = 0.0
        growth = self.quarter_growth(year, f.sector[:hw])
        f.investment_routine[:hw] += rules.routine_investment(
            f.va_base[:hw], b.capital_output_ratio, b.capital_depreciation, growth
        )
        self.close_capital_gap(year, growth)

    def close_capital_gap(self, year: int, growth: np.ndarray | None = None) -> None:
        """The capital gap a user-cost change opens, closed a quarter's step (see :meth:`reinvest`).

        ``growth`` is the quarter's no-programme growth by slot (:meth:`quarter_growth`,
        computed here if not given). Nothing happens while no credit has opened a gap.
        """
        f = self.firms
        hw = f.high_water
        b = self.behaviour
        credit = self.investment_credit(year, np.arange(hw))
        if np.isscalar(credit) and credit == 0.0 and not self.gap_open:
            return
        self.gap_open = True
        if growth is None:
            growth = self.quarter_growth(year, f.sector[:hw])
        target = rules.user_cost_capital_gap(credit, b.investment_elasticity)
        gap = f.capital_gap[:hw]
        new_gap, extra = rules.capital_gap_step(
            gap, target, b.capital_adjustment_speed, b.capital_depreciation, growth
        )
        added = np.maximum(extra, 0.0)
        f.pending_capital[:hw] += b.capital_elasticity * (
            (new_gap - gap) + b.capital_depreciation * gap
        )
        f.pending_tfp[:hw] += b.retrofit_tfp_effect * np.log1p(added)
        f.investment_routine_extra[:hw] += extra * b.capital_output_ratio * f.va_base[:hw]
        f.capital_gap[:hw] = new_gap

    def baseline_growth(self, year: int) -> float:
        """The baseline's real growth of industrial VA in ``year``, ``g_y`` [log per year]."""
        yi = year - int(self.years[0])
        return float(np.log1p(self.baseline_path["industrial_va_growth"][yi]))

    def quarter_growth(self, year: int, sector: np.ndarray) -> np.ndarray:
        """The no-programme real growth of a quarter by firm: ``(g_y + g_s) / 4`` [log]."""
        return (self.baseline_growth(year) + self.sectors["relative_growth"][sector]) / 4.0

    def grow_cohorts(self, growth: float) -> None:
        """Cluster-fund cohorts grow with their sector: ``exp((g_y + g_s) / 4)`` a quarter.

        Their value added and its SEI and high-tech parts grow alike: a cohort keeps its
        product mix (which only its exits, never its growth, could change).
        """
        cohorts = self.province.cohorts
        factor = np.exp((growth + self.sectors["relative_growth"]) / 4)
        cohorts.va *= factor
        cohorts.sei *= factor
        cohorts.hightech *= factor

    # -- R&D and product upgrading ---------------------------------------------------------------

    def research(self, year: int) -> None:
        """R&D responds to the tax price; R&D draws product innovations (ODD 7.6).

        An innovation raises the firm's SEI share only in the sectors that can host SEI
        products (``sei_eligible``: the plan's advantage, growth and nurtured sectors) and its
        high-tech share only in manufacturing (``hightech_eligible``); elsewhere the shares move
        only with the sectors' weights in industrial VA.
        """
        b = self.behaviour
        tax = self.spec.national_policy
        f = self.firms
        hw = f.high_water
        # only R&D performers do R&D or innovate (about a fifth of firms): work on their slots
        perf = np.flatnonzero(f.alive[:hw] & f.rd_performer[:hw])
        claiming = f.claims_deduction[perf] & f.taxable[perf]
        sd_actual = self.super_deduction[year]
        sd_base = tax.counterfactual_rd_super_deduction_rate
        cit = tax.corporate_income_tax_rate
        # the tax price takes two values (claiming or not; rho = 1 for non-claimants), so the
        # price response is evaluated once per world and claim status, not once per firm
        va_actual = f.va(perf)
        va_base = f.va_base[perf]
        tax_year = self.recorder.tax_year
        for world, va, rd_name, sd in (
            (0, va_actual, "rd", sd_actual),
            (1, va_base, "rd_base", sd_base),
        ):
            revenue = va / b.va_to_revenue
            response = self.rd_price_response(sd)
            desired = f.rd_intensity_ref[perf] * revenue * np.where(claiming, response, 1.0)
            rd = getattr(f, rd_name)
            new_rd = rd[perf] + b.rd_adjustment_speed * (desired - rd[perf])
            rd[perf] = new_rd
            tax_year[world] += float((cit * sd * new_rd[claiming]).sum() / 4.0)
        # innovation: the same uniform decides in both worlds (one draw per slot)
        u = self.streams["innovation"].random(hw)[perf]
        # the province's centres per sector (their count does not scale with the sample)
        boost = b.innovation_centre_spillover * self.province.centres[f.sector[perf]]
        for va, rd_name, sei_name, ht_name, bst in (
            (va_actual, "rd", "sei", "hightech", boost),
            (va_base, "rd_base", "sei_base", "hightech_base", 0.0),
        ):
            revenue = np.maximum(va / b.va_to_revenue, 1.0)
            intensity = getattr(f, rd_name)[perf] / revenue
            p = rules.innovation_probability(
                intensity, self.population.reference_rd_intensity, b.innovation_rate, bst
            )
            hit = perf[u < p]
            sei = getattr(f, sei_name)
            ht = getattr(f, ht_name)
            # upgrading within the sectors that can host the products (ODD 7.6)
            sei_hit = hit[self.sectors["sei_eligible"][f.sector[hit]]]
            ht_hit = hit[self.sectors["hightech_eligible"][f.sector[hit]]]
            sei[sei_hit] += b.sei_upgrade_step * (1.0 - sei[sei_hit])
            ht[ht_hit] += b.hightech_upgrade_step * (1.0 - ht[ht_hit])

    def rd_price_response(self, super_deduction: float) -> float:
        """Desired R&D of a claimant over its reference R&D under ``super_deduction`` [-].

        ``(rho / rho_0)^(-eps_RD)`` (:func:`~mfgplan.economy.rules.desired_rd`), ``rho_0`` the
        tax price under the counterfactual (base-year) deduction.
        """
        tax = self.spec.national_policy
        cit = tax.corporate_income_tax_rate
        reference = rules.tax_price(cit, tax.counterfactual_rd_super_deduction_rate, 1.0)
        price = rules.tax_price(cit, super_deduction, 1.0)
        return float(
            rules.desired_rd(1.0, 1.0, price, reference, self.behaviour.rd_price_elasticity)
        )

    # -- investment projects ---------------------------------------------------------------------

    def im_hazard_boost(self, slots: np.ndarray) -> np.ndarray:
        r"""Extra quarterly hazard of intelligent-equipment projects of firms ``slots`` (ODD 7.4).

        It comes from demonstration firms, IM bases and demonstration parks in the firm's sector
        and city. The demonstration effect is on the **peers** of the demonstration firms (the
        other firms of their cell; Liu et al. 2025, "From pilot to peers"), in proportion to the
        demonstration firms' share of a firm's peers:

        .. math:: b_i = \beta_d \cdot 100 \, D_c / (N_c - 1)

        for a firm that is not itself a demonstration firm (``D_c`` demonstration firms among
        the ``N_c`` live firms of its cell; zero for a demonstration firm), plus ``beta_b`` in
        an IM-base cell and ``beta_p`` in a demonstration-park cell. A share, not a count: with
        the counts of demonstration firms scaled to the sample of firms, it is the same at any
        sample size except for the sparser cells of a small sample.
        """
        b = self.behaviour
        f = self.firms
        province = self.province
        peers = np.maximum(self.cell_firm_count - 1.0, 1.0)
        # the same sums evaluated once per (sector, city) cell, then gathered for each firm
        demo_share = (province.demo_count / peers).ravel()
        site = (b.base_effect * province.base_cell + b.park_effect * province.park_cell).ravel()
        cell = f.sector[slots].astype(np.intp) * N_CITIES + f.city[slots]
        pilot = f.im_demo[slots] | f.it_demo[slots]
        demo = np.where(pilot, 0.0, b.demonstration_effect * 100.0 * demo_share[cell])
        return demo + site[cell]

    def invest(self, year: int, t: int, in_programme: bool) -> None:
        """Project opportunities arrive; firms decide with and without the programme (ODD 7.3).

        Both worlds use the same uniform ``u``: ``adopt_w = feasible_w and u < P_w`` with
        ``P_w = expit((NPV_w/I - c_0)/tau_i)`` (:func:`mfgplan.economy.rules.adoption_probability`).
        """
        cand, only_actual = self.arrivals()
        if cand.size == 0:
            return
        b = self.behaviour
        f = self.firms
        u_type, z_size, u_adopt, u_apply, u_abandon = self.project_draws(only_actual)
        shares = np.cumsum(b.project_type_shares)
        kind = np.searchsorted(shares, u_type * shares[-1], side="right").astype(np.int8)
        kind = np.minimum(kind, 3)
        kind[only_actual] = ProjectType.INTELLIGENT
        capital = b.capital_output_ratio * f.va_base[cand]
        ratio = np.exp(b.project_size_log_mean + b.project_size_log_sd * z_size)
        investment = ratio * capital
        tfp = np.where(
            (kind == ProjectType.RETROFIT) | (kind == ProjectType.INTELLIGENT),
            b.retrofit_tfp_effect,
            0.0,
        )
        cap_part, tfp_part = rules.project_log_output_gain(ratio, b.capital_elasticity, tfp)
        gain = cap_part + tfp_part
        build = np.asarray(b.build_quarters)[kind]
        tau = self.spec.national_policy.corporate_income_tax_rate
        hurdle = f.hurdle[cand]
        va_actual = f.va(cand)
        size_rel = f.va_base[cand] / self.population.median_va
        scale = rules.logit_scale(
            b.investment_elasticity, b.reference_adoption_probability
        ) * np.where(size_rel < 1.0, size_rel ** (-b.small_firm_responsiveness), 1.0)
        npv0 = rules.project_npv(
            f.va_base[cand], investment, gain, b.cash_flow_per_va, tau, hurdle, build,
            b.project_life_years,
        )  # fmt: skip
        npv0_per_yuan = npv0 / investment
        p0 = rules.adoption_probability(npv0_per_yuan, b.real_options_premium, scale)
        # expected support in the actual world: the best instrument the project is eligible for
        province = self.province
        instrument, award, subsidy_share = province.offers(
            year, cand, kind, investment, hurdle, build, in_programme
        )
        cost_cut = b.base_cost_reduction * province.base_cell[f.sector[cand], f.city[cand]]
        npv1 = rules.project_npv(
            va_actual, investment * (1.0 - cost_cut), gain, b.cash_flow_per_va, tau, hurdle,
            build, b.project_life_years, subsidy_share + self.investment_credit(year, cand),
        )  # fmt: skip
        p1 = rules.adoption_probability(npv1 / investment, b.real_options_premium, scale)
        # liquidity: borrowing capacity per yuan of capital
        lam = np.where(
            f.ownership[cand] == 0, b.borrowing_capacity_soe, b.borrowing_capacity_private
        )
        capacity = lam * np.exp(f.liquidity[cand]) * capital
        feasible0 = investment <= capacity
        adopt0 = feasible0 & (u_adopt < p0) & ~only_actual
        wants1 = u_adopt < p1
        self.settle_projects(
            year, t, in_programme,
            Proposals(
                cand, kind, ratio, investment, build, npv0_per_yuan, instrument, award,
                investment * (1.0 - cost_cut), capacity, feasible0, adopt0, wants1, u_apply,
                u_abandon,
            ),
        )  # fmt: skip

    def arrivals(self) -> tuple[np.ndarray, np.ndarray]:
        """Live firms whose project opportunity arrives this quarter (ODD 7.3).

        One uniform ``u`` per slot (the ``arrival`` stream): a project arrives in the baseline
        world if ``u < a`` (``project_arrival_rate``) and in the actual world if
        ``u < min(a + b, a_max)`` (:meth:`im_hazard_boost`). Returns the slots with a project in
        the actual world, in slot order, and whether it arrives only there.
        """
        b = self.behaviour
        f = self.firms
        hw = f.high_water
        u_arrive = self.streams["arrival"].random(hw)
        live = f.alive[:hw]
        self.count_cell_firms()
        rate = b.project_arrival_rate
        idx = np.flatnonzero(live)
        extra = self.im_hazard_boost(idx)
        arrive_base = u_arrive[idx] < rate
        arrive_actual = u_arrive[idx] < np.minimum(rate + extra, b.max_arrival_probability)
        return idx[arrive_actual], ~arrive_base[arrive_actual]

    def investment_credit(self, year: int, slots: np.ndarray) -> np.ndarray | float:
        """A tax credit on the investment of firms ``slots`` in the actual world [share of I].

        None in the production model (0.0, so the actual world's valuation is unchanged); a
        virtual experiment (:mod:`mfgplan.calibration.experiments`) renders a published tax
        reform, such as the VAT reform's deduction of input VAT on equipment, by overriding it.
        """
        return 0.0

    def count_cell_firms(self) -> None:
        """Live firms per (sector, city) cell, for the demonstration effects."""
        f = self.firms
        hw = f.high_water
        live = f.alive[:hw]
        cell = f.sector[:hw][live].astype(np.intp) * N_CITIES + f.city[:hw][live]
        self.cell_firm_count = (
            np.bincount(cell, minlength=N_SECTORS * N_CITIES)
            .reshape(N_SECTORS, N_CITIES)
            .astype(float)
        )

    def project_draws(self, only_actual: np.ndarray) -> np.ndarray:
        """Each arriving project's own draws ``[u_type, z_size, u_adopt, u_apply, u_abandon]``.

        Both worlds share them; projects in slot order.

        Projects that arrive without the programme draw from the arrival and decision streams
        (:meth:`no_programme_project_draws`), so their draws are the same in every scenario
        (common random numbers); projects only the programme brings draw from the ``induced``
        stream.
        """
        draws = np.empty((5, only_actual.size))
        base = ~only_actual
        draws[:, base] = self.no_programme_project_draws(int(base.sum()))
        k = int(only_actual.sum())
        if k:
            induced = self.streams["induced"]
            draws[0, only_actual] = induced.random(k)
            draws[1, only_actual] = induced.standard_normal(k)
            draws[2:, only_actual] = induced.random((3, k))
        return draws

    def no_programme_project_draws(self, k: int) -> np.ndarray:
        """The draws ``[5, k]`` of the ``k`` projects that arrive without the programme."""
        block = np.empty((5, k))
        if k:
            block[0] = self.streams["arrival"].random(k)
            block[1] = self.streams["arrival"].standard_normal(k)
            block[2:] = self.streams["decision"].random((3, k))
        return block

    def settle_projects(self, year: int, t: int, in_programme: bool, p: Proposals) -> None:
        """Finance the projects that want it and record the projects adopted in either world.

        Financing is first come first served, in slot order.
        """
        b = self.behaviour
        f = self.firms
        province = self.province
        cand = p.firm
        feasible1 = p.feasible0.copy()
        equity = np.zeros(cand.size)
        guarantee = np.zeros(cand.size)
        if in_programme:
            feasible1, equity, guarantee = province.finance(
                year, cand, p.cost_with_programme, p.capacity, p.feasible0, p.wants1
            )
        adopt1 = feasible1 & p.wants1
        keep = p.adopt0 | adopt1
        if not keep.any():
            return
        rows = self.projects.add(int(keep.sum()))
        pb = self.projects
        sel = np.flatnonzero(keep)
        pb.firm[rows] = cand[sel]
        pb.firm_id[rows] = f.firm_id[cand[sel]]
        pb.sector[rows] = f.sector[cand[sel]]
        pb.kind[rows] = p.kind[sel]
        pb.investment[rows] = p.investment[sel]
        pb.investment_to_capital[rows] = p.ratio[sel]
        pb.npv_per_yuan[rows] = p.npv0_per_yuan[sel]
        pb.start[rows] = t
        pb.done[rows] = t + p.build[sel]
        pb.abandon[rows] = p.u_abandon[sel] > b.completion_probability
        pb.in_actual[rows] = adopt1[sel]
        pb.in_baseline[rows] = p.adopt0[sel]
        pb.equity[rows] = equity[sel]
        pb.guarantee_subsidy[rows] = guarantee[sel]
        applies = (
            adopt1[sel] & (p.instrument[sel] >= 0) & (p.u_apply[sel] < b.application_propensity)
        )
        pb.instrument[rows] = np.where(applies, p.instrument[sel], -1)
        pb.apply_year[rows] = np.where(applies, year, 0)
        province.hold_applications(rows, np.where(applies, p.award[sel], 0.0))

    def complete(self, year: int, t: int) -> None:
        """Projects reaching their completion date take effect or are abandoned (ODD 7.3)."""
        pb = self.projects
        n = pb.n
        due = np.flatnonzero((pb.done[:n] == t) & ~pb.completed[:n])
        if due.size == 0:
            return
        pb.completed[due] = True
        b = self.behaviour
        f = self.firms
        abandoned = due[pb.abandon[due]]
        self.province.release(abandoned, year)
        ok = due[~pb.abandon[due]]
        firm = pb.firm[ok]
        ratio = pb.investment_to_capital[ok]
        kind = pb.kind[ok]
        additional = pb.in_actual[ok] & ~pb.in_baseline[ok]
        tfp_rate = np.where(
            (kind == ProjectType.RETROFIT) | (kind == ProjectType.INTELLIGENT),
            b.retrofit_tfp_effect * (1.0 - b.subsidised_tfp_discount),
            0.0,
        )
        cap_part, tfp_part = rules.project_log_output_gain(ratio, b.capital_elasticity, tfp_rate)
        np.add.at(f.pending_capital, firm[additional], cap_part[additional])
        np.add.at(f.pending_tfp, firm[additional], tfp_part[additional])
        weight = np.select(
            [kind == ProjectType.INTELLIGENT, kind == ProjectType.RETROFIT],
            [1.0, b.retrofit_cnc_weight],
            0.0,
        )
        gain = b.cnc_gain_per_project * weight * np.minimum(ratio / b.cnc_full_size_ratio, 1.0)
        for flag, name in ((pb.in_actual[ok], "cnc"), (pb.in_baseline[ok], "cnc_base")):
            arr = getattr(f, name)
            sel = flag & (gain > 0)
            np.add.at(arr, firm[sel], gain[sel] * (1.0 - arr[firm[sel]]))
            np.clip(arr, 0.0, 1.0, out=arr)

    # -- entry and exit --------------------------------------------------------------------------

    def exiting(self) -> tuple[np.ndarray, float]:
        """Live firms leaving the register this year, and the median live firm's VA [yuan].

        One uniform per slot (the ``exit`` stream) against
        :func:`~mfgplan.economy.rules.exit_hazard` of the firm's size over the median.
        """
        b = self.behaviour
        f = self.firms
        hw = f.high_water
        u = self.streams["exit"].random(hw)
        live = f.alive[:hw]
        median = float(np.median(f.va_base[:hw][live]))
        hazard = rules.exit_hazard(
            b.exit_rate, f.va_base[:hw] / median, b.exit_size_elasticity, period_years=1.0
        )
        return np.flatnonzero(live & (u < hazard)), median

    def exit_cohorts(self, median: float) -> None:
        """Cluster-fund entrants leave the register like firms of their size (ODD 7.7).

        A cohort is an aggregate, so it loses the expected share: its count, value added and
        product-mix numerators are multiplied by ``1 - hazard(Y_entrant / Y_med)``
        (:func:`mfgplan.economy.rules.exit_hazard`), ``Y_entrant`` the cohort's mean VA.
        """
        cohorts = self.province.cohorts
        present = cohorts.count > 0
        if not present.any():
            return
        mean_va = np.where(present, cohorts.va / np.where(present, cohorts.count, 1.0), 1.0)
        b = self.behaviour
        hazard = rules.exit_hazard(
            b.exit_rate, mean_va / median, b.exit_size_elasticity, period_years=1.0
        )
        keep = np.where(present, 1.0 - hazard, 1.0)
        for name in ("count", "va", "sei", "hightech"):
            setattr(cohorts, name, getattr(cohorts, name) * keep)

    def exit_firms(self, exits: np.ndarray, year: int) -> None:
        """Remove firms ``exits`` (slots); their open projects end and awards lapse."""
        f = self.firms
        if exits.size:
            f.alive[exits] = False
            f.va_base[exits] = 0.0
            pb = self.projects
            n = pb.n
            exiting = np.zeros(f.high_water, dtype=bool)
            exiting[exits] = True
            gone = exiting[pb.firm[:n]] & ~pb.closed[:n]
            rows = np.flatnonzero(gone)
            self.province.release(rows, year)
            pb.completed[rows] = True
            pb.abandon[rows] = True

    def enter(self) -> np.ndarray:
        """Entrants of the year (Poisson, rate per live firm); returns their slots."""
        rng = self.streams["entry"]
        n_new = int(rng.poisson(self.behaviour.entry_rate * self.firms.n_alive))
        if n_new == 0:
            return np.zeros(0, dtype=np.intp)
        return self.population.add_entrants(n_new, rng)
