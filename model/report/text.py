"""Results in the planner's units, as text: 亿元, %, percentage points, 90% intervals.

Money is in 亿元 (1亿元 = 1e8 yuan), shares in %, differences of shares in percentage points,
and every estimate comes with its 90% interval. The command line prints these lines; the files
keep yuan and fractions (``outputs/README.md``).
"""

from __future__ import annotations

import math

import pandas as pd

from mfgplan.analysis.attribution import NATIONAL_INSTRUMENTS
from mfgplan.analysis.intervals import wilson_interval
from mfgplan.analysis.optimise import OptimiseResult
from mfgplan.analysis.planning import Objective
from mfgplan.analysis.targets import TARGETS
from mfgplan.report.words import TARGET_ASKS

__all__ = [
    "FEW_REPLICATES",
    "attribution_lines",
    "band",
    "budget_lines",
    "caution_line",
    "compare_lines",
    "difference",
    "effect_lines",
    "few_replicates",
    "money",
    "precision",
    "target_lines",
    "value",
]

#: below this many replicates a warning says the intervals are rough
FEW_REPLICATES = 50
#: short names of the targets' indicators
LABELS = {
    "manufacturing_va": "manufacturing VA",
    "sei_share": "SEI share",
    "hightech_share": "high-tech share",
    "cnc_rate": "CNC rate",
}
#: what each target asks, in the planner's units (the English of the report's words)
ASKS = {name: words.en for name, words in TARGET_ASKS.items()}


def money(yuan: float, sign: bool = False) -> str:
    """An amount in 亿元 (1亿元 = 1e8 yuan), with a thousands separator: ``9,420亿元``."""
    if not math.isfinite(yuan):
        return "n/a"
    x = yuan / 1e8
    digits = 0 if abs(x) >= 1000 else 1 if abs(x) >= 10 else 2 if abs(x) >= 0.1 or x == 0 else 4
    return f"{x:{'+' if sign else ''},.{digits}f}亿元"


def value(units: str, x: float) -> str:
    """A level: 亿元 for yuan, % for fractions, whole numbers for counts."""
    if units == "yuan":
        return money(x)
    if units in ("fraction", "1"):
        return f"{100 * x:.1f}%"
    return f"{x:,.0f}"


def difference(units: str, d: float) -> str:
    """A difference: 亿元 for yuan, percentage points for fractions, whole numbers for counts."""
    if units == "yuan":
        return money(d, sign=True)
    if units in ("fraction", "1"):
        return f"{100 * d:+.2f} pp"
    return f"{d:+,.0f}"


def band(units: str, low: float, high: float, *, diff: bool = False) -> str:
    """A 90% range ``[low, high]`` in the same units."""
    show = difference if diff else value
    return f"[{show(units, low)}, {show(units, high)}]"


def caution_line(unmoved: list[str] | None, what: str) -> str | None:
    """A caution when ``what`` rests on programme parameters no data has moved (None: none)."""
    if not unmoved:
        return None
    return (
        f"caution: {what} rests on {len(unmoved)} parameters no data has moved (posterior/prior "
        f"sd >= 0.8), among them {', '.join(unmoved[:3])}: read it as the assumptions' "
        "(calibration/VALIDATION.md)"
    )


def precision(n: int) -> float:
    """Half the width of the 90% interval of a probability near 0.5 from ``n`` replicates."""
    lo, hi = wilson_interval(0.5, max(n, 1), 0.9)
    return (hi - lo) / 2


def few_replicates(n: int) -> str | None:
    """A warning when ``n`` replicates are too few for the intervals to mean much."""
    if n >= FEW_REPLICATES:
        return None
    return (
        f"only {n} replicates: a probability is known to about +-{precision(n):.2f} and the "
        f"bands are rough; use --replicates 200 or more before deciding anything"
    )


def target_lines(targets: pd.DataFrame) -> list[str]:
    """One line per target in its year: P(met) with its 90% interval, median and 90% band."""
    lines = []
    for target in TARGETS:
        row = targets[(targets["target"] == target.name) & (targets["year"] == target.year)]
        if row.empty:
            continue
        row = row.iloc[0]
        n = int(row["replicates"])
        lo, hi = wilson_interval(float(row["probability"]), n, 0.9)
        units = target.units
        lines.append(
            f"  {ASKS[target.name]} by {target.year}: P(met) {row['probability']:.2f} "
            f"[{lo:.2f}, {hi:.2f}]; median {value(units, row['median'])} "
            f"{band(units, row['p5'], row['p95'])}"
        )
    return lines


def effect_lines(effects: pd.DataFrame) -> list[str]:
    """The programme's effect per target indicator: median and 90% band.

    The effect is the paired difference from the same replicate's counterfactual (the
    scenario's ``counterfactual:``, the pre-plan policy mix; ODD 7.8).
    """
    year = int(effects["year"].iloc[0])
    lines = [
        f"  the programme's effect in {year} (paired with its counterfactual, the pre-plan "
        "policy mix; 90% band):"
    ]
    width = max(len(LABELS[i]) for i in effects["indicator"])
    for r in effects.itertuples(index=False):
        lines.append(
            f"    {LABELS[r.indicator]:<{width}}  {difference(r.units, r.median)} "
            f"{band(r.units, r.p5, r.p95, diff=True)}"
        )
    return lines


def budget_lines(budget: pd.DataFrame) -> list[str]:
    """Each funded grant line's money: allocated, committed, paid and the share paid.

    Committed and paid are medians over replicates.
    """
    lines = ["  grant money over the programme: allocated, committed, paid (median), share paid"]
    width = max(len(name) for name in budget["instrument"])
    for r in budget.itertuples(index=False):
        if r.allocated <= 0:
            continue
        lines.append(
            f"    {r.instrument:<{width}}  {money(r.allocated):>10}  {money(r.committed):>10}  "
            f"{money(r.paid):>10}  {100 * r.paid_share:>4.0f}%"
        )
    total = budget[budget["allocated"] > 0]
    if len(total):
        a, p = total["allocated"].sum(), total["paid"].sum()
        lines.append(f"    {'all lines':<{width}}  {money(a):>10}  {'':>10}  {money(p):>10}  "
                     f"{100 * p / a:>4.0f}%")  # fmt: skip
    return lines


def attribution_lines(table: pd.DataFrame, outcome: str = "industrial_va_cumulative") -> list[str]:
    """Per instrument: fiscal cost, value added per yuan and marginal value (90% intervals).

    Value per yuan is extra industrial VA over the programme's horizon per yuan of fiscal cost;
    the marginal value is per extra yuan allocated (n/a where the line cannot take more). The
    national super-deduction's row is marked: it is in neither the province's sum nor its
    interaction.
    """
    rows = table[table["outcome"] == outcome].copy()
    # national policy is not the province's money: said on its row
    rows["instrument"] = [
        f"{i} (national)" if i in NATIONAL_INSTRUMENTS else str(i) for i in rows["instrument"]
    ]
    width = max(len(str(i)) for i in rows["instrument"])

    def per(v: float, lo: float, hi: float) -> str:
        if not math.isfinite(v):
            return "n/a"
        return f"{v / 1e8:,.3g} [{lo / 1e8:,.3g}, {hi / 1e8:,.3g}]"

    lines = [
        "extra industrial VA (first programme year to horizon) per yuan of fiscal cost, with "
        "90% intervals:",
        f"  {'instrument':<{width}}  {'fiscal cost':>11}  {'VA per yuan':<24} "
        f"{'marginal VA per yuan':<24} deadweight",
    ]
    for r in rows.itertuples(index=False):
        dead = "" if not math.isfinite(r.deadweight_share) else f"{100 * r.deadweight_share:.0f}%"
        lines.append(
            f"  {r.instrument!s:<{width}}  {money(r.fiscal_cost):>11}  "
            f"{per(r.per_100m_yuan, r.per_100m_low, r.per_100m_high):<24} "
            f"{per(r.marginal_per_100m, r.marginal_low, r.marginal_high):<24} {dead}"
        )
    return lines


def compare_lines(table: pd.DataFrame) -> list[str]:
    """Per target, each scenario's P(met), median and band, and its paired difference.

    The difference from the reference is taken replicate by replicate; its band is the 90%
    band of that difference.
    """
    units = {t.name: t.units for t in TARGETS}
    width = max(len(str(s)) for s in table["scenario"])
    reference = str(table["reference"].iloc[0])
    lines = []
    for target in TARGETS:
        rows = table[table["target"] == target.name]
        lines.append(f"{ASKS[target.name]} by {target.year}:")
        for r in rows.itertuples(index=False):
            u = units[target.name]
            line = (
                f"  {r.scenario:<{width}}  P(met) {r.probability:.2f}  median {value(u, r.median)} "
                f"{band(u, r.p5, r.p95)}"
            )
            if r.scenario != reference:
                line += (
                    f"  vs {reference}: {difference(u, r.diff_median)} "
                    f"{band(u, r.diff_p5, r.diff_p95, diff=True)}"
                )
            lines.append(line)
    return lines


def frontier_lines(table: pd.DataFrame, summary: pd.DataFrame) -> list[str]:
    """Per target: P(met) at each scale of the money, and the smallest scale for 0.5 and 0.9."""
    lines = [
        "what would it take? P(target met in its year) as the programme's money is scaled "
        "(same rules; 90% intervals in frontier.csv):"
    ]
    by_target = summary.set_index("target")
    for target in TARGETS:
        rows = table[table["target"] == target.name].sort_values("scale")
        if rows.empty:
            continue
        cells = ", ".join(f"{r.scale:g}x {r.probability:.2f}" for r in rows.itertuples())
        lines.append(f"  {ASKS[target.name]} by {target.year}: {cells}")
        s = by_target.loc[target.name]
        year = rows[rows["scale"] == 1.0]["first_year_p50"]
        first = (
            f"; at 1x first likely (P >= 0.5) in {int(year.iloc[0])}"
            if len(year) and pd.notna(year.iloc[0])
            else ""
        )

        def reach(label: str) -> str:
            return label if label.startswith("not") else f"from {label}"

        lines.append(
            f"    P >= 0.5 {reach(str(s['scale_p50']))}, P >= 0.9 {reach(str(s['scale_p90']))}"
            f"{first}"
        )
    return lines


def optimise_lines(
    goal: Objective,
    result: OptimiseResult,
    allocation: pd.DataFrame,
    years: list[int],
    year_result: OptimiseResult | None,
) -> list[str]:
    """What ``mfgplan optimize`` found: objective, gain with intervals, notes, the shares."""
    lines: list[str] = []
    lo, hi = result.best_interval
    lines.append(f"objective: {goal.label} ({goal.units})")
    gain_of = "" if result.compared_on == "primary" else " in the tie-break"
    lines.append(
        f"scenario's allocation {result.start_mean:.4g}; optimised {result.best_mean:.4g} "
        f"[{lo:.4g}, {hi:.4g}]; gain{gain_of} {result.gain:.4g} [{result.gain_interval[0]:.4g}, "
        f"{result.gain_interval[1]:.4g}] ({result.evaluations} replicate runs)"
    )
    fin = result.finalists
    if "mean_secondary" in fin and fin["mean_secondary"].notna().any():
        start_row = fin[fin["is_start"]]
        best_row = fin[fin["is_best"]]
        if len(start_row) and len(best_row):
            what = "mean of min(value / threshold, 1)" if goal.targets else goal.units
            lines.append(
                f"tie-break ({what}): "
                f"scenario's allocation {float(start_row['mean_secondary'].iloc[0]):.4f}, "
                f"chosen {float(best_row['mean_secondary'].iloc[0]):.4f}"
            )
    for note in result.notes:
        lines.append(f"note: {note}")
    table = allocation[["instrument", "scenario_share", "optimised_share"]]
    lines.extend(table.to_string(index=False, float_format=lambda v: f"{v:.3f}").splitlines())
    indistinct = fin[fin["indistinguishable"]]
    lines.append(
        f"{len(indistinct)} of {len(fin)} finalists are statistically indistinguishable from the "
        "chosen one (finalists.csv)"
    )
    if year_result is not None:
        ylo, yhi = year_result.best_interval
        spread = ", ".join(f"{y}: {v:.0%}" for y, v in zip(years, year_result.best, strict=True))
        lines.append(
            f"spread over the years {spread}: {year_result.best_mean:.4g} [{ylo:.4g}, "
            f"{yhi:.4g}] against {year_result.start_mean:.4g} for the scenario's spread; gain "
            f"{year_result.gain:.4g} "
            f"[{year_result.gain_interval[0]:.4g}, {year_result.gain_interval[1]:.4g}]"
        )
    return lines
