"""Where replicates run: in this process, in local worker processes, or on a dask cluster.

A replicate's result depends only on its :class:`EnsembleJob` (scenario, statistical baseline,
root seed, population size) and its replicate number (see :mod:`mfgplan.runs.ensemble`). Nothing
about the process it runs in, the other replicates or the order they finish enters it, so a
run gives the same numbers, bit for bit, on one worker, many workers or a cluster; the caller
files outcomes under their replicate number.

A replicate that raises becomes a :class:`Failure` (which, why, its seed) instead of stopping
the ensemble: failures are data.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from mfgplan.calibration.forecast import BaselineFit
    from mfgplan.inputs.parameters import Scenario
    from mfgplan.inputs.sample import ParameterSample

__all__ = [
    "EnsembleJob",
    "Failure",
    "SchedulerError",
    "batches",
    "iter_outcomes",
    "run_batch",
    "run_one",
]


@dataclass(frozen=True)
class EnsembleJob:
    """Everything a replicate needs besides its number (picklable, sent once per worker)."""

    scenario: Scenario
    fit: BaselineFit
    root_seed: int
    n_firms: int
    #: calibrated parameter sample the replicates draw from (None: the scenario's values)
    parameters: ParameterSample | None = None
    #: behavioural parameters the scenario sets itself (they win over the sample)
    explicit: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Failure:
    """A replicate that raised: which, why, and the seed that reproduces it."""

    replicate: int
    error: str
    traceback: str
    root_seed: int

    @property
    def seed(self) -> dict[str, Any]:
        """The replicate's ``numpy.random.SeedSequence`` arguments."""
        return {"entropy": self.root_seed, "spawn_key": [self.replicate]}

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "seed": self.seed}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Failure:
        return cls(
            int(data["replicate"]), str(data["error"]), str(data["traceback"]), data["root_seed"]
        )


#: What one replicate gives: its arrays or its failure.
Outcome = dict[str, np.ndarray] | Failure


class SchedulerError(RuntimeError):
    """The dask scheduler named on the command line cannot be reached."""


def run_one(job: EnsembleJob, replicate: int) -> Outcome:
    """Run one replicate; an exception becomes a :class:`Failure`."""
    from mfgplan.runs import ensemble

    try:
        return ensemble.run_replicate(
            job.scenario, job.fit, job.root_seed, replicate, job.n_firms,
            parameters=job.parameters, explicit=job.explicit,
        )  # fmt: skip
    except Exception as err:
        lines = traceback.format_exception(err)
        return Failure(
            replicate=int(replicate),
            error=f"{type(err).__name__}: {err}"[:500],
            traceback="".join(lines[-6:])[-4000:],
            root_seed=int(job.root_seed),
        )


def run_batch(job: EnsembleJob, replicates: Sequence[int]) -> list[tuple[int, Outcome]]:
    """Run several replicates of one job in turn."""
    return [(int(r), run_one(job, int(r))) for r in replicates]


def batches(ids: Sequence[int], workers: int, max_size: int = 8) -> list[list[int]]:
    """Split replicate ids into batches: about four per worker, at most ``max_size`` each.

    Small batches keep progress and the on-disk record fine-grained; more than one replicate
    per task keeps the cost of sending results back small.
    """
    ids = list(ids)
    if not ids:
        return []
    size = max(1, min(max_size, len(ids) // max(1, 4 * workers)))
    return [ids[i : i + size] for i in range(0, len(ids), size)]


# -- local processes -------------------------------------------------------------------------------

_WORKER_JOBS: tuple[EnsembleJob, ...] = ()


def _init_worker(jobs: tuple[EnsembleJob, ...]) -> None:
    global _WORKER_JOBS
    _WORKER_JOBS = jobs


def _worker_batch(job_index: int, replicates: list[int]) -> list[tuple[int, Outcome]]:
    return run_batch(_WORKER_JOBS[job_index], replicates)


def _local(
    jobs: tuple[EnsembleJob, ...], tasks: list[tuple[int, list[int]]], workers: int
) -> Iterator[tuple[int, int, Outcome]]:
    # forkserver: a clean, single-threaded parent for the workers (fork from a threaded
    # process can deadlock); the model package is imported once in the server
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["mfgplan.runs.ensemble", "mfgplan.parallel"])
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(jobs,)
    ) as pool:
        pending: dict[Future[list[tuple[int, Outcome]]], int] = {}
        queue = list(tasks)
        # keep at most two tasks per worker in flight, so an interrupt loses little work
        while queue or pending:
            while queue and len(pending) < 2 * workers:
                job_index, ids = queue.pop(0)
                pending[pool.submit(_worker_batch, job_index, ids)] = job_index
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                job_index = pending.pop(future)
                for r, outcome in future.result():
                    yield job_index, r, outcome


# -- dask.distributed ---------------------------------------------------------------------------


def connect(address: str, timeout: float = 10.0) -> Any:
    """A dask.distributed client of the scheduler at ``address``; :class:`SchedulerError` if
    nothing answers within ``timeout`` seconds."""
    from distributed import Client

    try:
        return Client(address, timeout=f"{timeout}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise SchedulerError(
            f"--scheduler {address}: no dask scheduler answers ({type(err).__name__}: {err})"
        ) from None


def _dask(
    jobs: tuple[EnsembleJob, ...], tasks: list[tuple[int, list[int]]], address: str
) -> Iterator[tuple[int, int, Outcome]]:
    from distributed import as_completed

    client = connect(address)
    try:
        scattered = [client.scatter(job, broadcast=True) for job in jobs]
        futures = {}
        for job_index, ids in tasks:
            future = client.submit(run_batch, scattered[job_index], ids, pure=False)
            futures[future] = job_index
        for future in as_completed(list(futures), loop=client.loop):
            job_index = futures[future]
            for r, outcome in future.result():
                yield job_index, r, outcome
    finally:
        client.close()


# -- the one entry point --------------------------------------------------------------------------


def iter_outcomes(
    jobs: Sequence[EnsembleJob],
    replicates: Sequence[Sequence[int]],
    *,
    workers: int = 1,
    scheduler: str | None = None,
) -> Iterator[tuple[int, int, Outcome]]:
    """Run ``replicates[j]`` of each job ``j``; yield ``(j, replicate, outcome)`` as they finish.

    ``workers == 1`` and no scheduler runs in this process, in order; ``workers > 1`` uses a
    pool of local processes; ``scheduler`` (an address such as ``tcp://host:8786``) sends the
    work to an existing dask.distributed cluster. The order of the yielded outcomes differs
    between the three; the outcomes do not.
    """
    jobs = tuple(jobs)
    n_parallel = workers if scheduler is None else 8
    tasks = [(j, batch) for j, ids in enumerate(replicates) for batch in batches(ids, n_parallel)]
    if scheduler is not None:
        yield from _dask(jobs, tasks, scheduler)
    elif workers <= 1:
        for j, ids in tasks:
            for r, outcome in run_batch(jobs[j], ids):
                yield j, r, outcome
    else:
        yield from _local(jobs, tasks, workers)
