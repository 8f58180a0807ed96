"""Charts for planners: fan charts of projections and differences between scenarios.

Built on the object API of matplotlib (no global state), so they work under any backend. Each
takes ``lang`` (``zh``, ``en`` or ``both``) for its fixed words; the caller passes titles and
axis labels already in that language (:mod:`mfgplan.report.words`). Each draws inside
:func:`mfgplan.report.style.chart_style` (the CJK font).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from mfgplan.report.style import styled
from mfgplan.report.words import PHRASES, Language, Words, say

__all__ = ["backtest_chart", "diff_chart", "fan_chart", "per_yuan_chart"]


def _bands(
    ax: Axes, years: np.ndarray, values: np.ndarray, color: str, label: Words, lang: Language
) -> None:
    q = np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    ax.fill_between(years, q[0], q[4], color=color, alpha=0.18, lw=0,
                    label=say(label + Words("90%区间", "90%"), lang))  # fmt: skip
    ax.fill_between(years, q[1], q[3], color=color, alpha=0.35, lw=0,
                    label=say(label + Words("50%区间", "50%"), lang))  # fmt: skip
    ax.plot(years, q[2], color=color, lw=2, label=say(label + PHRASES["median"], lang))


def _legend_below(ax: Axes, columns: int = 2) -> None:
    """The legend under the axes (outside the data), in ``columns`` columns."""
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=columns,
              frameon=False)  # fmt: skip


def _thousands(ax: Axes) -> None:
    """Y tick labels with a thousands separator (10,000 not 10000)."""
    ax.yaxis.set_major_formatter(
        FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 1000 else f"{v:g}")
    )


@styled
def fan_chart(
    years: np.ndarray,
    samples: np.ndarray,
    *,
    title: str,
    ylabel: str,
    scale: float = 1.0,
    history: tuple[np.ndarray, np.ndarray] | None = None,
    history_derived: str | None = None,
    target: tuple[int, float] | None = None,
    probability: float | None = None,
    target_label: str | None = None,
    lang: Language = "both",
    ax: Axes | None = None,
) -> Figure:
    """Median, 50% and 90% bands of ``samples`` (replicates x years).

    With history points (hollow and labelled with ``history_derived`` when the points are
    derived from other statistics rather than published), the target line and the probability
    of meeting it; values are divided by ``scale``. The target's words and its probability sit
    in a box inside the axes (top left), never over the title.
    """
    if ax is None:
        fig = Figure(figsize=(8, 5.6), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure  # type: ignore[assignment]
    years = np.asarray(years)
    values = np.asarray(samples, dtype=float) / scale
    _bands(ax, years, values, "tab:blue", PHRASES["projection"], lang)
    if history is not None and len(history[0]):
        derived = history_derived is not None
        label = say(PHRASES["history_derived" if derived else "history"], lang)
        ax.plot(
            np.asarray(history[0]),
            np.asarray(history[1], dtype=float) / scale,
            "o",
            color="black",
            mfc="white" if derived else "black",
            ms=4.5,
            label=f"{label}:\n{history_derived}" if derived else label,
        )
    notes = []
    if target is not None:
        year, threshold = target
        ax.axhline(threshold / scale, color="tab:red", ls="--", lw=1.2,
                   label=say(PHRASES["target"], lang))  # fmt: skip
        ax.plot([year], [threshold / scale], marker="D", color="tab:red")
        if target_label:
            notes.append(f"{say(PHRASES['target'], lang)}: {target_label}")
        if probability is not None:
            notes.append(f"{say(PHRASES['p_met'], lang)} ({year}) = {probability:.2f}")
    if notes:
        ax.text(0.01, 0.98, "\n".join(notes), transform=ax.transAxes, va="top", ha="left",
                fontsize=9, color="tab:red",
                bbox={"facecolor": "white", "edgecolor": "tab:red", "alpha": 0.85,
                      "pad": 3})  # fmt: skip
        # room above the data for the box
        low, high = ax.get_ylim()
        ax.set_ylim(low, high + 0.18 * (high - low))
    ax.set_title(title, fontsize=11)
    ax.set_ylabel(ylabel)
    ax.set_xlabel(say(PHRASES["year"], lang))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _thousands(ax)
    ax.grid(alpha=0.3)
    _legend_below(ax)
    return fig


@styled
def diff_chart(
    years: np.ndarray,
    samples_by_label: Mapping[str, np.ndarray],
    *,
    title: str,
    ylabel: str,
    scale: float = 1.0,
    lang: Language = "both",
) -> Figure:
    """Median and 90% band of several series (e.g. paired differences between scenarios)."""
    fig = Figure(figsize=(8, 4.8), layout="constrained")
    ax = fig.add_subplot()
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink"]
    for k, (label, values) in enumerate(samples_by_label.items()):
        v = np.asarray(values, dtype=float) / scale
        q = np.quantile(v, [0.05, 0.5, 0.95], axis=0)
        color = colors[k % len(colors)]
        ax.fill_between(years, q[0], q[2], color=color, alpha=0.2, lw=0)
        ax.plot(years, q[1], color=color, lw=2, label=f"{label} ({say(PHRASES['band90'], lang)})")
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_title(title, fontsize=11)
    ax.set_ylabel(ylabel)
    ax.set_xlabel(say(PHRASES["year"], lang))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


@styled
def backtest_chart(
    results: Mapping[str, tuple[np.ndarray, np.ndarray]],
    scored: Mapping[str, list[tuple[int, float, bool, tuple[float, float] | None]]],
    history: Mapping[str, tuple[np.ndarray, np.ndarray]],
    *,
    as_of: int,
    scales: Mapping[str, tuple[float, str]],
    titles: Mapping[str, str] | None = None,
    lang: Language = "both",
) -> Figure:
    """One panel per scored indicator.

    Each panel: the model's fan from the as-of year, the history it saw, the observations after
    it (hollow: partial-year figures) and the ETS benchmark's 5-95% interval at each observed
    year.

    ``results[name] = (years, samples)``; ``scored[name] = [(year, observed, approximate,
    ets_band or None), ...]``; ``scales[name] = (divide by, axis label)``; ``titles[name]``: the
    panel's title (default the name).
    """
    titles = titles or {}
    names = list(scored)
    cols = min(3, max(1, len(names)))
    rows = -(-len(names) // cols) if names else 1
    fig = Figure(figsize=(4.6 * cols, 3.6 * rows), layout="constrained")
    for k, name in enumerate(names):
        ax = fig.add_subplot(rows, cols, k + 1)
        scale, label = scales[name]
        years, samples = results[name]
        _bands(ax, np.asarray(years), np.asarray(samples, dtype=float) / scale, "tab:blue",
               PHRASES["model"], lang)  # fmt: skip
        if name in history and len(history[name][0]):
            hy, hv = (np.asarray(a) for a in history[name])
            seen = hy <= as_of
            ax.plot(hy[seen], hv[seen] / scale, "o", color="black", ms=4,
                    label=say(PHRASES["data_seen"], lang))  # fmt: skip
        for i, (year, value, approximate, band) in enumerate(scored[name]):
            ax.plot(
                [year], [value / scale], "o", ms=7, mec="tab:red",
                mfc="none" if approximate else "tab:red",
                label=say(PHRASES["observed_after"], lang) if i == 0 else None,
            )  # fmt: skip
            if band is not None:
                ax.errorbar(
                    [year + 0.15], [(band[0] + band[1]) / 2 / scale],
                    yerr=[[(band[1] - band[0]) / 2 / scale]], color="tab:green", capsize=3,
                    label=say(PHRASES["ets90"], lang) if i == 0 else None,
                )  # fmt: skip
        ax.axvline(as_of, color="grey", lw=0.8, ls=":")
        ax.set_title(f"{titles.get(name, name)} ({say(PHRASES['as_of'], lang)} {as_of})",
                     fontsize=9, wrap=True)  # fmt: skip
        ax.set_ylabel(label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, loc="best")
    return fig


@styled
def per_yuan_chart(
    instruments: list[str],
    average: np.ndarray,
    average_interval: np.ndarray,
    marginal: np.ndarray,
    marginal_interval: np.ndarray,
    *,
    title: str,
    xlabel: str,
    lang: Language = "both",
) -> Figure:
    """Horizontal bars: each instrument's effect per unit of money (average, with its interval).

    As diamonds, the marginal effect of more money (with its interval; absent where the plan's
    rule leaves no room). Intervals are ``(n, 2)`` arrays of low and high. ``instruments`` are
    the row labels, in words.

    The axis spans the estimates, not the intervals: an instrument with very little money can
    have an interval many times wider than every other estimate, and it is marked as clipped
    instead of squeezing the rest into a line. An estimate more than :data:`OFF_SCALE` times the
    next largest is drawn to the edge with its value written there (off scale), so one
    instrument with little money and a large ratio does not dwarf every other bar.
    """
    fig = Figure(figsize=(9.5, 0.5 * len(instruments) + 1.9), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(instruments))[::-1]
    avg = np.asarray(average, dtype=float)
    lo_hi = np.asarray(average_interval, dtype=float)
    marg = np.asarray(marginal, dtype=float)
    mi = np.asarray(marginal_interval, dtype=float)
    finite = np.concatenate([avg[np.isfinite(avg)], marg[np.isfinite(marg)]])
    off = _off_scale(finite)
    kept = finite[np.abs(finite) <= off] if finite.size else finite
    points = np.concatenate([kept, [0.0]])
    span = max(float(points.max() - points.min()), 1e-12)
    xmin, xmax = points.min() - 0.15 * span, points.max() + 0.15 * span
    shown = np.clip(np.nan_to_num(avg), xmin, xmax)
    err = np.abs(np.vstack([avg - lo_hi[:, 0], lo_hi[:, 1] - avg]))
    err[:, np.abs(np.nan_to_num(avg)) > off] = 0.0
    ax.barh(y, shown, xerr=np.nan_to_num(err), color="tab:blue", alpha=0.75,
            capsize=3, label=say(PHRASES["average"], lang))  # fmt: skip
    ok = np.isfinite(marg) & (np.abs(marg) <= off)
    if ok.any():
        merr = np.abs(np.vstack([marg - mi[:, 0], mi[:, 1] - marg]))[:, ok]
        ax.errorbar(marg[ok], y[ok], xerr=merr, fmt="D", color="tab:orange", capsize=3,
                    label=say(PHRASES["marginal"], lang))  # fmt: skip
    labels = []
    for k, name in enumerate(instruments):
        if np.isfinite(avg[k]) and abs(avg[k]) > off:
            edge = xmax if avg[k] > 0 else xmin
            ax.text(edge, y[k], f"{avg[k]:,.3g} ({say(PHRASES['off_scale'], lang)}) ",
                    ha="right" if avg[k] > 0 else "left", va="center", fontsize=7,
                    color="white" if avg[k] > 0 else "black")  # fmt: skip
            labels.append(name)
            continue
        wide = (lo_hi[k, 0] < xmin or lo_hi[k, 1] > xmax) and np.isfinite(lo_hi[k]).all()
        labels.append(f"{name} ({say(PHRASES['clipped'], lang)})" if wide else name)
    ax.set_xlim(xmin, xmax)
    ax.set_yticks(y, labels, fontsize=8)
    ax.axvline(0.0, color="black", lw=0.8)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_title(title, fontsize=10, wrap=True)
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=8, loc="lower right")
    return fig


#: an estimate this many times the next largest in magnitude is drawn off scale
OFF_SCALE = 5.0


def _off_scale(values: np.ndarray) -> float:
    """The magnitude above which an estimate is off scale, or inf.

    Only the largest estimate can be: when it is more than :data:`OFF_SCALE` times the second.
    """
    ranked = np.sort(np.abs(values[np.isfinite(values)]))[::-1]
    if len(ranked) >= 2 and ranked[1] > 0 and ranked[0] > OFF_SCALE * ranked[1]:
        return float(ranked[1])
    return np.inf
