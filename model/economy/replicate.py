"""One replicate: its seeds, its draw of the statistical baseline, the economy run on it.

The one recipe every ensemble and the calibration use. Replicate ``r`` of a run with root seed
``S`` uses ``SeedSequence(S, spawn_key=(r,))`` (the ``r``-th child of the root), split into a
stream for the statistical baseline draw and one for the agent-based model, so its results
depend only on ``(S, r)``: not on how many replicates run, in which order or in which process,
and two scenarios with the same seed share every draw the programme does not change (common
random numbers).

The baseline is anything with a ``simulate_paths`` method (:class:`BaselineSource`; the
statistical baseline :class:`mfgplan.calibration.forecast.BaselineFit` is one), so the economy
does not depend on how the baseline is estimated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np

from mfgplan.economy.compiled import CompiledFirmDynamics
from mfgplan.economy.economy import ManufacturingEconomy
from mfgplan.economy.firm_dynamics import FirmDynamics
from mfgplan.economy.record import ReplicateRecord
from mfgplan.inputs.parameters import Scenario

__all__ = [
    "BaselineSource",
    "replicate_economy",
    "replicate_seed",
    "simulate_replicate",
    "simulate_worlds",
]


class BaselineSource(Protocol):
    """What a replicate needs of the statistical baseline: sample paths of its indicators."""

    def simulate_paths(
        self, years: np.ndarray, n_paths: int, rng: np.random.Generator
    ) -> Mapping[str, np.ndarray]:
        """``{indicator: array [path, year]}`` for ``years`` (base year first)."""
        ...


def replicate_seed(root_seed: int, replicate: int) -> np.random.SeedSequence:
    """Seed of replicate ``replicate``: the ``replicate``-th child of the root SeedSequence."""
    return np.random.SeedSequence(root_seed, spawn_key=(replicate,))


def replicate_economy(
    scenario: Scenario,
    source: BaselineSource,
    root_seed: int,
    replicate: int,
    n_firms: int,
    *,
    province_firms: int | None = None,
    firm_dynamics: type[FirmDynamics] = CompiledFirmDynamics,
    worlds: Sequence[Scenario] = (),
) -> ManufacturingEconomy:
    """The economy of replicate ``replicate``, built on its baseline draw and not yet stepped.

    Seeds as in the module doc; the baseline path the economy runs on is ``model.baseline_path``.
    ``worlds`` are further programme worlds on the same no-programme world
    (:class:`~mfgplan.economy.economy.ManufacturingEconomy`).
    """
    seed = replicate_seed(root_seed, replicate)
    path_seed, model_seed = seed.spawn(2)
    years = np.arange(scenario.base_year, scenario.horizon + 1)
    rng = np.random.Generator(np.random.PCG64(path_seed))
    paths = source.simulate_paths(years, 1, rng)
    baseline = {k: np.asarray(v)[0] for k, v in paths.items()}
    return ManufacturingEconomy(
        scenario, baseline, model_seed, n_firms, province_firms=province_firms,
        firm_dynamics=firm_dynamics, worlds=worlds,
    )  # fmt: skip


def simulate_replicate(
    scenario: Scenario,
    source: BaselineSource,
    root_seed: int,
    replicate: int,
    n_firms: int,
    *,
    province_firms: int | None = None,
    firm_dynamics: type[FirmDynamics] = CompiledFirmDynamics,
) -> tuple[dict[str, np.ndarray], ReplicateRecord]:
    """Run replicate ``replicate``: draw its baseline path, run the economy on it.

    ``n_firms`` enterprises stand for the province's ``province_firms`` (default: the model is
    the whole province; see :class:`~mfgplan.economy.economy.ManufacturingEconomy`). Returns
    the baseline path ``{indicator: array over years base..horizon}`` and the economy's annual
    record (both worlds).
    """
    model = replicate_economy(
        scenario, source, root_seed, replicate, n_firms, province_firms=province_firms,
        firm_dynamics=firm_dynamics,
    )  # fmt: skip
    baseline = model.baseline_path
    record = model.run()
    model.release()
    return baseline, record


def simulate_worlds(
    scenarios: Sequence[Scenario],
    source: BaselineSource,
    root_seed: int,
    replicate: int,
    n_firms: int,
    *,
    province_firms: int | None = None,
) -> tuple[dict[str, np.ndarray], list[ReplicateRecord]]:
    """Run replicate ``replicate`` of several scenarios that share a no-programme world.

    The scenarios must differ only in their programmes and R&D super-deduction
    (:func:`~mfgplan.economy.economy.shares_no_programme_world`); they run as the programme
    worlds of one economy, and each record is the one :func:`simulate_replicate` gives for its
    scenario, at the cost of one no-programme world instead of one per scenario.
    """
    first, *others = scenarios
    model = replicate_economy(
        first, source, root_seed, replicate, n_firms, province_firms=province_firms,
        worlds=others,
    )  # fmt: skip
    baseline = model.baseline_path
    model.run()
    records = model.records
    model.release()
    return baseline, records
