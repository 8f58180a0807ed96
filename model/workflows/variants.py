"""Ensembles of several variants of one scenario on the same replicates (common random numbers).

They are what attribution, the optimiser and the sensitivity analysis run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import xarray as xr

from mfgplan.analysis.compare import common_replicates
from mfgplan.calibration.forecast import BaselineFit
from mfgplan.errors import RunFailedError
from mfgplan.inputs.parameters import Scenario
from mfgplan.inputs.scenario import ResolvedScenario
from mfgplan.parallel import Failure
from mfgplan.runs.ensemble import EnsembleFailedError, run_ensembles
from mfgplan.runs.job import resolve_job
from mfgplan.workflows.common import QUIET, Reporter

__all__ = ["LOCAL", "Execution", "run_variants"]


@dataclass(frozen=True)
class Execution:
    """Where replicates run and how progress is shown."""

    workers: int = 1
    scheduler: str | None = None
    reporter: Reporter = QUIET


#: in this process, nothing shown
LOCAL = Execution()


def run_variants(
    resolved: ResolvedScenario,
    scenarios: Sequence[Scenario],
    ids: Sequence[int],
    execution: Execution,
    label: str,
    seed: int,
    *,
    fit: BaselineFit,
    with_sample: bool = True,
    paired: bool = True,
) -> tuple[list[xr.Dataset], list[Failure]]:
    """Ensembles of the variants ``scenarios`` of ``resolved`` on the replicates ``ids``.

    All run on the statistical baseline ``fit``.

    ``with_sample``: the replicates draw from the scenario's parameter sample (off when the
    variants set the behavioural values themselves). ``paired``: replicates that failed in
    any variant are dropped from all. The caller has probed the scheduler.
    """
    sample = resolved.parameters if with_sample else None
    explicit = resolved.explicit_behaviour if with_sample else frozenset()
    jobs = [
        resolve_job(
            s,
            seed=seed,
            fit=fit,
            parameters=sample,
            explicit=explicit,
            counterfactual=resolved.counterfactual,
        )
        for s in scenarios
    ]
    advance = execution.reporter.task(label, len(jobs) * len(ids))
    try:
        datasets, failures = run_ensembles(
            jobs,
            ids,
            workers=execution.workers,
            scheduler=execution.scheduler,
            progress=lambda _j, k: advance(k),
        )
    except EnsembleFailedError as err:
        raise RunFailedError(str(err)) from None
    failed = [f for fs in failures for f in fs]
    if not paired:
        return datasets, failed
    keep = common_replicates(datasets)
    if not keep:
        raise RunFailedError(f"{label}: no replicate succeeded in every variant")
    return [ds.sel(replicate=keep) for ds in datasets], failed
