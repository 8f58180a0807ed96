"""``mfgplan sensitivity``: which uncertain inputs the 2020 targets hinge on.

It also shows where the targets are missed.

Morris or Sobol indices (:mod:`mfgplan.analysis.sensitivity`) of the four target indicators
over the behavioural parameters' calibrated ranges and the scenario's assumed instrument inputs;
then PRIM scenario discovery (:mod:`mfgplan.analysis.discovery`) on an ensemble of the scenario
itself, over its parameter sets and the statistical baseline's draws.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mfgplan.analysis.discovery import prim
from mfgplan.analysis.planning import (
    apply_factors,
    replicate_inputs,
    scenario_factors,
    uncertain_factors,
)
from mfgplan.analysis.sensitivity import (
    Factor,
    morris_design,
    morris_indices,
    sobol_design,
    sobol_indices,
    stability_warnings,
)
from mfgplan.analysis.targets import TARGETS
from mfgplan.calibration.forecast import fit_baseline
from mfgplan.errors import InputError
from mfgplan.parallel import Failure
from mfgplan.report.planning_charts import prim_chart, tornado_chart
from mfgplan.report.style import save
from mfgplan.report.words import Language
from mfgplan.runs.ensemble import run_ensemble
from mfgplan.runs.folders import RunFolder, default_folder
from mfgplan.workflows.common import load_scenarios, probe_scheduler, with_firms
from mfgplan.workflows.variants import LOCAL, Execution, run_variants

__all__ = ["SensitivityOptions", "SensitivityResult", "sensitivity"]


@dataclass(frozen=True)
class SensitivityOptions:
    """What ``mfgplan sensitivity`` is asked to do."""

    scenario: Path
    method: str = "morris"
    samples: int | None = None
    replicates: int = 2
    parameters_only: bool = False
    prim_replicates: int = 200
    firms: int | None = None
    seed: int | None = None
    out: Path | None = None
    force: bool = False
    #: the language of the charts and the report: zh, en or both
    lang: Language = "both"
    command: str = "mfgplan sensitivity"


@dataclass
class SensitivityResult:
    """The indices, the discovery boxes and where they were written."""

    folder: Path
    method: str
    design_points: int
    table: pd.DataFrame
    outputs: list[str]
    discovery: list[dict[str, object]]
    warnings: list[str]
    failures: list[Failure] = field(default_factory=list)


def sensitivity(options: SensitivityOptions, execution: Execution = LOCAL) -> SensitivityResult:
    """Rank what the targets hinge on and describe where they are missed (module doc)."""
    (resolved,) = load_scenarios([options.scenario])
    scenario = with_firms(resolved.scenario, options.firms)
    seed = scenario.seed if options.seed is None else options.seed
    ranges = uncertain_factors(resolved.parameters, resolved.explicit_behaviour)
    if not options.parameters_only:
        ranges += scenario_factors(scenario)
    factors = [Factor(f.name, f.low, f.high, f.units, f.source) for f in ranges]
    if options.method == "morris":
        samples = options.samples or 10
        design = morris_design(factors, samples, seed)
    else:
        samples = options.samples or 64
        if samples & (samples - 1):
            raise InputError(f"--samples: Sobol needs a power of two (got {samples})")
        design = sobol_design(factors, samples, seed)
    probe_scheduler(execution.scheduler)
    out = options.out or default_folder("sensitivity", resolved.path.stem)
    folder = RunFolder.open(out, force=options.force)
    with folder:
        folder.start()
        t0 = time.perf_counter()
        fit = fit_baseline(as_of=scenario.base_year)
        names_ = [f.name for f in factors]
        points = [apply_factors(scenario, names_, row) for row in design]
        datasets, failures = run_variants(
            resolved, points, range(options.replicates), execution, "design points", seed,
            fit=fit, with_sample=False, paired=False,
        )  # fmt: skip
        outputs = np.array(
            [[float(ds[t.indicator].sel(year=t.year).mean()) for t in TARGETS] for ds in datasets]
        )
        names = [f"{t.indicator}_{t.year}" for t in TARGETS]
        if options.method == "morris":
            table = morris_indices(factors, design, outputs, names)
        else:
            table = sobol_indices(factors, design, outputs, names)
        warnings_ = stability_warnings(table, options.method, len(design))
        folder.write_csv("sensitivity.csv", table)
        folder.write_csv("factors.csv", pd.DataFrame([vars(f) for f in ranges]))
        for name in names:
            fig = tornado_chart(
                table, name, options.method
            )  # English: factor names are the catalogue's
            save(fig, folder.path(f"charts/sensitivity_{name}.png"))
        t1 = time.perf_counter()
        # scenario discovery on the scenario's own ensemble (parameters and baseline draws)
        ensemble = run_ensemble(
            scenario, replicates=options.prim_replicates, seed=seed, fit=fit,
            workers=execution.workers, scheduler=execution.scheduler,
            progress=execution.reporter.task(
                "ensemble for scenario discovery", options.prim_replicates
            ),
            parameters=resolved.parameters, explicit=resolved.explicit_behaviour,
        )  # fmt: skip
        inputs = replicate_inputs(ensemble, resolved.parameters)
        discovery = []
        for t in TARGETS:
            missed = ensemble[t.indicator].sel(year=t.year).values < t.threshold
            result = prim(inputs, missed)
            lines = result.describe()
            discovery.append({"target": t.name, "missed_share": float(missed.mean()),
                              "conditions": " AND ".join(lines[:-1]) or "(none)",
                              "summary": lines[-1], "coverage": result.coverage,
                              "density": result.density})  # fmt: skip
            folder.write_csv(f"prim_{t.name}.csv", result.limits)
            # every replicate misses the target (or none does): no box to draw, a note instead
            skipped = f"no chart: {lines[0]}" if result.degenerate else None
            discovery[-1]["chart"] = skipped or f"charts/prim_{t.name}.png"
            if skipped is None:
                fig = prim_chart(
                    result, f"Where {t.name} is missed ({missed.mean():.0%} of replicates)"
                )
                save(fig, folder.path(f"charts/prim_{t.name}.png"))
        folder.write_csv("discovery.csv", pd.DataFrame(discovery))
        path = folder.finish(
            command=options.command, scenarios=[resolved.info()], seed=seed,
            replicates=options.replicates,
            timings={"sensitivity": round(t1 - t0, 3),
                     "discovery": round(time.perf_counter() - t1, 3)},
            extra={
                "method": options.method, "samples": samples, "design_points": len(design),
                "warnings": warnings_, "replicates_failed": [f.to_dict() for f in failures],
                "prim_replicates": options.prim_replicates,
            },
        )  # fmt: skip
    return SensitivityResult(
        path, options.method, len(design), table, names, discovery, warnings_, failures
    )
