"""The back-test command end to end: a hand-made observations file with known answers, the
shipped rolling origin, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mfgplan.calibration.scoring import crps_ensemble
from mfgplan.cli import main
from tests.conftest import small_scenario

ROOT = Path(__file__).resolve().parents[2]

OBSERVED = """indicator,year,value,unit,period,source
hightech_share,2016,24.9,%,,hand-made
manufacturing_va,2020,20000,亿元,,hand-made: 2 trillion yuan (far above any projection)
hightech_share,2020,10,%,,hand-made: far below any projection
cnc_rate_national,2017,0.45,fraction,Jan-Nov,hand-made partial-year figure
cnc_rate,2013,27,%,,before the as-of year: not scored
"""


def small(tmp_path: Path) -> Path:
    return small_scenario(tmp_path, replicates=8)


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bt")
    observed = tmp / "observed.csv"
    observed.write_text(OBSERVED, encoding="utf-8")
    out = tmp / "out"
    code = main(
        ["backtest", str(small(tmp)), "--as-of", "2015", "--observed", str(observed),
         "--out", str(out), "-q"]
    )  # fmt: skip
    assert code == 0
    return out


def test_backtest_scores_with_known_answers(hand_made):
    table = pd.read_csv(hand_made / "backtest.csv")
    model = table[table["forecaster"] == "mfgplan"].set_index(["indicator", "year"])
    assert sorted(model.index) == [
        ("cnc_rate", 2017),
        ("hightech_share", 2016),
        ("hightech_share", 2020),
        ("manufacturing_va", 2020),
    ]
    assert model.loc[("manufacturing_va", 2020), "observed"] == pytest.approx(2e12)
    assert model.loc[("hightech_share", 2020), "observed"] == pytest.approx(0.10)
    # far outside every projection: outside the band
    assert not model.loc[("manufacturing_va", 2020), "inside90"]
    assert not model.loc[("hightech_share", 2020), "inside90"]
    # partial-year figure through the national alias: scored as approximate and as a proxy
    row = model.loc[("cnc_rate", 2017)]
    assert row["approximate"] and row["proxy"] and row["status"].startswith("scored (approx")
    # every number is the ensemble's: recompute from the saved results
    with xr.open_dataset(hand_made / "results_as-of-2015.nc") as ds:
        for (indicator, year), r in model.iterrows():
            values = ds[indicator].sel(year=year).values
            assert r["median"] == pytest.approx(np.median(values), rel=1e-5)
            assert r["p5"] == pytest.approx(np.quantile(values, 0.05), rel=1e-5)
            assert r["p95"] == pytest.approx(np.quantile(values, 0.95), rel=1e-5)
            assert r["crps"] == pytest.approx(crps_ensemble(values, r["observed"]), rel=1e-5)
            assert bool(r["inside90"]) == bool(r["p5"] <= r["observed"] <= r["p95"])
    ets = table[table["forecaster"] == "ets"]
    assert ets["status"].str.startswith("scored").sum() >= 3


def test_backtest_target_verdicts(hand_made):
    verdicts = pd.read_csv(hand_made / "verdicts.csv").set_index("target")
    va = verdicts.loc["manufacturing_va_1tn"]
    # 2 trillion observed: met; the model gives it less than even odds: verdict wrong
    assert va["observed_met"] and va["probability"] < 0.5 and not va["verdict_matched"]
    ht = verdicts.loc["hightech_share_30"]
    # 10% observed: missed; the model also says missed
    assert not ht["observed_met"] and ht["probability"] < 0.5 and ht["verdict_matched"]


def test_backtest_folder(hand_made):
    for name in ("summary.csv", "summary_by_indicator.csv", "verdicts.csv", "manifest.json",
                 "calibration_as-of-2015.json", "charts/backtest_as-of-2015.png"):  # fmt: skip
        assert (hand_made / name).is_file(), name
    manifest = json.loads((hand_made / "manifest.json").read_text())
    assert manifest["as_of"] == [2015]
    summary = pd.read_csv(hand_made / "summary.csv")
    assert set(summary["rows"]) == {"common", "common, full-year", "all"}


def test_shipped_rolling_origin(tmp_path, capsys):
    out = tmp_path / "bt"
    code = main(["backtest", str(small(tmp_path)), "--as-of", "2012,2013", "-n", "4",
                 "--out", str(out), "-q"])  # fmt: skip
    assert code == 0
    table = pd.read_csv(out / "backtest.csv")
    assert set(table["as_of"]) == {2012, 2013}
    assert (table["year"] > table["as_of"]).all()
    printed = capsys.readouterr().out
    assert "as of 2012: model coverage of the 90% band" in printed


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("indicator,year,value,unit\nhigh_tech_share,2016,25,%\n", ":2: indicator: unknown"),
        ("indicator,year,value,unit\nhightech_share,2016,25,percent\n", ":2: unit: unknown"),
        ("indicator,year,value,unit\nhightech_share,2016,25,count\n", ":2: unit:"),
        ("indicator,year,value\nhightech_share,2016,25\n", "missing"),
        ("indicator,year,value,unit\nhightech_share,2014,25,%\n", "nothing to score"),
    ],
)
def test_bad_observations_exit_2(tmp_path, capsys, content, expected):
    observed = tmp_path / "obs.csv"
    observed.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    code = main(["backtest", str(small(tmp_path)), "--as-of", "2015", "--observed",
                 str(observed), "--out", str(out), "-q"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists() and not out.with_name("out.partial").exists()


@pytest.mark.parametrize("as_of", ["2011", "20x5", "2012,2012"])
def test_bad_as_of_exit_2(tmp_path, capsys, as_of):
    code = main(["backtest", str(small(tmp_path)), "--as-of", as_of, "-q"])
    assert code == 2
    assert "--as-of" in capsys.readouterr().err


def test_calibrate_never_replaces_the_shipped_file_unasked(tmp_path, monkeypatch, capsys):
    from mfgplan.inputs.sample import load_parameter_file

    monkeypatch.chdir(tmp_path)
    shipped = ROOT / "calibration" / "params" / "as-of-2015.json"
    before = shipped.read_bytes()
    assert main(["calibrate", "--as-of", "2015", "--draws", "4", "--sample", "2", "-q"]) == 0
    assert shipped.read_bytes() == before
    (written,) = (tmp_path / "outputs" / "calibration").glob("as-of-2015-*.json")
    assert load_parameter_file(written).size == 2
    assert "the scenarios use" in capsys.readouterr().out


def test_calibrate_refuses_bad_draws_and_existing_file(tmp_path, capsys):
    assert main(["calibrate", "--as-of", "2015", "--draws", "100", "--out",
                 str(tmp_path / "p.json")]) == 2  # fmt: skip
    assert "power of two" in capsys.readouterr().err
    existing = tmp_path / "q.json"
    existing.write_text("{}")
    assert main(["calibrate", "--as-of", "2015", "--out", str(existing)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["calibrate", "--as-of", "2009"]) == 2


def test_calibrate_command_writes_a_loadable_file(tmp_path, capsys):
    from mfgplan.inputs.sample import load_parameter_file

    out = tmp_path / "p.json"
    assert main(["calibrate", "--as-of", "2013", "--draws", "8", "--sample", "4", "--out",
                 str(out), "-q"]) == 0  # fmt: skip
    sample = load_parameter_file(out)
    assert sample.as_of == 2013 and sample.size == 4
    assert "effective sample size" in capsys.readouterr().out
