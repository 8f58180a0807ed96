"""What a replicate of an ensemble needs, and one replicate with it.

One replicate is its parameter set, the economy run on its baseline draw
(:mod:`mfgplan.economy.replicate`), the anchoring on the statistical baseline and the ledger's
arrays.

An :class:`EnsembleJob` is everything a replicate needs besides its number; it is picklable and
sent once to each worker process (:func:`mfgplan.parallel.map_tasks`), and :func:`run_batch`
is the function the workers run.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from mfgplan.calibration.forecast import BaselineFit, fit_baseline
from mfgplan.economy.economy import shares_no_programme_world
from mfgplan.economy.instruments import SCALED_AMOUNTS
from mfgplan.economy.record import ReplicateRecord
from mfgplan.economy.replicate import simulate_worlds
from mfgplan.inputs.parameters import HEADER_FIELDS, Scenario
from mfgplan.inputs.programme import GRANT_INSTRUMENTS, Programme
from mfgplan.inputs.sample import ParameterSample, set_for_replicate
from mfgplan.inputs.sectors import SECTORS
from mfgplan.parallel import Failure, c_library
from mfgplan.runs.anchoring import anchor

__all__ = [
    "EnsembleJob",
    "Outcome",
    "default_n_firms",
    "replicate_scenario",
    "resolve_job",
    "run_batch",
    "run_one",
    "run_pairs",
    "run_replicate",
]


@dataclass(frozen=True)
class EnsembleJob:
    """Everything a replicate needs besides its number (picklable, sent once per worker)."""

    scenario: Scenario
    fit: BaselineFit
    root_seed: int
    n_firms: int
    #: the province's enterprises in the base year (the data's); ``n_firms`` are a sample
    province_firms: int
    #: the programme of the world the scenario is measured against (``counterfactual:``);
    #: None: no provincial programme at all
    counterfactual: Programme | None = None
    #: calibrated parameter sample the replicates draw from (None: the scenario's values)
    parameters: ParameterSample | None = None
    #: behavioural parameters the scenario sets itself (they win over the sample)
    explicit: frozenset[str] = frozenset()


#: What one replicate gives: its arrays or its failure.
Outcome = dict[str, np.ndarray] | Failure


def default_n_firms(fit: BaselineFit) -> int:
    """Base-year enterprise count from the data (the last observed full-year value)."""
    return fit.base_year_enterprises()


def replicate_scenario(
    scenario: Scenario,
    replicate: int,
    parameters: ParameterSample | None,
    explicit: frozenset[str] = frozenset(),
) -> Scenario:
    """The scenario replicate ``replicate`` runs.

    With a calibrated sample, its behavioural parameters are set ``(r // 2) mod S`` of the
    sample, except those in ``explicit``.
    """
    if parameters is None:
        return scenario
    index = set_for_replicate(replicate, parameters.size)
    behaviour = scenario.behaviour.model_copy(
        update=parameters.behaviour_updates(index, keep=explicit)
    )
    return scenario.model_copy(update={"behaviour": behaviour})


def reference_scenarios(
    scenario: Scenario, counterfactual: Programme | None
) -> tuple[Scenario | None, Scenario | None]:
    """The scenarios of the reference and the comparison world of anchoring.

    The **reference** is the world the statistical baseline stands for: the counterfactual
    programme under the base year's national rules (None: the scenario's own world without
    any programme). The **comparison** is the counterfactual programme under the scenario's
    national policy, the world the programme's effect is measured against (None: the
    reference). See :func:`mfgplan.runs.anchoring.anchor`.
    """
    national = scenario.national_policy
    changes = national.changes_rules(scenario.projection_years)
    if counterfactual is None:
        if not changes:
            return None, None
        return None, scenario.model_copy(update={"programme": scenario.programme.without_money()})
    reference = scenario.model_copy(
        update={"programme": counterfactual, "national_policy": national.base_year_rules()}
    )
    comparison = scenario.model_copy(update={"programme": counterfactual}) if changes else None
    return reference, comparison


def run_replicate(
    scenario: Scenario,
    fit: BaselineFit,
    root_seed: int,
    replicate: int,
    n_firms: int,
    *,
    province_firms: int | None = None,
    counterfactual: Programme | None = None,
    parameters: ParameterSample | None = None,
    explicit: frozenset[str] = frozenset(),
    references: WorldRecords | None = None,
) -> dict[str, np.ndarray]:
    """Run one replicate: pick its parameter set, draw a baseline path, run the model, anchor.

    The scenario and, on the same draws, its counterfactual worlds
    (:func:`reference_scenarios`) are run and anchored on the statistical baseline; the
    counterfactual worlds that share the scenario's no-programme world (all of them unless the
    behaviour differs) run as further programme worlds of its economy
    (:func:`~mfgplan.economy.replicate.simulate_worlds`), which gives each the record it would
    get alone at the cost of one no-programme world. Money,
    award counts and project counts are returned in the province's units: the model's
    divided by its sample fraction ``n_firms / province_firms``. See the module doc.

    ``references`` keeps the records of the worlds run for this replicate (:class:`WorldRecords`,
    keyed by everything a record depends on), so that several jobs of the same replicate (the
    variants of one scenario) run their worlds together and a shared counterfactual once; a
    record from it is the one a new run would give, so results do not depend on it.
    """
    scenario = replicate_scenario(scenario, replicate, parameters, explicit)
    others = reference_scenarios(scenario, counterfactual)
    known = WorldRecords() if references is None else references
    economy = ReplicateEconomy(fit, root_seed, replicate, n_firms, province_firms)
    known.run([scenario, *(other for other in others if other is not None)], economy)
    baseline, record = known.baseline(economy), known.record(scenario, economy)
    worlds = [None if other is None else known.record(other, economy) for other in others]
    out = anchor(baseline, record, *worlds)
    per_model_unit = 1.0 / record.sample_fraction
    ledger = record.ledger
    pad = np.zeros((1, len(GRANT_INSTRUMENTS), len(SECTORS)))
    # ledger arrays are [instrument, year, sector] over projected years; add the base year
    for name in ("committed", "paid", "lapsed"):
        arr = np.transpose(getattr(ledger, name), (1, 0, 2))
        out[f"grant_{name}"] = np.concatenate([pad, arr]) * per_model_unit
    unspent = np.concatenate([np.zeros((1, len(GRANT_INSTRUMENTS))), ledger.unspent_lapsed.T])
    out["grant_unspent_lapsed"] = unspent * per_model_unit
    outstanding = np.concatenate([pad, np.transpose(ledger.outstanding(), (1, 0, 2))])
    out["grant_outstanding"] = outstanding * per_model_unit
    # awards of firms and projects are a sample of the province's; places (clusters, bases,
    # parks, innovation centres) are the province's own
    places = np.array([name in SCALED_AMOUNTS for name in GRANT_INSTRUMENTS])
    out["awards"] = record.awards.T * np.where(places, 1.0, per_model_unit)
    out["additional_projects"] = record.additional_projects.T * per_model_unit
    out["deadweight_projects"] = record.deadweight_projects.T * per_model_unit
    # the model's firms run at base-year prices: equity and tax expenditure made nominal (grants
    # are nominal already: the budget is)
    nominal = out["price_index"] * per_model_unit
    out["fund_equity"] = record.fund_equity * nominal
    out["cluster_fund_equity"] = record.cluster_equity * nominal
    out["rd_tax_expenditure"] = record.tax_expenditure_actual * nominal
    out["rd_tax_expenditure_no_programme"] = record.tax_expenditure_baseline * nominal
    return out


class ReplicateEconomy(NamedTuple):
    """What an economy of one replicate is built on besides its scenarios."""

    fit: BaselineFit
    root_seed: int
    replicate: int
    n_firms: int
    province_firms: int | None

    @property
    def baseline_key(self) -> str:
        """What the replicate's baseline path depends on (not the firms), as one string."""
        return f"{self.fit.as_of}:{self.fit.horizon}:{self.root_seed}:{self.replicate}"

    @property
    def key(self) -> str:
        """What the economy depends on besides its scenarios, as one string."""
        return f"{self.baseline_key}:{self.n_firms}:{self.province_firms}"

    def world_key(self, scenario: Scenario) -> str:
        """What the record of ``scenario``'s programme world depends on, as one string."""
        return f"{self.key}:" + scenario.model_dump_json(exclude=HEADER_FIELDS)


#: base-year firms x programme worlds one economy may carry: any frontier of the plan's 9,226
#: firms (216 worlds), 4 worlds of 500,000 firms, 2 of 1,000,000. A further world holds 13
#: arrays over the firm slots (about 100 bytes a firm) and the population grows to about 2.4
#: times its base-year size by 2025: about 0.5 GB of worlds a worker at the cap
WORLD_SLOTS = 2_000_000


class WorldRecords:
    """The records of the programme worlds run for one replicate, and its baseline path.

    :meth:`run` runs the worlds not yet known, those that share a no-programme world
    (:func:`~mfgplan.economy.economy.shares_no_programme_world`) as the programme worlds of
    one economy (:func:`~mfgplan.economy.replicate.simulate_worlds`), at most
    :data:`WORLD_SLOTS` firm slots in one; each record is the one an economy of its own gives.
    """

    def __init__(self) -> None:
        self.records: dict[str, ReplicateRecord] = {}
        self.baselines: dict[str, dict[str, np.ndarray]] = {}

    def clear(self) -> None:
        """Forget every record (the next replicate begins)."""
        self.records.clear()
        self.baselines.clear()

    def run(self, scenarios: Sequence[Scenario], economy: ReplicateEconomy) -> None:
        """Run the ``scenarios`` not yet known in ``economy`` and keep their records."""
        pending: dict[str, Scenario] = {}
        for scenario in scenarios:
            key = economy.world_key(scenario)
            if key not in self.records:
                pending.setdefault(key, scenario)
        most = max(1, WORLD_SLOTS // max(economy.n_firms, 1))
        groups: list[list[tuple[str, Scenario]]] = []
        for key, scenario in pending.items():
            for group in groups:
                if len(group) < most and shares_no_programme_world(group[0][1], scenario):
                    group.append((key, scenario))
                    break
            else:
                groups.append([(key, scenario)])
        for group in groups:
            baseline, records = simulate_worlds(
                [scenario for _, scenario in group], economy.fit, economy.root_seed,
                economy.replicate, economy.n_firms, province_firms=economy.province_firms,
            )  # fmt: skip
            self.baselines[economy.baseline_key] = baseline
            self.records.update(zip((key for key, _ in group), records, strict=True))

    def record(self, scenario: Scenario, economy: ReplicateEconomy) -> ReplicateRecord:
        """The record of ``scenario``'s world (run by :meth:`run` in ``economy``)."""
        return self.records[economy.world_key(scenario)]

    def baseline(self, economy: ReplicateEconomy) -> dict[str, np.ndarray]:
        """The replicate's baseline path (run by :meth:`run` in ``economy``)."""
        return self.baselines[economy.baseline_key]


#: populations from which a worker returns a replicate's memory before the next (firms)
LARGE_POPULATION = 100_000


#: the C library if it is glibc (it has ``malloc_trim``), else None
_LIBC = c_library("malloc_trim")


def release_memory() -> None:
    """Collect a finished replicate's cyclic garbage and hand freed heap back to the system.

    Before 0.6.0 a replicate's firm and project arrays sat in reference cycles until Python's
    oldest generation was collected, which large NumPy arrays (one object each) do not hasten;
    with 500,000 firms a worker's memory grew by about 30 MB a replicate (0.50 to 0.69 GB over
    six), with this it stayed at 0.31 GB. A replicate of the plan now leaves nothing for the
    collector (measured with it off), so the collect is a guard; the trim returns freed heap.
    ``gc.collect`` costs about 0.1 s, so it runs only for large populations
    (:data:`LARGE_POPULATION`).
    """
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def run_one(job: EnsembleJob, replicate: int, references: WorldRecords | None = None) -> Outcome:
    """Run one replicate; an exception becomes a :class:`~mfgplan.parallel.Failure`."""
    try:
        return run_replicate(
            job.scenario, job.fit, job.root_seed, replicate, job.n_firms,
            province_firms=job.province_firms, counterfactual=job.counterfactual,
            parameters=job.parameters, explicit=job.explicit, references=references,
        )  # fmt: skip
    except Exception as err:
        return Failure.from_exception(replicate, err, job.root_seed)
    finally:
        if job.n_firms >= LARGE_POPULATION:
            release_memory()


def run_batch(job: EnsembleJob, replicates: Sequence[int]) -> list[tuple[int, Outcome]]:
    """Run several replicates of one job in turn.

    This is a task of :func:`mfgplan.parallel.map_tasks`.
    """
    return [(int(r), run_one(job, int(r))) for r in replicates]


def run_pairs(
    jobs: Sequence[EnsembleJob], pairs: Sequence[tuple[int, int]]
) -> list[tuple[int, int, Outcome]]:
    """Run ``(job index, replicate)`` pairs, the jobs of a replicate together.

    This is a task of :func:`mfgplan.parallel.map_tasks` (``jobs`` its shared object): the
    variants of a scenario on the same replicate run as the programme worlds of one economy
    with their common counterfactual, which runs once (:class:`WorldRecords`), instead of one
    economy per variant and world.
    """
    out = []
    known = WorldRecords()
    current = None
    for j, r in pairs:
        if r != current:
            known.clear()
            current = r
            _run_together([jobs[i] for i, q in pairs if q == r], r, known)
        out.append((int(j), int(r), run_one(jobs[j], int(r), known)))
    return out


def _run_together(jobs: Sequence[EnsembleJob], replicate: int, known: WorldRecords) -> None:
    """Run every world the ``jobs`` need for ``replicate`` into ``known``, shared where they can.

    Only a head start: a job whose worlds fail here runs them again in :func:`run_one`, which
    reports its own failure.
    """
    by_economy: dict[str, tuple[ReplicateEconomy, list[Scenario]]] = {}
    for job in jobs:
        economy = ReplicateEconomy(
            job.fit, job.root_seed, replicate, job.n_firms, job.province_firms
        )
        try:
            scenario = replicate_scenario(job.scenario, replicate, job.parameters, job.explicit)
            others = reference_scenarios(scenario, job.counterfactual)
        except Exception:  # reported by the job's own run
            continue
        by_economy.setdefault(economy.key, (economy, []))[1].extend(
            [scenario, *(other for other in others if other is not None)]
        )
    for economy, scenarios in by_economy.values():
        try:
            known.run(scenarios, economy)
        except Exception:  # reported by the job's own run
            continue


def resolve_job(
    scenario: Scenario,
    *,
    seed: int | None = None,
    fit: BaselineFit | None = None,
    n_firms: int | None = None,
    parameters: ParameterSample | None = None,
    explicit: frozenset[str] = frozenset(),
    counterfactual: Programme | None = None,
) -> EnsembleJob:
    """The job of a scenario with the run's overrides applied (baseline fitted if not given).

    ``parameters`` is the calibrated sample the replicates draw from; ``explicit`` the
    behavioural parameters the scenario sets itself (they win over the sample).
    """
    fit = fit or fit_baseline(as_of=scenario.base_year)
    root = scenario.seed if seed is None else int(seed)
    firms = n_firms or scenario.n_firms or default_n_firms(fit)
    if parameters is not None and parameters.as_of != scenario.base_year:
        raise ValueError(
            f"calibration: {parameters.path.name} is calibrated as of {parameters.as_of}, the "
            f"scenario's base year is {scenario.base_year}"
        )
    return EnsembleJob(
        scenario, fit, root, int(firms), default_n_firms(fit), counterfactual, parameters,
        frozenset(explicit),
    )  # fmt: skip
