"""Forecast scores: CRPS, score tables, summaries, target verdicts and the ETS benchmark."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mfgplan.analysis.targets import TARGETS
from mfgplan.calibration.scoring import (
    RW_SIGMA_FLOOR,
    EtsForecast,
    crps_ensemble,
    crps_normal,
    ets_samples,
    score_rows,
    summarise,
    summarise_by_indicator,
    verdict_rows,
)

# --- CRPS -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def standard_normal() -> np.ndarray:
    # 200 000 draws: 100 000 from a fixed seed and their mirror images (antithetic pairs)
    z = np.random.default_rng(0).standard_normal(100_000)
    return np.concatenate([z, -z])


@pytest.mark.parametrize(
    ("mu", "sigma", "y"),
    [(0.0, 1.0, 0.0), (0.0, 1.0, 1.5), (10.0, 2.0, 7.0), (0.25, 0.03, 0.3), (1e12, 1e11, 1.2e12)],
)
def test_ensemble_matches_closed_form(standard_normal, mu, sigma, y):
    samples = mu + sigma * standard_normal
    assert crps_ensemble(samples, y) == pytest.approx(crps_normal(mu, sigma, y), rel=0.005)


def test_small_ensemble_by_hand():
    # E|X - 2| = (1 + 0 + 1) / 3; E|X - X'| = (2 * (1 + 2 + 1)) / 9 = 8/9; CRPS = 2/3 - 4/9
    assert crps_ensemble([1.0, 2.0, 3.0], 2.0) == pytest.approx(2 / 9)
    assert crps_ensemble([3.0, 1.0, 2.0], 2.0) == pytest.approx(2 / 9)  # order does not matter
    # y = 0: E|X - 0| = 2, same spread
    assert crps_ensemble(np.array([[1.0, 2.0, 3.0]]), 0.0) == pytest.approx(2 - 4 / 9)


@pytest.mark.parametrize(("x", "y"), [(3.0, 5.0), (5.0, 3.0), (-1.5, -1.5), (1e12, 0.9e12)])
def test_single_member_is_absolute_error(x, y):
    assert crps_ensemble([x], y) == pytest.approx(abs(x - y))


def test_ensemble_is_the_energy_form_not_the_fair_form():
    # two members 0 and 2, y = 1: E|X - y| = 1, E|X - X'| = 2 * 2 / 4 = 1 -> 0.5
    # (the fair form would divide by n (n - 1) = 2 and give 0)
    assert crps_ensemble([0.0, 2.0], 1.0) == pytest.approx(0.5)


def test_ensemble_rejects_nan_and_empty():
    with pytest.raises(ValueError, match="NaN"):
        crps_ensemble([1.0, np.nan], 1.0)
    with pytest.raises(ValueError, match="empty"):
        crps_ensemble([], 1.0)
    with pytest.raises(ValueError, match="not finite"):
        crps_ensemble([1.0], np.nan)


def test_normal_closed_form_at_the_mean():
    for sigma in (1.0, 0.03, 2e11):
        expected = sigma * (2 / np.sqrt(2 * np.pi) - 1 / np.sqrt(np.pi))
        assert crps_normal(5.0, sigma, 5.0) == pytest.approx(expected)
    assert crps_normal(1.0, 0.0, 4.0) == 3.0
    # symmetric in y - mu, and tends to |y - mu| far away
    assert crps_normal(0.0, 1.0, 2.0) == pytest.approx(crps_normal(0.0, 1.0, -2.0))
    assert crps_normal(0.0, 1.0, 50.0) == pytest.approx(50 - 1 / np.sqrt(np.pi), rel=1e-9)
    with pytest.raises(ValueError):
        crps_normal(0.0, -1.0, 0.0)


# --- score tables ---------------------------------------------------------------------------


def observations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "indicator": ["hightech_share", "hightech_share", "cnc_rate", "sei_share", "gdp"],
            "year": [2016, 2017, 2016, 2016, 2030],
            "value_si": [5.0, 25.0, 5.0, 0.0, 1.0],
            "period": ["year", "year", "Jan-Nov", "year", "year"],
            "approximate": [False, False, True, False, False],
            "proxy": [False, False, True, False, False],
        }
    )


def ensembles() -> dict[tuple[str, int], np.ndarray]:
    x = np.arange(1.0, 22.0)  # 1, 2, ..., 21
    return {
        ("hightech_share", 2016): x,
        ("hightech_share", 2017): x[::-1],
        ("cnc_rate", 2016): x,
        ("sei_share", 2016): np.array([1.0]),
    }


# members 1..21: E|X - X'| = (n^2 - 1) / (3 n) = 440/63; E|X - 5| = 146/21; E|X - 25| = 14
CRPS_AT_5 = 146 / 21 - 220 / 63
CRPS_AT_25 = 14 - 220 / 63


def test_score_rows_by_hand():
    table = score_rows(observations(), ensembles(), "model")
    assert len(table) == 5
    assert (table["forecaster"] == "model").all()
    first, second, cnc, sei, gdp = (table.iloc[i] for i in range(5))

    # linear quantiles of 1..21: position q * 20 -> 2, 11, 20
    assert (first["p5"], first["median"], first["p95"]) == pytest.approx((2.0, 11.0, 20.0))
    assert bool(first["inside90"])
    assert first["crps"] == pytest.approx(CRPS_AT_5)
    assert first["crps_relative"] == pytest.approx(CRPS_AT_5 / 5)
    assert first["n_samples"] == 21
    assert first["status"] == "scored"

    assert not bool(second["inside90"])  # 25 > p95 = 20
    assert second["crps"] == pytest.approx(CRPS_AT_25)
    assert second["crps_relative"] == pytest.approx(CRPS_AT_25 / 25)

    assert cnc["status"] == "scored (approximate: Jan-Nov figure)"
    assert bool(cnc["approximate"])
    assert bool(cnc["proxy"])

    assert sei["crps"] == pytest.approx(1.0)  # one member: |1 - 0|
    assert np.isnan(sei["crps_relative"])  # observed 0
    assert not bool(sei["inside90"])

    assert gdp["status"] == "no forecast"
    assert np.isnan(gdp["crps"])
    assert np.isnan(gdp["median"])
    assert pd.isna(gdp["inside90"])
    assert gdp["n_samples"] == 0


def test_score_rows_without_observations():
    empty = observations().iloc[:0]
    table = score_rows(empty, ensembles(), "model")
    assert table.empty
    assert "crps_relative" in table.columns


def test_summarise_coverage_and_relative_crps():
    table = pd.concat(
        [
            score_rows(observations(), ensembles(), "model"),
            score_rows(observations().iloc[:2], {}, "nothing"),
        ],
        ignore_index=True,
    )
    summary = summarise(table).set_index("forecaster")
    model = summary.loc["model"]
    assert model["n_scored"] == 4  # gdp 2030 has no forecast
    assert model["n_approximate"] == 1
    assert model["coverage90"] == pytest.approx(2 / 4)  # 2016 hightech and cnc inside
    # sei_share's relative CRPS is NaN (observed 0) and is left out of the mean
    assert model["mean_crps_relative"] == pytest.approx(
        np.mean([CRPS_AT_5 / 5, CRPS_AT_25 / 25, CRPS_AT_5 / 5])
    )
    assert summary.loc["nothing", "n_scored"] == 0
    assert np.isnan(summary.loc["nothing", "coverage90"])

    full_year = summarise(table, include_approximate=False).set_index("forecaster")
    assert full_year.loc["model", "n_scored"] == 3
    assert full_year.loc["model", "n_approximate"] == 0
    assert full_year.loc["model", "coverage90"] == pytest.approx(1 / 3)


def test_summarise_by_indicator():
    table = score_rows(observations(), ensembles(), "model")
    by = summarise_by_indicator(table).set_index("indicator")
    assert by.loc["hightech_share", "n"] == 2
    assert by.loc["hightech_share", "coverage90"] == pytest.approx(0.5)
    assert by.loc["hightech_share", "mean_crps"] == pytest.approx((CRPS_AT_5 + CRPS_AT_25) / 2)
    assert by.loc["sei_share", "mean_crps"] == pytest.approx(1.0)
    assert "gdp" not in by.index
    assert (
        "cnc_rate" not in summarise_by_indicator(table, include_approximate=False).indicator.values
    )
    assert list(summarise_by_indicator(table.iloc[4:]).columns) == [
        "forecaster",
        "indicator",
        "n",
        "coverage90",
        "mean_crps",
        "mean_crps_relative",
    ]


def test_verdicts_by_hand():
    obs = pd.DataFrame(
        {
            "indicator": ["hightech_share", "manufacturing_va", "cnc_rate", "hightech_share"],
            "year": [2020, 2020, 2020, 2019],
            "value_si": [0.28, 1.05e12, 0.5, 0.27],
            "period": ["year"] * 4,
            "approximate": [False] * 4,
        }
    )
    samples = {
        ("hightech_share", 2020): np.full(10, 0.35),  # all above 0.30, observed below
        ("manufacturing_va", 2020): np.array(
            [0.8e12, 0.9e12, 1.1e12, 1.2e12]
        ),  # half at least 1e12
        ("sei_share", 2020): np.full(10, 0.4),  # no observation
        # cnc_rate: an observation but no samples
    }
    table = verdict_rows(obs, samples, TARGETS).set_index("target")
    assert set(table.index) == {"hightech_share_30", "manufacturing_va_1tn"}

    row = table.loc["hightech_share_30"]
    assert row["probability"] == 1.0
    assert row["model_verdict"]
    assert not row["observed_met"]
    assert not row["verdict_matched"]
    assert row["observed"] == pytest.approx(0.28)
    assert row["threshold"] == pytest.approx(0.30)

    row = table.loc["manufacturing_va_1tn"]
    assert row["probability"] == pytest.approx(0.5)
    assert row["model_verdict"]  # probability >= 0.5
    assert row["observed_met"]
    assert row["verdict_matched"]
    assert row["year"] == 2020


def test_verdict_prefers_the_full_year_figure():
    obs = pd.DataFrame(
        {
            "indicator": ["cnc_rate", "cnc_rate"],
            "year": [2020, 2020],
            "value_si": [0.55, 0.62],
            "period": ["H1", "year"],
            "approximate": [True, False],
        }
    )
    table = verdict_rows(obs, {("cnc_rate", 2020): np.full(4, 0.7)}, TARGETS)
    assert table["observed"].tolist() == [0.62]
    assert table["verdict_matched"].tolist() == [True]


# --- ETS benchmark --------------------------------------------------------------------------

GAPPY_YEARS = np.array([2006, 2007, 2012, 2013, 2014, 2015])
GAPPY_SHARES = np.array([0.201, 0.211, 0.236, 0.242, 0.244, 0.251])


def test_ets_reproducible_for_a_seed():
    a = ets_samples(GAPPY_YEARS, GAPPY_SHARES, [2016, 2020], 300, np.random.default_rng(7), "logit")
    b = ets_samples(GAPPY_YEARS, GAPPY_SHARES, [2016, 2020], 300, np.random.default_rng(7), "logit")
    c = ets_samples(GAPPY_YEARS, GAPPY_SHARES, [2016, 2020], 300, np.random.default_rng(8), "logit")
    assert isinstance(a, EtsForecast)
    assert set(a.samples) == {2016, 2020}
    np.testing.assert_array_equal(a.samples[2020], b.samples[2020])
    assert a.method == b.method
    assert not np.array_equal(a.samples[2020], c.samples[2020])


def test_ets_gappy_logit_shares_stay_in_the_unit_interval():
    fc = ets_samples(GAPPY_YEARS, GAPPY_SHARES, [2016, 2018, 2020], 500, 1, "logit")
    assert fc.method.startswith("ETS(A,A,N)")
    assert "gaps interpolated" in fc.method
    for year in (2016, 2018, 2020):
        x = fc.samples[year]
        assert x.shape == (500,)
        assert ((x > 0) & (x < 1)).all()
    # a rising share keeps rising
    assert np.median(fc.samples[2020]) > GAPPY_SHARES[-1]


def test_ets_continues_a_noiseless_exponential_trend():
    years = np.arange(2005, 2016)
    values = 100.0 * 1.1 ** (years - 2005)
    fc = ets_samples(years, values, [2017, 2020], 200, 3, "log")
    assert fc.method.startswith("ETS(A,A,N)")
    for year in (2017, 2020):
        assert np.median(fc.samples[year]) == pytest.approx(100.0 * 1.1 ** (year - 2005), rel=0.01)


def test_ets_falls_back_to_a_random_walk_with_drift_on_few_points():
    years = np.array([2012, 2014, 2015])
    values = np.array([6800.0, 8000.0, 9226.0])
    fc = ets_samples(years, values, [2016, 2020], 4000, 5, "log")
    assert fc.method.startswith("random walk with drift")
    drift = np.log(9226 / 6800) / 3
    assert np.median(fc.samples[2020]) == pytest.approx(9226 * np.exp(5 * drift), rel=0.02)
    # log-scale spread in 2016 is at least the floor
    assert np.std(np.log(fc.samples[2016])) >= 0.9 * RW_SIGMA_FLOOR


def test_ets_growth_rates_without_transform():
    rates = np.array([0.10, 0.12, 0.08, 0.11, 0.13, 0.09, 0.10])
    fc = ets_samples(np.arange(2009, 2016), rates, [2017], 500, 2, "none")
    assert np.isfinite(fc.samples[2017]).all()
    assert 0.0 < np.median(fc.samples[2017]) < 0.3


@pytest.mark.parametrize("year", [2015, 2013, 2000])
def test_ets_rejects_a_year_inside_the_history(year):
    with pytest.raises(ValueError, match="not after the last history year"):
        ets_samples(GAPPY_YEARS, GAPPY_SHARES, [2016, year], 10, 0, "logit")


def test_ets_rejects_bad_input():
    with pytest.raises(ValueError, match="transform"):
        ets_samples(GAPPY_YEARS, GAPPY_SHARES, [2016], 10, 0, "sqrt")
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        ets_samples(GAPPY_YEARS, GAPPY_SHARES * 5, [2016], 10, 0, "logit")
    with pytest.raises(ValueError, match="increasing"):
        ets_samples(GAPPY_YEARS[::-1], GAPPY_SHARES, [2016], 10, 0, "logit")
