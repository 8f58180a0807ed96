"""Where work runs: in this process, in local worker processes, or on a dask cluster.

The one process pool of the project (a leaf module: it imports nothing from the package).
:func:`map_tasks` is handed a top-level ``function(shared, payload)``, the objects the tasks
share (sent once to each worker, not with every task) and the tasks; it yields each task's
result as it finishes. Ensembles of replicates (:mod:`mfgplan.runs.job`) and the calibration's
prior draws (:mod:`mfgplan.calibration.estimate`) both run through it.

A task's result must depend only on its shared object and its payload, never on the process it
runs in, the other tasks or the order they finish: then a computation gives the same numbers,
bit for bit, on one worker, many workers or a cluster, and the caller files results under their
task index.

A replicate that raises becomes a :class:`Failure` (which, why, its seed) instead of stopping
the ensemble: failures are data.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Failure", "SchedulerError", "batches", "c_library", "connect", "map_tasks"]


@dataclass(frozen=True)
class Failure:
    """A replicate that raised: which, why, and the seed that reproduces it."""

    replicate: int
    error: str
    traceback: str
    root_seed: int

    @classmethod
    def from_exception(cls, replicate: int, err: BaseException, root_seed: int) -> Failure:
        """The failure of replicate ``replicate`` of root seed ``root_seed`` raising ``err``."""
        lines = traceback.format_exception(err)
        return cls(
            replicate=int(replicate),
            error=f"{type(err).__name__}: {err}"[:500],
            traceback="".join(lines[-6:])[-4000:],
            root_seed=int(root_seed),
        )

    @property
    def seed(self) -> dict[str, Any]:
        """The replicate's ``numpy.random.SeedSequence`` arguments."""
        return {"entropy": self.root_seed, "spawn_key": [self.replicate]}

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a manifest or a JSON file (with the seed)."""
        return {**asdict(self), "seed": self.seed}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Failure:
        """The failure :meth:`to_dict` wrote."""
        return cls(
            int(data["replicate"]), str(data["error"]), str(data["traceback"]), data["root_seed"]
        )


class SchedulerError(RuntimeError):
    """The dask scheduler named on the command line cannot be reached."""


def batches(ids: Sequence[int], workers: int, max_size: int = 8) -> list[list[int]]:
    """Split ids into batches: about four per worker, at most ``max_size`` each.

    Small batches keep progress and the on-disk record fine-grained; more than one replicate
    per task keeps the cost of sending results back small.
    """
    ids = list(ids)
    if not ids:
        return []
    size = max(1, min(max_size, len(ids) // max(1, 4 * workers)))
    return [ids[i : i + size] for i in range(0, len(ids), size)]


#: a task: (index of the shared object it uses, its payload)
Task = tuple[int, Any]

# -- local processes -------------------------------------------------------------------------------

_WORKER_SHARED: tuple[Any, ...] = ()


def _init_worker(shared: tuple[Any, ...]) -> None:
    global _WORKER_SHARED
    _WORKER_SHARED = shared
    _end_with_parent()


def _end_with_parent() -> None:
    """Have this worker end when the run's main process does, however it ends (Linux only).

    A worker is a child of the forkserver, which ends when no process holds its "alive" pipe
    any more; every worker gets a copy of that pipe from the main process, so the forkserver
    would outlive the main process as long as its workers do, and they would go on computing
    replicates nobody will save. So the worker drops its copy (it starts no processes of its
    own) and asks the kernel for SIGTERM when its parent, the forkserver, ends.
    """
    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    alive = getattr(server, "_forkserver_alive_fd", None)
    if alive is not None:
        os.close(alive)
        server._forkserver_alive_fd = None  # type: ignore[union-attr]
    libc = c_library("prctl") if sys.platform.startswith("linux") else None
    if libc is not None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def c_library(symbol: str) -> ctypes.CDLL | None:
    """The C library if it has ``symbol`` (``prctl``, glibc's ``malloc_trim``), else None."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, symbol) else None


#: prctl option: the signal a process gets when its parent ends (linux/prctl.h)
_PR_SET_PDEATHSIG = 1


def _worker_task(function: Callable[[Any, Any], Any], index: int, payload: Any) -> Any:
    return function(_WORKER_SHARED[index], payload)


def _local(
    function: Callable[[Any, Any], Any],
    shared: tuple[Any, ...],
    tasks: Sequence[Task],
    workers: int,
) -> Iterator[tuple[int, Any]]:
    # forkserver: a clean, single-threaded parent for the workers (fork from a threaded
    # process can deadlock); the function's module is imported once in the server
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([function.__module__, __name__])
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(shared,)
    ) as pool:
        pending: dict[Future[Any], int] = {}
        queue = list(enumerate(tasks))
        try:
            # keep at most two tasks per worker in flight, so an interrupt loses little work
            while queue or pending:
                while queue and len(pending) < 2 * workers:
                    number, (index, payload) = queue.pop(0)
                    pending[pool.submit(_worker_task, function, index, payload)] = number
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    number = pending.pop(future)
                    yield number, future.result()
        except BaseException:
            # interrupted (Ctrl-C, SIGTERM) or abandoned: stop the workers now rather than
            # wait for the replicates in flight, which nobody will save
            _stop_workers(pool)
            raise


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate a pool's worker processes and cancel what has not started."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


# -- dask.distributed ---------------------------------------------------------------------------


def connect(address: str, timeout: float = 10.0) -> Any:
    """A dask.distributed client of the scheduler at ``address``.

    :class:`SchedulerError` if nothing answers within ``timeout`` seconds.
    """
    from distributed import Client

    try:
        return Client(address, timeout=f"{timeout}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise SchedulerError(
            f"--scheduler {address}: no dask scheduler answers ({type(err).__name__}: {err})"
        ) from None


def _dask(
    function: Callable[[Any, Any], Any],
    shared: tuple[Any, ...],
    tasks: Sequence[Task],
    address: str,
) -> Iterator[tuple[int, Any]]:
    from distributed import as_completed

    client = connect(address)
    try:
        scattered = [client.scatter(item, broadcast=True) for item in shared]
        futures = {}
        for number, (index, payload) in enumerate(tasks):
            future = client.submit(function, scattered[index], payload, pure=False)
            futures[future] = number
        for future in as_completed(list(futures), loop=client.loop):
            yield futures[future], future.result()
    finally:
        client.close()


# -- the one entry point --------------------------------------------------------------------------


def map_tasks(
    function: Callable[[Any, Any], Any],
    shared: Sequence[Any],
    tasks: Sequence[Task],
    *,
    workers: int = 1,
    scheduler: str | None = None,
) -> Iterator[tuple[int, Any]]:
    """Run ``function(shared[i], payload)`` for every task ``(i, payload)``.

    Yields ``(task number, result)`` as tasks finish.

    ``function`` must be importable by name (a module's top-level function). ``workers == 1``
    and no scheduler runs in this process, in order; ``workers > 1`` uses a pool of local
    processes; ``scheduler`` (an address such as ``tcp://host:8786``) sends the work to an
    existing dask.distributed cluster. The order of the yielded results differs between the
    three; the results do not.
    """
    shared = tuple(shared)
    tasks = list(tasks)
    if scheduler is not None:
        yield from _dask(function, shared, tasks, scheduler)
    elif workers <= 1:
        for number, (index, payload) in enumerate(tasks):
            yield number, function(shared[index], payload)
    else:
        yield from _local(function, shared, tasks, workers)
