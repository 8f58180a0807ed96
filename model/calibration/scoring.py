"""Scores of probabilistic forecasts against observed statistics (the back-test).

A forecast of an indicator in a year is an ensemble of samples (model replicates, or paths of
a benchmark time-series model); an observation is one figure of
:func:`mfgplan.calibration.observed.read_observed` /
:func:`mfgplan.calibration.observed.shipped_observations`.
Each pair is scored with

- the continuous ranked probability score (CRPS, in the indicator's SI unit; lower is better),
  and the CRPS relative to the observed magnitude, which is comparable across indicators;
- whether the observation falls inside the central 90% band (5%-95% quantiles); over many
  pairs the share inside estimates the band's coverage, which should be near 0.9.

:func:`ets_samples` provides the benchmark: a plain exponential-smoothing (Holt) forecast
from the same history points the model sees.

References
----------
Gneiting, T. and Raftery, A. E. (2007). Strictly proper scoring rules, prediction, and
estimation. *Journal of the American Statistical Association* 102(477), 359-378.

Hyndman, R. J., Koehler, A. B., Ord, J. K. and Snyder, R. D. (2008). *Forecasting with
Exponential Smoothing: The State Space Approach*. Springer.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
from scipy.stats import norm

from mfgplan.calibration.forecast import TRANSFORMS

__all__ = [
    "RW_SIGMA_FLOOR",
    "EtsForecast",
    "crps_ensemble",
    "crps_normal",
    "ets_samples",
    "score_rows",
    "summarise",
    "summarise_by_indicator",
    "verdict_rows",
]

#: floor of the random walk's innovation sd on the transformed scale (a year)
RW_SIGMA_FLOOR = 0.02

SCORE_COLUMNS = (
    "forecaster",
    "indicator",
    "year",
    "period",
    "approximate",
    "proxy",
    "observed",
    "median",
    "p5",
    "p95",
    "inside90",
    "crps",
    "crps_relative",
    "n_samples",
    "status",
)


def _samples(samples: Iterable[float] | np.ndarray) -> np.ndarray:
    x = np.asarray(samples, dtype=float).ravel()
    if x.size == 0:
        raise ValueError("empty ensemble")
    if np.isnan(x).any():
        raise ValueError("ensemble contains NaN")
    if not np.isfinite(x).all():
        raise ValueError("ensemble contains an infinite value")
    return x


def crps_ensemble(samples: Iterable[float] | np.ndarray, observed: float) -> float:
    r"""CRPS of an ensemble forecast (empirical distribution of the samples).

    .. math::

        \mathrm{CRPS}(F_n, y) = E|X - y| - \tfrac12 E|X - X'|

    with :math:`X, X'` independent draws from the empirical distribution :math:`F_n` of the
    ``n`` samples: this is the energy ("NRG") form, the exact CRPS of :math:`F_n`, not the
    "fair" form that divides the second term by :math:`n(n-1)` instead of :math:`n^2`
    (Gneiting & Raftery 2007, eq. 21; Ferro et al. 2008). For sorted samples
    :math:`x_{(1)} \le \dots \le x_{(n)}`

    .. math::

        E|X - X'| = \frac{2}{n^2} \sum_{i=1}^{n} (2i - n - 1)\, x_{(i)},

    so the score costs :math:`O(n \log n)`.

    Parameters
    ----------
    samples
        Ensemble members (any shape; flattened), finite.
    observed
        The observation, in the samples' unit.

    Returns
    -------
    float
        CRPS in the unit of the samples (``>= 0``; a one-member ensemble gives ``|x - y|``).

    Raises
    ------
    ValueError
        Empty ensemble, NaN or infinite samples, non-finite observation.
    """
    x = np.sort(_samples(samples))
    y = float(observed)
    if not np.isfinite(y):
        raise ValueError(f"observation is not finite ({observed!r})")
    n = x.size
    spread = 2.0 / n**2 * float(np.dot(2.0 * np.arange(1, n + 1) - n - 1.0, x))
    return float(np.mean(np.abs(x - y)) - 0.5 * spread)


def crps_normal(mu: float, sigma: float, observed: float) -> float:
    r"""CRPS of a normal forecast :math:`N(\mu, \sigma^2)`, closed form.

    .. math::

        \mathrm{CRPS} = \sigma \left[ z\,(2\Phi(z) - 1) + 2\varphi(z)
        - \frac{1}{\sqrt{\pi}} \right], \qquad z = \frac{y - \mu}{\sigma}

    (Gneiting & Raftery 2007, eq. 5). ``sigma == 0`` is the point forecast: ``|y - mu|``.

    Raises
    ------
    ValueError
        Negative ``sigma``.
    """
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0 (got {sigma})")
    if sigma == 0:
        return float(abs(observed - mu))
    z = (observed - mu) / sigma
    with np.errstate(under="ignore"):  # far in the tail the density is 0 to double precision
        density = norm.pdf(z)
    return float(sigma * (z * (2.0 * norm.cdf(z) - 1.0) + 2.0 * density - 1.0 / np.sqrt(np.pi)))


def score_rows(
    observations: pd.DataFrame,
    samples: Mapping[tuple[str, int], np.ndarray],
    forecaster: str,
) -> pd.DataFrame:
    """Score a forecaster's ensembles against each observation.

    Parameters
    ----------
    observations
        Frame as from :func:`mfgplan.calibration.observed.read_observed` (columns ``indicator``,
        ``year``, ``value_si``, ``period``, ``approximate``, ``proxy``).
    samples
        ``(indicator, year) -> samples`` in the observations' SI units.
    forecaster
        Name written in the ``forecaster`` column.

    Returns
    -------
    pandas.DataFrame
        One row per observation, columns ``forecaster, indicator, year, period, approximate,
        proxy, observed, median, p5, p95, inside90, crps, crps_relative, n_samples, status``.
        Quantiles use numpy's default (linear) method; ``inside90`` is
        ``p5 <= observed <= p95``; ``crps_relative = crps / |observed|`` (NaN if the
        observation is 0). ``status`` is ``"scored"``, ``"scored (approximate: {period}
        figure)"`` for a partial-year observation, or ``"no forecast"`` (no samples for the
        indicator and year; scores NaN, ``inside90`` missing, ``n_samples`` 0).
    """
    rows = []
    for obs in observations.itertuples(index=False):
        indicator, year = str(obs.indicator), int(obs.year)
        observed = float(obs.value_si)
        period = str(getattr(obs, "period", "year"))
        approximate = bool(getattr(obs, "approximate", False))
        row: dict[str, object] = {
            "forecaster": forecaster,
            "indicator": indicator,
            "year": year,
            "period": period,
            "approximate": approximate,
            "proxy": bool(getattr(obs, "proxy", False)),
            "observed": observed,
        }
        ensemble = samples.get((indicator, year))
        if ensemble is None:
            row.update(
                median=np.nan,
                p5=np.nan,
                p95=np.nan,
                inside90=pd.NA,
                crps=np.nan,
                crps_relative=np.nan,
                n_samples=0,
                status="no forecast",
            )
        else:
            x = _samples(ensemble)
            p5, median, p95 = np.quantile(x, [0.05, 0.5, 0.95])
            crps = crps_ensemble(x, observed)
            row.update(
                median=float(median),
                p5=float(p5),
                p95=float(p95),
                inside90=bool(p5 <= observed <= p95),
                crps=crps,
                crps_relative=crps / abs(observed) if observed != 0 else np.nan,
                n_samples=int(x.size),
                status=f"scored (approximate: {period} figure)" if approximate else "scored",
            )
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(SCORE_COLUMNS))
    return table.astype(
        {
            "year": int,
            "approximate": bool,
            "proxy": bool,
            "observed": float,
            "median": float,
            "p5": float,
            "p95": float,
            "inside90": "boolean",
            "crps": float,
            "crps_relative": float,
            "n_samples": int,
        }
    )


def _scored(table: pd.DataFrame, include_approximate: bool) -> pd.DataFrame:
    scored = table[table["status"].str.startswith("scored")]
    if not include_approximate:
        scored = scored[~scored["approximate"].astype(bool)]
    return scored


def summarise(table: pd.DataFrame, include_approximate: bool = True) -> pd.DataFrame:
    """One row per forecaster: counts, 90% band coverage and mean relative CRPS.

    The CRPS is in the indicator's unit (yuan, fraction, count), so its mean across indicators
    is meaningless; the overall summary averages ``crps_relative`` (CRPS / |observed|)
    instead. Per-indicator CRPS: :func:`summarise_by_indicator`.

    Parameters
    ----------
    table
        Output of :func:`score_rows` (several forecasters may be concatenated).
    include_approximate
        Count partial-year observations; ``False`` keeps full-year figures only.

    Returns
    -------
    pandas.DataFrame
        Columns ``forecaster, n_scored, n_approximate, coverage90, mean_crps_relative``;
        ``coverage90`` is the share of scored rows inside the 5%-95% band (NaN if none). A
        forecaster with no scored row has ``n_scored == 0`` and NaN scores.
    """
    scored = _scored(table, include_approximate)
    rows = []
    for forecaster in pd.unique(table["forecaster"]):
        mine = scored[scored["forecaster"] == forecaster]
        rows.append(
            {
                "forecaster": forecaster,
                "n_scored": len(mine),
                "n_approximate": int(mine["approximate"].astype(bool).sum()),
                "coverage90": float(mine["inside90"].astype(float).mean()) if len(mine) else np.nan,
                "mean_crps_relative": float(mine["crps_relative"].mean()) if len(mine) else np.nan,
            }
        )
    columns = ["forecaster", "n_scored", "n_approximate", "coverage90", "mean_crps_relative"]
    return pd.DataFrame(rows, columns=columns)


def summarise_by_indicator(table: pd.DataFrame, include_approximate: bool = True) -> pd.DataFrame:
    """One row per forecaster and indicator: count, coverage, mean CRPS (SI unit) and relative.

    Returns
    -------
    pandas.DataFrame
        Columns ``forecaster, indicator, n, coverage90, mean_crps, mean_crps_relative`` for
        the scored rows (partial-year ones unless ``include_approximate`` is false).
    """
    scored = _scored(table, include_approximate)
    columns = ["forecaster", "indicator", "n", "coverage90", "mean_crps", "mean_crps_relative"]
    if scored.empty:
        return pd.DataFrame({c: [] for c in columns})
    grouped = scored.assign(inside=scored["inside90"].astype(float)).groupby(
        ["forecaster", "indicator"], sort=False
    )
    out = grouped.agg(
        n=("crps", "size"),
        coverage90=("inside", "mean"),
        mean_crps=("crps", "mean"),
        mean_crps_relative=("crps_relative", "mean"),
    ).reset_index()
    return out[columns]


class _Target(Protocol):
    """What :func:`verdict_rows` reads of a target.

    For example :class:`mfgplan.analysis.targets.Target`.
    """

    @property
    def name(self) -> str: ...
    @property
    def indicator(self) -> str: ...
    @property
    def year(self) -> int: ...
    @property
    def threshold(self) -> float: ...


def verdict_rows(
    observations: pd.DataFrame,
    samples: Mapping[tuple[str, int], np.ndarray],
    targets: Iterable[_Target],
) -> pd.DataFrame:
    """Whether the forecast called each plan target right.

    A target is met when ``value >= threshold`` in its year (all of the plan's targets are
    floors, :mod:`mfgplan.analysis.targets`). For each target whose indicator and year have both an
    observation and samples, the observed outcome is compared with the forecast's verdict
    ``probability >= 0.5``, where ``probability`` is the share of samples ``>= threshold``.
    If the year has several observations (full-year and partial), the full-year one is used.

    Returns
    -------
    pandas.DataFrame
        Columns ``target, indicator, year, threshold, observed, observed_met, probability,
        model_verdict, verdict_matched, period, approximate``.
    """
    rows = []
    for target in targets:
        key = (target.indicator, int(target.year))
        ensemble = samples.get(key)
        match = observations[
            (observations["indicator"] == target.indicator) & (observations["year"] == key[1])
        ]
        if ensemble is None or match.empty:
            continue
        if "approximate" in match:
            match = match.sort_values("approximate", kind="stable")
        obs = match.iloc[0]
        x = _samples(ensemble)
        observed = float(obs["value_si"])
        probability = float(np.mean(x >= target.threshold))
        observed_met = observed >= target.threshold
        model_verdict = probability >= 0.5
        rows.append(
            {
                "target": target.name,
                "indicator": target.indicator,
                "year": key[1],
                "threshold": float(target.threshold),
                "observed": observed,
                "observed_met": observed_met,
                "probability": probability,
                "model_verdict": model_verdict,
                "verdict_matched": observed_met == model_verdict,
                "period": str(obs.get("period", "year")),
                "approximate": bool(obs.get("approximate", False)),
            }
        )
    columns = [
        "target",
        "indicator",
        "year",
        "threshold",
        "observed",
        "observed_met",
        "probability",
        "model_verdict",
        "verdict_matched",
        "period",
        "approximate",
    ]
    return pd.DataFrame(rows, columns=columns)


# --- benchmark: exponential smoothing -------------------------------------------------------


#: the statistical baseline's transforms (``none`` is its ``identity``)
_TRANSFORMS = {
    "logit": TRANSFORMS["logit"],
    "log": TRANSFORMS["log"],
    "none": TRANSFORMS["identity"],
}


@dataclass(frozen=True)
class EtsForecast:
    """Samples of the benchmark forecast and the method that produced them.

    Attributes
    ----------
    samples
        ``year -> array of n samples`` on the original scale.
    method
        ``"ETS(A,A,N)"`` (with notes such as ``"gaps interpolated"``), or
        ``"random walk with drift (...)"`` with the reason for the fallback.
    """

    samples: dict[int, np.ndarray]
    method: str


def _simulate_ets(
    z: np.ndarray, h: int, n: int, rng: np.random.Generator
) -> tuple[np.ndarray | None, str]:
    """Holt (ETS(A,A,N)) simulated paths ``(h, n)`` on the transformed scale, or a reason."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    notes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = ETSModel(z, error="add", trend="add", damped_trend=False).fit(disp=False)
            # statsmodels >= 0.15 seeds with ``rng``, older releases with ``random_state``
            seed_arg = "rng" if "rng" in inspect.signature(fit.simulate).parameters else None
            kwargs = {seed_arg or "random_state": rng}
            paths = np.asarray(
                fit.simulate(nsimulations=h, anchor="end", repetitions=n, **kwargs), dtype=float
            ).reshape(h, n)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError) as err:
            return None, f"ETS failed ({type(err).__name__})"
    if not np.isfinite(paths).all():
        return None, "ETS gave non-finite paths"
    if not fit.mle_retvals.get("converged", True) or any(
        "converge" in str(w.message).lower() for w in caught
    ):
        notes.append("optimiser not converged")
    return paths, "; ".join(notes)


def _simulate_drift(
    years: np.ndarray, z: np.ndarray, h: int, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Random walk with drift ``(h, n)`` on the transformed scale from the observed points."""
    steps = np.diff(years).astype(float)
    dz = np.diff(z)
    drift = float((z[-1] - z[0]) / (years[-1] - years[0])) if years.size > 1 else 0.0
    if steps.size >= 2:
        var = float(np.sum((dz - drift * steps) ** 2 / steps) / (steps.size - 1))
        sigma = max(float(np.sqrt(var)), RW_SIGMA_FLOOR)
    else:
        sigma = RW_SIGMA_FLOOR
    shocks = rng.standard_normal((h, n)) * sigma
    return z[-1] + drift * np.arange(1, h + 1)[:, None] + np.cumsum(shocks, axis=0)


def ets_samples(
    years: Iterable[int] | np.ndarray,
    values: Iterable[float] | np.ndarray,
    forecast_years: Iterable[int],
    n: int,
    rng: np.random.Generator | int | None,
    transform: str,
) -> EtsForecast:
    """A plain exponential-smoothing forecast of one indicator, to score the model against.

    Notes
    -----
    1. Transform the history ``x`` to ``z``: ``logit`` for shares (``log(p / (1 - p))``),
       ``log`` for levels and counts, ``none`` for growth rates.
    2. Assumption: missing interior years are filled by linear interpolation of ``z`` (a
       geometric path for ``log``), so the model sees an annual series from the first to the
       last history year.
    3. With at least 4 observed points: Holt's linear method as a state-space model
       ETS(A,A,N) (additive error, additive undamped trend; Hyndman et al. 2008),
       ``statsmodels.tsa.exponential_smoothing.ets.ETSModel`` fitted by maximum likelihood,
       and ``n`` paths simulated from the end of the sample with normal innovations of the
       estimated variance. A non-converged optimiser is accepted (noted in ``method``).
    4. Fallback (fewer than 4 points, an exception in the fit or simulation, or non-finite
       paths): random walk with drift on the ``z`` scale,
       ``z_{T+k} = z_T + k d + sigma (e_1 + ... + e_k)``, ``e ~ N(0, 1)``, with
       ``d = (z_T - z_0) / (T - t_0)`` from the end points and
       ``sigma^2 = sum_j (dz_j - d dt_j)^2 / dt_j / (m - 1)`` over the ``m`` differences of the
       observed points (a gap of ``dt`` years has variance ``dt sigma^2``), floored at
       :data:`RW_SIGMA_FLOOR` = 0.02 (and equal to it with fewer than 3 points).
    5. Back-transform the paths.

    Parameters
    ----------
    years, values
        Observed history points, one per year, strictly increasing years (gaps allowed).
    forecast_years
        Years to return, each after the last history year.
    n
        Number of samples per year.
    rng
        Generator (or seed) for the simulation; the same seed gives the same samples.
    transform
        ``"logit"`` (values in (0, 1)), ``"log"`` (values > 0) or ``"none"``.

    Returns
    -------
    EtsForecast
        ``samples[year]`` (``n`` values on the original scale) and ``method``.

    Raises
    ------
    ValueError
        Unknown transform, values outside the transform's domain, non-finite values, no or
        unsorted history, ``n < 1``, or a forecast year not after the last history year.
    """
    if transform not in _TRANSFORMS:
        raise ValueError(f"transform must be one of {sorted(_TRANSFORMS)} (got {transform!r})")
    t = np.asarray(list(years), dtype=int)
    x = np.asarray(list(values), dtype=float)
    if t.size == 0 or t.shape != x.shape:
        raise ValueError("years and values must be non-empty and of the same length")
    if (np.diff(t) <= 0).any():
        raise ValueError("years must be strictly increasing")
    if not np.isfinite(x).all():
        raise ValueError("values must be finite")
    if transform == "logit" and ((x <= 0) | (x >= 1)).any():
        raise ValueError("logit transform needs values in (0, 1)")
    if transform == "log" and (x <= 0).any():
        raise ValueError("log transform needs positive values")
    if n < 1:
        raise ValueError(f"n must be >= 1 (got {n})")
    wanted = [int(y) for y in forecast_years]
    last = int(t[-1])
    inside = [y for y in wanted if y <= last]
    if inside:
        raise ValueError(f"forecast years {inside} are not after the last history year {last}")
    rng = np.random.default_rng(rng)
    forward, backward = _TRANSFORMS[transform]
    if not wanted:
        return EtsForecast({}, "none (no forecast years)")

    z_obs = forward(x)
    grid = np.arange(t[0], last + 1)
    z = np.interp(grid, t, z_obs)
    h = max(wanted) - last
    gaps = " (gaps interpolated)" if grid.size > t.size else ""
    paths = None
    if t.size >= 4:
        paths, why = _simulate_ets(z, h, n, rng)
        if paths is not None:
            method = "ETS(A,A,N)" + gaps + (f"; {why}" if why else "")
        else:
            reason = why
    else:
        reason = f"{t.size} point(s), ETS needs 4"
    if paths is None:
        paths = _simulate_drift(t, z_obs, h, n, rng)
        method = f"random walk with drift (fallback: {reason})"
    out = backward(paths)
    return EtsForecast({y: np.array(out[y - last - 1]) for y in wanted}, method)
