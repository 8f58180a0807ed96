"""Loading and validating the historical statistics (``calibration/data/jiangxi_history.csv``).

Every figure is a *measurement* of an annual quantity: ``value_si`` converts it to SI-like units
(yuan, fraction, count) and ``sigma_si`` is its standard error, from the row's confidence and
whether it is a partial-year figure (assumptions A3-A4 in ``calibration/data/SOURCES.md``).
Rows after the as-of year are never returned, with one documented exception: a
``level_anchor`` row (the SEI share, whose first national-definition figure is for 2016) is used
only as the base-year level and only when the as-of year is the plan's base year 2015 or later.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mfgplan import paths

__all__ = ["DATA_FILE", "DataError", "load_history", "series"]

DATA_FILE = paths.DATA_FILE

REQUIRED = (
    "indicator",
    "label",
    "year",
    "value",
    "unit",
    "period",
    "scope",
    "definition",
    "source",
    "confidence",
    "vintage",
    "kind",
)

#: unit as written -> (factor to SI, SI unit)
UNITS: dict[str, tuple[float, str]] = {
    "100 million yuan": (1e8, "yuan"),
    "亿元": (1e8, "yuan"),
    "yuan": (1.0, "yuan"),
    "%": (0.01, "fraction"),
    "fraction": (1.0, "fraction"),
    "count": (1.0, "count"),
}

#: relative standard error by confidence (assumption A3)
RELATIVE_ERROR = {"high": 0.005, "medium": 0.02, "low": 0.05}
#: extra relative error of partial-year figures as measurements of the year (assumption A4)
PARTIAL_ERROR = {"year": 0.0, "Jan-Nov": 0.02, "Jan-Oct": 0.05, "H1": 0.10, "Q1": 0.15}

KINDS = ("data", "level_anchor")


class DataError(ValueError):
    """A problem in a data file: names the file, the row and the column."""


def load_history(path: Path | str | None = None, as_of: int = 2015) -> pd.DataFrame:
    """Read and validate the history up to ``as_of`` (inclusive).

    Returns the rows with added columns ``value_si``, ``unit_si``, ``sigma_si`` (standard error
    in SI units) and ``partial`` (a partial-year figure).
    """
    path = Path(path) if path is not None else DATA_FILE
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot read ({err})") from None
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
    records = []
    for i, row in raw.iterrows():
        line = int(i) + 2  # header is line 1
        try:
            year = int(row["year"])
        except ValueError:
            raise DataError(f"{path}:{line}: year: not a whole number ({row['year']!r})") from None
        kind = row["kind"]
        if kind not in KINDS:
            raise DataError(f"{path}:{line}: kind: must be one of {KINDS} (got {kind!r})")
        # the cut-off: nothing after the as-of year, except a level anchor at as_of >= 2015
        if year > as_of and not (kind == "level_anchor" and as_of >= 2015):
            continue
        try:
            value = float(row["value"])
        except ValueError:
            raise DataError(f"{path}:{line}: value: not a number ({row['value']!r})") from None
        if not np.isfinite(value):
            raise DataError(f"{path}:{line}: value: not finite")
        unit = row["unit"]
        if unit not in UNITS:
            raise DataError(f"{path}:{line}: unit: unknown unit {unit!r} (known: {list(UNITS)})")
        if row["confidence"] not in RELATIVE_ERROR:
            raise DataError(
                f"{path}:{line}: confidence: must be high, medium or low "
                f"(got {row['confidence']!r})"
            )
        if row["period"] not in PARTIAL_ERROR:
            raise DataError(f"{path}:{line}: period: unknown period {row['period']!r}")
        factor, unit_si = UNITS[unit]
        rel = np.hypot(RELATIVE_ERROR[row["confidence"]], PARTIAL_ERROR[row["period"]])
        record = dict(row)
        record.update(
            year=year,
            value=value,
            value_si=value * factor,
            unit_si=unit_si,
            sigma_si=abs(value * factor) * rel,
            partial=row["period"] != "year",
            line=line,
        )
        records.append(record)
    return pd.DataFrame.from_records(records)


def series(
    history: pd.DataFrame, indicator: str, *, annual_only: bool = False, vintage: str = "first"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(years, values_si, sigma_si)`` of one indicator, one row per year (one vintage).

    Partial-year rows stand for the year's value with their larger error unless
    ``annual_only``; a full-year row wins over a partial one for the same year.
    """
    rows = history[(history["indicator"] == indicator)]
    rows = rows[
        (rows["vintage"] == vintage) | ~rows["year"].isin(rows[rows["vintage"] == vintage]["year"])
    ]
    if annual_only:
        rows = rows[~rows["partial"]]
    rows = rows.sort_values(["year", "partial"]).drop_duplicates("year", keep="first")
    return (
        rows["year"].to_numpy(dtype=int),
        rows["value_si"].to_numpy(dtype=float),
        rows["sigma_si"].to_numpy(dtype=float),
    )
