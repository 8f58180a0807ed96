"""Pooled measured trends: the grid posterior against a closed-form likelihood by hand.

Three yearly figures ``y1, y2, y3`` of a local trend with a diffuse level, a drift
``N(m, s_d^2)``, volatility ``sigma`` and measurement sds ``kappa e_t`` say, through their two
differences only (the diffuse level absorbs ``y1``):

    d1 = drift + eta1 + eps2 - eps1,   d2 = drift + eta2 + eps3 - eps2
    Var d1 = s_d^2 + sigma^2 + kappa^2 (e1^2 + e2^2),  Var d2 = ... (e2^2 + e3^2)
    Cov(d1, d2) = s_d^2 - kappa^2 e2^2

so the posterior over the (kappa, tau) grid can be written without a Kalman filter.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from mfgplan.calibration import trend
from mfgplan.calibration.trend import TrendSeries, fit_measured_trends

GRID_K = np.linspace(-3, 3, trend.KAPPA_GRID) * trend.KAPPA_PRIOR_LOG_SD
GRID_T = np.linspace(-3, 3, trend.SIGMA_GRID) * trend.SIGMA_PRIOR_LOG_SD

# identity scale: the measurement sds are the sigmas themselves (plus 1e-6)
A = dict(values=np.array([1.00, 1.25, 1.38]), errors=(0.10, 0.05, 0.20))
B = dict(values=np.array([2.00, 2.02, 2.11]), errors=(0.03, 0.03, 0.03))
PRIOR_K = -0.5 * (GRID_K / trend.KAPPA_PRIOR_LOG_SD) ** 2
PRIOR_T = -0.5 * (GRID_T / trend.SIGMA_PRIOR_LOG_SD) ** 2


def _loglik(values, errors, drift_prior, sigma_prior) -> np.ndarray:
    """``(K, T)`` log-likelihood of the two differences, by the formulas of the module."""
    d1, d2 = np.diff(values)
    m, s_d = drift_prior
    e1, e2, e3 = errors
    kappa2 = np.exp(2 * GRID_K)[:, None]
    common = s_d**2 + (np.exp(GRID_T)[None, :] * sigma_prior) ** 2
    v1, v2 = common + kappa2 * (e1**2 + e2**2), common + kappa2 * (e2**2 + e3**2)
    c = s_d**2 - kappa2 * e2**2
    det = v1 * v2 - c**2
    x1, x2 = d1 - m, d2 - m
    quad = (v2 * x1**2 - 2 * c * x1 * x2 + v1 * x2**2) / det
    return -0.5 * (2 * np.log(2 * np.pi) + np.log(det) + quad)


def test_closed_form_is_the_bivariate_normal():
    # the hand formula above, at one grid point, against scipy's density
    k, t = 7, 11
    kappa, tau = np.exp(GRID_K[k]), np.exp(GRID_T[t])
    e1, e2, e3 = A["errors"]
    var = 0.2**2 + (tau * 0.05) ** 2
    cov = [
        [var + kappa**2 * (e1**2 + e2**2), 0.2**2 - kappa**2 * e2**2],
        [0.2**2 - kappa**2 * e2**2, var + kappa**2 * (e2**2 + e3**2)],
    ]
    expected = multivariate_normal([0.1, 0.1], cov).logpdf(np.diff(A["values"]))
    got = _loglik(A["values"], A["errors"], (0.1, 0.2), 0.05)[k, t]
    assert got == pytest.approx(expected, rel=1e-12)


def _normalised(log_w: np.ndarray) -> np.ndarray:
    w = np.exp(log_w - log_w.max())
    return w / w.sum()


def _spec(name, data, group=None):
    return TrendSeries(
        name, np.array([2013, 2014, 2015]), data["values"], np.array(data["errors"]) - 1e-6,
        "identity", drift_prior=(0.1, 0.2), sigma_prior=0.05, volatility_group=group,
    )  # fmt: skip


def test_one_series_grid_posterior_matches_the_closed_form():
    trends, scale = fit_measured_trends([_spec("a", A)])
    joint = _loglik(A["values"], A["errors"], (0.1, 0.2), 0.05) + PRIOR_K[:, None] + PRIOR_T
    expected = _normalised(joint)
    np.testing.assert_allclose(trends["a"].weights, expected.ravel(), atol=1e-9)
    np.testing.assert_allclose(scale.weights, expected.sum(axis=1), atol=1e-9)


def test_pooled_volatility_multiplies_the_likelihoods_before_integrating():
    trends, scale = fit_measured_trends([_spec("a", A, "g"), _spec("b", B, "g")])
    ll_a = _loglik(A["values"], A["errors"], (0.1, 0.2), 0.05)
    ll_b = _loglik(B["values"], B["errors"], (0.1, 0.2), 0.05)
    joint = _normalised(ll_a + ll_b + PRIOR_K[:, None] + PRIOR_T)
    np.testing.assert_allclose(scale.weights, joint.sum(axis=1), atol=1e-9)
    np.testing.assert_allclose(trends["a"].weights, joint.ravel(), atol=1e-9)
    np.testing.assert_array_equal(trends["a"].weights, trends["b"].weights)


def test_separate_volatilities_integrate_each_series_alone():
    _, scale = fit_measured_trends([_spec("a", A), _spec("b", B)])
    ll_a = _loglik(A["values"], A["errors"], (0.1, 0.2), 0.05) + PRIOR_T
    ll_b = _loglik(B["values"], B["errors"], (0.1, 0.2), 0.05) + PRIOR_T

    def marginal(ll):
        peak = ll.max(axis=1, keepdims=True)
        return peak[:, 0] + np.log(np.exp(ll - peak).sum(axis=1))

    expected = _normalised(PRIOR_K + marginal(ll_a) + marginal(ll_b))
    np.testing.assert_allclose(scale.weights, expected, atol=1e-9)


def test_figures_that_agree_too_well_for_their_errors_pull_the_error_scale_down():
    # ten figures on a line, with stated errors of 5%: the scatter (none) says they are better
    years = np.arange(2006, 2016)
    values = np.exp(0.05 * (years - 2006))
    spec = TrendSeries("line", years, values, 0.05 * values, "log", (0.05, 0.1), 0.01)
    _, scale = fit_measured_trends([spec])
    assert scale.mean < 0.5
    assert scale.quantile(0.95) < 1.0
    # the same figures scattered by their stated errors: kappa near 1
    rng = np.random.default_rng(4)
    noisy = values * np.exp(0.05 * rng.standard_normal(values.size))
    spec = TrendSeries("noisy", years, noisy, 0.05 * noisy, "log", (0.05, 0.1), 0.01)
    _, scale = fit_measured_trends([spec])
    assert 0.5 < scale.mean < 2.0


def test_grid_filter_matches_the_statsmodels_exact_diffuse_filter():
    from statsmodels.tsa.statespace.initialization import Initialization
    from statsmodels.tsa.statespace.mlemodel import MLEModel

    # figures in 2008, 2009, 2012 (a gap), 2013, 2015 on the logit scale
    endog = np.array([-1.3, -1.27, np.nan, np.nan, -1.2, -1.19, np.nan, -1.1])
    obs_sd = np.array([0.05, 0.02, 1.0, 1.0, 0.04, 0.01, 1.0, 0.03])
    kappa, sigma, drift_prior = 0.6, 0.02, (0.03, 0.1)
    model = MLEModel(endog, k_states=2, k_posdef=1)
    model["design"] = np.array([[1.0, 0.0]])
    model["transition"] = np.array([[1.0, 1.0], [0.0, 1.0]])
    model["selection"] = np.array([[1.0], [0.0]])
    model["obs_cov"] = ((kappa * obs_sd) ** 2).reshape(1, 1, -1)
    model["state_cov"] = np.array([[sigma**2]])
    init = Initialization(2)
    init.set(0, "diffuse")
    init.set(1, "known", constant=[drift_prior[0]], stationary_cov=[[drift_prior[1] ** 2]])
    model.ssm.initialization = init
    result = model.ssm.filter()
    loglik, state, cov = trend.kalman_grid(
        endog, obs_sd, drift_prior, np.array([kappa]), np.array([sigma])
    )
    np.testing.assert_allclose(state[0, 0], result.filtered_state[:, -1], rtol=1e-10)
    np.testing.assert_allclose(cov[0, 0], result.filtered_state_cov[:, :, -1], rtol=1e-8)
    # statsmodels' first (diffuse) figure adds a constant: the rest of the likelihood agrees
    np.testing.assert_allclose(loglik[0, 0], np.sum(result.llf_obs[1:]), rtol=1e-10)
