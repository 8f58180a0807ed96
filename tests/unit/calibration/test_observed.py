"""Reading observed statistics: units, periods, aliases, errors and the shipped history."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfgplan.calibration import series
from mfgplan.calibration.observed import (
    COLUMNS,
    ObservedError,
    observations_after,
    read_observed,
    shipped_observations,
)

HEADER = "indicator,year,value,unit,period,source,note\n"

GOOD = (
    HEADER
    + "hightech_share,2016,25.5,%,year,bulletin,x\n"
    + "manufacturing_va,2016,1234.5,亿元,,yearbook,\n"
    + "industrial_va,2017, 5000 ,100 million yuan ,year,,\n"
    + "enterprise_count,2017,10000,count,year,,\n"
    + "hightech_share,2017,30.1,%,Jan-Nov,press,\n"
    + "cnc_rate_national,2016,0.36,fraction,year,MIIT,\n"
    + "industrial_va_growth,2016,-2.5,%,year,,\n"
    + "manufacturing_va,2017,1.5,billion yuan,Q1-Q3,,\n"
)


def write(tmp_path: Path, text: str, name: str = "obs.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_units_periods_and_aliases(tmp_path):
    obs = read_observed(write(tmp_path, GOOD))
    assert list(obs.columns) == list(COLUMNS)
    assert len(obs) == 8
    by = {(r.indicator, r.year, r.period): r for r in obs.itertuples()}

    r = by["hightech_share", 2016, "year"]
    assert r.value_si == pytest.approx(0.255)
    assert (r.unit_si, r.approximate, r.proxy, r.source, r.line) == (
        "fraction",
        False,
        False,
        "bulletin",
        2,
    )
    r = by["manufacturing_va", 2016, "year"]  # blank period = full year
    assert r.value_si == pytest.approx(1234.5e8)
    assert r.unit_si == "yuan"
    assert by["industrial_va", 2017, "year"].value_si == pytest.approx(5000e8)
    assert by["enterprise_count", 2017, "year"].value_si == 10000
    assert by["enterprise_count", 2017, "year"].unit_si == "count"

    r = by["hightech_share", 2017, "Jan-Nov"]
    assert r.approximate
    assert r.value_si == pytest.approx(0.301)
    assert r.line == 6

    r = by["cnc_rate", 2016, "year"]
    assert r.proxy
    assert not r.approximate
    assert r.value_si == pytest.approx(0.36)

    assert by["industrial_va_growth", 2016, "year"].value_si == pytest.approx(-0.025)
    r = by["manufacturing_va", 2017, "Q1-Q3"]
    assert r.value_si == pytest.approx(1.5e9)
    assert r.approximate
    assert obs["year"].dtype.kind == "i"
    assert obs["approximate"].dtype == bool


def test_blank_lines_keep_line_numbers(tmp_path):
    text = HEADER + "\n" + "rd_intensity,2016,1.1,%,year,,\n"
    obs = read_observed(write(tmp_path, text))
    assert obs["line"].tolist() == [3]
    assert obs["value_si"].iloc[0] == pytest.approx(0.011)


def test_partial_and_full_year_of_the_same_year_are_not_duplicates(tmp_path):
    text = HEADER + "hightech_share,2016,25,%,Jan-Nov,,\nhightech_share,2016,25.5,%,,,\n"
    assert len(read_observed(write(tmp_path, text))) == 2


ROW_ERRORS = [
    ("hightec_share,2016,25,%,year,,", "indicator", "hightech_share"),
    ("gdp,2016,25,%,year,,", "indicator", "unknown indicator"),
    ("hightech_share,2016,25,percent,year,,", "unit", "known"),
    ("hightech_share,2016,25,count,year,,", "unit", "incompatible"),
    ("manufacturing_va,2016,25,%,year,,", "unit", "incompatible"),
    ("enterprise_count,2016,25,亿元,year,,", "unit", "incompatible"),
    ("hightech_share,2016.5,25,%,year,,", "year", "whole number"),
    ("hightech_share,twenty,25,%,year,,", "year", "whole number"),
    ("hightech_share,1989,25,%,year,,", "year", "1990-2100"),
    ("hightech_share,2101,25,%,year,,", "year", "1990-2100"),
    ("hightech_share,2016,abc,%,year,,", "value", "not a number"),
    ("hightech_share,2016,,%,year,,", "value", "not a number"),
    ("hightech_share,2016,inf,%,year,,", "value", "not finite"),
    ("hightech_share,2016,nan,%,year,,", "value", "not finite"),
    ("manufacturing_va,2016,-1,亿元,year,,", "value", "negative"),
    ("enterprise_count,2016,-3,count,year,,", "value", "negative"),
    ("hightech_share,2016,130,%,year,,", "value", "above 1"),
    ("cnc_rate,2016,1.2,fraction,year,,", "value", "above 1"),
    ("hightech_share,2016,25,%,year,,", "period", "duplicate"),
]


@pytest.mark.parametrize(("row", "column", "problem"), ROW_ERRORS)
def test_row_errors_name_file_line_and_column(tmp_path, row, column, problem):
    # line 2 is a good row; the bad row is line 3 (the duplicate repeats line 2)
    path = write(tmp_path, HEADER + "hightech_share,2016,25,%,year,,\n" + row + "\n", "bad.csv")
    with pytest.raises(ObservedError) as info:
        read_observed(path)
    message = str(info.value)
    assert message.startswith(f"{path}:3: {column}: ")
    assert "bad.csv" in message
    assert problem in message
    assert "\n" not in message


def test_negative_growth_is_allowed_but_not_below_minus_100_percent(tmp_path):
    path = write(tmp_path, HEADER + "industrial_va_growth,2016,-120,%,year,,\n", "bad.csv")
    with pytest.raises(ObservedError, match=r"bad\.csv:2: value: "):
        read_observed(path)


FILE_ERRORS = [
    ("indicator,year,unit\nhightech_share,2016,%\n", "missing column(s) value"),
    ("", "empty file"),
    (HEADER, "no data rows"),
    (HEADER + "\n\n", "no data rows"),
]


@pytest.mark.parametrize(("text", "problem"), FILE_ERRORS)
def test_file_errors(tmp_path, text, problem):
    path = write(tmp_path, text, "bad.csv")
    with pytest.raises(ObservedError) as info:
        read_observed(path)
    assert str(info.value).startswith(f"{path}: ")
    assert problem in str(info.value)


def test_not_utf8_and_unreadable(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(HEADER.encode() + "hightech_share,2016,25,%,year,江西统计局,\n".encode("gbk"))
    with pytest.raises(ObservedError, match=r"gbk\.csv: not UTF-8"):
        read_observed(path)
    with pytest.raises(ObservedError, match=r"missing\.csv: file not found"):
        read_observed(tmp_path / "missing.csv")


def test_bom_and_padded_header(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf indicator , year,value,unit\nsei_share,2016,14.9,%\n")
    obs = read_observed(path)
    assert obs["indicator"].tolist() == ["sei_share"]
    assert obs["period"].tolist() == ["year"]
    assert obs["source"].tolist() == [""]


def test_shipped_after_2012():
    obs = shipped_observations(2012)
    assert list(obs.columns) == list(COLUMNS)
    assert (obs["year"] > 2012).all()
    got = {(r.indicator, r.year): r for r in obs.itertuples()}
    for year in (2013, 2014, 2015):
        assert got["hightech_share", year].approximate
        assert got["hightech_share", year].period == "Jan-Nov"
        assert not got["rd_intensity", year].approximate
    assert got["rd_intensity", 2013].value_si == pytest.approx(0.0094)
    assert got["hightech_share", 2013].value_si == pytest.approx(0.242)
    assert got["enterprise_count", 2015].value_si == 9226
    assert got["cnc_rate", 2013].proxy
    assert got["cnc_rate", 2015].proxy
    assert got["cnc_rate", 2015].value_si == pytest.approx(0.33)
    assert ("cnc_rate", 2014) not in got
    assert got["sei_share", 2016].value_si == pytest.approx(0.149)  # level anchor, before 2015
    assert not obs["proxy"][obs["indicator"] != "cnc_rate"].any()
    # indicators of the file that the model does not forecast are skipped
    assert set(obs["indicator"]) <= {
        "hightech_share",
        "enterprise_count",
        "rd_intensity",
        "cnc_rate",
        "sei_share",
    }
    assert not obs.duplicated(["indicator", "year", "period"]).any()


@pytest.mark.parametrize("as_of", [2005, 2010, 2012, 2014, 2015, 2016, 2030])
def test_shipped_nothing_on_or_before_as_of(as_of):
    obs = shipped_observations(as_of)
    assert (obs["year"] > as_of).all()
    assert list(obs.columns) == list(COLUMNS)


def test_shipped_level_anchor_excluded_from_2015():
    assert not (shipped_observations(2015)["indicator"] == "sei_share").any()
    assert (shipped_observations(2014)["indicator"] == "sei_share").any()


def test_shipped_growth_series_is_partial_year():
    obs = shipped_observations(2009)
    growth = obs[obs["indicator"] == "industrial_va_growth"]
    assert growth["year"].tolist() == [2010, 2012]
    assert growth["approximate"].all()
    assert growth["value_si"].tolist() == pytest.approx([0.251, 0.143])


def test_shipped_keeps_the_first_vintage(tmp_path, monkeypatch):
    header = (
        "indicator,label,year,value,unit,period,scope,definition,source,confidence,vintage,kind"
    )
    rows = [
        "rd_intensity,R&D,2016,1.13,%,year,p,d,s1,high,first,data",
        "rd_intensity,R&D,2016,1.20,%,year,p,d,s2,high,revised,data",
        "rd_intensity,R&D,2017,1.28,%,year,p,d,s3,high,revised,data",
        "gdp,GDP,2016,18000,100 million yuan,year,p,d,s4,high,first,data",
    ]
    path = write(tmp_path, "\n".join([header, *rows]) + "\n", "history.csv")
    original = series.load_history
    monkeypatch.setattr(series, "load_history", lambda as_of: original(path, as_of=as_of))
    obs = shipped_observations(2015)
    assert obs["year"].tolist() == [2016, 2017]
    assert obs["value_si"].tolist() == pytest.approx([0.0113, 0.0128])
    assert obs["source"].tolist() == ["s1", "s3"]


def test_observations_after(tmp_path):
    obs = read_observed(write(tmp_path, GOOD))
    later = observations_after(obs, 2016)
    assert set(later["year"]) == {2017}
    assert later.index.tolist() == list(range(len(later)))
