r"""Measured local trends: the level and trend of short series from noisy, partial-year figures.

Most of the province's series have three to six figures, several of them partial-year or
derived, each a *measurement* with a stated standard error (``sigma_si``, assumptions A3-A4 in
``calibration/data/SOURCES.md``). :func:`fit_measured_trends` reads them as such with a
state-space model (a Kalman filter, :func:`kalman_grid`):

.. math::

    y_t = \ell_t + \varepsilon_t, \quad \varepsilon_t \sim N(0, \kappa^2 s_t^2)

    \ell_{t+1} = \ell_t + d + \eta_t, \quad \eta_t \sim N(0, \sigma^2)

on the series' transformed scale (logit for shares, log for counts), with the level diffuse,
the drift ``d`` constant with a prior ``N(mu_d, s_d^2)`` (the series' own prior, or a related
series' relation, :mod:`mfgplan.calibration.relations`). Two things a few figures cannot say
alone are pooled across series and integrated over grids (Bayesian model averaging): the scale
``kappa`` of the stated errors (are the figures as good as A3 says? assumption A16) and the
volatility ``sigma`` of series in one group. The filtered state at the last figure, mean and
covariance for each grid point, is what the forecast starts from: so the level is a weighted
combination of every figure by its error, not the last figure with its full error, and the
drift's uncertainty is correlated with the level's.

A statistic whose definition has changed before carries a risk of re-definition
(:class:`Redefinition`): a compound Poisson jump on the same scale, with its hazard and size
estimated from the documented breaks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "TRANSFORMS",
    "ErrorScale",
    "MeasuredTrend",
    "Redefinition",
    "TrendSeries",
    "fit_measured_trends",
    "measurement_sd",
]

#: grid of the volatility's prior: log sigma ~ N(log sigma_0, SIGMA_PRIOR_LOG_SD^2); the grid
#: spans +-3 prior sd in SIGMA_GRID points (assumption A13)
SIGMA_PRIOR_LOG_SD = 1.0
SIGMA_GRID = 41
#: prior of the measurement-error scale ``kappa`` (a common multiplier on the A3-A4 standard
#: errors): log kappa ~ N(0, KAPPA_PRIOR_LOG_SD^2), median 1 (the figures are as good as A3-A4
#: say), on KAPPA_GRID points spanning +-3 prior sd (assumption A16)
KAPPA_PRIOR_LOG_SD = 1.0
KAPPA_GRID = 25


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


@dataclass(frozen=True)
class TrendSeries:
    """One series for :func:`fit_measured_trends`: its figures and priors.

    Series with the same ``volatility_group`` share one volatility multiplier ``tau``
    (``sigma = tau x sigma_prior``); ``None`` gives the series a multiplier of its own.
    """

    name: str
    years: np.ndarray
    values: np.ndarray
    sigmas: np.ndarray
    transform: str
    drift_prior: tuple[float, float]
    sigma_prior: float
    drift_source: str = "prior"
    redefinition: Redefinition | None = None
    volatility_group: str | None = None


@dataclass(frozen=True)
class ErrorScale:
    """Posterior of the measurement-error scale ``kappa`` pooled over the fitted series."""

    kappas: np.ndarray
    weights: np.ndarray
    series: tuple[str, ...]

    @property
    def mean(self) -> float:
        """Posterior mean of kappa."""
        return float(self.weights @ self.kappas)

    @property
    def mode(self) -> float:
        """Grid point of highest posterior weight."""
        return float(self.kappas[int(np.argmax(self.weights))])

    def quantile(self, q: float) -> float:
        """Posterior quantile of kappa on the grid (the first point whose cdf reaches q)."""
        return float(self.kappas[int(np.searchsorted(np.cumsum(self.weights), q))])


def kalman_grid(
    endog: np.ndarray,
    obs_sd: np.ndarray,
    drift_prior: tuple[float, float],
    kappas: np.ndarray,
    sigmas: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""The local-trend Kalman filter on a grid of error scales and volatilities at once.

    ``endog`` is the yearly series on the transformed scale (NaN where no figure; the first
    is a figure), ``obs_sd`` the figures' measurement sds; grid point ``(k, g)`` has
    measurement sds ``kappas[k] obs_sd`` and volatility ``sigmas[g]``. The level is diffuse:
    after the first figure it is ``N(y_1, kappa^2 s_1^2)`` and the drift keeps its prior, which
    is the exact-diffuse filter's state (Durbin & Koopman 2012, sec. 5.2) with the first
    figure's constant likelihood term dropped. Then for each year

    .. math::

        a \leftarrow T a, \quad P \leftarrow T P T' + \mathrm{diag}(\sigma^2, 0)

        v = y_t - a_1, \quad F = P_{11} + \kappa^2 s_t^2, \quad
        \ell \mathrel{+}= -\tfrac12 (\ln 2\pi F + v^2 / F)

        a \mathrel{+}= P_{\cdot 1} v / F, \quad P \mathrel{-}= P_{\cdot 1} P_{1 \cdot} / F

    Returns the log-likelihood ``(K, G)`` and the filtered ``(level, drift)`` mean
    ``(K, G, 2)`` and covariance ``(K, G, 2, 2)`` at the last year.
    """
    shape = (kappas.size, sigmas.size)
    obs_var = (kappas[:, None] * np.asarray(obs_sd)[None, :]) ** 2  # (K, years)
    state = np.empty((*shape, 2))
    state[..., 0], state[..., 1] = endog[0], drift_prior[0]
    cov = np.zeros((*shape, 2, 2))
    cov[..., 0, 0] = obs_var[:, None, 0]
    cov[..., 1, 1] = drift_prior[1] ** 2
    loglik = np.zeros(shape)
    volatility = np.broadcast_to(sigmas[None, :] ** 2, shape)
    for t in range(1, endog.size):
        state[..., 0] += state[..., 1]
        p00, p01, p11 = cov[..., 0, 0], cov[..., 0, 1], cov[..., 1, 1]
        cov[..., 0, 0] = p00 + 2.0 * p01 + p11 + volatility
        cov[..., 0, 1] = cov[..., 1, 0] = p01 + p11
        if np.isnan(endog[t]):
            continue
        innovation = endog[t] - state[..., 0]
        variance = cov[..., 0, 0] + obs_var[:, None, t]
        loglik -= 0.5 * (np.log(2.0 * np.pi * variance) + innovation**2 / variance)
        gain = cov[..., :, 0] / variance[..., None]
        state += gain * innovation[..., None]
        cov -= gain[..., :, None] * cov[..., None, 0, :]
    return loglik, state, cov


def _grid_fit(spec: TrendSeries, kappas: np.ndarray, taus: np.ndarray):
    """One series' :func:`kalman_grid` on the ``(kappa, tau)`` grid, on its yearly grid."""
    years = np.asarray(spec.years, dtype=int)
    x = TRANSFORMS[spec.transform][0](np.asarray(spec.values, dtype=float))
    sd = np.maximum(measurement_sd(spec.values, spec.sigmas, spec.transform), 1e-6)
    grid = np.arange(years[0], years[-1] + 1)
    endog = np.full(grid.size, np.nan)
    endog[years - years[0]] = x
    obs_sd = np.ones(grid.size)
    obs_sd[years - years[0]] = sd
    return kalman_grid(endog, obs_sd, spec.drift_prior, kappas, taus * spec.sigma_prior)


def _normalise(log_weights: np.ndarray, axis: int | None = None) -> np.ndarray:
    """Weights ``exp(log_weights)`` normalised to sum to one along ``axis``."""
    w = np.exp(log_weights - np.max(log_weights, axis=axis, keepdims=True))
    return w / w.sum(axis=axis, keepdims=True)


def _log_marginal(log_weights: np.ndarray) -> np.ndarray:
    """``log sum exp`` over the last axis, shifted by its maximum (no overflow)."""
    peak = log_weights.max(axis=-1, keepdims=True)
    return peak[..., 0] + np.log(np.exp(log_weights - peak).sum(axis=-1))


def fit_measured_trends(
    specs: list[TrendSeries],
) -> tuple[dict[str, MeasuredTrend], ErrorScale]:
    r"""Fit several measured local trends that share what short series cannot say alone.

    Two quantities are pooled (partial pooling would need more series than the province has):

    - the **measurement-error scale** ``kappa``, a common multiplier on every figure's A3-A4
      standard error, with prior ``log kappa ~ N(0, 1)`` (assumption A16): the figures of all
      series together say how good the statistics are;
    - the **volatility multiplier** ``tau`` within a ``volatility_group``
      (``sigma_i = tau sigma_prior_i``), prior ``log tau ~ N(0, SIGMA_PRIOR_LOG_SD^2)``.

    With ``L_i(kappa, tau)`` each series' Kalman-filter log-likelihood (:func:`kalman_grid`:
    level diffuse, drift with the series' prior),

    .. math::

        p(\kappa \mid y) \propto p(\kappa) \prod_g \int p(\tau) \prod_{i \in g}
            e^{L_i(\kappa, \tau)} \, d\tau, \qquad
        p(\tau \mid \kappa, y_g) \propto p(\tau) \prod_{i \in g} e^{L_i(\kappa, \tau)}

    on a ``KAPPA_GRID x SIGMA_GRID`` grid; each series' forecast mixes its filtered states
    over the grid with weights ``p(kappa | y) p(tau | kappa, y_g)``.
    """
    log_k = np.linspace(-3.0, 3.0, KAPPA_GRID) * KAPPA_PRIOR_LOG_SD
    log_t = np.linspace(-3.0, 3.0, SIGMA_GRID) * SIGMA_PRIOR_LOG_SD
    kappas, taus = np.exp(log_k), np.exp(log_t)
    prior_k = -0.5 * (log_k / KAPPA_PRIOR_LOG_SD) ** 2
    prior_t = -0.5 * (log_t / SIGMA_PRIOR_LOG_SD) ** 2
    fits = {spec.name: _grid_fit(spec, kappas, taus) for spec in specs}
    groups: dict[str, list[TrendSeries]] = {}
    for spec in specs:
        groups.setdefault(spec.volatility_group or f"own:{spec.name}", []).append(spec)
    log_post_k = prior_k.copy()
    tau_given_k: dict[str, np.ndarray] = {}
    for key, members in groups.items():
        joint = sum(fits[spec.name][0] for spec in members) + prior_t[None, :]
        log_post_k += _log_marginal(joint)
        tau_given_k[key] = _normalise(joint, axis=1)
    post_k = _normalise(log_post_k)
    trends: dict[str, MeasuredTrend] = {}
    for key, members in groups.items():
        weights = (post_k[:, None] * tau_given_k[key]).ravel()
        names = ", ".join(spec.name for spec in members)
        for spec in members:
            _, means, covs = fits[spec.name]
            shared = f", volatility pooled over {names}" if len(members) > 1 else ""
            method = (
                f"measured local trend (Kalman filter on {len(spec.years)} figure(s) with their "
                f"errors, error scale pooled over {len(specs)} series{shared}; drift prior: "
                f"{spec.drift_source})"
            )
            if spec.redefinition is not None:
                method += (
                    f"; re-definition risk {spec.redefinition.hazard:.3f}/year "
                    f"({spec.redefinition.source})"
                )
            trends[spec.name] = MeasuredTrend(
                spec.transform,
                int(np.asarray(spec.years)[-1]),
                np.tile(taus * spec.sigma_prior, kappas.size),
                weights,
                means.reshape(-1, 2),
                covs.reshape(-1, 2, 2),
                method,
                spec.redefinition,
            )
    return trends, ErrorScale(kappas, post_k, tuple(s.name for s in specs))
