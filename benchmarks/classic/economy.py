"""The classic reference model: one ``mesa.Agent`` per firm, ``shuffle_do``, a DataCollector.

:class:`ClassicEconomy` is the model of ``model/ODD.md`` written the way a textbook Mesa model
is: the firms are :class:`~benchmarks.classic.firm.Enterprise` agents holding their state as
attributes, each phase of the quarter is ``self.agents.shuffle_do(...)``, the province
(:class:`~benchmarks.classic.province.Province`) works on the agents, and the year's record is
a ``mesa.DataCollector`` whose reporters walk the agents. It shares no code with the production
economy (``mfgplan.economy``): what the two have in common is the scenario and its loader, the
parameter catalogue, the sector and city tables of the inputs, and the random-stream layout
(the named streams spawned from the replicate's seed, one draw per firm slot, projects in slot
order, entrants in the lowest free slots), so that from one seed the two draw the same numbers.

It is the production model's oracle (``tests/integration/test_reference.py``: the same
enterprises, projects, awards, payments and lapses, the aggregates to rounding) and its
yardstick (``benchmarks/run.py``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping

import mesa
import numpy as np
from scipy.optimize import brentq

from benchmarks.classic.firm import Enterprise
from benchmarks.classic.province import Project, Province, expit
from mfgplan.economy.economy import spawn_streams
from mfgplan.inputs.fields import expand_yearly
from mfgplan.inputs.parameters import Scenario
from mfgplan.inputs.programme import GRANT_INSTRUMENTS
from mfgplan.inputs.sectors import city_shares, sector_arrays

__all__ = ["ClassicEconomy"]


def logit(p: float) -> float:
    """Log-odds of ``p`` clipped to ``[1e-9, 1 - 1e-9]``."""
    p = min(max(p, 1e-9), 1.0 - 1e-9)
    return math.log(p / (1.0 - p))


class ClassicEconomy(mesa.Model):
    """The province's above-scale enterprises under a scenario, agent by agent (ODD 3).

    Parameters are those of :class:`mfgplan.economy.economy.ManufacturingEconomy`: the
    scenario, one draw of the statistical baseline, the replicate's SeedSequence, the number of
    firms and the province's (the sample fraction ``f = n_firms / province_firms``).
    """

    def __init__(
        self,
        scenario: Scenario,
        baseline: Mapping[str, np.ndarray],
        seed: np.random.SeedSequence,
        n_firms: int,
        *,
        province_firms: int | None = None,
    ) -> None:
        self.streams = spawn_streams(seed)
        super().__init__(rng=self.streams["mesa"])
        self.spec = scenario
        self.b = scenario.behaviour
        self.baseline = {k: np.asarray(v, dtype=float) for k, v in baseline.items()}
        self.years = list(range(scenario.base_year, scenario.horizon + 1))
        self.programme_years = set(scenario.programme_years)
        self.f = n_firms / (province_firms or n_firms)
        self.sectors = sector_arrays()
        self.city_shares = city_shares()
        self.n_sectors = len(self.sectors["va_share"])
        self.n_cities = len(self.city_shares)
        tax = scenario.national_policy
        self.super_deduction = expand_yearly(
            tax.rd_super_deduction_rate,
            range(self.years[0] + 1, self.years[-1] + 1),
            field="rd_super_deduction_rate",
        )
        self.slots: dict[int, Enterprise] = {}
        self.high_water = 0
        self.next_id = 0
        self.projects: list[Project] = []
        self.tally: dict[str, dict[tuple[str, int], int]] = {
            k: defaultdict(int) for k in ("awards", "additional", "deadweight")
        }
        self.year_flows = {"fund": 0.0, "cluster": 0.0, "tax0": 0.0, "tax1": 0.0}
        self.one_off_va = [0.0] * self.n_sectors
        self.t = 0
        self.year = self.years[0]
        self.quarter = 3
        self.in_programme = False
        self.draw_population(n_firms)
        self.province = Province(self)
        self.datacollector = mesa.DataCollector(model_reporters=REPORTERS)
        self.datacollector.collect(self)

    # -- 5 initialisation ------------------------------------------------------------------------

    def draw_population(self, n: int) -> None:
        """The base-year enterprises (ODD 5), from the ``init`` stream."""
        b = self.b
        sec = self.sectors
        rng = self.streams["init"]
        n_province = n if self.f >= 1.0 else round(n / self.f)
        sector = rng.choice(self.n_sectors, size=n_province, p=sec["firm_share"])
        city = rng.choice(self.n_cities, size=n, p=self.city_shares)
        soe = rng.random(n) < b.soe_share
        size = rng.lognormal(0.0, b.size_sd, n_province)
        cut = float(np.quantile(size, b.size_tail_quantile))
        tail = [i for i in range(n_province) if size[i] > cut]
        u = rng.random(len(tail))
        for k, i in enumerate(tail):
            size[i] = cut * (1.0 - u[k]) ** (-1.0 / b.pareto_tail_exponent)
        total = [0.0] * self.n_sectors
        for i in range(n_province):
            total[sector[i]] += size[i]
        industrial_va = self.baseline["industrial_va"][0] * max(self.f, 1.0)
        va = [size[i] / total[sector[i]] * sec["va_share"][sector[i]] * industrial_va
              for i in range(n_province)]  # fmt: skip
        members = range(n)
        if n_province != n:
            members = sorted(rng.choice(n_province, size=n, replace=False))
        firms = [
            Enterprise(self, k, k, sector=int(sector[i]), city=int(city[k]), soe=bool(soe[k]),
                       va_base=float(va[i]))
            for k, i in enumerate(members)
        ]  # fmt: skip
        self.next_id = self.high_water = n
        latent = self.draw_traits(firms, rng)
        key = [k for k, a in enumerate(firms) if sec["key_area"][a.sector]]
        weights = [a.va_base for a in firms]
        self.offsets = (
            self.offset(self.baseline["sei_share"][0], latent[0], weights),
            self.offset(self.baseline["hightech_share"][0], latent[1], weights),
            self.offset(
                self.baseline["cnc_rate"][0], [latent[2][k] for k in key], [weights[k] for k in key]
            ),
        )
        self.apply_levels(firms, latent)
        business_rd = (
            self.baseline["rd_intensity"][0] * self.baseline["gdp"][0]
            * b.business_rd_share * self.f
        )  # fmt: skip
        weight = [self.rd_propensity(a) * a.va_base / b.va_to_revenue for a in firms]
        scale = business_rd / max(sum(weight), 1.0)
        for a in firms:
            a.rd_intensity_ref = self.rd_propensity(a) * scale
            a.rd = a.rd_base = a.rd_intensity_ref * a.va_base / b.va_to_revenue
        performers_revenue = sum(a.va_base / b.va_to_revenue for a in firms if a.rd_performer)
        self.rd_reference = sum(a.rd for a in firms) / max(performers_revenue, 1.0)
        self.median_va = float(np.median([a.va_base for a in firms]))
        self.rd_scale = sum(a.rd for a in firms) / sum(weight) if sum(weight) > 0 else 0.0
        for a in firms:
            self.slots[a.slot] = a

    def draw_traits(self, firms: list[Enterprise], rng: np.random.Generator) -> list[list[float]]:
        """Hurdle, liquidity, tax and R&D status; the latent SEI, high-tech and CNC log-odds."""
        b = self.b
        n = len(firms)
        hurdle = rng.normal(b.hurdle_rate_mean, b.hurdle_rate_sd, n)
        liquidity = rng.normal(0.0, b.liquidity_sd, n)
        taxable = rng.random(n) < b.taxable_share
        performer = rng.random(n) < b.rd_performer_share
        claims = rng.random(n) < b.super_deduction_take_up
        sec = self.sectors
        noise = [rng.normal(0.0, sd, n) for sd in
                 (b.product_mix_logit_sd, b.product_mix_logit_sd, b.cnc_logit_sd)]  # fmt: skip
        for k, a in enumerate(firms):
            a.hurdle = min(max(hurdle[k], b.hurdle_rate_floor), b.hurdle_rate_ceiling)
            a.liquidity = float(liquidity[k])
            a.taxable, a.rd_performer = bool(taxable[k]), bool(performer[k])
            a.claims = a.taxable and bool(claims[k])
        return [
            [logit(sec[mean][a.sector]) + noise[j][k] for k, a in enumerate(firms)]
            for j, mean in enumerate(("sei_mean", "hightech_mean", "cnc_mean"))
        ]

    @staticmethod
    def offset(target: float, latent: list[float], weights: list[float]) -> float:
        """The province-wide logit offset that makes the VA-weighted share equal ``target``."""
        total = sum(weights)

        def gap(d: float) -> float:
            return (
                sum(w * expit(x + d) for x, w in zip(latent, weights, strict=True)) / total - target
            )

        if gap(-15.0) >= 0.0:
            return -15.0
        if gap(15.0) <= 0.0:
            return 15.0
        return float(brentq(gap, -15.0, 15.0, xtol=1e-10, maxiter=60))

    def apply_levels(self, firms: list[Enterprise], latent: list[list[float]]) -> None:
        """Shares of SEI, high-tech and CNC from the latent draws and the offsets, both worlds."""
        for k, a in enumerate(firms):
            a.sei = a.sei_base = expit(latent[0][k] + self.offsets[0])
            a.hightech = a.hightech_base = expit(latent[1][k] + self.offsets[1])
            a.cnc = a.cnc_base = expit(latent[2][k] + self.offsets[2])

    def rd_propensity(self, a: Enterprise) -> float:
        """R&D per yuan of revenue up to a scale: ``0.3 + high-tech share`` for performers."""
        return self.b.rd_propensity_intercept + a.hightech if a.rd_performer else 0.0

    def typical_mix(self, sector: int) -> tuple[float, float]:
        """SEI and high-tech shares of a typical firm of ``sector`` (cluster-fund cohorts)."""
        return (
            expit(logit(self.sectors["sei_mean"][sector]) + self.offsets[0]),
            expit(logit(self.sectors["hightech_mean"][sector]) + self.offsets[1]),
        )

    def by_slot(self) -> Iterator[Enterprise]:
        """The live enterprises in slot order (the order first-come queues take them)."""
        return (self.slots[s] for s in sorted(self.slots))

    # -- 3 the quarter ---------------------------------------------------------------------------

    def step(self) -> None:
        """One quarter, in the order of ODD 3."""
        t = self.t
        self.year = self.years[0] + 1 + t // 4
        self.quarter = t % 4
        self.in_programme = self.year in self.programme_years
        year, province = self.year, self.province
        if self.quarter == 0:
            self.year_flows["tax0"] = self.year_flows["tax1"] = 0.0
            province.open_year(year, t, self.in_programme)
        self.produce()
        self.research()
        self.invest()
        self.complete()
        province.first_of_kind(year, t, self.in_programme)
        if self.quarter == 3:
            if self.in_programme:
                province.project_calls(year, t)
            province.cluster_entry()
            province.ledger.close_year(year)
        province.pay(year, t)
        if self.quarter == 3:
            self.demography()
            self.datacollector.collect(self)
            self.year_flows["fund"] = self.year_flows["cluster"] = 0.0
            self.one_off_va = [0.0] * self.n_sectors
        self.t += 1

    @property
    def n_quarters(self) -> int:
        """Quarters from the base year to the horizon."""
        return 4 * (len(self.years) - 1)

    def run(self) -> dict[str, np.ndarray]:
        """Step to the horizon; the record (:meth:`record`)."""
        for _ in range(self.n_quarters):
            self.step()
        return self.record()

    def record(self) -> dict[str, np.ndarray]:
        """The DataCollector's rows as arrays, and the ledger's per instrument, year and sector.

        Named as the production record's fields (``va_actual`` [year, sector], ``awards``
        [instrument, year], ...; ``ledger.committed``, ``ledger.paid``, ``ledger.lapsed``
        [instrument, projected year, sector], yuan).
        """
        frame = self.datacollector.get_model_vars_dataframe()
        out = {}
        for name in frame.columns:
            value = np.array(frame[name].tolist(), dtype=float)
            out[name] = value.T if name in ("awards", "additional_projects",
                                            "deadweight_projects") else value  # fmt: skip
        ledger = self.province.ledger
        projected = self.years[1:]
        for kind, book in (("committed", ledger.committed), ("paid", ledger.paid),
                           ("lapsed", ledger.lapsed)):  # fmt: skip
            arr = np.zeros((len(GRANT_INSTRUMENTS), len(projected), self.n_sectors))
            for (name, year, sector), amount in book.items():
                arr[GRANT_INSTRUMENTS.index(name), projected.index(year), sector] += amount
            out[f"ledger.{kind}"] = arr
        return out

    def produce(self) -> None:
        """7.2: every firm produces; cohorts grow with their sector."""
        growth = math.log1p(self.baseline["industrial_va_growth"][self.year - self.years[0]])
        rel = self.sectors["relative_growth"]
        self.quarter_growth = [(growth + rel[s]) / 4.0 for s in range(self.n_sectors)]
        self.draws = {"production": self.streams["production"].standard_normal(self.high_water)}
        self.agents.shuffle_do("produce")
        p = self.province
        for s in range(self.n_sectors):
            g = math.exp((growth + rel[s]) / 4.0)
            p.cohort_va[s] *= g
            p.cohort_sei[s] *= g
            p.cohort_hightech[s] *= g

    def research(self) -> None:
        """7.6: R&D and innovation; the super-deduction's tax expenditure of the quarter."""
        tax = self.spec.national_policy
        cit = tax.corporate_income_tax_rate
        deduction = (self.super_deduction[self.year], tax.counterfactual_rd_super_deduction_rate)
        rho_ref = (1.0 - cit * (1.0 + deduction[1])) / (1.0 - cit)
        self.rd_response = [
            (((1.0 - cit * (1.0 + sd)) / (1.0 - cit)) / rho_ref) ** (-self.b.rd_price_elasticity)
            for sd in deduction
        ]
        self.draws["innovation"] = self.streams["innovation"].random(self.high_water)
        self.agents.shuffle_do("research")
        for world, sd in enumerate(deduction):
            self.year_flows[f"tax{world}"] += sum(
                cit * sd * (a.rd if world == 0 else a.rd_base) for a in self.by_slot()
                if a.rd_performer and a.claims and a.taxable
            ) / 4.0  # fmt: skip

    def invest(self) -> None:
        """7.3-7.5: opportunities arrive and are valued; the programme finances; projects start."""
        self.draws["arrival"] = self.streams["arrival"].random(self.high_water)
        self.cell_count: dict[tuple[int, int], int] = defaultdict(int)
        for a in self.agents:
            self.cell_count[a.sector, a.city] += 1
        self.agents.shuffle_do("consider_project")
        arriving = [a for a in self.by_slot() if a.arrives]
        if not arriving:
            return
        self.project_draw: dict[int, tuple[float, ...]] = {}
        for induced in (False, True):
            group = [a for a in arriving if (not a.arrives_without_programme) == induced]
            k = len(group)
            if not k:
                continue
            first = self.streams["induced" if induced else "arrival"]
            second = self.streams["induced" if induced else "decision"]
            u_type, z_size = first.random(k), first.standard_normal(k)
            rest = second.random((3, k))
            for j, a in enumerate(group):
                self.project_draw[a.slot] = (u_type[j], z_size[j], *rest[:, j])
        self.agents.select(lambda a: a.arrives).shuffle_do("evaluate_project")
        t = self.t
        for a in arriving:  # financing is first come first served, in slot order
            p = a.proposal
            feasible1 = p["feasible0"]
            if self.in_programme:
                feasible1 = self.province.finance(a, p, self.year)
            adopt1 = feasible1 and p["wants1"]
            if not (p["adopt0"] or adopt1):
                continue
            project = Project(
                row=len(self.projects), firm=a, kind=p["kind"], investment=p["investment"],
                ratio=p["ratio"], npv_per_yuan=p["npv0_per_yuan"], start=t, done=t + p["build"],
                abandon=p["abandon"], in_actual=adopt1, in_baseline=p["adopt0"],
                equity=p["equity"], guarantee=p["guarantee"],
            )  # fmt: skip
            if adopt1 and p["instrument"] is not None and p["applies"]:
                project.instrument, project.apply_year = p["instrument"], self.year
                project.offer = p["offer"]
            self.projects.append(project)

    def complete(self) -> None:
        """Projects reaching their date take effect, or are abandoned and their awards lapse."""
        due = [p for p in self.projects if p.done == self.t and not p.completed]
        by_firm: dict[int, list[Project]] = defaultdict(list)
        for p in due:
            p.completed = True
            if p.abandon:
                self.province.release(p, self.year)
        for p in due:
            if not p.abandon:
                by_firm[p.firm.slot].append(p)
        for slot, done in by_firm.items():
            self.slots[slot].complete(done)

    def demography(self) -> None:
        """7.7: the register's annual revision, exits then entrants; cohorts thin out."""
        b = self.b
        self.draws["exit"] = self.streams["exit"].random(self.high_water)
        self.year_median = float(np.median([a.va_base for a in self.by_slot()]))
        self.agents.shuffle_do("consider_exit")
        leaving = [a for a in self.by_slot() if a.exits]
        gone = {a.unique_id for a in leaving}
        for p in self.projects:
            if p.firm.unique_id in gone and not p.closed:
                self.province.release(p, self.year)
                p.completed = p.abandon = True
        for a in leaving:
            del self.slots[a.slot]
            a.remove()
        pr = self.province
        for s in range(self.n_sectors):
            if pr.cohort_count[s] > 0:
                mean = pr.cohort_va[s] / pr.cohort_count[s]
                scale = max(mean / self.year_median, 1e-6) ** b.exit_size_elasticity
                keep = (1.0 - min(b.exit_rate, 0.999999)) ** scale
                pr.cohort_count[s] *= keep
                pr.cohort_va[s] *= keep
                pr.cohort_sei[s] *= keep
                pr.cohort_hightech[s] *= keep
        rng = self.streams["entry"]
        n_new = int(rng.poisson(b.entry_rate * len(self.slots)))
        if n_new:
            self.enter(n_new, rng)

    def enter(self, n: int, rng: np.random.Generator) -> None:
        """``n`` entrants of median revenue 40 M yuan take the lowest free slots (ODD 7.7)."""
        b = self.b
        free = [s for s in range(self.high_water) if s not in self.slots][:n]
        free += list(range(self.high_water, self.high_water + n - len(free)))
        self.high_water = max(self.high_water, free[-1] + 1)
        sector = rng.choice(self.n_sectors, size=n, p=self.sectors["firm_share"])
        city = rng.choice(self.n_cities, size=n, p=self.city_shares)
        soe = rng.random(n) < b.soe_share
        size = rng.lognormal(0.0, b.entrant_size_sd_ratio * b.size_sd, n)
        firms = [
            Enterprise(self, slot, self.next_id + k, sector=int(sector[k]), city=int(city[k]),
                       soe=bool(soe[k]),
                       va_base=b.entrant_median_revenue * b.va_to_revenue * float(size[k]))
            for k, slot in enumerate(free)
        ]  # fmt: skip
        self.next_id += n
        self.apply_levels(firms, self.draw_traits(firms, rng))
        for a in firms:
            a.rd_intensity_ref = self.rd_propensity(a) * self.rd_scale
            a.rd = a.rd_base = a.rd_intensity_ref * a.va_base / b.va_to_revenue
            self.slots[a.slot] = a


def _key_cnc(world: int) -> Callable[[ClassicEconomy], float]:
    def share(m: ClassicEconomy) -> float:
        key = [a for a in m.agents if m.sectors["key_area"][a.sector]]
        if world == 0:
            return sum(a.value_added * a.cnc for a in key) / sum(a.value_added for a in key)
        return sum(a.va_base * a.cnc_base for a in key) / sum(a.va_base for a in key)

    return share


def _share(name: str, world: int) -> Callable[[ClassicEconomy], float]:
    def share(m: ClassicEconomy) -> float:
        if world == 1:
            return sum(a.va_base * getattr(a, f"{name}_base") for a in m.agents) / sum(
                a.va_base for a in m.agents
            )
        p = m.province
        cohort = p.cohort_sei if name == "sei" else p.cohort_hightech
        total = sum(a.value_added for a in m.agents) + sum(p.cohort_va) + sum(m.one_off_va)
        return (sum(a.value_added * getattr(a, name) for a in m.agents) + sum(cohort)) / total

    return share


def _sector_va(world: int) -> Callable[[ClassicEconomy], list[float]]:
    def by_sector(m: ClassicEconomy) -> list[float]:
        out = [0.0] * m.n_sectors
        for a in m.agents:
            out[a.sector] += a.value_added if world == 0 else a.va_base
        if world == 0:
            for s in range(m.n_sectors):
                out[s] += m.province.cohort_va[s] + m.one_off_va[s]
        return out

    return by_sector


def _tally(kind: str) -> Callable[[ClassicEconomy], list[int]]:
    return lambda m: [m.tally[kind][name, m.year] for name in GRANT_INSTRUMENTS]


#: the DataCollector's reporters: one row a year, the record of ``ReplicateRecord``'s fields
REPORTERS: dict[str, Callable[[ClassicEconomy], object]] = {
    "va_actual": _sector_va(0),
    "va_baseline": _sector_va(1),
    "sei_actual": _share("sei", 0),
    "sei_baseline": _share("sei", 1),
    "hightech_actual": _share("hightech", 0),
    "hightech_baseline": _share("hightech", 1),
    "cnc_actual": _key_cnc(0),
    "cnc_baseline": _key_cnc(1),
    "rd_actual": lambda m: sum(a.rd for a in m.agents),
    "rd_baseline": lambda m: sum(a.rd_base for a in m.agents),
    "firms_actual": lambda m: len(m.agents) + sum(m.province.cohort_count),
    "firms_baseline": lambda m: len(m.agents),
    "tax_expenditure_actual": lambda m: m.year_flows["tax0"],
    "tax_expenditure_baseline": lambda m: m.year_flows["tax1"],
    "fund_equity": lambda m: m.year_flows["fund"],
    "cluster_equity": lambda m: m.year_flows["cluster"],
    "awards": _tally("awards"),
    "additional_projects": _tally("additional"),
    "deadweight_projects": _tally("deadweight"),
}
