"""Historical data loading and the statistical baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mfgplan.calibration.forecast import fit_baseline, fit_drift, fit_growth, forecast_dataset
from mfgplan.calibration.series import DATA_FILE, DataError, load_history, series


@pytest.fixture(scope="module")
def fit():
    return fit_baseline(as_of=2015)


def test_units_are_converted_and_partial_years_marked():
    h = load_history()
    gdp = h[(h.indicator == "gdp") & (h.year == 2015)].iloc[0]
    assert gdp.value_si == pytest.approx(16723.8e8)  # 亿元 -> yuan
    assert gdp.unit_si == "yuan"
    ht = h[(h.indicator == "hightech_share") & (h.year == 2015)].iloc[0]
    assert ht.value_si == pytest.approx(0.251)  # % -> fraction
    assert bool(ht.partial)  # Jan-Nov figure
    # partial-year figures carry a larger error than full-year ones of the same confidence
    assert ht.sigma_si / ht.value_si > 0.02


def test_no_row_after_the_as_of_year():
    h = load_history(as_of=2012)
    assert h.year.max() <= 2012
    # the SEI level anchor (2016) is used only at as_of >= 2015
    assert "sei_share" not in set(h.indicator)
    assert "sei_share" in set(load_history(as_of=2015).indicator)


def test_later_rows_cannot_change_an_earlier_fit(tmp_path):
    """Corrupting every row after 2012 leaves the as-of-2012 baseline unchanged."""
    raw = pd.read_csv(DATA_FILE, dtype=str, keep_default_na=False)
    later = raw.year.astype(int) > 2012
    raw.loc[later, "value"] = "99999"
    corrupted = tmp_path / "history.csv"
    raw.to_csv(corrupted, index=False)
    clean = fit_baseline(as_of=2012, horizon=2020)
    dirty = fit_baseline(as_of=2012, horizon=2020, data=load_history(corrupted, as_of=2012))
    years = np.arange(2012, 2021)
    a = clean.simulate_paths(years, 50, np.random.default_rng(1))
    b = dirty.simulate_paths(years, 50, np.random.default_rng(1))
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_bad_data_is_named(tmp_path):
    raw = pd.read_csv(DATA_FILE, dtype=str, keep_default_na=False)
    raw.loc[3, "unit"] = "furlongs"
    path = tmp_path / "bad.csv"
    raw.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"bad\.csv:5: unit: unknown unit 'furlongs'"):
        load_history(path)


def test_one_vintage_per_year():
    years, values, _ = series(load_history(), "gdp")
    assert len(set(years)) == len(years)
    assert values[years == 2014][0] == pytest.approx(15714.63e8)  # first vintage


def test_short_and_gappy_series_fall_back_and_say_so():
    one = fit_drift(
        np.array([2015]), np.array([0.3]), np.array([0.01]), "logit",
        prior_drift=(0.05, 0.02), prior_sigma=0.03, name="x",
    )  # fmt: skip
    assert one.method.startswith("prior drift")
    two = fit_drift(
        np.array([2012, 2015]), np.array([6800.0, 9226.0]), np.array([300.0, 400.0]), "log",
        prior_drift=(0.0, 0.1), prior_sigma=0.05, name="x",
    )  # fmt: skip
    assert two.method.startswith("mean annualised difference")
    # drift = ln(9226/6800)/3 = 0.1017
    assert two.drift == pytest.approx(np.log(9226 / 6800) / 3)
    g = fit_growth(np.array([2014, 2015]), np.array([0.09, 0.08]), 2020, "x")
    assert g.method.startswith("random walk")
    assert g.simulate(np.arange(2015, 2021), 10, np.random.default_rng(0)).shape == (10, 6)


def test_methods_reported_for_every_indicator(fit):
    for name in ("gdp_real_growth", "va_deflator_growth", "industry_share", "hightech_share",
                 "sei_share", "cnc_rate", "rd_intensity", "enterprise_count"):  # fmt: skip
        assert fit.methods[name]


def test_paths_deterministic_bounded_and_start_at_the_data(fit):
    years = np.arange(2015, 2026)
    a = fit.simulate_paths(years, 200, np.random.default_rng(5))
    b = fit.simulate_paths(years, 200, np.random.default_rng(5))
    for name, v in a.items():
        np.testing.assert_array_equal(v, b[name])
        assert v.shape == (200, 11)
        assert np.isfinite(v).all()
    for name in ("hightech_share", "sei_share", "cnc_rate", "rd_intensity"):
        assert ((a[name] > 0) & (a[name] < 1)).all()
    for name in ("gdp", "manufacturing_va", "industrial_va", "enterprise_count"):
        assert (a[name] > 0).all()
    # 2015 GDP is the published figure up to its measurement error
    assert np.median(a["gdp"][:, 0]) == pytest.approx(16723.8e8, rel=0.01)
    # manufacturing VA 2015 = GDP x 0.508 x 0.809 x 0.812 ~ 5,580亿元 (assumptions A5-A6)
    assert np.median(a["manufacturing_va"][:, 0]) == pytest.approx(5.58e11, rel=0.05)


def test_forecast_dataset_is_labelled():
    ds = forecast_dataset(n_paths=50, horizon=2020)
    for name in ("manufacturing_va", "industrial_va_growth", "hightech_share", "sei_share",
                 "enterprise_count", "rd_intensity"):  # fmt: skip
        assert ds[name].attrs["units"] and ds[name].attrs["long_name"] and ds[name].attrs["method"]
        assert ds[f"{name}_quantiles"].sizes["quantile"] == 5
