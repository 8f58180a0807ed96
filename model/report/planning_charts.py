"""Charts of the planning questions (drawing only: each returns a matplotlib ``Figure``).

The charts: the optimiser's search, what the targets hinge on, and where they are missed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from mfgplan.analysis.discovery import PrimResult
from mfgplan.analysis.optimise import OptimiseResult
from mfgplan.report.style import styled
from mfgplan.report.words import PHRASES, TARGET_ASKS, Language, Words, say

__all__ = ["frontier_chart", "optimiser_chart", "prim_chart", "tornado_chart"]


@styled
def optimiser_chart(
    result: OptimiseResult,
    names: Sequence[str] | None = None,
    start_label: str = "plan",
    title: str = "Search for the budget allocation",
    ylabel: str = "objective (mean over replicates)",
) -> Figure:
    """Two panels: the optimiser's search path and the shares of the chosen allocation.

    Left: the search path (best-so-far mean by evaluation batch, every candidate's mean in grey,
    the final re-evaluation with its intervals). Right: shares (%) of the chosen allocation and
    of the start per instrument, with the indistinguishable finalists as thin grey markers.
    """
    names = list(result.names if names is None else names)
    fig = Figure(figsize=(11, max(4.2, 0.9 + 0.42 * len(names))), layout="constrained")
    ax, bx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1.0]})
    h = result.history

    search = h[h["stage"] != "final"]
    batches = np.sort(search["batch"].unique())
    rng = np.random.default_rng(0)  # horizontal jitter of the grey points only
    jitter = rng.uniform(-0.12, 0.12, len(search))
    ax.plot(
        search["batch"] + jitter,
        search["mean"],
        "o",
        color="grey",
        alpha=0.45,
        ms=3,
        label="candidate (screening replicates)",
    )
    best_so_far = np.maximum.accumulate(
        np.array([search.loc[search["batch"] == b, "mean"].max() for b in batches])
    )
    ax.plot(batches, best_so_far, "-o", color="tab:blue", lw=2, ms=5, label="best so far")
    start_row = search[search["stage"] == "start"]
    if len(start_row):
        ax.plot(
            batches[0],
            float(start_row["mean"].iloc[0]),
            "D",
            color="tab:orange",
            ms=6,
            label=f"{start_label} (screening)",
        )
    final = h[h["stage"] == "final"]
    if len(final):
        xb = int(final["batch"].iloc[0])
        for value, (lo_, hi_), color, label in (
            (result.start_mean, result.start_interval, "tab:orange", f"{start_label} (final)"),
            (result.best_mean, result.best_interval, "tab:green", "chosen (final)"),
        ):
            lo_c = value if not np.isfinite(lo_) else lo_
            hi_c = value if not np.isfinite(hi_) else hi_
            ax.errorbar(
                [xb],
                [value],
                yerr=[[max(value - lo_c, 0.0)], [max(hi_c - value, 0.0)]],
                fmt="s",
                color=color,
                capsize=4,
                ms=6,
                label=label,
            )
        ax.axvline(xb - 0.5, color="grey", lw=0.8, ls=":")
    labels = {int(b): s for b, s in zip(h["batch"], h["stage"], strict=True)}
    ticks = sorted(labels)
    ax.set_xticks(ticks, [_short_stage(labels[b]) for b in ticks], fontsize=8)
    ax.set_xlabel("evaluation batch")
    ax.set_ylabel(ylabel)
    ax.set_title("search path", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")

    y = np.arange(len(names))
    height = 0.38
    best = 100 * np.asarray(result.best, dtype=float)
    start = 100 * np.asarray(result.start, dtype=float)
    bx.barh(y - height / 2, best, height, color="tab:green", label="chosen")
    bx.barh(y + height / 2, start, height, color="tab:orange", alpha=0.8, label=start_label)
    f = result.finalists
    others = f[f["indistinguishable"] & ~f["is_best"] & ~f["is_start"]]
    if len(others) and all(n in f.columns for n in names):
        for n_row, (_, row) in enumerate(others.iterrows()):
            bx.plot(
                100 * row[names].to_numpy(dtype=float),
                y - height / 2,
                "|",
                color="dimgrey",
                ms=9,
                mew=1.2,
                label="indistinguishable finalist" if n_row == 0 else None,
            )
    bx.set_yticks(y, names, fontsize=8)
    bx.invert_yaxis()
    bx.set_xlabel("share of the budget (%)")
    bx.set_title("allocation", fontsize=10)
    bx.xaxis.set_major_locator(MaxNLocator(nbins=6))
    bx.grid(alpha=0.3, axis="x")
    bx.legend(fontsize=7, loc="lower right")
    gain = (
        f"gain {result.gain:+.4g} [{result.gain_interval[0]:+.3g}, {result.gain_interval[1]:+.3g}]"
    )
    fig.suptitle(f"{title}\n{gain} ({result.confidence:.0%} paired interval)", fontsize=11)
    return fig


def _short_stage(stage: str) -> str:
    if stage.startswith("local round"):
        return "round " + stage.rsplit(" ", 1)[-1]
    return stage


@styled
def tornado_chart(table: pd.DataFrame, output: str, method: str, top: int = 12) -> Figure:
    """Horizontal bars of the ``top`` most influential factors of ``output`` (largest on top).

    The bars: Morris ``mu_star`` with its confidence interval, or Sobol ``ST`` and ``S1`` with
    theirs.
    """
    method = method.lower()
    if method not in ("morris", "sobol"):
        raise ValueError(f"method must be 'morris' or 'sobol', got {method!r}")
    rows = table[table["output"] == output]
    if rows.empty:
        raise ValueError(f"no indices for output {output!r}")
    key = "mu_star" if method == "morris" else "ST"
    rows = rows.sort_values(key, ascending=False).head(top)
    k = len(rows)
    fig = Figure(figsize=(8.5, 0.42 * k + 1.8), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(k)[::-1].astype(float)
    factors = rows["factor"].astype(str).tolist()
    if method == "morris":
        # the power of ten goes into the axis label, not into an offset text over it
        power = _power_of_thousand(rows["mu_star"].to_numpy(float))
        unit = 10.0**power
        times = f" (x 1e{power})" if power else ""
        mu = rows["mu_star"].to_numpy(float) / unit
        conf = rows["mu_star_conf"].to_numpy(float) / unit
        ax.barh(y, mu, xerr=conf, color="tab:blue", alpha=0.8, capsize=3,
                label="mu* (95% interval); σ: spread of the effects")  # fmt: skip
        ends = np.nan_to_num(mu + conf)
        span = float(ends.max()) if k and ends.max() > 0 else 1.0
        for yi, end, s in zip(y, ends, rows["sigma"].to_numpy(float) / unit, strict=True):
            ax.text(end + 0.02 * span, yi, f"σ = {s:.3g}", fontsize=7, color="dimgray",
                    va="center")  # fmt: skip
        ax.set_xlim(0, 1.15 * span)
        ax.set_title(f"What {output} hinges on (Morris mu*, same units as the output)", fontsize=11)
        ax.set_xlabel(
            f"mean absolute change in {output}{times} when the input moves across its whole "
            "range\n(σ large: the effect depends on the other inputs or is non-linear)",
            fontsize=9,
        )
    else:
        h = 0.38
        ax.barh(y + h / 2, rows["ST"].to_numpy(float), height=h,
                xerr=rows["ST_conf"].to_numpy(float), color="tab:blue", alpha=0.85, capsize=3,
                label="total effect ST (with interactions)")  # fmt: skip
        ax.barh(y - h / 2, rows["S1"].to_numpy(float), height=h,
                xerr=rows["S1_conf"].to_numpy(float), color="tab:orange", alpha=0.85,
                capsize=3, label="first-order S1 (alone)")  # fmt: skip
        ax.set_title(
            f"What {output} hinges on (Sobol indices: share of the output's variance)",
            fontsize=11,
        )
        ax.set_xlabel(f"share of the variance of {output} due to the input (95% intervals)")
        ax.set_xlim(left=min(0.0, ax.get_xlim()[0]))
    ax.set_yticks(y, factors, fontsize=8)
    ax.axvline(0.0, color="black", lw=0.8)
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=8, loc="lower right")
    return fig


def _power_of_thousand(values: np.ndarray) -> int:
    """The multiple of 3 nearest below the largest value's power of ten (0 within 1e-3..1e4)."""
    top = float(np.nanmax(np.abs(values))) if len(values) else 0.0
    if not np.isfinite(top) or top == 0.0 or 1e-3 <= top < 1e4:
        return 0
    return int(3 * np.floor(np.log10(top) / 3))


@styled
def prim_chart(result: PrimResult, title: str) -> Figure:
    """Two panels: the peeling trajectory and the chosen box's restricted inputs.

    Left: the peeling trajectory (coverage against density, coloured by the number of
    restricted inputs, chosen box highlighted). Right: the chosen box's restricted inputs as
    ranges normalised to each input's observed range, labelled with the conditions.
    """
    fig = Figure(figsize=(12, 4.8), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.15])
    traj = result.trajectory
    sc = left.scatter(traj["coverage"], traj["density"], c=traj["n_restricted"], cmap="viridis",
                      s=22, zorder=2)  # fmt: skip
    left.plot(traj["coverage"], traj["density"], color="grey", lw=0.6, zorder=1)
    cb = fig.colorbar(sc, ax=left)
    cb.set_label("number of restricted inputs")
    step = result.chosen_step
    if 0 <= step < len(traj):
        left.scatter([traj["coverage"].iloc[step]], [traj["density"].iloc[step]], s=140,
                     facecolors="none", edgecolors="tab:red", lw=2, zorder=3,
                     label="box chosen on the trajectory")  # fmt: skip
    left.scatter([result.coverage], [result.density], marker="*", s=180, color="tab:red",
                 zorder=4, label="after simplification")  # fmt: skip
    left.axhline(result.base_rate, color="black", ls=":", lw=1,
                 label=f"base rate {result.base_rate:.0%}")  # fmt: skip
    left.set_xlabel("coverage (share of the cases of interest inside the box)")
    left.set_ylabel("density (share of the box's cases that are of interest)")
    left.set_title("Peeling trajectory", fontsize=10)
    left.set_xlim(-0.02, 1.02)
    left.set_ylim(-0.02, 1.02)
    left.grid(alpha=0.3)
    left.legend(fontsize=7, loc="lower left")

    limits = result.limits
    conditions = result.conditions()
    if limits.empty:
        right.text(0.5, 0.5, result.describe()[0], ha="center", va="center", wrap=True,
                   fontsize=10, transform=right.transAxes)  # fmt: skip
        right.set_axis_off()
    else:
        ranges = result.ranges.set_index("input")
        k = len(limits)
        y = np.arange(k)[::-1].astype(float)
        for yi, row, text in zip(y, limits.itertuples(index=False), conditions, strict=True):
            lo, hi = ranges.loc[row.input, "min"], ranges.loc[row.input, "max"]
            width = hi - lo if hi > lo else 1.0
            a, b = (row.low - lo) / width, (row.high - lo) / width
            right.barh(yi, 1.0, left=0.0, height=0.5, color="lightgrey")
            right.barh(yi, b - a, left=a, height=0.5, color="tab:blue")
            right.text(0.5, yi + 0.33, text, ha="center", va="bottom", fontsize=8)
        right.set_yticks(y, limits["input"].tolist(), fontsize=8)
        right.set_ylim(-0.6, k - 0.2)
        right.set_xlim(0, 1)
        right.set_xlabel("position in the input's observed range (0 = lowest, 1 = highest)")
        right.grid(alpha=0.3, axis="x")
    summary = result.describe()[-1]
    right.set_title(f"Chosen box: {summary}", fontsize=8, wrap=True)
    fig.suptitle(title, fontsize=11)
    return fig


@styled
def frontier_chart(table: pd.DataFrame, title: str, lang: Language = "both") -> Figure:
    """P(target met in its year) against the scale of the programme's money, one line a target.

    The 90% Wilson interval is shaded; the dotted lines are P = 0.5 and P = 0.9. The x axis is
    the multiple of the scenario's money (0 = no provincial money).
    """
    fig = Figure(figsize=(8, 5.2), layout="constrained")
    ax = fig.add_subplot()
    scales = sorted(table["scale"].unique())
    positions = {s: i for i, s in enumerate(scales)}
    for target, rows in table.groupby("target", sort=False):
        rows = rows.sort_values("scale")
        x = [positions[s] for s in rows["scale"]]
        label = say(TARGET_ASKS.get(str(target), Words(str(target), str(target))), lang)
        ax.plot(x, 100 * rows["probability"], marker="o", label=label)
        ax.fill_between(x, 100 * rows["p_low"], 100 * rows["p_high"], alpha=0.15)
    for level in (50, 90):
        ax.axhline(level, color="0.5", linestyle=":", linewidth=1)
    ax.set_xticks(range(len(scales)), [f"{s:g}x" for s in scales])
    ax.set_xlabel(say(PHRASES["frontier_x"], lang))
    ax.set_ylabel(say(PHRASES["frontier_y"], lang, sep="\n"))
    ax.set_ylim(-2, 102)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return fig
