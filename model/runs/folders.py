"""Run folders: results, target table, charts, manifest and the resolved scenario.

A run folder is written under a temporary name (``<name>.partial``) and renamed when complete,
so a folder with the final name is always complete; ``manifest.json`` is written last inside it.
The contract is documented in ``outputs/README.md``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mfgplan.analysis.targets import TARGETS, target_table
from mfgplan.provenance import git_commit, manifest
from mfgplan.runs.store import INCOMPLETE_NOTE, atomic_write_text

__all__ = [
    "CHARTED",
    "compare_table",
    "default_run_dir",
    "finish_run",
    "git_commit",
    "manifest",
    "replace_folder",
    "uncertainty_table",
    "write_charts",
    "write_run",
]

#: indicator -> (axis label, display scale)
CHARTED: dict[str, tuple[str, float]] = {
    "manufacturing_va": ("billion yuan (nominal)", 1e9),
    "industrial_va": ("billion yuan (nominal)", 1e9),
    "industrial_va_growth": ("% a year (real)", 0.01),
    "sei_share": ("% of industrial VA", 0.01),
    "hightech_share": ("% of industrial VA", 0.01),
    "cnc_rate": ("% of key-process equipment", 0.01),
    "rd_intensity": ("% of GDP", 0.01),
    "enterprise_count": ("enterprises", 1.0),
}


def default_run_dir(scenario_path: Path, sha256: str, seed: int, replicates: int) -> Path:
    """``outputs/<scenario>/<UTC time>-<hash>`` beside the project."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path("outputs") / scenario_path.stem / f"{stamp}-s{seed}-r{replicates}-{sha256[:8]}"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_netcdf(ds: xr.Dataset, path: Path) -> None:
    encoding = {name: {"zlib": True, "complevel": 4} for name in ds.data_vars}
    ds.to_netcdf(path, engine="netcdf4", encoding=encoding)


def write_charts(ds: xr.Dataset, folder: Path, history: dict[str, tuple[Any, Any]]) -> list[Path]:
    """Fan charts of each indicator with history, target line and probability (PNG)."""
    from mfgplan.report.charts import fan_chart

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    targets = {t.indicator: t for t in TARGETS}
    for name, (ylabel, scale) in CHARTED.items():
        target = targets.get(name)
        values = ds[name].values
        probability = None
        target_pair = None
        if target is not None:
            yi = int(np.flatnonzero(ds["year"].values == target.year)[0])
            probability = float(np.mean(values[:, yi] >= target.threshold))
            target_pair = (target.year, target.threshold)
        fig = fan_chart(
            ds["year"].values,
            values,
            title=f"{ds[name].attrs['long_name']} - {ds.attrs.get('title', '')}",
            ylabel=ylabel,
            scale=scale,
            history=history.get(name),
            target=target_pair,
            probability=probability,
            target_label=target.description if target else None,
        )
        path = folder / f"{name}.png"
        fig.savefig(path, dpi=110)
        written.append(path)
    return written


def finish_run(
    partial: Path,
    out_dir: Path,
    *,
    resolved_yaml: str,
    scenario_info: dict[str, Any],
    history: dict[str, tuple[Any, Any]],
    timings: dict[str, float],
    command: str,
    charts: bool = True,
    failures: Sequence[Any] = (),
    replicates_requested: int | None = None,
    extra: dict[str, Any] | None = None,
    calibration_file: Path | None = None,
) -> Path:
    """Complete a partial run folder holding ``results.nc`` and rename it to ``out_dir``.

    Adds ``targets.csv``, ``uncertainty.csv`` (with a parameter sample), the charts, the
    resolved scenario, a copy of its parameter file (``calibration.json``, which the resolved
    scenario names) and, last, ``manifest.json``;
    removes the stored replicates and the ``INCOMPLETE`` note. An existing ``out_dir`` (the
    caller has checked ``--force``) is replaced only once the new folder is complete.
    """
    partial = Path(partial)
    out_dir = Path(out_dir)
    t0 = time.perf_counter()
    with xr.open_dataset(partial / "results.nc") as ds:
        table = target_table(ds)
        atomic_csv(table, partial / "targets.csv")
        if charts:
            write_charts(ds, partial / "charts", history)
        uncertainty = uncertainty_table(ds)
        if uncertainty is not None:
            atomic_csv(uncertainty, partial / "uncertainty.csv")
        attrs = dict(ds.attrs)
        n_done = int(ds.sizes["replicate"])
    atomic_write_text(partial / "scenario.resolved.yaml", resolved_yaml)
    if calibration_file is not None:
        atomic_write_text(
            partial / "calibration.json", Path(calibration_file).read_text(encoding="utf-8")
        )
    shutil.rmtree(partial / "replicates", ignore_errors=True)
    (partial / "run.json").unlink(missing_ok=True)
    timings = {**timings, "write": round(time.perf_counter() - t0, 3)}
    files = {
        str(p.relative_to(partial)): _sha256(p)
        for p in sorted(partial.rglob("*"))
        if p.is_file() and p.name != "INCOMPLETE"
    }
    failed = [f.to_dict() for f in failures]
    man = manifest(
        command=command,
        scenarios=[scenario_info],
        seed=int(attrs["seed"]),
        replicates=n_done,
        timings=timings,
        files=files,
        extra={
            "status": "complete_with_failures" if failed else "complete",
            "replicates_requested": replicates_requested or n_done,
            "replicates_failed": failed,
            "baseline_methods": attrs.get("baseline_methods", ""),
            **(extra or {}),
        },
    )
    (partial / "INCOMPLETE").unlink(missing_ok=True)
    atomic_write_text(partial / "manifest.json", json.dumps(man, indent=2))
    replace_folder(partial, out_dir)
    return out_dir


def uncertainty_table(ds: xr.Dataset) -> pd.DataFrame | None:
    """How much of each indicator's spread comes from the parameters (one-way ANOVA).

    One row per indicator, year and quantity (``level``: the projection with the programme;
    ``programme_effect``: its difference from the no-programme projection of the same
    replicate). ``parameter_share`` is the parameter variance over the total
    (:func:`mfgplan.inputs.sample.variance_split`); the rest is the statistical baseline's
    uncertainty and the model's own shocks. ``None`` when the run used no parameter sample.
    """
    from mfgplan.inputs.sample import variance_split
    from mfgplan.runs.anchoring import INDICATORS

    if "parameter_set" not in ds.coords or (ds["parameter_set"].values < 0).any():
        return None
    groups = ds["parameter_set"].values
    rows = []
    for name in INDICATORS:
        for year in ds["year"].values[1:]:
            level = ds[name].sel(year=year).values
            effect = level - ds[f"{name}_no_programme"].sel(year=year).values
            for quantity, values in (("level", level), ("programme_effect", effect)):
                param, shock, share = variance_split(values, groups)
                rows.append(
                    {
                        "indicator": name,
                        "year": int(year),
                        "quantity": quantity,
                        "units": ds[name].attrs.get("units", ""),
                        "total_sd": float(np.sqrt(param + shock)) if np.isfinite(param) else np.nan,
                        "parameter_sd": float(np.sqrt(param)) if np.isfinite(param) else np.nan,
                        "shock_sd": float(np.sqrt(shock)) if np.isfinite(shock) else np.nan,
                        "parameter_share": share,
                        "parameter_sets": int(np.unique(groups).size),
                    }
                )
    return pd.DataFrame(rows)


def replace_folder(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``; an existing ``dst`` is moved aside first, then removed."""
    old = None
    if dst.exists():
        old = dst.with_name(dst.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        os.replace(dst, old)
    os.replace(src, dst)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def atomic_csv(table: pd.DataFrame, path: Path) -> None:
    """Write a CSV table through a temporary file and a rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    table.to_csv(tmp, index=False, float_format="%.6g")
    os.replace(tmp, path)


def write_run(
    out_dir: Path,
    ds: xr.Dataset,
    *,
    resolved_yaml: str,
    scenario_info: dict[str, Any],
    history: dict[str, tuple[Any, Any]],
    timings: dict[str, float],
    command: str,
    charts: bool = True,
    calibration_file: Path | None = None,
) -> Path:
    """Write a complete run folder for an in-memory dataset atomically; return its path.

    The folder is built as ``out_dir.partial`` and renamed at the end (:func:`finish_run`).
    """
    out_dir = Path(out_dir)
    partial = out_dir.with_name(out_dir.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    atomic_write_text(partial / "INCOMPLETE", INCOMPLETE_NOTE)
    t0 = time.perf_counter()
    tmp = partial / ".results.nc.tmp"
    _write_netcdf(ds, tmp)
    os.replace(tmp, partial / "results.nc")
    timings = {**timings, "results": round(time.perf_counter() - t0, 3)}
    return finish_run(
        partial,
        out_dir,
        resolved_yaml=resolved_yaml,
        scenario_info=scenario_info,
        history=history,
        timings=timings,
        command=command,
        charts=charts,
        failures=ds.encoding.get("failures", ()),
        calibration_file=calibration_file,
    )


def compare_table(datasets: dict[str, xr.Dataset], reference: str) -> pd.DataFrame:
    """Side-by-side target-year results and paired differences against ``reference``.

    The scenarios share seeds, so differences are taken replicate by replicate (common random
    numbers) and their 5-95% interval is the interval of the programme difference itself.
    """
    rows = []
    ref = datasets[reference]
    for label, ds in datasets.items():
        for target in TARGETS:
            v = ds[target.indicator].sel(year=target.year).values
            r = ref[target.indicator].sel(year=target.year).values
            diff = v - r
            rows.append(
                {
                    "scenario": label,
                    "target": target.name,
                    "year": target.year,
                    "threshold": target.threshold,
                    "probability": float(np.mean(v >= target.threshold)),
                    "median": float(np.median(v)),
                    "p5": float(np.quantile(v, 0.05)),
                    "p95": float(np.quantile(v, 0.95)),
                    "reference": reference,
                    "diff_median": float(np.median(diff)),
                    "diff_p5": float(np.quantile(diff, 0.05)),
                    "diff_p95": float(np.quantile(diff, 0.95)),
                    "grant_paid_total": float(
                        ds["grant_paid"].sum(("year", "instrument", "sector")).median()
                    ),
                }
            )
    return pd.DataFrame(rows)
