"""The charts each command puts in its folder's ``charts/`` (PNG files).

The drawing is in :mod:`mfgplan.report.charts` and :mod:`mfgplan.report.planning_charts`;
here each folder's set of figures is assembled from the results and saved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib import rc_context
from matplotlib.figure import Figure

from mfgplan.analysis.attribution import OUTCOMES
from mfgplan.analysis.backtest import BacktestResult
from mfgplan.analysis.targets import TARGETS
from mfgplan.calibration.forecast import UNITS
from mfgplan.report.charts import backtest_chart, diff_chart, fan_chart, per_yuan_chart

__all__ = [
    "CHARTED",
    "attribution_charts",
    "backtest_figure",
    "difference_charts",
    "forecast_charts",
    "run_charts",
    "save",
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
#: resolution of every saved PNG chart [dots per inch]: print quality
DPI = 200


def save(fig: Figure, path: Path) -> Path:
    """Save a figure as PNG at :data:`DPI` and, beside it, as SVG (its folder made).

    The PNG is for screens and slides, the SVG (vector, text kept as text) for a printed report.
    Returns the PNG's path.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    # a fixed salt and no date: the same figure gives the same file
    with rc_context({"svg.hashsalt": "mfgplan"}):
        fig.savefig(path.with_suffix(".svg"), metadata={"Date": None})
    return path


def run_charts(ds: xr.Dataset, folder: Path, history: Mapping[str, Any]) -> list[Path]:
    """Fan charts of each indicator with history, target line and probability."""
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
        written.append(save(fig, folder / f"{name}.png"))
    return written


def difference_charts(
    datasets: Mapping[str, xr.Dataset], reference: str, folder: Path
) -> list[Path]:
    """Each indicator's paired difference of every scenario from ``reference``."""
    written: list[Path] = []
    for name, (ylabel, scale) in CHARTED.items():
        ref = datasets[reference][name].values
        diffs = {lab: ds[name].values - ref for lab, ds in datasets.items() if lab != reference}
        if not diffs:
            break
        fig = diff_chart(
            datasets[reference]["year"].values,
            diffs,
            title=f"{name}: difference from {reference} (same draws)",
            ylabel=ylabel,
            scale=scale,
        )
        written.append(save(fig, folder / f"{name}_difference.png"))
    return written


def forecast_charts(
    ds: xr.Dataset, history: Mapping[str, Any], folder: Path, as_of: int
) -> list[Path]:
    """Fan charts of the statistical baseline's indicators with their history."""
    scales = {"yuan": (1e9, "billion yuan"), "fraction": (0.01, "%"), "count": (1.0, "count")}
    written = []
    for name in UNITS:
        if name not in ds:
            continue
        scale, label = scales[ds[name].attrs["units"]]
        fig = fan_chart(
            ds["year"].values, ds[name].values,
            title=f"{ds[name].attrs['long_name']} (baseline as of {as_of})",
            ylabel=label, scale=scale, history=history.get(name),
        )  # fmt: skip
        written.append(save(fig, folder / f"{name}.png"))
    return written


def backtest_figure(result: BacktestResult, path: Path) -> Path | None:
    """Projections from the as-of year against the later observations (and the ETS band).

    None when nothing was scored.
    """
    table = result.table
    ds = result.results
    scored = {}
    for name in dict.fromkeys(table["indicator"]):
        model_rows = table[(table["indicator"] == name) & (table["forecaster"] == "mfgplan")]
        model_rows = model_rows[model_rows["status"].str.startswith("scored")]
        if model_rows.empty:
            continue
        ets_rows = table[(table["indicator"] == name) & (table["forecaster"] == "ets")]
        points = []
        for _, row in model_rows.iterrows():
            match = ets_rows[
                (ets_rows["year"] == row["year"]) & (ets_rows["period"] == row["period"])
            ]
            band = None
            if not match.empty and match.iloc[0]["status"].startswith("scored"):
                band = (float(match.iloc[0]["p5"]), float(match.iloc[0]["p95"]))
            points.append(
                (int(row["year"]), float(row["observed"]), bool(row["approximate"]), band)
            )
        scored[name] = points
    if not scored:
        return None
    scales = {
        name: (CHARTED[name][1], CHARTED[name][0]) if name in CHARTED else (1.0, UNITS[name][0])
        for name in scored
    }
    results = {name: (ds["year"].values, ds[name].values) for name in scored}
    fig = backtest_chart(results, scored, result.history, as_of=result.as_of, scales=scales)
    return save(fig, path)


def attribution_charts(
    table: pd.DataFrame, instruments: Sequence[str], n_replicates: int, folder: Path
) -> list[Path]:
    """Per outcome: what each instrument buys per yuan of fiscal cost, with its marginal value.

    Units: value added per yuan; shares in points per 100 million yuan.
    """
    written = []
    for outcome in OUTCOMES:
        rows = table[(table["outcome"] == outcome) & table["instrument"].isin(instruments)]
        units, description = OUTCOMES[outcome]
        scale, per = (1e8, "yuan of value added per yuan") if units == "yuan" else (
            1.0, f"{units} per 100 million yuan")  # fmt: skip
        fig = per_yuan_chart(
            rows["instrument"].tolist(),
            rows["per_100m_yuan"].to_numpy() / scale,
            rows[["per_100m_low", "per_100m_high"]].to_numpy() / scale,
            rows["marginal_per_100m"].to_numpy() / scale,
            rows[["marginal_low", "marginal_high"]].to_numpy() / scale,
            title=f"What each instrument buys: {description}",
            xlabel=f"{per} of fiscal cost ({n_replicates} paired replicates; bars: 90% interval)",
        )
        written.append(save(fig, folder / f"per_yuan_{outcome}.png"))
    return written
