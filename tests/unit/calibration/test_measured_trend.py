"""The measured local trend, the count-revenue relation and the threshold break (hand numbers)."""

from __future__ import annotations

import numpy as np
import pytest

from mfgplan.calibration.relations import (
    CountRelation,
    count_relation,
    enterprise_drift_prior,
    expected_nominal_growth,
    threshold_redefinition,
)
from mfgplan.calibration.series import load_history
from mfgplan.calibration.trend import Redefinition, TrendSeries, fit_measured_trends


def fit_measured_trend(years, values, sigmas, transform, **priors):
    """One series fitted alone (its own error scale and volatility)."""
    spec = TrendSeries("series", years, values, sigmas, transform, **priors)
    return fit_measured_trends([spec])[0]["series"]


def test_count_revenue_elasticity_matches_the_yearbook_figures_by_hand():
    # yearly log differences 2012-2015 of the NBS high-tech counts and revenues (2011 = break):
    # province  x = .260 .209 .132 .239, y = .188 .145 .129 .153
    # nation    x = .156 .127 .093 .094, y = .128 .088 .038 .059
    # beta = sum xy / sum x^2 = 0.1730 / 0.2437 = 0.710
    relation = count_relation(load_history(), as_of=2015)
    assert relation.pairs == 8
    assert relation.beta == pytest.approx(0.710, abs=0.005)
    # the 2011 break: ln(499/555) - 0.710 ln(1432/1039.3) = -0.334 (province),
    # ln(21682/28189) - 0.710 ln(87527.2/74482.8) = -0.377 (nation)
    assert relation.break_sizes == pytest.approx((-0.334, -0.377), abs=0.005)


def test_only_figures_up_to_the_as_of_year_enter_the_relation():
    # as of 2012 only the 2011-2012 differences are not the break: one per sector
    relation = count_relation(load_history(), as_of=2012)
    assert relation.pairs == 2
    # (0.188 x 0.260 + 0.128 x 0.156) / (0.260^2 + 0.156^2) = 0.0689 / 0.0919 = 0.750
    assert relation.beta == pytest.approx(0.750, abs=0.005)
    assert count_relation(load_history(as_of=2011), as_of=2011) is None


def test_drift_prior_propagates_the_three_errors():
    relation = CountRelation(beta=0.7, beta_se=0.05, residual_sd=0.02, pairs=8, break_sizes=())
    mean, sd = enterprise_drift_prior(relation, (0.10, 0.02))
    # 0.7 x 0.10; sqrt(0.1^2 0.05^2 + 0.7^2 0.02^2 + 0.02^2) = sqrt(0.000621)
    assert mean == pytest.approx(0.07)
    assert sd == pytest.approx(0.024920, abs=1e-6)


def test_threshold_break_hazard_and_jump_frequency():
    relation = CountRelation(0.7, 0.05, 0.02, 8, (-0.33, -0.37))
    risk = threshold_redefinition(relation, first_year=2005, as_of=2015)
    assert risk.hazard == pytest.approx(1.5 / 10)
    # size: mean -0.35, sd sqrt(var(-0.33, -0.37) + 0.02^2) = sqrt(0.0008 + 0.0004)
    assert risk.size_mean == pytest.approx(-0.35)
    assert risk.size_sd == pytest.approx(np.sqrt(0.0012))
    assert threshold_redefinition(relation, 2005, as_of=2010) is None
    # P(a jump in the first year) = E[1 - exp(-lambda)], lambda ~ Gamma(1.5, scale 1/10):
    # 1 - (10 / 11)^1.5 = 0.1332
    jumps = risk.simulate(200_000, 1, np.random.default_rng(3))
    assert np.mean(jumps[:, 0] != 0) == pytest.approx(0.1332, abs=0.003)


def test_one_figure_leaves_the_drift_at_its_prior():
    trend = fit_measured_trend(
        np.array([2015]), np.array([0.3]), np.array([0.01]), "logit",
        drift_prior=(0.05, 0.02), sigma_prior=0.03,
    )  # fmt: skip
    assert trend.drift == pytest.approx(0.05)
    assert trend.drift_se == pytest.approx(0.02)
    assert trend.weights.sum() == pytest.approx(1.0)


def test_precise_figures_on_a_line_give_its_slope():
    years = np.arange(2010, 2016)
    values = np.exp(7.0 + 0.1 * (years - 2010))  # log-linear, slope 0.1 a year
    trend = fit_measured_trend(
        years, values, values * 1e-4, "log", drift_prior=(0.0, 1.0), sigma_prior=0.01
    )
    assert trend.drift == pytest.approx(0.1, abs=1e-3)
    paths = trend.simulate(np.array([2015, 2016]), 4000, np.random.default_rng(0))
    assert np.median(paths[:, 0]) == pytest.approx(values[-1], rel=1e-3)
    assert np.median(paths[:, 1] / paths[:, 0]) == pytest.approx(np.exp(0.1), rel=2e-3)


def test_a_noisier_last_figure_weighs_less():
    years = np.arange(2010, 2016)
    values = np.exp(7.0 + 0.1 * (years - 2010))
    values[-1] *= 1.10  # the last figure is 10% above the line
    sigmas = values * 0.005
    precise = fit_measured_trend(years, values, sigmas, "log", drift_prior=(0, 1), sigma_prior=0.01)
    sigmas[-1] = values[-1] * 0.10  # now it is a rough partial-year figure
    rough = fit_measured_trend(years, values, sigmas, "log", drift_prior=(0, 1), sigma_prior=0.01)
    level = [float(t.weights @ t.means[:, 0]) for t in (precise, rough)]
    line = 7.0 + 0.5
    assert abs(level[1] - line) < abs(level[0] - line)  # pulled back toward the other figures
    assert level[0] > line + 0.05  # a precise figure is believed


def test_paths_are_reproducible_and_carry_the_jumps():
    risk = Redefinition(breaks=1, exposure_years=1.0, size_mean=-1.0, size_sd=0.0, source="x")
    kwargs = dict(drift_prior=(0.0, 0.01), sigma_prior=0.001)
    plain = fit_measured_trend(
        np.array([2015]), np.array([100.0]), np.array([0.01]), "log", **kwargs
    )
    broken = fit_measured_trend(
        np.array([2015]), np.array([100.0]), np.array([0.01]), "log", redefinition=risk, **kwargs
    )
    years = np.arange(2015, 2021)
    a = broken.simulate(years, 500, np.random.default_rng(1))
    np.testing.assert_array_equal(a, broken.simulate(years, 500, np.random.default_rng(1)))
    assert np.median(a[:, -1]) < 0.5 * np.median(
        plain.simulate(years, 500, np.random.default_rng(1))[:, -1]
    )
    assert "re-definition risk 1.500/year" in broken.method


def test_expected_nominal_growth_is_real_plus_prices_plus_share():
    from mfgplan.calibration.forecast import fit_baseline

    models = fit_baseline(as_of=2015, horizon=2020).models
    mean, sd = expected_nominal_growth(models, 2015)
    # the point forecasts: real growth about 8-9%, deflator about 1-2%, industry's share
    # falling: nominal industrial growth between 5% and 13% a year, with a spread
    assert 0.05 < mean < 0.13
    assert 0.0 < sd < 0.05


class _Constant:
    """A fitted model stand-in whose every path is the given values by year offset."""

    def __init__(self, values):
        self.values = np.asarray(values, dtype=float)

    def simulate(self, years, n, rng):
        return np.tile(self.values[: len(years)], (n, 1))


def test_expected_nominal_growth_by_hand():
    models = {
        "gdp_real_growth": _Constant([0.09] + [0.08] * 5),
        "va_deflator_growth": _Constant([0.01] + [0.02] * 5),
        "industry_share": _Constant(np.linspace(0.40, 0.38, 6)),
    }
    mean, sd = expected_nominal_growth(models, 2015)
    # ln 1.08 + ln 1.02 + ln(0.38 / 0.40) / 5 = 0.07696 + 0.01980 - 0.01026 = 0.08650; the base
    # year's growth (0.09, 0.01) does not count
    assert mean == pytest.approx(0.08650, abs=2e-5)
    assert sd == pytest.approx(0.0, abs=1e-12)
