"""The agent-based model: Jiangxi's above-scale industrial enterprises under a scenario.

:class:`ManufacturingEconomy` is a Mesa model holding the state and the order of a quarterly
step (ODD section 3). Firm state lives in :class:`~mfgplan.economy.firms.FirmTable` arrays and projects in
:class:`~mfgplan.economy.projects.ProjectBook`; the economics are the pure functions of
:mod:`mfgplan.economy.rules` and :mod:`mfgplan.economy.calls`.

Each replicate carries two worlds on the same random draws (ODD 7.1): the **actual** world with
the scenario's programme and the **baseline** world without it. The population, value added
without the programme (``va_base``), entry and exit do not depend on the programme, so the two
worlds differ only by what the programme changes: projects it induces, awards, spillovers,
cluster entrants. The anchoring step (:mod:`mfgplan.runs.anchoring`) sets the baseline world on the
statistical forecast and adds the programme's effect on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from math import ceil

import mesa
import numpy as np

from mfgplan.economy import rules
from mfgplan.economy.calls import merit_score, run_call
from mfgplan.economy.firms import FirmTable, ProjectType
from mfgplan.economy.ledger import GrantLedger
from mfgplan.economy.projects import ProjectBook
from mfgplan.inputs.fields import expand_yearly
from mfgplan.inputs.parameters import Scenario
from mfgplan.inputs.programme import GRANT_INSTRUMENTS
from mfgplan.inputs.sectors import CITIES, SECTORS, city_shares, sector_arrays

__all__ = [
    "PROJECT_INSTRUMENTS",
    "STREAMS",
    "ManufacturingEconomy",
    "Proposals",
    "ReplicateRecord",
]

#: Named random streams of a replicate, spawned in this order from its SeedSequence.
STREAMS = (
    "init",
    "production",
    "arrival",
    "decision",
    "innovation",
    "exit",
    "entry",
    "first_of_kind",
    "selection",
    "programme",
    "mesa",
    "induced",
)

#: Instruments that fund investment projects through annual calls (decided in Q4).
PROJECT_INSTRUMENTS = ("tech_retrofit_grant", "intelligent_mfg_demo_award", "major_project_support")

N_SECTORS = len(SECTORS)
N_CITIES = len(CITIES)
K = {name: k for k, name in enumerate(GRANT_INSTRUMENTS)}


@dataclass
class ReplicateRecord:
    """Annual aggregates of one replicate, both worlds (index 0 is the base year)."""

    years: np.ndarray
    #: sector value added [year, sector], yuan/year at base-year prices
    va_actual: np.ndarray
    va_baseline: np.ndarray
    #: VA-weighted shares [year] (fractions) and key-area CNC rate
    sei_actual: np.ndarray
    sei_baseline: np.ndarray
    hightech_actual: np.ndarray
    hightech_baseline: np.ndarray
    cnc_actual: np.ndarray
    cnc_baseline: np.ndarray
    #: business R&D [year], yuan/year
    rd_actual: np.ndarray
    rd_baseline: np.ndarray
    #: enterprises [year]
    firms_actual: np.ndarray
    firms_baseline: np.ndarray
    #: R&D super-deduction tax expenditure [year], yuan
    tax_expenditure_actual: np.ndarray
    tax_expenditure_baseline: np.ndarray
    #: equity invested [year], yuan: the investment fund and the cluster funds
    fund_equity: np.ndarray
    cluster_equity: np.ndarray
    #: per instrument [instrument, year]: awards made, additional and deadweight awarded projects
    awards: np.ndarray
    additional_projects: np.ndarray
    deadweight_projects: np.ndarray
    #: the grant ledger (committed, paid, lapsed per instrument, year, sector)
    ledger: GrantLedger
    extra: dict[str, np.ndarray] = field(default_factory=dict)


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


def _logit_offset(
    target: float, base_logit: np.ndarray, weights: np.ndarray, iterations: int = 60
) -> float:
    """Offset ``d`` such that ``sum(w * expit(base + d)) / sum(w) = target`` (Brent's method,
    to 1e-10 in the logit; the bounds +-15 if the target is out of reach)."""
    from scipy.optimize import brentq

    total = weights.sum()

    def gap(offset: float) -> float:
        return float((weights * rules.expit(base_logit + offset)).sum() / total) - target

    lo, hi = -15.0, 15.0
    if gap(lo) >= 0.0:
        return lo
    if gap(hi) <= 0.0:
        return hi
    return float(brentq(gap, lo, hi, xtol=1e-10, maxiter=iterations))


class ManufacturingEconomy(mesa.Model):
    """Above-scale industrial enterprises of the province, stepped quarterly.

    Parameters
    ----------
    scenario
        The validated scenario.
    baseline
        One draw of the statistical baseline: ``{indicator: array over years base..horizon}``
        (see :func:`mfgplan.calibration.forecast.BaselineFit.simulate_paths`). Used here for the real
        growth of value added and the base-year levels the population is scaled to.
    seed
        The replicate's SeedSequence; the named :data:`STREAMS` are spawned from it.
    n_firms
        Number of enterprises in the base year.
    """

    def __init__(
        self,
        scenario: Scenario,
        baseline: Mapping[str, np.ndarray],
        seed: np.random.SeedSequence,
        n_firms: int,
    ) -> None:
        children = seed.spawn(len(STREAMS))
        self.streams = {
            name: np.random.Generator(np.random.PCG64(child))
            for name, child in zip(STREAMS, children, strict=True)
        }
        super().__init__(rng=self.streams["mesa"])
        self.spec = scenario
        self.behaviour = scenario.behaviour
        self.programme = scenario.programme
        self.instruments = scenario.programme.instruments
        self.baseline_path = {k: np.asarray(v, dtype=float) for k, v in baseline.items()}
        self.years = np.arange(scenario.base_year, scenario.horizon + 1)
        self.n_quarters = 4 * (len(self.years) - 1)
        self.sectors = sector_arrays()
        self.city_shares = city_shares()

        years = list(self.years[1:])
        self.programme_years = set(scenario.programme_years)
        self.allocation = scenario.allocation_by_year()
        self.ledger = GrantLedger(
            GRANT_INSTRUMENTS,
            years,
            N_SECTORS,
            self.allocation,
            self.programme.carryover,
        )
        self.super_deduction = expand_yearly(
            scenario.national_policy.rd_super_deduction_rate,
            range(scenario.base_year + 1, scenario.horizon + 1),
            field="rd_super_deduction_rate",
        )
        fund = self.programme.investment_fund
        self.fund_annual = expand_yearly(
            fund.annual_investment, scenario.programme_years, field="annual_investment"
        )
        self.fund_remaining = 0.0
        self.fund_invested_total = 0.0

        # programme state
        project_keys = PROJECT_INSTRUMENTS
        self.perceived_award_probability = {
            k: self.behaviour.initial_award_probability for k in project_keys
        }
        self.awards_used = dict.fromkeys(GRANT_INSTRUMENTS, 0)
        self.base_cell = np.zeros((N_SECTORS, N_CITIES), dtype=bool)
        self.park_cell = np.zeros((N_SECTORS, N_CITIES), dtype=bool)
        self.cluster_cell = np.zeros((N_SECTORS, N_CITIES), dtype=bool)
        self.demo_count = np.zeros((N_SECTORS, N_CITIES))
        self.centres = np.zeros(N_SECTORS)
        self.cluster_capital = np.zeros(N_SECTORS)
        self.cluster_uninvested = np.zeros(N_SECTORS)
        self.cluster_capacity = np.zeros(N_SECTORS)
        self.cohort_va = np.zeros(N_SECTORS)
        self.cohort_count = np.zeros(N_SECTORS)
        self.cohort_sei = np.zeros(N_SECTORS)  # VA-weighted SEI numerator of cohorts
        self.cohort_hightech = np.zeros(N_SECTORS)
        self._scheduled: list[tuple[int, int, int, int, float]] = []
        #: award each application would receive under its instrument's rule [yuan], by project
        self._pending_amount = np.zeros(0)

        self.firms = FirmTable(int(n_firms * 1.3) + 16)
        self.projects = ProjectBook(max(1024, n_firms))
        self._init_population(int(n_firms))
        self._init_record()
        self._record(0)

    # ------------------------------------------------------------------------------------------
    # initial state
    # ------------------------------------------------------------------------------------------

    def _init_population(self, n: int) -> None:
        """Draw the base-year population (ODD section 5, initialisation)."""
        rng = self.streams["init"]
        b = self.behaviour
        sec = self.sectors
        slots = self.firms.allocate(n)
        f = self.firms
        f.sector[slots] = rng.choice(N_SECTORS, size=n, p=sec["firm_share"])
        f.city[slots] = rng.choice(N_CITIES, size=n, p=self.city_shares)
        f.ownership[slots] = np.where(rng.random(n) < b.soe_share, 0, 1)
        # heavy-tailed size: lognormal body, Pareto tail above the 95th percentile
        size = rng.lognormal(0.0, b.size_sd, n)
        cut = np.quantile(size, 0.95)
        tail = size > cut
        size[tail] = cut * (1.0 - rng.random(tail.sum())) ** (-1.0 / b.pareto_tail_exponent)
        # scale each sector's firms to its share of base-year industrial VA
        industrial_va = self.baseline_path["industrial_va"][0]
        va = np.zeros(n)
        for s in range(N_SECTORS):
            in_s = f.sector[slots] == s
            if in_s.any():
                va[in_s] = size[in_s] / size[in_s].sum() * sec["va_share"][s] * industrial_va
        f.va_base[slots] = va
        self._init_firm_traits(slots, rng)
        # scale product mix and CNC so that province-wide levels equal the base-year baseline
        weights = va
        self._sei_offset = _logit_offset(
            self.baseline_path["sei_share"][0], self._sei_logit[slots], weights
        )
        self._hightech_offset = _logit_offset(
            self.baseline_path["hightech_share"][0], self._hightech_logit[slots], weights
        )
        key = sec["key_area"][f.sector[slots]]
        self._cnc_offset = _logit_offset(
            self.baseline_path["cnc_rate"][0], self._cnc_logit[slots][key], weights[key]
        )
        self._apply_levels(slots)
        # R&D: business R&D of the base year spread over performers by revenue and tech content
        gdp = self.baseline_path["gdp"][0]
        business_rd = self.baseline_path["rd_intensity"][0] * gdp * b.business_rd_share
        perf = f.rd_performer[slots]
        revenue = va / b.va_to_revenue
        propensity = np.where(perf, 0.3 + f.hightech[slots], 0.0)
        scale = business_rd / max((propensity * revenue).sum(), 1.0)
        f.rd_intensity_ref[slots] = propensity * scale
        f.rd[slots] = f.rd_intensity_ref[slots] * revenue
        f.rd_base[slots] = f.rd[slots]
        self.reference_rd_intensity = float(f.rd[slots].sum() / max(revenue[perf].sum(), 1.0))
        self.median_va = float(np.median(va))

    def _init_firm_traits(self, slots: np.ndarray, rng: np.random.Generator) -> None:
        """Hurdle, liquidity, tax status, R&D status and latent product-mix draws."""
        b = self.behaviour
        n = slots.size
        f = self.firms
        f.hurdle[slots] = np.clip(rng.normal(b.hurdle_rate_mean, b.hurdle_rate_sd, n), 0.02, 0.5)
        f.liquidity[slots] = rng.normal(0.0, b.liquidity_sd, n)
        f.taxable[slots] = rng.random(n) < b.taxable_share
        f.rd_performer[slots] = rng.random(n) < b.rd_performer_share
        f.claims_deduction[slots] = f.taxable[slots] & (rng.random(n) < b.super_deduction_take_up)
        if not hasattr(self, "_sei_logit"):
            cap = f.capacity
            self._sei_logit = np.zeros(cap)
            self._hightech_logit = np.zeros(cap)
            self._cnc_logit = np.zeros(cap)
        self._ensure_latent_capacity()
        s = f.sector[slots]
        self._sei_logit[slots] = rules.logit(self.sectors["sei_mean"][s]) + rng.normal(0, 0.8, n)
        self._hightech_logit[slots] = rules.logit(self.sectors["hightech_mean"][s]) + rng.normal(
            0, 0.8, n
        )
        self._cnc_logit[slots] = rules.logit(self.sectors["cnc_mean"][s]) + rng.normal(0, 0.5, n)

    def _ensure_latent_capacity(self) -> None:
        cap = self.firms.capacity
        for name in ("_sei_logit", "_hightech_logit", "_cnc_logit"):
            arr = getattr(self, name)
            if arr.size < cap:
                new = np.zeros(cap)
                new[: arr.size] = arr
                setattr(self, name, new)

    def _apply_levels(self, slots: np.ndarray) -> None:
        f = self.firms
        f.sei[slots] = rules.expit(self._sei_logit[slots] + self._sei_offset)
        f.hightech[slots] = rules.expit(self._hightech_logit[slots] + self._hightech_offset)
        f.cnc[slots] = rules.expit(self._cnc_logit[slots] + self._cnc_offset)
        f.sei_base[slots] = f.sei[slots]
        f.hightech_base[slots] = f.hightech[slots]
        f.cnc_base[slots] = f.cnc[slots]

    # ------------------------------------------------------------------------------------------
    # the step (ODD section 3: process overview and scheduling)
    # ------------------------------------------------------------------------------------------

    @property
    def quarter_index(self) -> int:
        """Quarters since the start of the first projected year (0 = Q1 of base year + 1)."""
        return self.steps - 1

    def step(self) -> None:
        """One quarter: budget year, production, R&D, projects, calls, payments, demography."""
        t = self.quarter_index
        year = int(self.years[0]) + 1 + t // 4
        quarter = t % 4
        in_programme = year in self.programme_years
        if quarter == 0:
            self.ledger.open_year(year)
            self._tax_year = np.zeros(2)
            if in_programme:
                self.fund_remaining += self.fund_annual[year]
                self._lump_sum_calls(year, t)
            share = self.instruments.sei_cluster_guiding_fund.invest_share_per_year
            self.cluster_capacity = np.minimum(
                self.cluster_capital * share, self.cluster_uninvested
            )
        self._produce(year, quarter)
        self._research(year)
        self._projects(year, t, in_programme)
        self._complete(year, t)
        self._first_of_kind(year, t, in_programme)
        if quarter == 3:
            if in_programme:
                self._project_calls(year, t)
            self._cluster_entry(year)
            self.ledger.close_year(year)
        self._pay(year, t)
        if quarter == 3:
            self._demography(year)
            self._record(year - int(self.years[0]))

    def run(self) -> ReplicateRecord:
        """Step to the horizon and return the annual record."""
        for _ in range(self.n_quarters):
            self.step()
        self.ledger.check()
        return self.record

    # -- production ----------------------------------------------------------------------------

    def _produce(self, year: int, quarter: int) -> None:
        """Value added without the programme grows with the statistical baseline (ODD 7.2).

        .. math:: \\ln Y^0_{i,t+1} = \\ln Y^0_{i,t} + (g_y + g_s)/4 + \\sigma\\epsilon/2

        ``g_y`` the baseline's real growth of industrial VA in the year, ``g_s`` the sector's
        relative growth, ``sigma_eps`` the annual idiosyncratic sd (Gibrat shocks). The uplifts
        of programme-induced projects ramp in and their capital part depreciates; the CNC share
        of key processes drifts up by ``cnc_drift`` of the remaining gap a quarter (Battisti &
        Stoneman 2005), in both worlds.
        """
        rng = self.streams["production"]
        f = self.firms
        hw = f.high_water
        shock = rng.standard_normal(hw)
        yi = year - int(self.years[0])
        g = np.log1p(self.baseline_path["industrial_va_growth"][yi])
        rel = self.sectors["relative_growth"][f.sector[:hw]]
        sd = self.behaviour.idiosyncratic_sd
        # the mean-preserving correction keeps E[Y] growing at g
        # every slot is updated (a free slot's value is never read and is cleared on reuse)
        f.va_base[:hw] *= np.exp((g + rel) / 4 + 0.5 * sd * shock - 0.5 * (0.5 * sd) ** 2)
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
        self.cohort_va *= np.exp((g + self.sectors["relative_growth"]) / 4)

    # -- R&D and product upgrading ---------------------------------------------------------------

    def _research(self, year: int) -> None:
        """R&D responds to the tax price; R&D draws product innovations (ODD 7.6)."""
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
        reference_price = rules.tax_price(cit, sd_base, 1.0)
        va_actual = f.va(perf, b.cnc_tfp_effect)
        va_base = f.va_base[perf]
        for world, va, rd_name, sd in (
            (0, va_actual, "rd", sd_actual),
            (1, va_base, "rd_base", sd_base),
        ):
            revenue = va / b.va_to_revenue
            response = float(
                rules.desired_rd(
                    1.0, 1.0, rules.tax_price(cit, sd, 1.0), reference_price, b.rd_price_elasticity
                )
            )
            desired = f.rd_intensity_ref[perf] * revenue * np.where(claiming, response, 1.0)
            rd = getattr(f, rd_name)
            new_rd = rd[perf] + b.rd_adjustment_speed * (desired - rd[perf])
            rd[perf] = new_rd
            self._tax_year[world] += float((cit * sd * new_rd[claiming]).sum() / 4.0)
        # innovation: the same uniform decides in both worlds (one draw per slot)
        u = self.streams["innovation"].random(hw)[perf]
        boost = b.innovation_centre_spillover * self.centres[f.sector[perf]]
        for va, rd_name, sei_name, ht_name, bst in (
            (va_actual, "rd", "sei", "hightech", boost),
            (va_base, "rd_base", "sei_base", "hightech_base", 0.0),
        ):
            revenue = np.maximum(va / b.va_to_revenue, 1.0)
            intensity = getattr(f, rd_name)[perf] / revenue
            p = rules.innovation_probability(
                intensity, self.reference_rd_intensity, b.innovation_rate, bst
            )
            hit = perf[u < p]
            sei = getattr(f, sei_name)
            ht = getattr(f, ht_name)
            sei[hit] += b.sei_upgrade_step * (1.0 - sei[hit])
            ht[hit] += b.hightech_upgrade_step * (1.0 - ht[hit])

    # -- investment projects ---------------------------------------------------------------------

    def _im_hazard_boost(self, slots: np.ndarray) -> np.ndarray:
        """Extra quarterly hazard of intelligent-equipment projects from demonstration firms,
        IM bases and demonstration parks in the firm's sector and city (ODD 7.4)."""
        b = self.behaviour
        f = self.firms
        cell_firms = np.maximum(self._cell_firm_count, 1.0)
        # the same sum evaluated once per (sector, city) cell, then gathered for each firm
        cell_boost = (
            b.demonstration_effect * self.demo_count / (cell_firms / 100.0)
            + b.base_effect * self.base_cell
            + b.park_effect * self.park_cell
        )
        return cell_boost.ravel()[f.sector[slots].astype(np.intp) * N_CITIES + f.city[slots]]

    def _projects(self, year: int, t: int, in_programme: bool) -> None:
        """Project opportunities arrive; firms decide with and without the programme (ODD 7.3).

        Both worlds use the same uniform ``u``: ``adopt_w = feasible_w and u < P_w`` with
        ``P_w = expit((NPV_w/I - c_0)/tau_i)`` (:func:`mfgplan.economy.rules.adoption_probability`).
        """
        b = self.behaviour
        f = self.firms
        hw = f.high_water
        u_arrive = self.streams["arrival"].random(hw)
        live = f.alive[:hw]
        self._count_cell_firms()
        rate = b.project_arrival_rate
        idx = np.flatnonzero(live)
        extra = self._im_hazard_boost(idx)
        arrive_base = u_arrive[idx] < rate
        arrive_actual = u_arrive[idx] < np.minimum(rate + extra, 0.95)
        cand = idx[arrive_actual]
        if cand.size == 0:
            return
        only_actual = ~arrive_base[arrive_actual]
        u_type, z_size, u_adopt, u_apply, u_abandon = self._project_draws(only_actual)
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
        va_actual = f.va(cand, b.cnc_tfp_effect)
        size_rel = f.va_base[cand] / self.median_va
        scale = rules.logit_scale(b.investment_elasticity) * np.where(
            size_rel < 1.0, size_rel ** (-b.small_firm_responsiveness), 1.0
        )
        npv0 = rules.project_npv(
            f.va_base[cand], investment, gain, b.cash_flow_per_va, tau, hurdle, build,
            b.project_life_years,
        )  # fmt: skip
        npv0_per_yuan = npv0 / investment
        p0 = rules.adoption_probability(npv0_per_yuan, b.real_options_premium, scale)
        # expected support in the actual world: the best instrument the project is eligible for
        instrument, award, subsidy_share = self._best_instrument(
            year, cand, kind, investment, hurdle, build, in_programme
        )
        cost_cut = b.base_cost_reduction * self.base_cell[f.sector[cand], f.city[cand]]
        npv1 = rules.project_npv(
            va_actual, investment * (1.0 - cost_cut), gain, b.cash_flow_per_va, tau, hurdle,
            build, b.project_life_years, subsidy_share,
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
        self._settle_projects(
            year, t, in_programme,
            Proposals(
                cand, kind, ratio, investment, build, npv0_per_yuan, instrument, award,
                investment * (1.0 - cost_cut), capacity, feasible0, adopt0, wants1, u_apply,
                u_abandon,
            ),
        )  # fmt: skip

    def _count_cell_firms(self) -> None:
        """Live firms per (sector, city) cell, for the demonstration effects."""
        f = self.firms
        hw = f.high_water
        live = f.alive[:hw]
        cell = f.sector[:hw][live].astype(np.intp) * N_CITIES + f.city[:hw][live]
        self._cell_firm_count = (
            np.bincount(cell, minlength=N_SECTORS * N_CITIES)
            .reshape(N_SECTORS, N_CITIES)
            .astype(float)
        )

    def _project_draws(self, only_actual: np.ndarray) -> np.ndarray:
        """Each arriving project's own draws ``[u_type, z_size, u_adopt, u_apply, u_abandon]``
        (both worlds share them), projects in slot order.

        Projects that arrive without the programme draw from the arrival and decision streams,
        so their draws are the same in every scenario (common random numbers); projects only
        the programme brings draw from the ``induced`` stream.
        """
        m = only_actual.size
        draws = np.empty((5, m))
        for rows, streams in (
            (~only_actual, (self.streams["arrival"], self.streams["decision"])),
            (only_actual, (self.streams["induced"], self.streams["induced"])),
        ):
            k = int(rows.sum())
            if k:
                draws[0, rows] = streams[0].random(k)
                draws[1, rows] = streams[0].standard_normal(k)
                draws[2:, rows] = streams[1].random((3, k))
        return draws

    def _settle_projects(self, year: int, t: int, in_programme: bool, p: Proposals) -> None:
        """Finance the projects that want it (first come first served, in slot order) and
        record the projects adopted in either world."""
        b = self.behaviour
        f = self.firms
        cand = p.firm
        feasible1 = p.feasible0.copy()
        equity = np.zeros(cand.size)
        guarantee = np.zeros(cand.size)
        if in_programme:
            feasible1, equity, guarantee = self._finance(
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
        if self._pending_amount.size < pb.capacity:
            grown = np.zeros(pb.capacity)
            grown[: self._pending_amount.size] = self._pending_amount
            self._pending_amount = grown
        self._pending_amount[rows] = np.where(applies, p.award[sel], 0.0)

    def _best_instrument(
        self,
        year: int,
        slots: np.ndarray,
        kind: np.ndarray,
        investment: np.ndarray,
        hurdle: np.ndarray,
        build: np.ndarray,
        in_programme: bool,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The project instrument each project would apply to, its award and the expected
        subsidy share (:func:`mfgplan.economy.rules.effective_subsidy`); ``-1`` where none."""
        n = slots.size
        best = np.full(n, -1, dtype=np.int8)
        best_award = np.zeros(n)
        best_share = np.zeros(n)
        if not in_programme:
            return best, best_award, best_share
        f = self.firms
        b = self.behaviour
        ins = self.instruments
        revenue = f.va(slots, b.cnc_tfp_effect) / b.va_to_revenue
        retrofit_like = (kind == ProjectType.RETROFIT) | (kind == ProjectType.INTELLIGENT)
        candidates: list[tuple[str, np.ndarray, np.ndarray]] = []
        r = ins.tech_retrofit_grant
        candidates.append(
            (
                "tech_retrofit_grant",
                retrofit_like & (investment >= r.min_investment),
                rules.award_amount(r.matching_rate, r.cap, investment),
            )
        )
        d = ins.intelligent_mfg_demo_award
        candidates.append(
            (
                "intelligent_mfg_demo_award",
                (kind == ProjectType.INTELLIGENT)
                & (f.cnc[slots] >= d.min_cnc_share)
                & (revenue >= d.min_revenue)
                & ~f.im_demo[slots]
                & (self.awards_used["intelligent_mfg_demo_award"] < d.total_awards),
                rules.award_amount(d.matching_rate, d.cap, investment * d.equipment_share),
            )
        )
        m = ins.major_project_support
        candidates.append(
            (
                "major_project_support",
                (investment >= m.min_investment)
                & self.sectors["priority"][f.sector[slots]]
                & (self.awards_used["major_project_support"] < m.projects),
                np.minimum(np.full(n, m.support_per_project), investment),
            )
        )
        for name, eligible, amount in candidates:
            if self.allocation[name].get(year, 0.0) <= 0.0:
                continue
            rule = getattr(ins, name)
            share = rules.effective_subsidy(
                amount,
                investment,
                self.perceived_award_probability[name],
                self.behaviour.application_propensity,
                build + rule.payment_lag_quarters,
                hurdle,
            )
            better = eligible & (share > best_share)
            best[better] = K[name]
            best_award[better] = amount[better]
            best_share[better] = share[better]
        return best, best_award, best_share

    def _finance(
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
        g = self.instruments.loan_guarantee_subsidy
        revenue = f.va(slots, b.cnc_tfp_effect) / b.va_to_revenue
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
        fund = self.programme.investment_fund
        stake = fund.max_stake
        need = wants & ~feasible & (investment * (1.0 - stake) <= capacity)
        for i in np.flatnonzero(need):
            amount = stake * investment[i]
            s = int(f.sector[slots[i]])
            if investment[i] >= fund.min_project and amount <= self.fund_remaining:
                self.fund_remaining -= amount
                self._fund_year += amount
            elif self.cluster_cell[s, f.city[slots[i]]] and amount <= self.cluster_capacity[s]:
                self.cluster_capacity[s] -= amount
                self.cluster_uninvested[s] -= amount
                self._cluster_year += amount
            else:
                continue
            equity[i] = amount
            feasible[i] = True
        return feasible, equity, guarantee

    def _complete(self, year: int, t: int) -> None:
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
        self._release(abandoned, year)
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
            [kind == ProjectType.INTELLIGENT, kind == ProjectType.RETROFIT], [1.0, 0.5], 0.0
        )
        gain = b.cnc_gain_per_project * weight * np.minimum(ratio / 0.15, 1.0)
        for flag, name in ((pb.in_actual[ok], "cnc"), (pb.in_baseline[ok], "cnc_base")):
            arr = getattr(f, name)
            sel = flag & (gain > 0)
            np.add.at(arr, firm[sel], gain[sel] * (1.0 - arr[firm[sel]]))
            np.clip(arr, 0.0, 1.0, out=arr)

    def _release(self, rows: np.ndarray, year: int) -> None:
        """Lapse what is left of the awards of projects ``rows`` (abandoned, or the firm
        exited) and close them; rows in ascending order."""
        pb = self.projects
        rest = pb.award[rows] - pb.paid[rows]
        open_award = (pb.award[rows] > 0) & ~pb.closed[rows] & (rest > 0)
        for row, amount in zip(rows[open_award], rest[open_award], strict=True):
            k = int(pb.instrument[row])
            self.ledger.lapse(
                GRANT_INSTRUMENTS[k], int(pb.award_year[row]), int(pb.sector[row]), amount, year
            )
        pb.closed[rows] = True

    # -- calls -----------------------------------------------------------------------------------

    def _call(
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
        """Run one call of ``name`` over candidate applications; returns the accepted mask."""
        rule = getattr(self.instruments, name)
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

    def _project_calls(self, year: int, t: int) -> None:
        """Annual calls of the project instruments, decided in Q4 (ODD 7.5)."""
        pb = self.projects
        f = self.firms
        n = pb.n
        for name in PROJECT_INSTRUMENTS:
            k = K[name]
            apps = np.flatnonzero(
                (pb.instrument[:n] == k)
                & (pb.apply_year[:n] == year)
                & (pb.award[:n] == 0)
                & ~(pb.completed[:n] & pb.abandon[:n])
                & ~pb.closed[:n]
            )
            limit = self._count_limit(name)
            if apps.size == 0 or limit <= 0:
                continue
            firm = pb.firm[apps]
            amounts = self._pending_amount[apps]
            accepted = self._call(
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
            self._award_projects(name, win, year, t)
            rate = win.size / apps.size
            p = self.perceived_award_probability[name]
            self.perceived_award_probability[name] = 0.5 * p + 0.5 * rate

    def _count_limit(self, name: str) -> int:
        rule = getattr(self.instruments, name)
        for attr in ("total_awards", "projects", "clusters", "bases", "parks", "centres"):
            if hasattr(rule, attr):
                return int(getattr(rule, attr)) - self.awards_used[name]
        return 10**9

    def _award_projects(self, name: str, rows: np.ndarray, year: int, t: int) -> None:
        pb = self.projects
        f = self.firms
        rule = getattr(self.instruments, name)
        yi = year - int(self.years[0])
        for r in rows:
            amount = float(self._pending_amount[r])
            sector = int(pb.sector[r])
            self.ledger.commit(name, year, sector, amount)
            pb.award[r] = amount
            pb.award_year[r] = year
            pb.award_quarter[r] = t
            upfront = rule.upfront_share * amount
            if upfront > 0:
                self.ledger.pay(name, year, year, sector, upfront)
                pb.paid[r] = upfront
        firm = pb.firm[rows]
        f.prior_support[firm] = True
        if name == "intelligent_mfg_demo_award":
            f.im_demo[firm] = True
            np.add.at(self.demo_count, (f.sector[firm], f.city[firm]), 1.0)
        k = K[name]
        self.awards_used[name] += rows.size
        self._awards[k, yi] += rows.size
        self._additional[k, yi] += int((pb.in_actual[rows] & ~pb.in_baseline[rows]).sum())
        self._deadweight[k, yi] += int(pb.in_baseline[rows].sum())

    def _lump_sum_calls(self, year: int, t: int) -> None:
        """Q1 calls of the instruments that select places or firms, not projects (ODD 7.5).

        Counts are phased evenly: ``ceil(remaining count / remaining programme years)``.
        """
        f = self.firms
        hw = f.high_water
        live = np.flatnonzero(f.alive[:hw])
        years_left = max(self.programme.last_year - year + 1, 1)
        rng = self.streams["programme"]
        b = self.behaviour
        ins = self.instruments
        cell_va = np.zeros((N_SECTORS, N_CITIES))
        np.add.at(cell_va, (f.sector[live], f.city[live]), f.va_base[live])
        cell_sector, cell_city = np.divmod(np.arange(N_SECTORS * N_CITIES), N_CITIES)
        priority = self.sectors["priority"][cell_sector]
        manufacturing = self.sectors["manufacturing"][cell_sector]
        key = self.sectors["key_area"][cell_sector]
        flat_va = cell_va.ravel()

        def cells(name: str, eligible: np.ndarray, amount: float, taken: np.ndarray) -> None:
            limit = self._count_limit(name)
            n_now = min(ceil(limit / years_left), limit)
            cand = np.flatnonzero(eligible & (flat_va > 0) & ~taken.ravel())
            if n_now <= 0 or cand.size == 0 or self.allocation[name].get(year, 0.0) <= 0:
                return
            accepted = self._call(
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
                self._commit_lump(name, year, t, int(cell_sector[c]), amount)
            taken.ravel()[chosen] = True
            self.awards_used[name] += chosen.size
            self._awards[K[name], year - int(self.years[0])] += chosen.size
            if name == "sei_cluster_guiding_fund":
                capital = amount * ins.sei_cluster_guiding_fund.leverage_target
                np.add.at(self.cluster_capital, cell_sector[chosen], capital)
                np.add.at(self.cluster_uninvested, cell_sector[chosen], capital)

        cluster = ins.sei_cluster_guiding_fund
        cells("sei_cluster_guiding_fund", priority, cluster.per_cluster, self.cluster_cell)
        cells(
            "intelligent_mfg_base_grant",
            priority & key,
            ins.intelligent_mfg_base_grant.per_base,
            self.base_cell,
        )
        cells(
            "platform_and_park_subsidy",
            manufacturing,
            ins.platform_and_park_subsidy.per_park,
            self.park_cell,
        )
        # innovation centres: R&D performers of priority sectors
        c = ins.innovation_centre_grant
        name = "innovation_centre_grant"
        limit = self._count_limit(name)
        n_now = min(ceil(limit / years_left), limit)
        equipment = c.equipment_median * np.exp(b.centre_equipment_sd * rng.standard_normal(hw))
        cand = live[
            f.rd_performer[live] & self.sectors["priority"][f.sector[live]] & (f.rd[live] > 0)
        ]
        if n_now > 0 and cand.size and self.allocation[name].get(year, 0.0) > 0:
            amounts = rules.award_amount(c.matching_rate, c.cap, equipment[cand])
            accepted = self._call(
                name, amounts, n_now, np.log(f.rd[cand]), np.zeros(cand.size),
                f.prior_support[cand], f.city[cand], np.zeros(cand.size, dtype=np.int64),
            )  # fmt: skip
            for i in np.flatnonzero(accepted):
                self._commit_lump(name, year, t, int(f.sector[cand[i]]), float(amounts[i]))
            np.add.at(self.centres, f.sector[cand[accepted]], 1.0)
            f.prior_support[cand[accepted]] = True
            self.awards_used[name] += int(accepted.sum())
            self._awards[K[name], year - int(self.years[0])] += int(accepted.sum())
        # IT-integration demonstration firms
        d = ins.it_integration_demo_award
        name = "it_integration_demo_award"
        limit = self._count_limit(name)
        n_now = min(ceil(limit / years_left), limit)
        cand = live[(f.cnc[live] >= d.min_cnc_share) & ~f.it_demo[live]]
        if n_now > 0 and cand.size and self.allocation[name].get(year, 0.0) > 0:
            accepted = self._call(
                name, np.full(cand.size, d.award), n_now, np.log(f.va_base[cand]),
                f.cnc[cand], f.prior_support[cand], f.city[cand],
                np.zeros(cand.size, dtype=np.int64),
            )  # fmt: skip
            won = cand[accepted]
            for s in f.sector[won]:
                self._commit_lump(name, year, t, int(s), d.award)
            f.it_demo[won] = True
            f.prior_support[won] = True
            np.add.at(self.demo_count, (f.sector[won], f.city[won]), 1.0)
            self.awards_used[name] += won.size
            self._awards[K[name], year - int(self.years[0])] += won.size

    def _commit_lump(self, name: str, year: int, t: int, sector: int, amount: float) -> None:
        """Commit a lump sum now; pay the upfront share now and the rest after the lag."""
        rule = getattr(self.instruments, name)
        self.ledger.commit(name, year, sector, amount)
        upfront = rule.upfront_share * amount
        if upfront > 0:
            self.ledger.pay(name, year, year, sector, upfront)
        if amount - upfront > 0:
            due = t + max(rule.payment_lag_quarters, 0)
            self._scheduled.append((due, K[name], year, sector, amount - upfront))

    # -- first-of-a-kind equipment ---------------------------------------------------------------

    def _first_of_kind(self, year: int, t: int, in_programme: bool) -> None:
        """First-of-a-kind sets look for buyers; the province subsidises maker, buyer and
        insurance (ODD 7.5). Draws are made whatever the scenario (common random numbers)."""
        rng = self.streams["first_of_kind"]
        rule = self.instruments.first_of_kind_equipment_subsidy
        b = self.behaviour
        f = self.firms
        n = int(rng.poisson(rule.candidates_per_year / 4.0))
        z = rng.standard_normal(n)
        u_sale = rng.random(n)
        u_buyer = rng.random(n)
        u_maker = rng.random(n)
        if n == 0:
            return
        hw = f.high_water
        makers = np.flatnonzero(f.alive[:hw] & self.sectors["equipment_maker"][f.sector[:hw]])
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
        if active:
            for i in range(n):
                if u_sale[i] < p1[i] and total[i] <= self.ledger.remaining(name):
                    s = int(f.sector[maker[i]])
                    self._commit_lump(name, year, t, s, float(total[i]))
                    sold1[i] = True
                    self._awards[K[name], yi] += 1
                    if sold0[i]:
                        self._deadweight[K[name], yi] += 1
                    else:
                        self._additional[K[name], yi] += 1
        extra = sold1 & ~sold0
        if extra.any():
            m = maker[extra]
            gain = np.log1p(price[extra] * b.va_to_revenue / f.va(m, b.cnc_tfp_effect))
            np.add.at(f.pending_tfp, m, gain)
            f.hightech[m] += b.hightech_upgrade_step * (1.0 - f.hightech[m])

    # -- cluster funds: entry ----------------------------------------------------------------------

    def _cluster_entry(self, year: int) -> None:
        """Cluster-fund capital draws new firms into the cluster's sector (ODD 7.5).

        Expected entrants ``beta_E * (capital invested / sector VA) * firms in sector``; they
        are kept as a cohort per sector (value added, count, product mix), in the actual world
        only.
        """
        # capacity not used by members' projects this year is invested in new firms
        invested = np.maximum(self.cluster_capacity, 0.0)
        self.cluster_uninvested -= invested
        self.cluster_capacity[:] = 0.0
        self._cluster_year += float(invested.sum())
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
        sei = rules.expit(rules.logit(self.sectors["sei_mean"]) + self._sei_offset)
        ht = rules.expit(rules.logit(self.sectors["hightech_mean"]) + self._hightech_offset)
        self.cohort_count += entrants
        self.cohort_va += entrants * va_each
        self.cohort_sei += entrants * va_each * sei
        self.cohort_hightech += entrants * va_each * ht

    # -- payments --------------------------------------------------------------------------------

    def _pay(self, year: int, t: int) -> None:
        """Pay awards that are due (ODD 7.5: ex-post payment after completion and a lag)."""
        pb = self.projects
        n = pb.n
        lag = np.array(
            [getattr(self.instruments, k).payment_lag_quarters for k in GRANT_INSTRUMENTS]
        )
        open_ = np.flatnonzero(
            (pb.award[:n] > 0) & ~pb.closed[:n] & pb.completed[:n] & ~pb.abandon[:n]
        )
        if open_.size:
            due = np.maximum(pb.done[open_], pb.award_quarter[open_]) + lag[pb.instrument[open_]]
            for r in open_[due <= t]:
                rest = float(pb.award[r] - pb.paid[r])
                name = GRANT_INSTRUMENTS[int(pb.instrument[r])]
                self.ledger.pay(name, int(pb.award_year[r]), year, int(pb.sector[r]), rest)
                pb.paid[r] = pb.award[r]
                pb.closed[r] = True
        if self._scheduled:
            keep = []
            for item in self._scheduled:
                due_q, k, commit_year, sector, amount = item
                if due_q <= t:
                    self.ledger.pay(GRANT_INSTRUMENTS[k], commit_year, year, sector, amount)
                else:
                    keep.append(item)
            self._scheduled = keep

    # -- entry and exit --------------------------------------------------------------------------

    def _demography(self, year: int) -> None:
        """Exit (size-dependent hazard) and entry (Poisson) of above-scale firms (ODD 7.7).

        Run once a year, at the end of Q4: the above-scale register is revised annually (a
        firm enters when its annual revenue passes 20 M yuan, leaves when it falls below or
        closes). Both depend only on no-programme state, so the population is the same in every
        scenario of a replicate.
        """
        b = self.behaviour
        f = self.firms
        hw = f.high_water
        u = self.streams["exit"].random(hw)
        live = f.alive[:hw]
        median = float(np.median(f.va_base[:hw][live]))
        hazard = rules.exit_hazard(b.exit_rate, f.va_base[:hw] / median, period_years=1.0)
        self._exit(np.flatnonzero(live & (u < hazard)), year)
        self._enter()

    def _exit(self, exits: np.ndarray, year: int) -> None:
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
            self._release(rows, year)
            pb.completed[rows] = True
            pb.abandon[rows] = True

    def _enter(self) -> np.ndarray:
        """Entrants of the year (Poisson, rate per live firm); returns their slots."""
        b = self.behaviour
        rng = self.streams["entry"]
        n_new = int(rng.poisson(b.entry_rate * self.firms.n_alive))
        if n_new == 0:
            return np.zeros(0, dtype=np.intp)
        slots = self.firms.allocate(n_new)
        self._ensure_latent_capacity()
        f = self.firms
        f.sector[slots] = rng.choice(N_SECTORS, size=n_new, p=self.sectors["firm_share"])
        f.city[slots] = rng.choice(N_CITIES, size=n_new, p=self.city_shares)
        f.ownership[slots] = np.where(rng.random(n_new) < b.soe_share, 0, 1)
        f.va_base[slots] = (
            b.entrant_median_revenue * b.va_to_revenue * rng.lognormal(0.0, 0.5 * b.size_sd, n_new)
        )
        self._init_firm_traits(slots, rng)
        self._apply_levels(slots)
        revenue = f.va_base[slots] / b.va_to_revenue
        propensity = np.where(f.rd_performer[slots], 0.3 + f.hightech[slots], 0.0)
        f.rd_intensity_ref[slots] = propensity * self._rd_scale
        f.rd[slots] = f.rd_intensity_ref[slots] * revenue
        f.rd_base[slots] = f.rd[slots]
        return slots

    # -- recording -------------------------------------------------------------------------------

    def _init_record(self) -> None:
        n_years = len(self.years)
        n_k = len(GRANT_INSTRUMENTS)
        z = np.zeros
        self.record = ReplicateRecord(
            years=self.years.copy(),
            va_actual=z((n_years, N_SECTORS)),
            va_baseline=z((n_years, N_SECTORS)),
            sei_actual=z(n_years),
            sei_baseline=z(n_years),
            hightech_actual=z(n_years),
            hightech_baseline=z(n_years),
            cnc_actual=z(n_years),
            cnc_baseline=z(n_years),
            rd_actual=z(n_years),
            rd_baseline=z(n_years),
            firms_actual=z(n_years),
            firms_baseline=z(n_years),
            tax_expenditure_actual=z(n_years),
            tax_expenditure_baseline=z(n_years),
            fund_equity=z(n_years),
            cluster_equity=z(n_years),
            awards=z((n_k, n_years)),
            additional_projects=z((n_k, n_years)),
            deadweight_projects=z((n_k, n_years)),
            ledger=self.ledger,
        )
        self._awards = self.record.awards
        self._additional = self.record.additional_projects
        self._deadweight = self.record.deadweight_projects
        self._tax_year = np.zeros(2)
        self._fund_year = 0.0
        self._cluster_year = 0.0
        f = self.firms
        live = f.live_slots()
        revenue = f.va_base[live] / self.behaviour.va_to_revenue
        propensity = np.where(f.rd_performer[live], 0.3 + f.hightech[live], 0.0)
        total = (propensity * revenue).sum()
        self._rd_scale = float(f.rd[live].sum() / total) if total > 0 else 0.0

    def _record(self, yi: int) -> None:
        """Annual aggregates of both worlds at the end of a year."""
        rec = self.record
        f = self.firms
        b = self.behaviour
        live = f.live_slots()
        sector = f.sector[live]
        va1 = f.va(live, b.cnc_tfp_effect)
        va0 = f.va_base[live]
        rec.va_actual[yi] = np.bincount(sector, weights=va1, minlength=N_SECTORS) + self.cohort_va
        rec.va_baseline[yi] = np.bincount(sector, weights=va0, minlength=N_SECTORS)
        total1 = va1.sum() + self.cohort_va.sum()
        total0 = va0.sum()
        rec.sei_actual[yi] = ((va1 * f.sei[live]).sum() + self.cohort_sei.sum()) / total1
        rec.sei_baseline[yi] = (va0 * f.sei_base[live]).sum() / total0
        rec.hightech_actual[yi] = (
            (va1 * f.hightech[live]).sum() + self.cohort_hightech.sum()
        ) / total1
        rec.hightech_baseline[yi] = (va0 * f.hightech_base[live]).sum() / total0
        key = self.sectors["key_area"][sector]
        rec.cnc_actual[yi] = (va1[key] * f.cnc[live][key]).sum() / va1[key].sum()
        rec.cnc_baseline[yi] = (va0[key] * f.cnc_base[live][key]).sum() / va0[key].sum()
        rec.rd_actual[yi] = f.rd[live].sum()
        rec.rd_baseline[yi] = f.rd_base[live].sum()
        rec.firms_actual[yi] = live.size + self.cohort_count.sum()
        rec.firms_baseline[yi] = live.size
        rec.tax_expenditure_actual[yi] = self._tax_year[0]
        rec.tax_expenditure_baseline[yi] = self._tax_year[1]
        rec.fund_equity[yi] = self._fund_year
        rec.cluster_equity[yi] = self._cluster_year
        self._fund_year = 0.0
        self._cluster_year = 0.0
