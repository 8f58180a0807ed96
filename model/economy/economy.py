"""The agent-based model: Jiangxi's above-scale industrial enterprises under a scenario.

:class:`ManufacturingEconomy` is a Mesa model holding the random streams and the order of a
quarterly step (ODD section 3). What happens in each phase belongs to one of three parts:

- the firms (:class:`~mfgplan.economy.compiled.CompiledFirmDynamics`, the compiled rendering of
  :class:`~mfgplan.economy.firm_dynamics.FirmDynamics`): production, R&D and
  innovation, project arrival and valuation, completions, entry and exit;
- the province (:class:`~mfgplan.economy.programme.ProvincialProgramme`): the ledger, the
  funds, the calls, awards and payments, first-of-a-kind sales, cluster entry;
- the record (:class:`~mfgplan.economy.record.Recorder`): the annual aggregates.

Firm state lives in :class:`~mfgplan.economy.firms.FirmTable` arrays (owned by the
:class:`~mfgplan.economy.population.Population`) and projects in
:class:`~mfgplan.economy.projects.ProjectBook`; the economics are the pure functions of
:mod:`mfgplan.economy.rules` and :mod:`mfgplan.economy.calls`.

Each replicate carries two worlds on the same random draws (ODD 7.1): the **actual** world with
the scenario's programme and the **baseline** world without it. The population, value added
without the programme (``va_base``), entry and exit do not depend on the programme, so the two
worlds differ only by what the programme changes: projects it induces, awards, spillovers,
cluster entrants. The anchoring step (:mod:`mfgplan.runs.anchoring`) sets the baseline world
on the statistical forecast and adds the programme's effect on top.

**Several programmes on one no-programme world.** A scenario is measured against its
counterfactual programme run on the same draws. Since the no-programme world does not depend on
the programme, one economy can carry further programme worlds (``worlds``: scenarios that
differ from the first only in their programme and the R&D super-deduction they grant,
:func:`shares_no_programme_world`). The no-programme world is then drawn and advanced once;
each programme world has its own province, projects, record, the
:data:`~mfgplan.economy.firms.WORLD_FIELDS` of its firms and its own copies of the
:data:`WORLD_STREAMS`, so that its record is the one it would get in an economy of its own.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import mesa
import numpy as np

from mfgplan.economy.compiled import CompiledFirmDynamics
from mfgplan.economy.firm_dynamics import FirmDynamics
from mfgplan.economy.firms import FirmTable
from mfgplan.economy.population import Population
from mfgplan.economy.programme import ProvincialProgramme, grant_ledger
from mfgplan.economy.projects import ProjectBook
from mfgplan.economy.record import Recorder, ReplicateRecord
from mfgplan.economy.shared import Shared
from mfgplan.inputs.parameters import HEADER_FIELDS, Scenario
from mfgplan.inputs.sectors import city_shares, sector_arrays

__all__ = [
    "STREAMS",
    "WORLD_STREAMS",
    "ManufacturingEconomy",
    "ProgrammeWorld",
    "shares_no_programme_world",
    "spawn_streams",
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
    "scaling",
)


#: the streams whose draws depend on the programme: each programme world draws its own copy
WORLD_STREAMS = ("first_of_kind", "selection", "programme", "induced", "scaling")


def shares_no_programme_world(scenario: Scenario, other: Scenario) -> bool:
    """Whether ``other`` can be a further programme world of an economy of ``scenario``.

    True when the two differ at most in their provincial programme, in the R&D
    super-deduction rate of the actual world (the national rule the programme world applies)
    and in the fields that only name and describe them (:data:`HEADER_FIELDS`): then their
    no-programme worlds (population, value added without the programme, entry, exit, every
    no-programme decision) are the same on the same draws.
    """

    def core(s: Scenario) -> Scenario:
        national = s.national_policy.model_copy(update={"rd_super_deduction_rate": None})
        header = dict.fromkeys(HEADER_FIELDS)
        return s.model_copy(update={"programme": None, "national_policy": national, **header})

    return core(scenario) == core(other)


@dataclass
class ProgrammeWorld:
    """One programme world of an economy: its scenario, province, firm dynamics and record."""

    scenario: Scenario
    programme_years: frozenset[int]
    province: ProvincialProgramme
    dynamics: FirmDynamics
    recorder: Recorder


def spawn_streams(seed: np.random.SeedSequence) -> dict[str, np.random.Generator]:
    """A replicate's named random streams: one PCG64 generator per :data:`STREAMS` name.

    The children of ``seed`` in the order of :data:`STREAMS` (the random-stream layout every
    rendering of the model shares, ODD 4 "Stochasticity").
    """
    children = seed.spawn(len(STREAMS))
    return {
        name: np.random.Generator(np.random.PCG64(child))
        for name, child in zip(STREAMS, children, strict=True)
    }


class ManufacturingEconomy(mesa.Model):
    """Above-scale industrial enterprises of the province, stepped quarterly.

    Parameters
    ----------
    scenario
        The validated scenario.
    baseline
        One draw of the statistical baseline: ``{indicator: array over years base..horizon}``
        (see :func:`mfgplan.calibration.forecast.BaselineFit.simulate_paths`). Used here for
        the real growth of value added and the base-year levels the population is scaled to.
    seed
        The replicate's SeedSequence; the named :data:`STREAMS` are spawned from it.
    n_firms
        Number of enterprises in the base year.
    province_firms
        The province's enterprises in the base year, of which the model's ``n_firms`` are a
        sample (default ``n_firms``: the model is the whole province). Firm sizes are the
        province's; budgets, firm-level award counts and first-of-a-kind sets are scaled by
        ``n_firms / province_firms`` (:attr:`mfgplan.economy.shared.Shared.sample_fraction`).
    firm_dynamics
        The class rendering the firm phases (the seam of
        :mod:`mfgplan.economy.firm_dynamics`): the compiled kernels
        (:class:`~mfgplan.economy.compiled.CompiledFirmDynamics`) unless another rendering is
        compared (the NumPy rendering :class:`FirmDynamics`, the classic-Mesa reference).
    worlds
        Further programme worlds carried on the same no-programme world (see the module doc;
        each must satisfy :func:`shares_no_programme_world` with ``scenario``, and the
        rendering must be able to share, ``firm_dynamics.shares_worlds``). Their records are
        :attr:`records` after the first.
    """

    def __init__(
        self,
        scenario: Scenario,
        baseline: Mapping[str, np.ndarray],
        seed: np.random.SeedSequence,
        n_firms: int,
        *,
        province_firms: int | None = None,
        firm_dynamics: type[FirmDynamics] = CompiledFirmDynamics,
        worlds: Sequence[Scenario] = (),
    ) -> None:
        for other in worlds:
            if not shares_no_programme_world(scenario, other):
                raise ValueError(
                    f"programme world {other.title!r} differs from {scenario.title!r} in more "
                    "than its programme and R&D super-deduction: it needs an economy of its own"
                )
        if worlds and not getattr(firm_dynamics, "shares_worlds", False):
            raise ValueError(f"{firm_dynamics.__name__} cannot carry further programme worlds")
        self.streams = spawn_streams(seed)
        # the programme worlds' streams as spawned, before the first world draws from them
        pristine = (
            {name: copy.deepcopy(self.streams[name]) for name in WORLD_STREAMS} if worlds else {}
        )
        super().__init__(rng=self.streams["mesa"])
        self.spec = scenario
        self.behaviour = scenario.behaviour
        self.baseline_path = {k: np.asarray(v, dtype=float) for k, v in baseline.items()}
        self.years = np.arange(scenario.base_year, scenario.horizon + 1)
        self.n_quarters = 4 * (len(self.years) - 1)
        self.programme_years = set(scenario.programme_years)
        self.sectors = sector_arrays()
        self.city_shares = city_shares()
        #: the model's firms as a fraction of the province's
        self.sample_fraction = float(n_firms) / float(province_firms or n_firms)
        self.population = Population(
            self.behaviour, self.sectors, self.city_shares, n_firms, self.sample_fraction
        )
        self.projects = ProjectBook(max(1024, n_firms))
        ledger = grant_ledger(scenario, self.sample_fraction)
        self.population.draw_base_year(self.baseline_path, int(n_firms), self.streams["init"])
        self.recorder = Recorder(self.years, ledger, self.sectors["key_area"], self.sample_fraction)
        shared = Shared(
            self, scenario, self.sectors, self.city_shares, self.streams, self.years,
            self.baseline_path, self.population, self.projects, self.recorder,
            self.sample_fraction,
        )  # fmt: skip
        self.province = ProvincialProgramme(shared, ledger)
        self.dynamics = firm_dynamics(shared, self.province)
        self.recorder.record_year(0, self.firms, self.province.cohorts)
        #: the programme worlds: the scenario's first, then the further ``worlds``
        self.worlds = [
            ProgrammeWorld(
                scenario, frozenset(self.programme_years), self.province, self.dynamics,
                self.recorder,
            )
        ]  # fmt: skip
        for other in worlds:
            self.worlds.append(self._further_world(other, n_firms, firm_dynamics, pristine))

    def _further_world(
        self,
        scenario: Scenario,
        n_firms: int,
        firm_dynamics: type[FirmDynamics],
        pristine: Mapping[str, np.random.Generator],
    ) -> ProgrammeWorld:
        """A further programme world on this economy's no-programme world (module doc)."""
        ledger = grant_ledger(scenario, self.sample_fraction)
        recorder = Recorder(self.years, ledger, self.sectors["key_area"], self.sample_fraction)
        table = self.firms.programme_world()
        # only the programme's streams: a draw from a no-programme stream would be an error
        streams = {name: copy.deepcopy(rng) for name, rng in pristine.items()}
        shared = Shared(
            self, scenario, self.sectors, self.city_shares, streams, self.years,
            self.baseline_path, self.population, ProjectBook(max(1024, n_firms)), recorder,
            self.sample_fraction, world_firms=table,
        )  # fmt: skip
        province = ProvincialProgramme(shared, ledger)
        dynamics = firm_dynamics(shared, province)
        dynamics.follow(self.dynamics)  # type: ignore[attr-defined]
        recorder.record_year(0, table, province.cohorts)
        return ProgrammeWorld(
            scenario, frozenset(scenario.programme_years), province, dynamics, recorder
        )

    @property
    def firms(self) -> FirmTable:
        """The firm table (owned by the population)."""
        return self.population.firms

    @property
    def record(self) -> ReplicateRecord:
        """The annual record so far."""
        return self.recorder.record

    @property
    def records(self) -> list[ReplicateRecord]:
        """The annual record of each programme world so far (the scenario's first)."""
        return [world.recorder.record for world in self.worlds]

    @property
    def quarter_index(self) -> int:
        """Quarters since the start of the first projected year (0 = Q1 of base year + 1)."""
        return self.steps - 1

    def step(self) -> None:
        """Advance the model by one quarter (ODD 3).

        The budget year opens (Q1), firms produce and reinvest, do R&D and take up projects,
        projects complete, first-of-a-kind sets sell; in Q4 the project calls run, cluster funds
        invest in entrants and the year's budget closes; awards due are paid; at the end of Q4
        firms enter and exit and the year is recorded.
        """
        t = self.quarter_index
        year = int(self.years[0]) + 1 + t // 4
        quarter = t % 4
        worlds = [(w, w.dynamics, w.province, year in w.programme_years) for w in self.worlds]
        if quarter == 0:
            for world, _, province, in_programme in worlds:
                world.recorder.tax_year = np.zeros(2)
                province.open_year(year, t, in_programme)
        # phase by phase, the first world (which advances the no-programme world) first
        for _, firms, _, _ in worlds:
            firms.produce(year, quarter)
        for _, firms, _, _ in worlds:
            firms.reinvest(year, quarter)
        for _, firms, _, _ in worlds:
            firms.research(year)
        for _, firms, _, in_programme in worlds:
            firms.invest(year, t, in_programme)
        for _, firms, _, _ in worlds:
            firms.complete(year, t)
        for _, _, province, in_programme in worlds:
            province.first_of_kind(year, t, in_programme)
            if quarter == 3:
                if in_programme:
                    province.project_calls(year, t)
                province.cluster_entry(year)
                province.close_year(year)
            province.pay(year, t)
        if quarter == 3:
            self.demography(year)
            for world, _, province, _ in worlds:
                world.recorder.record_year(
                    year - int(self.years[0]), world.dynamics.firms, province.cohorts
                )

    def demography(self, year: int) -> None:
        """Exit (size-dependent hazard) and entry (Poisson) of above-scale firms (ODD 7.7).

        Run once a year, at the end of Q4: the above-scale register is revised annually (a
        firm enters when its annual revenue passes 20 M yuan, leaves when it falls below or
        closes). Both depend only on no-programme state, so the population is the same in every
        scenario of a replicate: the first world's dynamics find the exits, every programme
        world closes its exiting firms' projects and its cohorts' exits, and the entrants join
        once and start alike in every world.
        """
        leaving, median = self.dynamics.exiting()
        for world in self.worlds:
            world.dynamics.exit_firms(leaving, year)
            world.dynamics.exit_cohorts(median)
        self.firms.sync_worlds(self.dynamics.enter())

    def run(self) -> ReplicateRecord:
        """Step to the horizon, check the ledger's identities and return the annual record."""
        for _ in range(self.n_quarters):
            self.step()
        for world in self.worlds:
            world.province.ledger.check()
        return self.recorder.record

    def release(self) -> None:
        """Drop the firm and project state once the record is taken.

        The parts of a replicate refer to each other (the province and the firm dynamics hold
        the shared state, which holds the model), so without this the arrays of a finished
        replicate wait for the cyclic garbage collector while the next one is built.
        """
        self.province = None  # type: ignore[assignment]
        self.dynamics = None  # type: ignore[assignment]
        self.worlds = []
        self.population = None  # type: ignore[assignment]
        self.projects = None  # type: ignore[assignment]
