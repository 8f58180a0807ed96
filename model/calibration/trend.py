r"""A measured local trend: the level of a short series from noisy, partial-year figures.

Most of the province's series have three to six figures, several of them partial-year or
derived, each a *measurement* with a known standard error (``sigma_si``, assumptions A3-A4 in
``calibration/data/SOURCES.md``). :func:`fit_measured_trend` reads them as such with a
state-space model (statsmodels' Kalman filter):

.. math::

    y_t = \ell_t + \varepsilon_t, \quad \varepsilon_t \sim N(0, s_t^2)\ \text{(known)}

    \ell_{t+1} = \ell_t + d + \eta_t, \quad \eta_t \sim N(0, \sigma^2)

on the series' transformed scale (logit for shares, log for counts), with the level diffuse,
the drift ``d`` constant with a prior ``N(mu_d, s_d^2)`` (the series' own prior, or a related
series' relation, :mod:`mfgplan.calibration.relations`) and the volatility ``sigma`` integrated
over a grid with a log-normal prior (Bayesian model averaging over ``sigma``: with four
figures the data cannot pin it down, so the forecast mixes what they allow). The filtered
state at the last figure, mean and covariance for each ``sigma``, is what the forecast starts
from: so the level is a weighted combination of every figure by its error, not the last
figure with its full error, and the drift's uncertainty is correlated with the level's.

A statistic whose definition has changed before carries a risk of re-definition
(:class:`Redefinition`): a compound Poisson jump on the same scale, with its hazard and size
estimated from the documented breaks.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["TRANSFORMS", "MeasuredTrend", "Redefinition", "fit_measured_trend", "measurement_sd"]

#: grid of the volatility's prior: log sigma ~ N(log sigma_0, SIGMA_PRIOR_LOG_SD^2); the grid
#: spans +-3 prior sd in SIGMA_GRID points (assumption A13)
SIGMA_PRIOR_LOG_SD = 1.0
SIGMA_GRID = 41


def _expit(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


#: transform name -> (forward, backward): shares on the logit scale, counts on the log scale
TRANSFORMS = {
    "log": (np.log, np.exp),
    "logit": (lambda p: np.log(p) - np.log1p(-p), _expit),
    "identity": (lambda x: x, lambda x: x),
}


def measurement_sd(values: np.ndarray, sigmas: np.ndarray, transform: str) -> np.ndarray:
    """Standard errors of figures on the transformed scale (delta method, a forward difference).

    ``|f(v + s) - f(v)|`` for figures ``v`` with standard errors ``s`` in natural units.
    """
    forward = TRANSFORMS[transform][0]
    values = np.asarray(values, dtype=float)
    return np.abs(forward(values + np.asarray(sigmas, dtype=float) + 1e-6) - forward(values))


@dataclass(frozen=True)
class Redefinition:
    r"""Risk that a statistic is re-defined: jumps on the transformed scale.

    Each future year a re-definition happens with probability ``1 - exp(-lambda)``, where
    ``lambda ~ Gamma(breaks + 1/2, exposure_years)`` (the Jeffreys posterior of a Poisson
    rate from ``breaks`` documented breaks in ``exposure_years``, drawn once per path); its
    size is ``N(size_mean, size_sd^2)`` and shifts the path from that year on.
    """

    breaks: int
    exposure_years: float
    size_mean: float
    size_sd: float
    source: str

    @property
    def hazard(self) -> float:
        """Posterior mean of the yearly hazard, 1/year."""
        return (self.breaks + 0.5) / self.exposure_years

    def simulate(self, n: int, steps: int, rng: np.random.Generator) -> np.ndarray:
        """Cumulative jumps ``(n, steps)`` for the years after the last figure."""
        rate = rng.gamma(self.breaks + 0.5, 1.0 / self.exposure_years, size=n)
        happens = rng.random((n, steps)) < -np.expm1(-rate)[:, None]
        sizes = self.size_mean + self.size_sd * rng.standard_normal((n, steps))
        return np.cumsum(np.where(happens, sizes, 0.0), axis=1)


@dataclass(frozen=True)
class MeasuredTrend:
    """A fitted measured local trend (see the module docstring).

    ``weights[g]`` is the posterior weight of ``sigmas[g]``; ``means[g]`` and ``covs[g]``
    are the filtered ``(level, drift)`` at ``last_year`` given that volatility. ``drift``,
    ``drift_se`` and ``sigma`` summarise the mixture (for series that borrow them).
    """

    transform: str
    last_year: int
    sigmas: np.ndarray
    weights: np.ndarray
    means: np.ndarray
    covs: np.ndarray
    method: str
    redefinition: Redefinition | None = None

    @property
    def drift(self) -> float:
        """Posterior mean drift, per year on the transformed scale."""
        return float(self.weights @ self.means[:, 1])

    @property
    def drift_se(self) -> float:
        """Posterior sd of the drift (within and between volatilities)."""
        var = self.weights @ (self.covs[:, 1, 1] + (self.means[:, 1] - self.drift) ** 2)
        return float(np.sqrt(var))

    @property
    def sigma(self) -> float:
        """Posterior mean volatility, per year on the transformed scale."""
        return float(self.weights @ self.sigmas)

    def simulate(self, years: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """Paths ``(n, len(years))`` in natural units; ``years`` start at or after the last figure.

        Draw order: the volatility index, the state (two normals), the innovations, then the
        re-definition jumps.
        """
        years = np.asarray(years, dtype=int)
        index = years - self.last_year
        if (index < 0).any():
            raise ValueError("years before the last observation")
        steps = int(index.max())
        pick = rng.choice(self.sigmas.size, size=n, p=self.weights)
        chol = np.linalg.cholesky(self.covs + 1e-14 * np.eye(2))
        state = self.means[pick] + np.einsum("nij,nj->ni", chol[pick], rng.standard_normal((n, 2)))
        level, drift = state[:, 0], state[:, 1]
        shocks = self.sigmas[pick, None] * rng.standard_normal((n, steps))
        walk = np.cumsum(drift[:, None] + shocks, axis=1)
        if self.redefinition is not None and steps:
            walk = walk + self.redefinition.simulate(n, steps, rng)
        path = np.concatenate([level[:, None], level[:, None] + walk], axis=1)
        return TRANSFORMS[self.transform][1](path[:, index])


def _trend_model(endog: np.ndarray, obs_var: np.ndarray, drift_prior: tuple[float, float]):
    """The state-space model ``(level, drift)`` of the module docstring, volatility unset."""
    from statsmodels.tsa.statespace.initialization import Initialization
    from statsmodels.tsa.statespace.mlemodel import MLEModel

    model = MLEModel(endog, k_states=2, k_posdef=1)
    model["design"] = np.array([[1.0, 0.0]])
    model["transition"] = np.array([[1.0, 1.0], [0.0, 1.0]])
    model["selection"] = np.array([[1.0], [0.0]])
    model["obs_cov"] = obs_var.reshape(1, 1, -1)
    init = Initialization(2)
    init.set(0, "diffuse")
    init.set(1, "known", constant=[drift_prior[0]], stationary_cov=[[drift_prior[1] ** 2]])
    model.ssm.initialization = init
    return model


def _filtered(model, sigma: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Log-likelihood and filtered ``(level, drift)`` mean and covariance at the last year."""
    model["state_cov"] = np.array([[sigma**2]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.ssm.filter()
    return (
        float(np.sum(result.llf_obs)),
        np.asarray(result.filtered_state[:, -1]),
        np.asarray(result.filtered_state_cov[:, :, -1]),
    )


def fit_measured_trend(
    years: np.ndarray,
    values: np.ndarray,
    sigmas: np.ndarray,
    transform: str,
    *,
    drift_prior: tuple[float, float],
    sigma_prior: float,
    drift_source: str = "prior",
    redefinition: Redefinition | None = None,
) -> MeasuredTrend:
    """Fit the measured local trend of one series (module docstring).

    Parameters
    ----------
    years, values, sigmas
        Figures (one per year, increasing), in natural units, with their standard errors.
    transform
        ``"logit"`` (shares) or ``"log"`` (counts, levels).
    drift_prior
        ``(mean, sd)`` of the drift, per year on the transformed scale.
    sigma_prior
        Prior median of the yearly volatility on the transformed scale.
    drift_source
        Where the drift prior comes from, for :attr:`MeasuredTrend.method`.
    redefinition
        The series' re-definition risk, if its definition has changed before.
    """
    years = np.asarray(years, dtype=int)
    x = TRANSFORMS[transform][0](np.asarray(values, dtype=float))
    sd = measurement_sd(values, sigmas, transform)
    grid = np.arange(years[0], years[-1] + 1)
    endog = np.full(grid.size, np.nan)
    endog[years - years[0]] = x
    obs_var = np.ones(grid.size)
    obs_var[years - years[0]] = np.maximum(sd, 1e-6) ** 2
    log_grid = np.linspace(-3.0, 3.0, SIGMA_GRID) * SIGMA_PRIOR_LOG_SD
    sigma_grid = sigma_prior * np.exp(log_grid)
    loglik = np.empty(SIGMA_GRID)
    means = np.empty((SIGMA_GRID, 2))
    covs = np.empty((SIGMA_GRID, 2, 2))
    model = _trend_model(endog, obs_var, drift_prior)
    for g, sigma in enumerate(sigma_grid):
        loglik[g], means[g], covs[g] = _filtered(model, float(sigma))
    log_post = loglik - 0.5 * (log_grid / SIGMA_PRIOR_LOG_SD) ** 2
    weights = np.exp(log_post - log_post.max())
    weights /= weights.sum()
    method = (
        f"measured local trend (Kalman filter on {years.size} figure(s) with their errors; "
        f"drift prior: {drift_source})"
    )
    if redefinition is not None:
        method += f"; re-definition risk {redefinition.hazard:.3f}/year ({redefinition.source})"
    return MeasuredTrend(
        transform, int(years[-1]), sigma_grid, weights, means, covs, method, redefinition
    )
