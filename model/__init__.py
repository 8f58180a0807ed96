"""mfgplan: scenario simulation and forecasting of a provincial manufacturing plan.

The notebook API gives in memory what the command line writes to folders::

    import mfgplan

    scenario = mfgplan.load_scenario("scenarios/plan-2016.yaml")    # validated, calibration read
    ds = mfgplan.run("scenarios/plan-2016.yaml", replicates=8, seed=5)  # = results.nc of run
    cmp = mfgplan.compare(["scenarios/pre-plan.yaml", "scenarios/plan-2016.yaml"],
                          replicates=8)                              # cmp.table = compare.csv

:func:`run` returns the same :class:`xarray.Dataset` that ``mfgplan run PATH --replicates N
--seed S`` writes to ``results.nc``, with the scenario's calibration applied as the command
applies it. Bad input raises :class:`mfgplan.errors.InputError` (one line per problem). The
layers of the package (``README.md``, Layout) are sub-packages: ``mfgplan.inputs``,
``mfgplan.economy``, ``mfgplan.calibration``, ``mfgplan.runs``, ``mfgplan.analysis``,
``mfgplan.report``, ``mfgplan.workflows`` and ``mfgplan.cli``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mfgplan.provenance import __version__

if TYPE_CHECKING:
    import xarray as xr

    from mfgplan.inputs.scenario import ResolvedScenario
    from mfgplan.workflows.compare import Comparison

__all__ = ["__version__", "compare", "load_scenario", "run"]


def load_scenario(path: str | Path) -> ResolvedScenario:
    """Read, merge and validate a scenario file and its calibration.

    Raises :class:`mfgplan.errors.InputError` listing every problem (``file:line: field:
    message``).
    """
    from mfgplan.workflows.common import load_scenarios

    (resolved,) = load_scenarios([path])
    return resolved


def run(
    path: str | Path,
    *,
    replicates: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
) -> xr.Dataset:
    """The results dataset of ``mfgplan run PATH``, computed in memory: nothing is written.

    Replicates and seed default to the scenario's.
    """
    from mfgplan.workflows.run import simulate

    return simulate(path, replicates=replicates, seed=seed, workers=workers, scheduler=scheduler)


def compare(
    paths: Sequence[str | Path],
    *,
    replicates: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
) -> Comparison:
    """Scenarios on common random numbers, the first the reference.

    ``.table`` is what ``mfgplan compare`` writes to ``compare.csv``, ``.datasets`` the compared
    results.
    """
    from mfgplan.workflows.compare import compare_in_memory

    return compare_in_memory(
        paths, replicates=replicates, seed=seed, workers=workers, scheduler=scheduler
    )
