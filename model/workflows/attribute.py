"""``mfgplan attribute``: what each instrument buys, on common random numbers.

The scenario, each instrument switched off and each with 10% more money run on the same
replicates (:func:`mfgplan.analysis.attribution.variants`); the table gives effects, money,
deadweight, value per yuan and marginal value with intervals, and the charts the value per
yuan (:mod:`mfgplan.report.figures`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mfgplan.analysis.attribution import attribution_table, variants
from mfgplan.calibration.forecast import fit_baseline
from mfgplan.errors import InputError
from mfgplan.parallel import Failure
from mfgplan.report.figures import attribution_charts
from mfgplan.report.words import Language
from mfgplan.runs.folders import RunFolder, default_folder
from mfgplan.workflows.common import load_scenarios, probe_scheduler, unidentified_parameters
from mfgplan.workflows.variants import LOCAL, Execution, run_variants

__all__ = ["AttributeOptions", "AttributeResult", "attribute"]


@dataclass(frozen=True)
class AttributeOptions:
    """What ``mfgplan attribute`` is asked to do."""

    scenario: Path
    replicates: int = 100
    seed: int | None = None
    out: Path | None = None
    force: bool = False
    #: the language of the charts and the report: zh, en or both
    lang: Language = "both"
    command: str = "mfgplan attribute"


@dataclass
class AttributeResult:
    """The attribution table and where it was written."""

    folder: Path
    table: pd.DataFrame
    notes: list[str]
    failures: list[Failure] = field(default_factory=list)
    #: the programme's parameters the calibration did not move (None: no calibrated sample)
    unidentified: list[str] | None = None


def attribute(options: AttributeOptions, execution: Execution = LOCAL) -> AttributeResult:
    """Attribute the scenario's effects to its instruments (see module doc)."""
    (resolved,) = load_scenarios([options.scenario])
    scenario = resolved.scenario
    seed = scenario.seed if options.seed is None else options.seed
    try:
        variant_list, notes = variants(scenario)
    except ValueError as err:
        raise InputError(
            f"{resolved.path}: cannot build the attribution variants ({err})"
        ) from None
    probe_scheduler(execution.scheduler)
    out = options.out or default_folder("attribute", resolved.path.stem)
    folder = RunFolder.open(out, force=options.force)
    with folder:
        folder.start()
        t0 = time.perf_counter()
        fit = fit_baseline(as_of=scenario.base_year)
        datasets, failures = run_variants(
            resolved, [v.scenario for v in variant_list], range(options.replicates), execution,
            "attribute", seed, fit=fit,
        )  # fmt: skip
        by_label = {v.label: ds for v, ds in zip(variant_list, datasets, strict=True)}
        table = attribution_table(by_label, variant_list, scenario, seed=seed)
        folder.write_csv("attribution.csv", table)
        n_paired = int(datasets[0].sizes["replicate"])
        instruments = [v.instrument for v in variant_list if v.instrument]
        attribution_charts(table, instruments, n_paired, folder.path("charts"), lang=options.lang)
        path = folder.finish(
            command=options.command, scenarios=[resolved.info()], seed=seed, replicates=n_paired,
            timings={"attribution": round(time.perf_counter() - t0, 3)},
            extra={
                "variants": [v.label for v in variant_list],
                "notes": notes,
                "replicates_failed": [f.to_dict() for f in failures],
            },
        )  # fmt: skip
    return AttributeResult(path, table, notes, failures, unidentified_parameters(resolved))
