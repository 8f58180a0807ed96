"""Monte Carlo ensembles: the same replicates of one or several jobs, in memory or on disk.

Replicate ``r`` of a run with root seed ``S`` depends only on ``(S, r)``
(:mod:`mfgplan.economy.replicate`), so the jobs of a comparison share every draw the programme
does not change (common random numbers), and the results do not depend on how the replicates
are spread over processes (:func:`mfgplan.parallel.map_tasks`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import xarray as xr

from mfgplan.calibration.forecast import BaselineFit
from mfgplan.inputs.parameters import Scenario
from mfgplan.inputs.programme import Programme
from mfgplan.inputs.sample import ParameterSample
from mfgplan.parallel import Failure, batches, map_tasks
from mfgplan.runs.job import EnsembleJob, Outcome, resolve_job, run_batch, run_pairs
from mfgplan.runs.variables import assemble, job_skeleton

__all__ = ["EnsembleFailedError", "iter_outcomes", "run_ensemble", "run_ensembles"]


class EnsembleFailedError(RuntimeError):
    """Every replicate of an ensemble failed; the first failure is attached."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(f"every replicate failed; replicate {failure.replicate}: {failure.error}")
        self.failure = failure


def iter_outcomes(
    jobs: Sequence[EnsembleJob],
    replicates: Sequence[Sequence[int]],
    *,
    workers: int = 1,
    scheduler: str | None = None,
) -> Iterator[tuple[int, int, Outcome]]:
    """Run ``replicates[j]`` of each job ``j``; yield ``(j, replicate, outcome)`` as they finish.

    Replicates go to the workers in batches (:func:`mfgplan.parallel.batches`); see
    :func:`mfgplan.parallel.map_tasks` for ``workers`` and ``scheduler``.
    """
    n_parallel = workers if scheduler is None else 8
    if len(jobs) == 1:
        tasks = [(0, batch) for batch in batches(replicates[0], n_parallel)]
        for _, outcomes in map_tasks(run_batch, jobs, tasks, workers=workers, scheduler=scheduler):
            for r, outcome in outcomes:
                yield 0, r, outcome
        return
    # several jobs (variants, compared scenarios): a task runs every job of a few replicates,
    # so that the jobs of a replicate share its counterfactual run (run_pairs)
    wanted: dict[int, list[int]] = {}
    for j, ids in enumerate(replicates):
        for r in ids:
            wanted.setdefault(int(r), []).append(j)
    tasks = [
        (0, [(j, r) for r in batch for j in wanted[r]])
        for batch in batches(sorted(wanted), n_parallel)
    ]
    shared = (tuple(jobs),)
    for _, outcomes in map_tasks(run_pairs, shared, tasks, workers=workers, scheduler=scheduler):
        yield from outcomes


def run_ensembles(
    jobs: Sequence[EnsembleJob],
    ids: Sequence[int],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[xr.Dataset], list[list[Failure]]]:
    """Run the same replicates of several jobs (common random numbers), possibly in parallel.

    Returns one dataset per job holding its successful replicates in replicate order, and the
    failures of each job. ``progress(job_index, 1)`` is called as each replicate finishes.
    """
    started = time.perf_counter()
    ids = list(ids)
    results: list[dict[int, dict[str, np.ndarray]]] = [{} for _ in jobs]
    failures: list[list[Failure]] = [[] for _ in jobs]
    for j, r, outcome in iter_outcomes(
        jobs, [ids] * len(jobs), workers=workers, scheduler=scheduler
    ):
        if isinstance(outcome, Failure):
            failures[j].append(outcome)
        else:
            results[j][r] = outcome
        if progress:
            progress(j, 1)
    datasets = []
    for j, job in enumerate(jobs):
        ok = sorted(results[j])
        if not ok:
            raise EnsembleFailedError(min(failures[j], key=lambda f: f.replicate))
        skeleton = job_skeleton(job, ok)
        ds = assemble(skeleton, [results[j][r] for r in ok])
        # timings go to the manifest, not the dataset: the same seed gives an identical file
        ds.encoding["elapsed_seconds"] = round(time.perf_counter() - started, 3)
        datasets.append(ds)
    for fails in failures:
        fails.sort(key=lambda f: f.replicate)
    return datasets, failures


def run_ensemble(
    scenario: Scenario,
    *,
    replicates: int | None = None,
    seed: int | None = None,
    fit: BaselineFit | None = None,
    n_firms: int | None = None,
    progress: Callable[[int], None] | None = None,
    replicate_ids: Sequence[int] | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    parameters: ParameterSample | None = None,
    explicit: frozenset[str] = frozenset(),
    counterfactual: Programme | None = None,
) -> xr.Dataset:
    """Run replicates of ``scenario`` and return the labelled results dataset.

    Parameters
    ----------
    replicates, seed
        Override the scenario's values.
    fit
        The statistical baseline (fitted on the data up to the base year if not given).
    n_firms
        Base-year enterprises; default the scenario's ``n_firms`` or the data's count.
    progress
        Called with 1 after each replicate.
    replicate_ids
        Which replicates to run (default ``range(replicates)``).
    workers, scheduler
        Local worker processes, or the address of a dask.distributed scheduler
        (:func:`mfgplan.parallel.iter_outcomes`); the results do not depend on either.
    parameters, explicit
        The calibrated sample replicates draw their behavioural parameters from, and the
        parameters the scenario sets itself (see :func:`replicate_scenario`).
    counterfactual
        The programme the scenario is measured against (None: no provincial programme).

    Failed replicates are left out of the dataset and listed in ``ds.encoding["failures"]``;
    :class:`EnsembleFailedError` if every replicate fails.
    """
    job = resolve_job(
        scenario, seed=seed, fit=fit, n_firms=n_firms, parameters=parameters, explicit=explicit,
        counterfactual=counterfactual,
    )  # fmt: skip
    n_rep = scenario.replicates if replicates is None else int(replicates)
    ids = list(range(n_rep)) if replicate_ids is None else list(replicate_ids)
    (ds,), (failures,) = run_ensembles(
        [job],
        ids,
        workers=workers,
        scheduler=scheduler,
        progress=(lambda _j, k: progress(k)) if progress else None,
    )
    ds.encoding["failures"] = failures
    return ds
