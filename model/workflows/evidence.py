"""``mfgplan evidence``: every virtual experiment under the current calibration.

Runs each design of :mod:`mfgplan.calibration.experiments` for ``replicates`` replicates
(replicate ``r`` on parameter set ``r mod size`` of the plan scenario's calibration), writes
``evidence.csv`` (:func:`mfgplan.calibration.evidence.evidence_table`), every replicate's
estimates (``evidence_replicates.csv``), which parameters move each estimate
(``evidence_parameters.csv``: rank correlations over the replicates, each on its own parameter
set), the chart of published against simulated, the Mode B check (``mode_b.csv``: the
agents alone from 2012, unanchored, against 2013-2015) and a manifest.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mfgplan.calibration.evidence import evidence_table, parameter_links, replicate_table
from mfgplan.calibration.experiments import (
    EXPERIMENTS,
    ExperimentContext,
    published_table,
    run_experiment,
)
from mfgplan.calibration.forecast import fit_baseline
from mfgplan.calibration.modeb import mode_b
from mfgplan.parallel import map_tasks
from mfgplan.paths import SCENARIOS
from mfgplan.report.evidence_chart import evidence_chart
from mfgplan.report.style import save
from mfgplan.report.words import Language
from mfgplan.runs.folders import RunFolder, default_folder
from mfgplan.workflows.common import load_scenarios
from mfgplan.workflows.variants import LOCAL, Execution

__all__ = ["EvidenceOptions", "EvidenceResult", "evidence"]


@dataclass(frozen=True)
class EvidenceOptions:
    """What ``mfgplan evidence`` is asked to do."""

    replicates: int = 40
    #: the scenario whose calibration and programme the experiments use
    scenario: Path = SCENARIOS / "plan-2016.yaml"
    seed: int = 20160114
    out: Path | None = None
    force: bool = False
    #: the language of the chart
    lang: Language = "both"
    command: str = "mfgplan evidence"


@dataclass
class EvidenceResult:
    """The evidence table and where it was written."""

    folder: Path
    table: pd.DataFrame
    seconds: float
    #: the agents alone from 2012, unanchored, against 2013-2015 (:mod:`mfgplan.calibration.modeb`)
    mode_b: pd.DataFrame


def evidence(options: EvidenceOptions, execution: Execution = LOCAL) -> EvidenceResult:
    """Run the virtual experiments and compare them with the published estimates."""
    (resolved,) = load_scenarios([options.scenario])
    published = published_table()
    out = options.out or default_folder("evidence", resolved.path.stem)
    folder = RunFolder.open(out, force=options.force)
    with folder:
        folder.start()
        t0 = time.perf_counter()
        fit = fit_baseline(as_of=2015)
        n_firms = fit.base_year_enterprises()
        ctx = ExperimentContext(
            fit, resolved.parameters, resolved.scenario, n_firms, n_firms, options.seed
        )
        tasks = [(0, (name, r)) for name in EXPERIMENTS for r in range(options.replicates)]
        advance = execution.reporter.task("virtual experiments", len(tasks))
        estimates = {}
        for number, result in map_tasks(
            run_experiment, [ctx], tasks, workers=execution.workers, scheduler=execution.scheduler
        ):
            estimates[tasks[number][1]] = result
            advance(1)
        replicates = replicate_table(estimates)
        table = evidence_table(published, replicates)
        folder.write_csv("evidence.csv", table)
        folder.write_csv("evidence_replicates.csv", replicates)
        if resolved.parameters is not None:
            sample = resolved.parameters
            links = parameter_links(replicates, sample.names, sample.values)
            folder.write_csv("evidence_parameters.csv", links)
        save(evidence_chart(table, options.lang), folder.path("charts/evidence.png"))
        agents = mode_b(replicates=options.replicates, seed=options.seed)
        folder.write_csv("mode_b.csv", agents)
        seconds = time.perf_counter() - t0
        path = folder.finish(
            command=options.command, scenarios=[resolved.info()], seed=options.seed,
            replicates=options.replicates, timings={"experiments": round(seconds, 3)},
            extra={"experiments": list(EXPERIMENTS), "n_firms": n_firms},
        )  # fmt: skip
    return EvidenceResult(path, table, seconds, agents)
