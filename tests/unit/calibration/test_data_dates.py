"""No figure or note in the calibration data is dated after the base year 2015.

The model may only see statistics up to its base year. These tests read every file under
``calibration/data/`` (the CSV tables and the markdown notes; any other kind of file there
fails) and the metadata of every ``calibration/params/*.json``, and fail on anything dated
after 2015.

The rule
--------
A *later year* is a year 2016-2030 written as a whole number: ``2016``, ``end-2016``,
``2016年``, ``2021-09-13``, ``201603``, ``20160301``. Digits inside a longer number (an id
such as 8202775618) and a number with decimals (2021.5亿元) are not years.

1. **Observation years.** Every row's ``year`` is at most 2015, with one documented exception:
   the SEI level anchor (row ``sei_share``, 2016, ``kind = level_anchor``; ``SOURCES.md``
   A10), which is also the only ``level_anchor`` row. A parameter file's data rows and moment
   years are at most its as-of year, which is at most 2015.
2. **Text.** No later year may appear in a text field of a row (every column but ``year`` and
   ``value``), a block of the markdown notes (a paragraph, a list item, a table row) or a
   string of a parameter file's metadata, whatever it dates: an observation ("the 2016
   share"), a publication or statement ("reported in 2016 as 29.9%", "as implied by a 2021
   press conference"), a vintage. Not read as dates:

   - a URL (``scheme://…``, ``www.…``, ``host.tld/path``): its path is a page's address (a
     news site files a page under /2021/0709/), not the date of the figure; what the page
     says about the figure is in ``definition``, which is checked;
   - the plan's target years 2020 and 2025 as targets: in a clause (text between
     ``, ; ( ) |`` or a sentence end) that says ``target``, ``目标`` or ``indicator table``,
     or in the title "Made in China 2025". Only these two years, and only in such a clause:
     "the rate in 2020 was 50%" is a date, and any other later year is a date wherever it is;
   - the exact words listed in :data:`ANCHOR_TEXT` and :data:`PUBLISHED_LATER`, each by file,
     row (``indicator year vintage``) or markdown block, and field. :data:`ANCHOR_TEXT` is
     the SEI anchor's own description, the documented exception. :data:`PUBLISHED_LATER` are
     the publication dates of figures *for* 2012-2015 read from later publications (the
     figure's year is in range; the text says it is a later vintage), kept as provenance.

   A parameter file's metadata is read without what is not about the data (:data:`NOT_DATA`):
   when and with which package versions it was made, hashes, the sample, and the literature a
   prior's range cites.

3. **Derivations.** A derived figure is as recent as the numbers it is computed from, and
   those numbers need not carry a year ("derived: 29.44 - 4.34 (Jan-Nov 2015)"). Every number
   in a row's text after the word ``derived`` must therefore be a figure of the data for a year
   up to 2015 (a row's ``value``), a stated change (``+0.6 pp``) or a year; only the SEI
   anchor's operand (the H1 2017 share) is exempt.

An exception that no longer matches its text fails too, so the lists stay exact.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mfgplan import paths

BASE_YEAR = 2015
DATA = paths.CALIBRATION / "data"
PARAMS = paths.CALIBRATION / "params"

#: a year 2016-2030 as a whole number, optionally followed by month (and day) digits
LATER_YEAR = re.compile(
    r"(?<![\d.])(20(?:1[6-9]|2\d|30))(?:(?:0[1-9]|1[0-2])(?:[0-3]\d)?)?(?!\d|\.\d)"
)
URL = re.compile(
    r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)[^\s;,)（）]+|\b(?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s;,)（）]*",
    re.IGNORECASE,
)
#: clauses: text between , ; ( ) | line ends and sentence ends
CLAUSE = re.compile(r"[,;()（）|\n]|\.(?=\s|$)")
TARGET_YEARS = frozenset({2020, 2025})
TARGET_WORDS = re.compile(r"target|目标|indicator table", re.IGNORECASE)
TITLES = ("Made in China 2025", "中国制造2025")
STATED_CHANGE = re.compile(
    r"(?<![\w.])[+\-−]\s?\d+(?:\.\d+)?\s*(?:pp\b|percentage points?|个百分点)"
)
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")

#: the documented exception: the SEI level anchor (the end-2016 share derived from the H1 2017
#: figure, the first national-definition SEI figure; used only as the 2015 level, SOURCES.md
#: A10), by row or markdown block and field, with the exact words allowed there
SEI_ANCHOR = ("jiangxi_history.csv", "sei_share 2016 first")
ANCHOR_TEXT: dict[tuple[str, str, str], tuple[str, ...]] = {
    (*SEI_ANCHOR, "definition"): ("H1 2017 share 15.5", "in H1 2017 versus end of 2016"),
    ("SOURCES.md", "sei_share", "text"): ("2016 (derived)",),
    ("SOURCES.md", "Rows not used", "text"): ("the H1 2017 SEI share", "the annual 2016 anchor"),
    ("SOURCES.md", "A10", "text"): ("the derived end-2016 14.9%",),
}
#: the anchor's derivation starts from the H1 2017 share, which is not a row of the data
ANCHOR_OPERANDS = (15.5,)

#: figures for 2012-2015 read from sources published after 2015, the publication date (or the
#: later census the vintage precedes) written beside them: the figure's year is in range and
#: the text says it is a later vintage. Provenance, as in the project's shared copy of the
#: data; listed one by one so that no new one passes unseen.
PUBLISHED_LATER: dict[tuple[str, str, str], tuple[str, ...]] = {
    ("jiangxi_history.csv", "gdp 2012 first", "definition"): ("pre-2018-census revision",),
    ("jiangxi_history.csv", "gdp 2012 first", "source"): ("lightweightGIS, 2018-10-19",),
    ("jiangxi_history.csv", "gdp 2013 first", "definition"): ("pre-2018-census vintage",),
    ("jiangxi_history.csv", "gdp 2014 first", "definition"): ("pre-2018-census vintage",),
    ("jiangxi_history.csv", "gdp 2015 first", "definition"): ("as released Jan 2016",),
    ("jiangxi_history.csv", "industrial_va_national 2012 first", "source"): ("Xinhua 2021-09-13",),
    ("jiangxi_history.csv", "industrial_va_national 2015 first", "source"): (
        "经济日报-中国经济网 2021-03-01",
    ),
    ("jiangxi_history.csv", "cnc_rate_national 2012 first", "source"): ("Xinhua 2021-09-13",),
    ("jiangxi_history.csv", "manufacturing_va_national 2012 first", "definition"): (
        "SCIO press conference 2021-09-13",
    ),
    ("jiangxi_history.csv", "manufacturing_va_national 2012 first", "source"): (
        "Xinhua 2021-09-13 reprint",
        "Xinhua 2022-07-26",
    ),
}
ALLOWED = {**ANCHOR_TEXT, **PUBLISHED_LATER}

#: parameter-file metadata that is not about the data: when and with what the file was made,
#: hashes, the sample's numbers, and the literature a prior's range cites (a paper's year is
#: when it was published, not the date of a statistic; the priors are assumptions, ODD 7.9)
NOT_DATA = re.compile(
    r"^(provenance\.(created|git_commit|versions\..+)|data_sha256|sample\..+"
    r"|parameters\[\d+\]\.prior\.source)$"
)


# -- the rule -------------------------------------------------------------------------------


def later_dates(text: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """The clauses of ``text`` that name a later year as a date (rule 2)."""
    for phrase in allowed:
        text = text.replace(phrase, " ")
    text = URL.sub(" ", text)
    for title in TITLES:
        text = text.replace(title, " ")
    found = []
    for clause in CLAUSE.split(text):
        for match in LATER_YEAR.finditer(clause):
            if int(match.group(1)) in TARGET_YEARS and TARGET_WORDS.search(clause):
                continue
            found.append(f"{match.group(0)} in {clause.strip()!r}")
    return found


def derivation_operands(text: str) -> list[float]:
    """The numbers a derivation in ``text`` is computed from, stated changes and years aside."""
    start = text.lower().find("derived")
    if start < 0:
        return []
    rest = URL.sub(" ", STATED_CHANGE.sub(" ", text[start:]))
    numbers = [m.group(0) for m in NUMBER.finditer(rest)]
    return [float(n) for n in numbers if not (n.isdigit() and 1990 <= int(n) <= 2030)]


class Findings:
    """Problems found, and which allowed words were used (an unused one is a problem too)."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.seen: set[tuple[str, str, str]] = set()

    def text(self, file: str, where: str, key: str, field: str, value: str) -> None:
        allowed = ALLOWED.get((file, key, field), ())
        if allowed:
            self.seen.add((file, key, field))
        for phrase in allowed:
            if phrase not in value:
                self.problems.append(f"{where}: {field}: listed words {phrase!r} not found")
        for hit in later_dates(value, allowed):
            self.problems.append(f"{where}: {field}: later year {hit}")

    def unused(self, file: str) -> list[str]:
        return [
            f"{file}: {key}: {field}: listed exception matches no row or block"
            for (f, key, field) in ALLOWED
            if f == file and (f, key, field) not in self.seen
        ]


# -- reading the files ----------------------------------------------------------------------


def csv_rows(path: Path) -> Iterator[tuple[int, str, dict[str, str]]]:
    """``(line, key, row)`` per row; the key is ``indicator year vintage``."""
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            key = f"{row.get('indicator', '')} {row.get('year', '')} {row.get('vintage', '')}"
            yield line, key.strip(), row


def markdown_blocks(text: str) -> list[tuple[str, str]]:
    """``(label, text)`` per paragraph, list item, table row and heading.

    The label is a table row's first cell, a list item's bold label (``**A10**``) or the first
    three words, without punctuation; lines of a block are joined with spaces.
    """
    blocks: list[list[str]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            blocks.append([])
            continue
        is_row = stripped.startswith("|")
        if is_row and set(stripped) <= set("|-: "):
            continue  # a table's separator row
        if is_row or stripped.startswith(("#", "- ", "* ")) or not blocks or not blocks[-1]:
            blocks.append([stripped])
            if is_row or stripped.startswith("#"):
                blocks.append([])
        else:
            blocks[-1].append(stripped)
    out = []
    for lines in blocks:
        if not lines:
            continue
        block = " ".join(lines)
        if block.startswith("|"):
            label = block.strip("|").split("|")[0]
        elif bold := re.match(r"[-*]\s+\*\*([^*]+)\*\*", block):
            label = bold.group(1)
        else:
            label = " ".join(block.lstrip("#-* ").split()[:3])
        out.append((label.strip(" `:.,;"), block))
    return out


def metadata_strings(node: object, path: str = "") -> Iterator[tuple[str, str]]:
    """``(path, text)`` of every string in a parameter file's metadata."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from metadata_strings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from metadata_strings(value, f"{path}[{i}]")
    elif isinstance(node, str) and not NOT_DATA.match(path):
        yield path, node


def data_files(ext: str) -> list[Path]:
    return sorted(DATA.rglob(f"*.{ext}"))


def param_files() -> list[Path]:
    return sorted(PARAMS.glob("*.json"))


# -- the rule itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Jan-Nov 2015 share reported in 2016 as 29.9%",
        "derived: 13710 - 4484 (end-2015 count as implied by 2021 press conference)",
        "as released Jan 2016",
        "Xinhua 2021-09-13 (pages corpus, no URL)",
        "2017年上半年占比15.5%",
        "bulletin 20160229",
        "the rate in 2020 was 50%",  # a target year, but not as a target
        "2016 target 15%",  # not a target year of the plan
        "Made in China 2025 review, 2017",
    ],
)
def test_the_rule_catches_later_dates(text):
    assert later_dates(text)


@pytest.mark.parametrize(
    "text",
    [
        "http://www.csjrw.cn/2021/0709/179099.shtml",
        "reprint at www.example.cn/2017/a.htm; 'nearly 6800' as of Nov 2012",
        "daily.cnnb.com.cn/nbrb/html/2022-07/27/content_1328048.htm",
        "2013 and 2015 are the baseline columns of the table, 2020/2025 its targets",
        "State Council, Made in China 2025 (国发〔2015〕28号), indicator table 2020/2025",
        "national target for 2015; 2020 target 15%",
        "index id 8202775618; revenue 2021.5亿元",
        "derived: Jan-Nov 2013 share 24.2% minus stated +0.6 pp",
    ],
)
def test_the_rule_leaves_urls_targets_and_ids(text):
    assert later_dates(text) == []


def test_derivation_operands():
    assert derivation_operands("derived: 29.44 - 4.34 (Jan-Nov 2015)") == [29.44, 4.34]
    assert derivation_operands("derived: 2007 share 21.1% minus stated +1 pp") == [21.1]
    assert derivation_operands("derived from a later statement of the end-2015 count") == []
    assert derivation_operands("'nearly 6800' as of Nov 2012") == []


# -- the data -------------------------------------------------------------------------------


def test_the_data_folder_holds_only_csv_and_markdown():
    others = [p for p in DATA.rglob("*") if p.is_file() and p.suffix not in (".csv", ".md")]
    assert others == [], f"files the date check does not read: {others}"
    assert data_files("csv") and data_files("md")


@pytest.mark.parametrize("path", data_files("csv"), ids=lambda p: p.name)
def test_no_observation_after_the_base_year(path):
    problems = []
    keys = []
    for line, key, row in csv_rows(path):
        keys.append(key)
        where = f"{path.name}:{line} ({key})"
        anchor = (path.name, key) == SEI_ANCHOR
        if anchor and (row.get("year") != "2016" or row.get("kind") != "level_anchor"):
            problems.append(f"{where}: the SEI anchor must be the 2016 level_anchor row")
        if row.get("kind") == "level_anchor" and not anchor:
            problems.append(f"{where}: kind: level_anchor, but the only anchor is {SEI_ANCHOR}")
        if int(row["year"]) > BASE_YEAR and not anchor:
            problems.append(f"{where}: year {row['year']} is after the base year {BASE_YEAR}")
    assert len(keys) == len(set(keys)), "rows are not told apart by indicator, year, vintage"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", data_files("csv"), ids=lambda p: p.name)
def test_no_later_date_in_the_rows(path):
    findings = Findings()
    for line, key, row in csv_rows(path):
        for field, value in row.items():
            if field not in ("year", "value"):
                findings.text(path.name, f"{path.name}:{line} ({key})", key, field, value or "")
    problems = findings.problems + findings.unused(path.name)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", data_files("csv"), ids=lambda p: p.name)
def test_derivations_use_only_figures_up_to_the_base_year(path):
    rows = list(csv_rows(path))
    figures = {round(float(r["value"]), 6) for _, _, r in rows if int(r["year"]) <= BASE_YEAR}
    problems = []
    for line, key, row in rows:
        exempt = ANCHOR_OPERANDS if (path.name, key) == SEI_ANCHOR else ()
        for field, value in row.items():
            if field in ("year", "value"):
                continue
            for number in derivation_operands(value or ""):
                if round(number, 6) not in figures and number not in exempt:
                    problems.append(
                        f"{path.name}:{line} ({key}): {field}: derived from {number:g}, which"
                        f" is not a figure of the data up to {BASE_YEAR}"
                    )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", data_files("md"), ids=lambda p: p.name)
def test_no_later_date_in_the_notes(path):
    findings = Findings()
    for label, block in markdown_blocks(path.read_text(encoding="utf-8")):
        findings.text(path.name, f"{path.name} ({label})", label, "text", block)
    problems = findings.problems + findings.unused(path.name)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", param_files(), ids=lambda p: p.name)
def test_parameter_files_see_nothing_after_the_base_year(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    as_of = int(doc["as_of"])
    assert as_of <= BASE_YEAR
    problems = [
        f"{path.name}: data[{i}] ({row['indicator']}): year {row['year']} > as-of {as_of}"
        for i, row in enumerate(doc["data"])
        if int(row["year"]) > as_of
    ]
    problems += [
        f"{path.name}: moments[{i}] ({m['name']}): years {m['years']} after as-of {as_of}"
        for i, m in enumerate(doc["moments"])
        if max(m["years"], default=as_of) > as_of
    ]
    # the evidence sections cite published research on Chinese firms (allowed evidence, not the
    # statistics of later years the projections are judged on): its years are the papers'
    published_research = {"sample", "evidence_moments", "evidence_left_out"}
    kept = {k: v for k, v in doc.items() if k not in published_research}
    for where, text in metadata_strings(kept):
        problems += [f"{path.name}: {where}: later year {hit}" for hit in later_dates(text)]
    assert not problems, "\n".join(problems)
