"""``report.html``: a self-contained, bilingual page per run and per comparison.

One file a planner can mail or open offline: the charts are inline (PNG, base64), the style is
inline, nothing is fetched. What it says, in order: the question; the verdict per target (P(met)
in the target year with its 90% interval, the projected level, the first year the target is
likely met); the fan charts; the programme's effect and the use of each grant line's money;
the assumptions the answer rests on most (the programme's behavioural parameters and whether the
data moved them, and how much of the effect's spread comes from the parameters); the caveats.
The page is in Chinese, English or both (``lang``); numbers are in 亿元, %, percentage points.

The page carries its own Chinese font: the glyphs it uses, cut from Noto Sans CJK SC (the
charts' font, SIL Open Font License) with fontTools and inlined as WOFF (about 100 KB), so it
reads the same on a machine without any CJK font; a system CJK font is preferred where there is
one.

Pure functions: tables and chart files in, HTML text out (the workflows write the file).
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mfgplan.analysis.intervals import wilson_interval
from mfgplan.analysis.targets import TARGETS
from mfgplan.analysis.uncertainty import PROGRAMME_CHANNELS, UNMOVED
from mfgplan.report.style import cjk_font_path
from mfgplan.report.text import FEW_REPLICATES, band, difference, money, precision, value
from mfgplan.report.words import (
    CAVEATS,
    INDICATOR_NAMES,
    INSTRUMENT_NAMES,
    REPORT,
    TARGET_ASKS,
    Language,
    Words,
)

__all__ = [
    "CompareReport",
    "RunReport",
    "compare_report",
    "first_likely_year",
    "frontier_report",
    "run_report",
    "verdict",
]


@dataclass
class RunReport:
    """What the run report shows (tables as the run folder writes them, charts as PNG files)."""

    title: str
    scenario_file: str
    replicates: int
    seed: int
    version: str
    targets: pd.DataFrame
    effects: pd.DataFrame
    budget: pd.DataFrame
    uncertainty: pd.DataFrame | None = None
    #: the calibration file's parameter records (prior and posterior sd), None: no sample
    parameters: Sequence[Mapping] | None = None
    #: indicator -> its fan chart (PNG)
    charts: Mapping[str, Path] = field(default_factory=dict)
    warnings: Sequence[str] = ()


@dataclass
class CompareReport:
    """What the comparison report shows."""

    labels: Sequence[str]
    table: pd.DataFrame
    replicates: int
    seed: int
    version: str
    charts: Mapping[str, Path] = field(default_factory=dict)


def frontier_report(
    title: str,
    table: pd.DataFrame,
    summary: pd.DataFrame,
    chart: Path | None,
    *,
    seed: int,
    version: str,
    lang: Language = "both",
) -> str:
    """The frontier's ``report.html``: P(met) per target and scale, the smallest scales."""
    t = _Text(lang)
    scales = sorted(table["scale"].unique())
    rows = []
    for target, rows_t in table.groupby("target", sort=False):
        by_scale = rows_t.set_index("scale")
        s = summary[summary["target"] == target].iloc[0]
        cells = [t(TARGET_ASKS.get(str(target), Words(str(target), str(target))))]
        cells += [
            f"{by_scale.loc[x, 'probability']:.2f} [{by_scale.loc[x, 'p_low']:.2f}, "
            f"{by_scale.loc[x, 'p_high']:.2f}]"
            for x in scales
        ]
        cells.append(f"{s['scale_p50']} / {s['scale_p90']}")
        rows.append(cells)
    header = [t(REPORT["target"]), *(f"{x:g}x" for x in scales), t(REPORT["smallest"])]
    n = int(table["replicates"].iloc[0])
    body = _table(header, rows) + _warnings(n, (), t)
    if chart is not None and chart.is_file():
        body += _images({"frontier": chart}, t)
    sections = [
        _section(t(REPORT["frontier"]), body),
        _section(t(REPORT["caveats"]), _caveats(t)),
    ]
    facts = [
        (t(REPORT["replicates"]), str(n)),
        (t(REPORT["seed"]), str(seed)),
        (t(REPORT["model"]), f"mfgplan {version}"),
    ]
    return _page(f"{html.escape(title)}: {t(REPORT['frontier'])}", facts, sections, lang)


def first_likely_year(targets: pd.DataFrame, target: str, level: float = 0.5) -> int | None:
    """The first year in which P(met) >= ``level`` (None: not within the horizon)."""
    rows = targets[(targets["target"] == target) & (targets["probability"] >= level)]
    return int(rows["year"].min()) if len(rows) else None


def verdict(probability: float, low: float, high: float) -> str:
    """A word for P(met) and its interval: likely, about even, unlikely, will be missed.

    ``likely`` when even the interval's low end is at least 0.5; ``will be missed`` when its
    high end is below 0.1; ``unlikely`` when the high end is below 0.5; else ``even``.
    """
    if low >= 0.5:
        return "likely"
    if high < 0.1:
        return "missed"
    if high < 0.5:
        return "unlikely"
    return "even" if probability < 0.9 else "likely"


def run_report(report: RunReport, lang: Language = "both") -> str:
    """The run's ``report.html`` (see the module doc)."""
    t = _Text(lang)
    horizon = int(report.targets["year"].max())
    rows = []
    for target in TARGETS:
        sel = report.targets[
            (report.targets["target"] == target.name) & (report.targets["year"] == target.year)
        ]
        if sel.empty:
            continue
        r = sel.iloc[0]
        n = int(r["replicates"])
        p = float(r["probability"])
        lo, hi = wilson_interval(p, n, 0.9)
        first = first_likely_year(report.targets, target.name)
        word = verdict(p, lo, hi)
        rows.append(
            [
                t(TARGET_ASKS[target.name]) + f" ({target.year})",
                f"{p:.2f} [{lo:.2f}, {hi:.2f}]",
                f"{value(target.units, r['median'])} {band(target.units, r['p5'], r['p95'])}",
                str(first) if first else t(REPORT["not_by"]).format(horizon),
                f'<b class="{word}">{t(REPORT[word])}</b>',
            ]
        )
    verdict_table = _table(
        [t(REPORT[k]) for k in ("target", "p_met", "level", "first_year", "reading")], rows
    )
    effect_rows = [
        [
            t(INDICATOR_NAMES[e.indicator]),
            f"{difference(e.units, e.median)} {band(e.units, e.p5, e.p95, diff=True)}",
        ]
        for e in report.effects.itertuples(index=False)
    ]
    budget = report.budget[report.budget["allocated"] > 0]
    budget_rows = [
        [
            t(INSTRUMENT_NAMES.get(b.instrument, Words(b.instrument, b.instrument))),
            money(b.allocated),
            money(b.committed),
            money(b.paid),
            f"{b.paid_share:.0%}",
        ]
        for b in budget.itertuples(index=False)
    ]
    total, paid = float(budget["allocated"].sum()), float(budget["paid"].sum())
    budget_rows.append(
        [f"<b>{t(REPORT['all_lines'])}</b>", money(total), "", money(paid), f"{paid / total:.0%}"]
        if total > 0
        else [t(REPORT["all_lines"]), money(0.0), "", money(0.0), "-"]
    )
    sections = [
        _section(t(REPORT["question"]), f"<p>{t(REPORT['question_text'])}</p>"),
        _section(
            t(REPORT["verdict"]), verdict_table + _warnings(report.replicates, report.warnings, t)
        ),
        _section(t(REPORT["charts"]), _images(report.charts, t)),
        _section(
            t(REPORT["effect"]),
            f"<p>{t(REPORT['effect_note'])}</p>"
            + _table([t(REPORT["indicator"]), t(REPORT["effect_col"])], effect_rows)
            + f"<h3>{t(REPORT['budget'])}</h3>"
            + _table(
                [
                    t(REPORT[k])
                    for k in ("instrument", "allocated", "committed", "paid", "paid_share")
                ],
                budget_rows,
            ),
        ),
        _section(t(REPORT["assumptions"]), _assumptions(report, t)),
        _section(
            t(REPORT["caveats"]), "<ul>" + "".join(f"<li>{t(c)}</li>" for c in CAVEATS) + "</ul>"
        ),
    ]
    facts = [
        (t(REPORT["scenario_file"]), report.scenario_file),
        (t(REPORT["replicates"]), str(report.replicates)),
        (t(REPORT["seed"]), str(report.seed)),
        (t(REPORT["model"]), f"mfgplan {report.version}"),
    ]
    return _page(f"{html.escape(report.title)}: {t(REPORT['report'])}", facts, sections, lang)


def compare_report(report: CompareReport, lang: Language = "both") -> str:
    """The comparison's ``report.html``: per target and scenario, P(met) and the difference."""
    t = _Text(lang)
    units = {x.name: x.units for x in TARGETS}
    rows = []
    for r in report.table.itertuples(index=False):
        u = units[r.target]
        lo, hi = wilson_interval(float(r.probability), report.replicates, 0.9)
        reference = r.scenario == r.reference
        rows.append(
            [
                t(TARGET_ASKS[r.target]) + f" ({r.year})",
                html.escape(str(r.scenario)),
                f"{r.probability:.2f} [{lo:.2f}, {hi:.2f}]",
                f"{value(u, r.median)} {band(u, r.p5, r.p95)}",
                "-"
                if reference
                else f"{difference(u, r.diff_median)} {band(u, r.diff_p5, r.diff_p95, diff=True)}",
            ]
        )
    table = _table([t(REPORT[k]) for k in ("target", "scenario", "p_met", "level", "diff")], rows)
    sections = [
        _section(t(REPORT["compare"]), table + _warnings(report.replicates, (), t)),
        _section(t(REPORT["charts"]), _images(report.charts, t)),
        _section(
            t(REPORT["caveats"]), "<ul>" + "".join(f"<li>{t(c)}</li>" for c in CAVEATS) + "</ul>"
        ),
    ]
    facts = [
        (t(REPORT["scenario"]), ", ".join(html.escape(x) for x in report.labels)),
        (t(REPORT["replicates"]), str(report.replicates)),
        (t(REPORT["seed"]), str(report.seed)),
        (t(REPORT["model"]), f"mfgplan {report.version}"),
    ]
    return _page(t(REPORT["compare"]), facts, sections, lang)


# -- pieces ----------------------------------------------------------------------------------


class _Text:
    """Words in the page's language (both: Chinese, then English in grey)."""

    def __init__(self, lang: Language) -> None:
        self.lang = lang

    def __call__(self, words: Words) -> str:
        if self.lang == "both" and words.zh != words.en:
            return f'{html.escape(words.zh)} <span class="en">{html.escape(words.en)}</span>'
        return html.escape(words.say(self.lang))


def _caveats(t: _Text) -> str:
    return "<ul>" + "".join(f"<li>{t(c)}</li>" for c in CAVEATS) + "</ul>"


def _assumptions(report: RunReport, t: _Text) -> str:
    parts = []
    if report.uncertainty is not None and len(report.uncertainty):
        u = report.uncertainty
        year = 2020 if (u["year"] == 2020).any() else int(u["year"].max())
        rows = u[(u["year"] == year) & (u["quantity"] == "programme_effect")]
        shares = [
            f"{t(INDICATOR_NAMES[r.indicator])} {r.parameter_share:.0%}"
            for r in rows.itertuples(index=False)
            if r.indicator in ("manufacturing_va", "sei_share", "hightech_share", "cnc_rate")
            and pd.notna(r.parameter_share)
        ]
        parts.append(f"<p>{t(REPORT['share_note'])}{'; '.join(shares)}.</p>")
    if report.parameters is None:
        parts.append(f"<p>{t(REPORT['no_sample'])}</p>")
        return "".join(parts)
    records = {p["name"]: p for p in report.parameters}
    rows = []
    for name in PROGRAMME_CHANNELS:
        p = records.get(name)
        if p is None or not p.get("prior_sd"):
            continue
        ratio = float(p["posterior_sd"]) / float(p["prior_sd"])
        moved = ratio < UNMOVED
        rows.append(
            [
                f"<code>{html.escape(name)}</code>",
                html.escape(str(p.get("prior", {}).get("source", ""))),
                f"{ratio:.2f}",
                t(REPORT["yes"]) if moved else f'<b class="missed">{t(REPORT["no"])}</b>',
            ]
        )
    parts.append(_table([t(REPORT[k]) for k in ("parameter", "source", "sd_ratio", "moved")], rows))
    return "".join(parts)


def _warnings(replicates: int, warnings: Sequence[str], t: _Text) -> str:
    notes = [html.escape(w) for w in warnings]
    if replicates < FEW_REPLICATES:
        half = precision(replicates)
        notes.append(
            t(
                Words(
                    f"仅{replicates}次重复模拟：概率误差约±{half:.2f}，区间粗略；决策前请用200次以上。",
                    f"only {replicates} replicates: a probability is known to about +-{half:.2f} "
                    "and the bands are rough; use 200 or more before deciding anything.",
                )
            )
        )
    return "".join(f'<p class="warning">{n}</p>' for n in notes)


def _images(charts: Mapping[str, Path], t: _Text) -> str:
    out = []
    for name, path in charts.items():
        data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        alt = t(INDICATOR_NAMES.get(name, Words(name, name)))
        out.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'
            f"<figcaption>{alt}</figcaption></figure>"
        )
    return "".join(out)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(title: str, body: str) -> str:
    return f"<section><h2>{title}</h2>{body}</section>"


_STYLE = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei","mfgplan CJK",sans-serif;
max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.5}
h1{font-size:1.6em;border-bottom:2px solid #1f77b4}h2{font-size:1.25em;color:#1f4e79;
margin-top:1.6em}.en{color:#666;font-size:.92em}table{border-collapse:collapse;margin:.6em 0;
font-size:.92em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#eef3f8}figure{display:inline-block;width:48%;margin:.5%;vertical-align:top}
img{width:100%}figcaption{font-size:.85em;color:#444}.likely{color:#2a7a2a}.even{color:#b36b00}
.unlikely{color:#c0392b}.missed{color:#8b0000}.warning{background:#fff4e0;padding:.4em .8em;
border-left:4px solid #e69500}dl{display:grid;grid-template-columns:max-content auto;
gap:.1em 1em;font-size:.9em}dt{color:#555}
"""


def _page(
    title: str, facts: Sequence[tuple[str, str]], sections: Sequence[str], lang: Language
) -> str:
    code = "en" if lang == "en" else "zh-CN"
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    body = (
        f"<body><h1>{title}</h1><dl>{dl}</dl>{''.join(sections)}"
        '<footer><p class="en">mfgplan: model/ODD.md, calibration/METHOD.md, '
        "calibration/VALIDATION.md, outputs/README.md</p></footer></body></html>\n"
    )
    head_title = html.escape(_plain(title))
    font = _font_face(_plain(body) + head_title)
    return (
        f'<!DOCTYPE html>\n<html lang="{code}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{head_title}</title><style>{font}{_STYLE}</style></head>{body}"
    )


def _font_face(text: str) -> str:
    """An ``@font-face`` rule with the CJK glyphs of ``text`` (empty when there are none)."""
    from fontTools import subset

    wanted = sorted({ord(c) for c in text if ord(c) > 0x2000})
    if not wanted:
        return ""
    options = subset.Options()
    options.flavor = "woff"
    options.notdef_outline = True
    font = subset.load_font(io.BytesIO(cjk_font_path().read_bytes()), options)
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=wanted)
    cutter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    font.close()
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        '@font-face{font-family:"mfgplan CJK";'
        f'src:url(data:font/woff;base64,{data}) format("woff")}}'
    )


def _plain(text: str) -> str:
    """``text`` without its markup (for the window title)."""
    return re.sub(r"<[^>]+>", "", text)
