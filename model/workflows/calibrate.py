"""``mfgplan calibrate`` and ``mfgplan forecast``: the baseline and the estimated parameters.

The statistical baseline and the behavioural parameters estimated from the data up to an
as-of year.

The calibration (:mod:`mfgplan.calibration.estimate`) writes a parameter file; it never
replaces the shipped one (``calibration/params/as-of-YEAR.json``) unless asked to. The
forecast writes the statistical baseline alone: paths, quantiles and fan charts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mfgplan.analysis.targets import TARGETS, target_table
from mfgplan.calibration.estimate import Calibration, calibrate, to_document
from mfgplan.calibration.evidence_stage import STAGE_ONE, uses_evidence
from mfgplan.calibration.forecast import fit_baseline, forecast_dataset
from mfgplan.calibration.paramfile import write_parameter_file
from mfgplan.errors import InputError
from mfgplan.inputs.parameters import Scenario
from mfgplan.inputs.sample import FORMAT
from mfgplan.paths import OUTPUTS, parameter_file
from mfgplan.provenance import git_commit, utc_now, utc_stamp, versions
from mfgplan.report.figures import forecast_charts
from mfgplan.report.words import Language
from mfgplan.runs.folders import RunFolder, check_output_file
from mfgplan.workflows.common import QUIET, Reporter

__all__ = [
    "CalibrateOptions",
    "CalibrateResult",
    "ForecastOptions",
    "ForecastResult",
    "calibrate_into",
    "calibrate_parameters",
    "check_as_of",
    "is_parameter_file",
    "write_forecast",
]


def check_as_of(value: int, option: str = "--as-of") -> None:
    """An as-of year the model can start from (the scenario's ``base_year`` bounds)."""
    info = Scenario.model_fields["base_year"]
    lo = next(m.ge for m in info.metadata if hasattr(m, "ge"))
    hi = next(m.le for m in info.metadata if hasattr(m, "le"))
    if not lo <= value <= hi:
        raise InputError(
            f"{option}: must be between {lo} and {hi} (the first year with data on every "
            f"starting level, and the plan's base year; got {value})"
        )


def is_parameter_file(path: Path) -> bool:
    """Whether ``path`` is a parameter file mfgplan wrote (its ``format`` says so)."""
    try:
        with open(path, encoding="utf-8") as fh:
            head = fh.read(4096)
    except (OSError, UnicodeDecodeError):
        return False
    return f'"format": "{FORMAT}"' in head


@dataclass(frozen=True)
class CalibrateOptions:
    """What ``mfgplan calibrate`` is asked to do."""

    as_of: int = 2015
    draws: int = 2048
    replicates: int = 2
    sample: int = 200
    seed: int = 20151231
    out: Path | None = None
    force: bool = False
    workers: int = 1
    command: str = "mfgplan calibrate"


@dataclass
class CalibrateResult:
    """The calibration, its parameter file's content and where it was written."""

    path: Path
    calibration: Calibration
    document: dict[str, Any]
    #: the parameter file the shipped scenarios use for this as-of year
    shipped: Path


def calibrate_into(
    out: Path, as_of: int, *, command: str, reporter: Reporter = QUIET, **options: Any
) -> tuple[Calibration, dict[str, Any]]:
    """Calibrate as of ``as_of`` and write the parameter file ``out``.

    ``options`` are those of :func:`mfgplan.calibration.estimate.calibrate`; returns the result
    and the file's content.
    """
    draws = options.get("draws", 1024)
    if uses_evidence(as_of, options.get("evidence")):
        draws += options.get("stage_one", STAGE_ONE)
    advance = reporter.task(f"calibrate as of {as_of}", draws)
    result = calibrate(as_of, progress=advance, **options)
    provenance = {
        "command": command,
        "created": utc_now(),
        "git_commit": git_commit(),
        "versions": versions(),
    }
    document = to_document(result, provenance)
    write_parameter_file(document, out)
    return result, document


def calibrate_parameters(options: CalibrateOptions, reporter: Reporter = QUIET) -> CalibrateResult:
    """Estimate the behavioural parameters as of ``options.as_of`` (see module doc)."""
    check_as_of(options.as_of)
    if options.draws < 2 or options.draws & (options.draws - 1):
        raise InputError(f"--draws: must be a power of two (Sobol balance; got {options.draws})")
    shipped = parameter_file(options.as_of)
    if options.out is not None:
        out = options.out
    elif shipped.exists() and not options.force:
        # never replace the calibration the scenarios use without being asked to
        out = OUTPUTS / "calibration" / f"as-of-{options.as_of}-{utc_stamp()}.json"
    else:
        out = shipped
    check_output_file(out, force=options.force, ours=is_parameter_file, what="parameter file")
    result, document = calibrate_into(
        out, options.as_of, command=options.command, reporter=reporter, draws=options.draws,
        replicates=options.replicates, sample_size=options.sample, seed=options.seed,
        workers=options.workers,
    )  # fmt: skip
    return CalibrateResult(out, result, document, shipped)


@dataclass(frozen=True)
class ForecastOptions:
    """What ``mfgplan forecast`` is asked to do."""

    as_of: int = 2015
    horizon: int = 2025
    paths: int = 1000
    seed: int = 20160114
    out: Path = OUTPUTS / "forecast"
    force: bool = False
    #: the language of the charts and the report: zh, en or both
    lang: Language = "both"
    command: str = "mfgplan forecast"


@dataclass
class ForecastResult:
    """Where the forecast was written and the targets' years as the baseline alone sees them."""

    folder: Path
    #: :func:`mfgplan.analysis.targets.target_table` of the baseline's paths
    targets: pd.DataFrame


def write_forecast(options: ForecastOptions) -> ForecastResult:
    """The statistical baseline alone: ``forecast.nc`` (paths and quantiles) and fan charts."""
    if not 2000 <= options.as_of <= 2015:
        raise InputError(f"--as-of: must be between 2000 and 2015 (got {options.as_of})")
    if not options.as_of < options.horizon <= 2050:
        raise InputError(
            f"--horizon: must be after --as-of and at most 2050 (got {options.horizon})"
        )
    folder = RunFolder.open(options.out, force=options.force)
    with folder:
        folder.start()
        t0 = time.perf_counter()
        fit = fit_baseline(as_of=options.as_of, horizon=max(options.horizon, options.as_of + 1))
        ds = forecast_dataset(options.as_of, options.horizon, options.paths, options.seed, fit=fit)
        ds.to_netcdf(folder.path("forecast.nc"), engine="netcdf4")
        forecast_charts(ds, fit.history, folder.path("charts"), options.as_of, options.lang)
        in_reach = [t for t in TARGETS if t.year <= options.horizon and t.indicator in ds]
        targets = target_table(ds, tuple(in_reach))
        path = folder.finish(
            command=options.command, scenarios=[], seed=options.seed, replicates=options.paths,
            timings={"forecast": round(time.perf_counter() - t0, 3)},
            extra={"as_of": options.as_of, "horizon": options.horizon,
                   "baseline_methods": fit.methods},
        )  # fmt: skip
    return ForecastResult(path, targets)
