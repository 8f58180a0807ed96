"""``mfgplan frontier``: what it would take to reach each target.

The scenario with its programme's money scaled (:func:`mfgplan.analysis.frontier.scaled_scenario`)
at each scale, on the same replicates; ``frontier.csv`` per scale and target (P(met) in the
target year with its interval, median, first year P >= 0.5), ``frontier_summary.csv`` per
target the smallest scale reaching P >= 0.5 and >= 0.9, and the chart.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mfgplan.analysis.frontier import (
    DEFAULT_SCALES,
    frontier_summary,
    frontier_table,
    scaled_scenario,
)
from mfgplan.calibration.forecast import fit_baseline
from mfgplan.errors import InputError
from mfgplan.inputs.scenario import first_problem
from mfgplan.parallel import Failure
from mfgplan.provenance import __version__
from mfgplan.report.html import frontier_report
from mfgplan.report.planning_charts import frontier_chart
from mfgplan.report.style import save
from mfgplan.report.words import PHRASES, Language, say
from mfgplan.runs.folders import RunFolder, default_folder
from mfgplan.workflows.common import load_scenarios, probe_scheduler, unidentified_parameters
from mfgplan.workflows.variants import LOCAL, Execution, run_variants

__all__ = ["FrontierOptions", "FrontierResult", "frontier"]


@dataclass(frozen=True)
class FrontierOptions:
    """What ``mfgplan frontier`` is asked to do."""

    scenario: Path
    scales: Sequence[float] = DEFAULT_SCALES
    replicates: int = 200
    seed: int | None = None
    out: Path | None = None
    force: bool = False
    #: the language of the charts and the report: zh, en or both
    lang: Language = "both"
    command: str = "mfgplan frontier"


@dataclass
class FrontierResult:
    """The frontier's tables and where they were written."""

    folder: Path
    table: pd.DataFrame
    summary: pd.DataFrame
    failures: list[Failure] = field(default_factory=list)
    #: the programme's parameters the calibration did not move (None: no calibrated sample)
    unidentified: list[str] | None = None


def frontier(options: FrontierOptions, execution: Execution = LOCAL) -> FrontierResult:
    """Run the scenario at each scale of its money (see module doc)."""
    (resolved,) = load_scenarios([options.scenario])
    scenario = resolved.scenario
    seed = scenario.seed if options.seed is None else options.seed
    scales = sorted({float(s) for s in options.scales})
    try:
        scenarios = [scaled_scenario(scenario, s) for s in scales]
    except ValueError as err:
        raise InputError(f"--scales: cannot scale {resolved.path}: {first_problem(err)}") from None
    probe_scheduler(execution.scheduler)
    out = options.out or default_folder("frontier", resolved.path.stem)
    folder = RunFolder.open(out, force=options.force)
    with folder:
        folder.start()
        t0 = time.perf_counter()
        fit = fit_baseline(as_of=scenario.base_year)
        datasets, failures = run_variants(
            resolved, scenarios, range(options.replicates), execution, "frontier", seed, fit=fit
        )
        table = frontier_table(dict(zip(scales, datasets, strict=True)))
        summary = frontier_summary(table)
        folder.write_csv("frontier.csv", table)
        folder.write_csv("frontier_summary.csv", summary)
        n = int(datasets[0].sizes["replicate"])
        title = f"{say(PHRASES['frontier_title'], options.lang)} {scenario.title} ({n})"
        fig = frontier_chart(table, title, lang=options.lang)
        chart = save(fig, folder.path("charts/frontier.png"))
        folder.write_text(
            "report.html",
            frontier_report(
                scenario.title, table, summary, chart, seed=seed, version=__version__,
                lang=options.lang,
            ),
        )  # fmt: skip
        path = folder.finish(
            command=options.command, scenarios=[resolved.info()], seed=seed, replicates=n,
            timings={"frontier": round(time.perf_counter() - t0, 3)},
            extra={"scales": scales, "replicates_failed": [f.to_dict() for f in failures]},
        )  # fmt: skip
    return FrontierResult(path, table, summary, failures, unidentified_parameters(resolved))
