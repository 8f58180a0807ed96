"""Charts for planners: fan charts of projections and differences between scenarios.

Built on the object API of matplotlib (no global state), so they work under any backend.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = ["backtest_chart", "diff_chart", "fan_chart", "per_yuan_chart"]


def _bands(ax: Axes, years: np.ndarray, values: np.ndarray, color: str, label: str) -> None:
    q = np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    ax.fill_between(years, q[0], q[4], color=color, alpha=0.18, lw=0, label=f"{label} 90%")
    ax.fill_between(years, q[1], q[3], color=color, alpha=0.35, lw=0, label=f"{label} 50%")
    ax.plot(years, q[2], color=color, lw=2, label=f"{label} median")


def fan_chart(
    years: np.ndarray,
    samples: np.ndarray,
    *,
    title: str,
    ylabel: str,
    scale: float = 1.0,
    history: tuple[np.ndarray, np.ndarray] | None = None,
    target: tuple[int, float] | None = None,
    probability: float | None = None,
    target_label: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Median, 50% and 90% bands of ``samples`` (replicates x years).

    With history points, the target line and the probability of meeting it; values are divided
    by ``scale``.
    """
    if ax is None:
        fig = Figure(figsize=(8, 4.8), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure  # type: ignore[assignment]
    years = np.asarray(years)
    _bands(ax, years, np.asarray(samples, dtype=float) / scale, "tab:blue", "projection")
    if history is not None and len(history[0]):
        ax.plot(
            np.asarray(history[0]),
            np.asarray(history[1], dtype=float) / scale,
            "o",
            color="black",
            ms=4,
            label="history (data)",
        )
    if target is not None:
        year, threshold = target
        ax.axhline(threshold / scale, color="tab:red", ls="--", lw=1.2, label="target")
        ax.plot([year], [threshold / scale], marker="D", color="tab:red")
        if probability is not None:
            ax.annotate(
                f"P(met in {year}) = {probability:.2f}",
                xy=(year, threshold / scale),
                xytext=(8, 10),
                textcoords="offset points",
                color="tab:red",
                fontsize=10,
                fontweight="bold",
            )
        if target_label:
            ax.text(0.01, 0.99, f"target: {target_label}", transform=ax.transAxes, va="top",
                    fontsize=8, color="tab:red")  # fmt: skip
    ax.set_title(title, fontsize=11)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    return fig


def diff_chart(
    years: np.ndarray,
    samples_by_label: Mapping[str, np.ndarray],
    *,
    title: str,
    ylabel: str,
    scale: float = 1.0,
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
        ax.plot(years, q[1], color=color, lw=2, label=f"{label} (median, 90% band)")
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_title(title, fontsize=11)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def backtest_chart(
    results: Mapping[str, tuple[np.ndarray, np.ndarray]],
    scored: Mapping[str, list[tuple[int, float, bool, tuple[float, float] | None]]],
    history: Mapping[str, tuple[np.ndarray, np.ndarray]],
    *,
    as_of: int,
    scales: Mapping[str, tuple[float, str]],
) -> Figure:
    """One panel per scored indicator.

    Each panel: the model's fan from the as-of year, the history it saw, the observations after
    it (hollow: partial-year figures) and the ETS benchmark's 5-95% interval at each observed
    year.

    ``results[name] = (years, samples)``; ``scored[name] = [(year, observed, approximate,
    ets_band or None), ...]``; ``scales[name] = (divide by, axis label)``.
    """
    names = list(scored)
    cols = min(3, max(1, len(names)))
    rows = -(-len(names) // cols) if names else 1
    fig = Figure(figsize=(4.6 * cols, 3.6 * rows), layout="constrained")
    for k, name in enumerate(names):
        ax = fig.add_subplot(rows, cols, k + 1)
        scale, label = scales[name]
        years, samples = results[name]
        _bands(ax, np.asarray(years), np.asarray(samples, dtype=float) / scale, "tab:blue", "model")
        if name in history and len(history[name][0]):
            hy, hv = (np.asarray(a) for a in history[name])
            seen = hy <= as_of
            ax.plot(hy[seen], hv[seen] / scale, "o", color="black", ms=4, label="data seen")
        for i, (year, value, approximate, band) in enumerate(scored[name]):
            ax.plot(
                [year], [value / scale], "o", ms=7, mec="tab:red",
                mfc="none" if approximate else "tab:red",
                label="observed after (hollow: partial year)" if i == 0 else None,
            )  # fmt: skip
            if band is not None:
                ax.errorbar(
                    [year + 0.15], [(band[0] + band[1]) / 2 / scale],
                    yerr=[[(band[1] - band[0]) / 2 / scale]], color="tab:green", capsize=3,
                    label="ETS 90%" if i == 0 else None,
                )  # fmt: skip
        ax.axvline(as_of, color="grey", lw=0.8, ls=":")
        ax.set_title(f"{name} (as of {as_of})", fontsize=10)
        ax.set_ylabel(label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, loc="best")
    return fig


def per_yuan_chart(
    instruments: list[str],
    average: np.ndarray,
    average_interval: np.ndarray,
    marginal: np.ndarray,
    marginal_interval: np.ndarray,
    *,
    title: str,
    xlabel: str,
) -> Figure:
    """Horizontal bars: each instrument's effect per unit of money (average, with its interval).

    As diamonds, the marginal effect of more money (with its interval; absent where the plan's
    rule leaves no room). Intervals are ``(n, 2)`` arrays of low and high.

    The axis spans the estimates, not the intervals: an instrument with very little money can
    have an interval many times wider than every other estimate, and it is marked as clipped
    instead of squeezing the rest into a line.
    """
    fig = Figure(figsize=(9, 0.45 * len(instruments) + 1.8), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(instruments))[::-1]
    avg = np.asarray(average, dtype=float)
    lo_hi = np.asarray(average_interval, dtype=float)
    marg = np.asarray(marginal, dtype=float)
    mi = np.asarray(marginal_interval, dtype=float)
    points = np.concatenate([avg[np.isfinite(avg)], marg[np.isfinite(marg)], [0.0]])
    span = max(float(points.max() - points.min()), 1e-12)
    xmin, xmax = points.min() - 0.15 * span, points.max() + 0.15 * span
    err = np.abs(np.vstack([avg - lo_hi[:, 0], lo_hi[:, 1] - avg]))
    ax.barh(y, np.nan_to_num(avg), xerr=np.nan_to_num(err), color="tab:blue", alpha=0.75,
            capsize=3, label="average (all money of the instrument)")  # fmt: skip
    ok = np.isfinite(marg)
    if ok.any():
        merr = np.abs(np.vstack([marg - mi[:, 0], mi[:, 1] - marg]))[:, ok]
        ax.errorbar(marg[ok], y[ok], xerr=merr, fmt="D", color="tab:orange", capsize=3,
                    label="marginal (10% more money)")  # fmt: skip
    labels = []
    for k, name in enumerate(instruments):
        wide = (lo_hi[k, 0] < xmin or lo_hi[k, 1] > xmax) and np.isfinite(lo_hi[k]).all()
        labels.append(f"{name} (interval clipped)" if wide else name)
    ax.set_xlim(xmin, xmax)
    ax.set_yticks(y, labels, fontsize=8)
    ax.axvline(0.0, color="black", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10, wrap=True)
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=8, loc="lower right")
    return fig
