"""Observed statistics for back-testing: reading, validating and converting to SI units.

An observation is one published figure of a model indicator for one year, converted to the
model's SI-like units (yuan, fraction, count). Two sources are supported:

- :func:`read_observed`: a user CSV with at least the columns ``indicator, year, value, unit``
  (optional ``period``, ``source``, ``kind``; other columns are ignored);
- :func:`shipped_observations`: the rows of the shipped history
  (``calibration/data/jiangxi_history.csv``) after an as-of year.

Partial-year figures (``period`` such as ``Jan-Nov`` or ``H1``) are kept and flagged
``approximate``: they stand for the year's value only approximately (assumption A4 in
``calibration/data/SOURCES.md``). Figures that reach a model indicator through :data:`ALIASES`
(the national key-process CNC rate standing for the province's) are flagged ``proxy``.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from pathlib import Path

import pandas as pd

from mfgplan.calibration import series as _series
from mfgplan.files import InputFileError, read_bounded

__all__ = [
    "ALIASES",
    "COLUMNS",
    "INDICATORS",
    "SHARES",
    "UNITS",
    "ObservedError",
    "observations_after",
    "read_observed",
    "shipped_observations",
]

#: accepted indicator id -> SI unit kind of its values
INDICATORS: dict[str, str] = {
    "manufacturing_va": "yuan",
    "industrial_va": "yuan",
    "industrial_va_growth": "fraction",
    "sei_share": "fraction",
    "hightech_share": "fraction",
    "cnc_rate": "fraction",
    "rd_intensity": "fraction",
    "enterprise_count": "count",
}

#: other ids accepted for a model indicator; such rows are flagged ``proxy``. The shipped data
#: has only the national key-process CNC rate, which stands for the province's.
ALIASES: dict[str, str] = {"cnc_rate_national": "cnc_rate"}

#: indicators that are shares: ``0 <= value_si <= 1``
SHARES: frozenset[str] = frozenset({"sei_share", "hightech_share", "cnc_rate", "rd_intensity"})

#: unit as written -> (factor to SI, SI unit): the history's units plus ``billion yuan``
UNITS: dict[str, tuple[float, str]] = {**_series.UNITS, "billion yuan": (1e9, "yuan")}

REQUIRED = ("indicator", "year", "value", "unit")

#: columns of the frames returned by :func:`read_observed` and :func:`shipped_observations`
COLUMNS = (
    "indicator",
    "year",
    "value_si",
    "unit_si",
    "period",
    "approximate",
    "proxy",
    "source",
    "line",
)

YEAR_RANGE = (1990, 2100)
FULL_YEAR = "year"

_INTEGER = re.compile(r"[+-]?[0-9]+")


#: largest observations file read [bytes]
MAX_BYTES = 16 << 20


class ObservedError(ValueError):
    """A problem in an observations file.

    The message is one line: ``"{path}:{line}: {column}: {problem}"`` for a problem in a data
    row (``line`` is the CSV line number, the header being line 1), or ``"{path}: {problem}"``
    for a problem with the whole file.
    """


def _canonical(name: str) -> tuple[str, bool] | None:
    """``(model indicator, came through an alias)`` or ``None`` if ``name`` is unknown."""
    if name in INDICATORS:
        return name, False
    if name in ALIASES:
        return ALIASES[name], True
    return None


def _unknown_indicator(name: str) -> str:
    known = [*INDICATORS, *ALIASES]
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"
    return f"unknown indicator {name!r} ({hint})"


def _check_value(indicator: str, value_si: float) -> str | None:
    """The problem with an SI value of ``indicator``, or ``None`` if it is possible."""
    if indicator == "industrial_va_growth":
        if value_si <= -1.0:
            return f"growth {value_si:g} is -100% or less (impossible)"
        return None
    if value_si < 0:
        return f"negative value {value_si:g} (must be >= 0)"
    if indicator in SHARES and value_si > 1.0:
        return f"share {value_si:g} after conversion is above 1"
    return None


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: [] for c in COLUMNS})
    return frame.astype(
        {
            "year": int,
            "value_si": float,
            "approximate": bool,
            "proxy": bool,
            "line": int,
        }
    )


def _frame(records: list[dict[str, object]]) -> pd.DataFrame:
    if not records:
        return _empty()
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    return frame.astype({"year": int, "value_si": float, "approximate": bool, "proxy": bool})


def read_observed(path: Path | str) -> pd.DataFrame:
    """Read and validate a CSV of observed statistics.

    Parameters
    ----------
    path
        UTF-8 CSV (a byte-order mark is allowed) with the columns ``indicator`` (an id of
        :data:`INDICATORS` or :data:`ALIASES`), ``year`` (integer, 1990-2100), ``value`` and
        ``unit`` (a key of :data:`UNITS`, case-sensitive, surrounding whitespace ignored).
        Optional: ``period`` (blank or ``year`` for the full year; any other label, e.g.
        ``Jan-Nov``, ``H1``, ``Q1-Q3``, is a partial-year figure and is kept as written),
        ``source``, ``kind``; other columns are ignored. Blank lines are skipped.

    Returns
    -------
    pandas.DataFrame
        One row per data row, columns :data:`COLUMNS`: ``indicator`` (canonical id), ``year``,
        ``value_si`` (``value x factor`` in ``unit_si``: yuan, fraction or count), ``unit_si``,
        ``period`` (``"year"`` for the full year), ``approximate`` (a partial-year figure),
        ``proxy`` (the id was an alias), ``source`` (``""`` if absent) and ``line``.

    Raises
    ------
    ObservedError
        Unreadable or non-UTF-8 file, missing required column, no data rows; per row: unknown
        indicator (with the closest known id), non-integer year or one outside 1990-2100,
        unknown unit (with the known ones), unit incompatible with the indicator (e.g. ``%``
        for a value added), non-numeric or non-finite value, impossible value (negative for
        all indicators but ``industrial_va_growth``, which must be above -100%; a share above
        1 after conversion), duplicate ``(indicator, year, period)``.
    """
    path = Path(path)
    try:
        text = read_bounded(path, MAX_BYTES).decode("utf-8-sig")
    except InputFileError as err:
        raise ObservedError(f"{path}: {err}") from None
    except UnicodeDecodeError as err:
        raise ObservedError(f"{path}: not UTF-8 (byte {err.start})") from None

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            raise ObservedError(f"{path}: empty file (no header, no data rows)")
        header_line = reader.line_num
        columns = [c.strip() for c in header]
        duplicated = sorted({c for c in columns if c and columns.count(c) > 1})
        if duplicated:
            raise ObservedError(f"{path}: duplicate column(s) {', '.join(duplicated)}")
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise ObservedError(f"{path}: missing column(s) {', '.join(missing)}")

        records: list[dict[str, object]] = []
        seen: dict[tuple[str, int, str], int] = {}
        previous_end = header_line
        for cells in reader:
            line = previous_end + 1  # a quoted field may span lines: report the first
            previous_end = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(columns):
                raise ObservedError(
                    f"{path}:{line}: row has {len(cells)} fields, the header {len(columns)}"
                )
            row = {c: cell.strip() for c, cell in zip(columns, cells, strict=True)}
            records.append(_parse_row(path, line, row, seen))
    except csv.Error as err:
        raise ObservedError(f"{path}:{reader.line_num}: not valid CSV ({err})") from None
    if not records:
        raise ObservedError(f"{path}: empty file (no data rows)")
    return _frame(records)


def _parse_row(
    path: Path, line: int, row: dict[str, str], seen: dict[tuple[str, int, str], int]
) -> dict[str, object]:
    """Validate one data row and convert it to an output record."""

    def fail(column: str, problem: str) -> ObservedError:
        return ObservedError(f"{path}:{line}: {column}: {problem}")

    name = row["indicator"]
    if not name:
        raise fail("indicator", "empty")
    canonical = _canonical(name)
    if canonical is None:
        raise fail("indicator", _unknown_indicator(name))
    indicator, proxy = canonical

    if not _INTEGER.fullmatch(row["year"]):
        raise fail("year", f"not a whole number ({row['year']!r})")
    year = int(row["year"])
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise fail("year", f"{year} outside {YEAR_RANGE[0]}-{YEAR_RANGE[1]}")

    unit = row["unit"]
    if unit not in UNITS:
        raise fail("unit", f"unknown unit {unit!r} (known: {', '.join(map(repr, UNITS))})")
    factor, unit_si = UNITS[unit]
    if unit_si != INDICATORS[indicator]:
        raise fail(
            "unit",
            f"{unit!r} ({unit_si}) is incompatible with {indicator} "
            f"(values in {INDICATORS[indicator]})",
        )

    try:
        value = float(row["value"])
    except ValueError:
        raise fail("value", f"not a number ({row['value']!r})") from None
    if not math.isfinite(value):
        raise fail("value", f"not finite ({row['value']!r})")
    value_si = value * factor
    problem = _check_value(indicator, value_si)
    if problem is not None:
        raise fail("value", problem)

    period = row.get("period", "") or FULL_YEAR
    key = (indicator, year, period)
    if key in seen:
        raise fail(
            "period",
            f"duplicate of line {seen[key]} (same indicator {indicator}, year {year}, "
            f"period {period})",
        )
    seen[key] = line

    return {
        "indicator": indicator,
        "year": year,
        "value_si": value_si,
        "unit_si": unit_si,
        "period": period,
        "approximate": period != FULL_YEAR,
        "proxy": proxy,
        "source": row.get("source", ""),
        "line": line,
    }


def shipped_observations(as_of: int) -> pd.DataFrame:
    """Observations in the shipped history after ``as_of``, in the format of :func:`read_observed`.

    Rows of ``calibration/data/jiangxi_history.csv`` (read with
    :func:`mfgplan.calibration.series.load_history`) whose year is after ``as_of`` and whose
    indicator is a model indicator, directly or through :data:`ALIASES`; other indicators of
    the file (GDP, secondary-industry value added, national comparators, ...) are skipped. Where an
    ``(indicator, year, period)`` has several vintages the ``first`` one is kept (the figure as
    first published, which a forecaster at the time would have been scored against).

    ``level_anchor`` rows (the 2016 SEI share) are excluded when ``as_of >= 2015``: the model
    then uses them as its starting level, so they are not out-of-sample. For an earlier as-of
    year they are ordinary observations.

    Parameters
    ----------
    as_of
        Last year of the information set; only later years are returned.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`; ``line`` is the line in the shipped file.
    """
    history = _series.load_history(as_of=9999)
    records: list[dict[str, object]] = []
    for _, row in history.iterrows():
        canonical = _canonical(str(row["indicator"]))
        year = int(row["year"])
        if canonical is None or year <= as_of:
            continue
        if row["kind"] == "level_anchor" and as_of >= 2015:
            continue
        indicator, proxy = canonical
        value_si = float(row["value_si"])
        problem = _check_value(indicator, value_si)
        if row["unit_si"] != INDICATORS[indicator]:
            problem = f"unit {row['unit']!r} is incompatible with {indicator}"
        if problem is not None:
            raise ObservedError(f"{_series.DATA_FILE}:{int(row['line'])}: value: {problem}")
        period = str(row["period"]) or FULL_YEAR
        records.append(
            {
                "indicator": indicator,
                "year": year,
                "value_si": value_si,
                "unit_si": INDICATORS[indicator],
                "period": period,
                "approximate": period != FULL_YEAR,
                "proxy": proxy,
                "source": str(row["source"]),
                "line": int(row["line"]),
                "_first": row["vintage"] == "first",
            }
        )
    if not records:
        return _empty()
    frame = pd.DataFrame.from_records(records)
    # one vintage per (indicator, year, period): "first" wins over any revision
    frame = frame.sort_values(["indicator", "year", "period", "_first", "line"])
    frame = frame.drop_duplicates(["indicator", "year", "period"], keep="last")
    frame = frame.sort_values("line").drop(columns="_first")
    return _frame(frame.to_dict("records"))


def observations_after(obs: pd.DataFrame, as_of: int) -> pd.DataFrame:
    """The rows of ``obs`` with ``year > as_of`` (the out-of-sample observations), re-indexed."""
    return obs[obs["year"] > as_of].reset_index(drop=True)
