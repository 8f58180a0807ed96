"""The charts each command puts in its folder's ``charts/`` (PNG and SVG files).

The drawing is in :mod:`mfgplan.report.charts` and :mod:`mfgplan.report.planning_charts`;
here each folder's set of figures is assembled from the results, labelled in the language asked
for (``lang``: ``zh``, ``en`` or ``both``; :mod:`mfgplan.report.words`) and saved
(:func:`mfgplan.report.style.save`). Money is drawn in 亿元, shares in %, differences of shares
in percentage points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mfgplan.analysis.attribution import OUTCOMES
from mfgplan.analysis.backtest import BacktestResult
from mfgplan.analysis.targets import TARGETS
from mfgplan.calibration.forecast import DERIVED_HISTORY, UNITS
from mfgplan.report.charts import backtest_chart, diff_chart, fan_chart, per_yuan_chart
from mfgplan.report.style import save
from mfgplan.report.words import (
    INDICATOR_NAMES,
    INSTRUMENT_NAMES,
    OUTCOME_NAMES,
    PHRASES,
    TARGET_ASKS,
    UNIT_WORDS,
    Language,
    Words,
    say,
)

__all__ = [
    "CHARTED",
    "attribution_charts",
    "backtest_figure",
    "difference_charts",
    "forecast_charts",
    "run_charts",
]

#: indicator -> (unit kind of :data:`mfgplan.report.words.UNIT_WORDS`, display scale)
CHARTED: dict[str, tuple[str, float]] = {
    "manufacturing_va": ("yuan", 1e8),
    "industrial_va": ("yuan", 1e8),
    "industrial_va_growth": ("growth", 0.01),
    "sei_share": ("fraction", 0.01),
    "hightech_share": ("fraction", 0.01),
    "cnc_rate": ("fraction", 0.01),
    "rd_intensity": ("fraction", 0.01),
    "enterprise_count": ("count", 1.0),
}


def _name(indicator: str, lang: Language) -> str:
    return say(INDICATOR_NAMES.get(indicator, Words(indicator, indicator)), lang)


def _unit(kind: str, lang: Language, difference: bool = False) -> str:
    return say(UNIT_WORDS[kind][1 if difference else 0], lang)


def _derived(name: str, lang: Language) -> str | None:
    note = DERIVED_HISTORY.get(name)
    return None if note is None else say(Words(*note), lang)


def run_charts(
    ds: xr.Dataset, folder: Path, history: Mapping[str, Any], lang: Language = "both"
) -> list[Path]:
    """Fan charts of each indicator with history, target line and probability."""
    written = []
    targets = {t.indicator: t for t in TARGETS}
    for name, (kind, scale) in CHARTED.items():
        target = targets.get(name)
        values = ds[name].values
        probability = None
        target_pair = None
        if target is not None:
            yi = int(np.flatnonzero(ds["year"].values == target.year)[0])
            probability = float(np.mean(values[:, yi] >= target.threshold))
            target_pair = (target.year, target.threshold)
        sep = "\n" if lang == "both" else " - "
        fig = fan_chart(
            ds["year"].values,
            values,
            title=f"{_name(name, lang)}{sep}{ds.attrs.get('scenario', '')}",
            ylabel=_unit(kind, lang),
            scale=scale,
            history=history.get(name),
            history_derived=_derived(name, lang),
            target=target_pair,
            probability=probability,
            target_label=say(TARGET_ASKS[target.name], lang) if target else None,
            lang=lang,
        )
        written.append(save(fig, folder / f"{name}.png"))
    return written


def difference_charts(
    datasets: Mapping[str, xr.Dataset], reference: str, folder: Path, lang: Language = "both"
) -> list[Path]:
    """Each indicator's paired difference of every scenario from ``reference``.

    Differences of shares are in percentage points, of money in 亿元.
    """
    written: list[Path] = []
    for name, (kind, scale) in CHARTED.items():
        ref = datasets[reference][name].values
        diffs = {lab: ds[name].values - ref for lab, ds in datasets.items() if lab != reference}
        if not diffs:
            break
        fig = diff_chart(
            datasets[reference]["year"].values,
            diffs,
            title=f"{_name(name, lang)}\n{say(PHRASES['difference_from'], lang)}: {reference}",
            ylabel=_unit(kind, lang, difference=True),
            scale=scale,
            lang=lang,
        )
        written.append(save(fig, folder / f"{name}_difference.png"))
    return written


def forecast_charts(
    ds: xr.Dataset, history: Mapping[str, Any], folder: Path, as_of: int, lang: Language = "both"
) -> list[Path]:
    """Fan charts of the statistical baseline's indicators with their history."""
    kinds = {"yuan": ("yuan", 1e8), "fraction": ("fraction", 0.01), "count": ("count", 1.0)}
    written = []
    for name, (units, _) in UNITS.items():
        if name not in ds:
            continue
        kind, scale = CHARTED.get(name, kinds[units])
        fig = fan_chart(
            ds["year"].values, ds[name].values,
            title=f"{_name(name, lang)} ({say(PHRASES['baseline_as_of'], lang)} {as_of})",
            ylabel=_unit(kind, lang), scale=scale, history=history.get(name),
            history_derived=_derived(name, lang), lang=lang,
        )  # fmt: skip
        written.append(save(fig, folder / f"{name}.png"))
    return written


def backtest_figure(result: BacktestResult, path: Path, lang: Language = "both") -> Path | None:
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
        name: (CHARTED[name][1], _unit(CHARTED[name][0], lang))
        if name in CHARTED
        else (1.0, UNITS[name][0])
        for name in scored
    }
    results = {name: (ds["year"].values, ds[name].values) for name in scored}
    titles = {name: _name(name, lang) for name in scored}
    fig = backtest_chart(
        results, scored, result.history, as_of=result.as_of, scales=scales, titles=titles,
        lang=lang,
    )  # fmt: skip
    return save(fig, path)


def attribution_charts(
    table: pd.DataFrame,
    instruments: Sequence[str],
    n_replicates: int,
    folder: Path,
    lang: Language = "both",
) -> list[Path]:
    """Per outcome: what each instrument buys per yuan of fiscal cost, with its marginal value.

    Units: value added per yuan; shares in percentage points per 100 million yuan (亿元).
    """
    written = []
    for outcome in OUTCOMES:
        rows = table[(table["outcome"] == outcome) & table["instrument"].isin(instruments)]
        units, _ = OUTCOMES[outcome]
        if units == "yuan":  # value added per 100 million yuan / 1e8 = per yuan
            scale, per = 1e8, say(PHRASES["per_yuan"], lang)
        else:  # already percentage points per 100 million yuan
            scale = 1.0
            per = f"{_unit('fraction', lang, difference=True)}, {say(PHRASES['per_100m'], lang)}"
        names = [say(INSTRUMENT_NAMES.get(n, Words(n, n)), lang) for n in rows["instrument"]]
        fig = per_yuan_chart(
            names,
            rows["per_100m_yuan"].to_numpy() / scale,
            rows[["per_100m_low", "per_100m_high"]].to_numpy() / scale,
            rows["marginal_per_100m"].to_numpy() / scale,
            rows[["marginal_low", "marginal_high"]].to_numpy() / scale,
            title=f"{say(PHRASES['what_it_buys'], lang)}: {say(OUTCOME_NAMES[outcome], lang)}",
            xlabel=f"{per} ({n_replicates} {say(PHRASES['paired'], lang)})",
            lang=lang,
        )
        written.append(save(fig, folder / f"per_yuan_{outcome}.png"))
    return written
