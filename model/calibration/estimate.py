r"""Estimating the behavioural parameters: simulated moments, importance weights, a sample.

The method (``calibration/METHOD.md`` gives the reasoning and every assumption):

1. **Prior.** Every behavioural parameter with a plausible range in the catalogue
   (``prior=(lo, hi)`` in :mod:`mfgplan.inputs.behaviour`) gets a triangular prior on
   ``[lo, hi]`` with its mode at the catalogue default (the literature's central value).
2. **Design.** ``N`` scrambled Sobol points in the unit cube of all these parameters are mapped
   through the priors' quantile functions (Owen 1998), so every draw varies every parameter:
   parameters the data cannot inform keep their prior spread in the sample.
3. **Moments.** From the data up to the as-of year (:func:`data_moments`): the yearly trend of
   the high-tech share and of the CNC rate (logit scale) and of the enterprise count (log),
   each a weighted least-squares slope with its standard error. The model's counterpart
   (:func:`simulated_moments`) is the same slope of the **no-programme world** over the five
   years after the as-of year: the assumption is that, without the plan, the trends of the
   recent past go on (the statistical baseline assumes the same), within a stated discrepancy.
4. **Synthetic likelihood** (Wood 2010). Each draw runs ``K`` replicates on common random
   numbers (the same ``K`` seeds for every draw). With ``m_j`` the mean simulated moment,
   ``d_j`` the data moment:

   .. math:: \log L(\theta) = -\tfrac12 \sum_j (m_j(\theta) - d_j)^2 /
             (se_j^2 + \delta_j^2 + s_j^2 / K)

   ``se_j`` the data slope's standard error, ``delta_j`` the trend-persistence discrepancy
   (assumption C2) and ``s_j^2`` the pooled simulation variance of one replicate.
5. **Importance sampling.** Weights ``w_i ∝ L(theta_i)`` (the draws come from the prior);
   effective sample size ``(Σw)^2 / Σw^2``; a systematic resample of ``S`` parameter sets is
   the posterior sample that ensembles draw from.

Only data up to the as-of year is read (:func:`mfgplan.calibration.series.load_history` cuts it);
:func:`calibrate` records every row it used.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from mfgplan.calibration.evidence_stage import (
    EVIDENCE_FIRMS,
    STAGE_ONE,
    EvidenceFit,
    evidence_document,
    evidence_fit,
    evidence_settings,
    uses_evidence,
)
from mfgplan.calibration.forecast import BaselineFit, fit_baseline
from mfgplan.calibration.series import load_history, series
from mfgplan.calibration.worlds import TREND_YEARS, calibration_scenario
from mfgplan.economy.replicate import simulate_replicate
from mfgplan.economy.rules import logit
from mfgplan.inputs.behaviour import Behaviour, reached_by
from mfgplan.inputs.parameters import Scenario, catalogue
from mfgplan.inputs.sample import FORMAT, FORMAT_VERSION
from mfgplan.parallel import map_tasks

__all__ = [
    "CalibrationJob",
    "DataMoment",
    "Prior",
    "calibrate",
    "calibration_job",
    "data_moments",
    "prior_draws",
    "priors",
    "simulated_moments",
]

#: firms in calibration runs: the moments are intensive (shares, growth rates); see METHOD.md
CALIBRATION_FIRMS = 2000


# -- priors ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prior:
    """Triangular prior on ``[low, high]`` with mode ``mode`` (the catalogue default)."""

    name: str
    units: str
    low: float
    high: float
    mode: float
    source: str

    @property
    def distribution(self) -> Any:
        """The frozen ``scipy.stats.triang`` distribution."""
        width = self.high - self.low
        c = (self.mode - self.low) / width if width > 0 else 0.5
        return stats.triang(c, loc=self.low, scale=width)

    @property
    def mean(self) -> float:
        """``(low + high + mode) / 3``."""
        return (self.low + self.high + self.mode) / 3.0

    @property
    def sd(self) -> float:
        """Standard deviation of the triangular distribution."""
        a, b, c = self.low, self.high, self.mode
        return math.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18.0)


def priors() -> tuple[Prior, ...]:
    """The prior of every behavioural parameter that has a plausible range, catalogue order."""
    out = []
    for row in catalogue(Behaviour, prefix=""):
        if row["prior"] is None:
            continue
        low, high = (float(v) for v in row["prior"])
        mode = min(max(float(row["default"]), low), high)
        out.append(Prior(row["name"], row["units"], low, high, mode, row["source"]))
    return tuple(out)


def prior_draws(n: int, seed: int, prior_list: Sequence[Prior] | None = None) -> np.ndarray:
    """``n`` scrambled-Sobol draws from the priors, shape ``(n, parameters)``.

    ``n`` must be a power of two (Sobol points are balanced only then).
    """
    prior_list = tuple(prior_list) if prior_list is not None else priors()
    if n < 2 or n & (n - 1):
        raise ValueError(f"draws must be a power of two, at least 2 (got {n})")
    sampler = qmc.Sobol(d=len(prior_list), scramble=True, seed=np.random.default_rng(seed))
    unit = sampler.random_base2(int(math.log2(n)))
    return np.column_stack([p.distribution.ppf(unit[:, j]) for j, p in enumerate(prior_list)])


# -- data moments -----------------------------------------------------------------------------

#: moment -> (data indicator, transform, trend-persistence discrepancy delta [per year],
#: description). The discrepancies are assumption C2 (METHOD.md).
#: posterior sd / prior sd below this: the data moved the parameter (``identified: yes``)
IDENTIFIED_BELOW = 0.8

MOMENTS: dict[str, tuple[str, str, float, str]] = {
    "hightech_trend": (
        "hightech_share",
        "logit",
        0.01,
        "yearly change of the logit of the high-tech share of industrial VA",
    ),
    "cnc_trend": (
        "cnc_rate_national",
        "logit",
        0.03,
        "yearly change of the logit of the key-process CNC rate (national series, A11)",
    ),
    "firm_growth": (
        "enterprise_count",
        "log",
        0.02,
        "yearly change of the log number of above-scale enterprises",
    ),
}


@dataclass(frozen=True)
class DataMoment:
    """A trend measured in the data: slope per year on a transformed scale, with its error."""

    name: str
    indicator: str
    transform: str
    years: tuple[int, ...]
    value: float
    se: float
    discrepancy: float
    description: str

    @property
    def total_sd(self) -> float:
        """Data and discrepancy parts of the likelihood's sd (simulation noise added later)."""
        return math.hypot(self.se, self.discrepancy)


def _transform(values: np.ndarray, sigmas: np.ndarray, transform: str) -> tuple[Any, Any]:
    """Values and sds on the transformed scale (delta method)."""
    if transform == "logit":
        return logit(values), sigmas / (values * (1.0 - values))
    return np.log(values), sigmas / values


def wls_slope(years: np.ndarray, x: np.ndarray, sd: np.ndarray) -> tuple[float, float]:
    r"""Weighted least-squares slope of ``x`` on ``years`` and its standard error.

    .. math:: \hat b = \frac{\sum w (t - \bar t_w)(x - \bar x_w)}{\sum w (t - \bar t_w)^2},
              \quad se(\hat b) = \Big(\sum w (t - \bar t_w)^2\Big)^{-1/2},
              \quad w = 1/sd^2

    (known measurement variances; the residual scatter is not used, so with two points the
    slope is exact and its error comes from the measurements alone).
    """
    w = 1.0 / np.asarray(sd, dtype=float) ** 2
    t = np.asarray(years, dtype=float)
    tbar = float(np.sum(w * t) / w.sum())
    xbar = float(np.sum(w * x) / w.sum())
    sxx = float(np.sum(w * (t - tbar) ** 2))
    slope = float(np.sum(w * (t - tbar) * (x - xbar)) / sxx)
    return slope, float(1.0 / math.sqrt(sxx))


def data_moments(history: pd.DataFrame) -> list[DataMoment]:
    """The trends the history supports: every moment with two or more years of data.

    ``history`` is :func:`mfgplan.calibration.series.load_history` output (already cut at the as-of
    year). Partial-year figures count with their larger error (assumption A4).
    """
    out = []
    for name, (indicator, transform, delta, description) in MOMENTS.items():
        years, values, sigmas = series(history, indicator)
        if len(np.unique(years)) < 2:
            continue
        x, sd = _transform(values, sigmas, transform)
        slope, se = wls_slope(years, x, sd)
        out.append(
            DataMoment(
                name, indicator, transform, tuple(int(y) for y in years), slope, se, delta,
                description,
            )
        )  # fmt: skip
    return out


# -- simulated moments ------------------------------------------------------------------------


@dataclass(frozen=True)
class CalibrationJob:
    """What a calibration run needs besides the parameter values (picklable)."""

    scenario: Scenario
    fit: BaselineFit
    names: tuple[str, ...]
    moments: tuple[str, ...]
    root_seed: int
    n_firms: int
    replicates: int


#: moment -> (no-programme series of the model's record, transform); kept in step with MOMENTS
SIMULATED: dict[str, tuple[str, str]] = {
    "hightech_trend": ("hightech_baseline", "logit"),
    "cnc_trend": ("cnc_baseline", "logit"),
    "firm_growth": ("firms_baseline", "log"),
}


def _slope(series_: np.ndarray) -> float:
    """OLS slope per year of an annual series."""
    t = np.arange(series_.size, dtype=float)
    t -= t.mean()
    return float(np.sum(t * (series_ - series_.mean())) / np.sum(t * t))


def simulated_moments(job: CalibrationJob, values: np.ndarray) -> np.ndarray:
    """Moments of the no-programme world for one parameter set, shape ``(replicates, moments)``.

    Replicate ``k`` is :func:`mfgplan.economy.replicate.simulate_replicate` with root seed
    ``root_seed`` for every parameter set (common random numbers): the statistical baseline
    path and the model's draws are the same across sets, so differences between sets come from
    the parameters.
    """
    behaviour = job.scenario.behaviour.model_copy(
        update={n: float(v) for n, v in zip(job.names, values, strict=True)}
    )
    scenario = job.scenario.model_copy(update={"behaviour": behaviour})
    out = np.empty((job.replicates, len(job.moments)))
    province = job.fit.base_year_enterprises()
    for k in range(job.replicates):
        _, record = simulate_replicate(
            scenario, job.fit, job.root_seed, k, job.n_firms, province_firms=province
        )
        for j, moment in enumerate(job.moments):
            series_, transform = SIMULATED[moment]
            values = getattr(record, series_)
            out[k, j] = _slope(logit(values) if transform == "logit" else np.log(values))
    return out


def _simulate_block(job: CalibrationJob, block: np.ndarray) -> np.ndarray:
    """Simulated moments of several draws, ``(draws, replicates, moments)``.

    A draw whose run raises gets NaN (weight zero, counted in the fit statistics).
    """
    out = np.full((block.shape[0], job.replicates, len(job.moments)), np.nan)
    for i, values in enumerate(block):
        with contextlib.suppress(ArithmeticError, ValueError, RuntimeError):
            out[i] = simulated_moments(job, values)
    return out


def _simulate_chunk(job: CalibrationJob, chunk: tuple[int, np.ndarray]) -> tuple[int, np.ndarray]:
    """A task of :func:`simulate_draws`: the moments of the draws of one chunk."""
    start, block = chunk
    return start, _simulate_block(job, block)


def simulate_draws(
    job: CalibrationJob,
    draws: np.ndarray,
    *,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    chunk: int = 16,
) -> np.ndarray:
    """Simulated moments of every draw, ``(draws, replicates, moments)``.

    Each draw's moments depend only on the job and its values, so the result is the same
    however the draws are split across processes (:func:`mfgplan.parallel.map_tasks`).
    """
    tasks = [(0, (s, draws[s : s + chunk])) for s in range(0, draws.shape[0], chunk)]
    out = np.full((draws.shape[0], job.replicates, len(job.moments)), np.nan)
    for _, (start, result) in map_tasks(_simulate_chunk, [job], tasks, workers=workers):
        out[start : start + result.shape[0]] = result
        if progress:
            progress(result.shape[0])
    return out


# -- the estimate ---------------------------------------------------------------------------


@dataclass
class Calibration:
    """The result of :func:`calibrate` (written as JSON by :func:`to_json`)."""

    as_of: int
    seed: int
    priors: tuple[Prior, ...]
    moments: list[DataMoment]
    draws: np.ndarray
    simulated: np.ndarray
    weights: np.ndarray
    sample_index: np.ndarray
    data_rows: pd.DataFrame
    settings: dict[str, Any]
    seconds: float = 0.0
    #: the history's weights alone (``weights`` adds the evidence stage when it ran)
    history_weights: np.ndarray | None = None
    evidence: EvidenceFit | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.priors)

    @property
    def ess(self) -> float:
        """Effective sample size of the importance weights, ``(Σw)^2 / Σw^2``."""
        w = self.weights
        return float(w.sum() ** 2 / np.sum(w * w)) if w.sum() > 0 else 0.0

    @property
    def sample(self) -> np.ndarray:
        """The posterior sample, ``(sets, parameters)``."""
        return self.draws[self.sample_index]

    def posterior_mean(self) -> np.ndarray:
        return np.average(self.draws, axis=0, weights=self.weights)

    def posterior_sd(self) -> np.ndarray:
        mean = self.posterior_mean()
        return np.sqrt(np.average((self.draws - mean) ** 2, axis=0, weights=self.weights))


def calibration_job(
    as_of: int, seed: int, replicates: int, n_firms: int = CALIBRATION_FIRMS
) -> tuple[CalibrationJob, list[DataMoment], pd.DataFrame]:
    """The job, the data moments and the data rows for a calibration at ``as_of``."""
    history = load_history(as_of=as_of)
    moments = data_moments(history)
    fit = fit_baseline(as_of=as_of, horizon=as_of + TREND_YEARS)
    used = {m.indicator for m in moments}
    rows = history[history["indicator"].isin(sorted(used)) & (history["year"] <= as_of)]
    job = CalibrationJob(
        calibration_scenario(as_of),
        fit,
        tuple(p.name for p in priors()),
        tuple(m.name for m in moments),
        int(seed),
        int(n_firms),
        int(replicates),
    )
    return job, moments, rows


def importance_weights(
    moments: Sequence[DataMoment], simulated: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic-likelihood weights of the draws and the pooled simulation sd per moment.

    ``simulated`` is ``(draws, replicates, moments)``; draws with NaN get weight zero.
    """
    ok = np.isfinite(simulated).all(axis=(1, 2))
    if not moments:
        return ok.astype(float), np.zeros(0)
    k = simulated.shape[1]
    if k > 1:
        sim_var = np.nanmean(np.var(simulated[ok], axis=1, ddof=1), axis=0)
    else:
        sim_var = np.zeros(simulated.shape[2])
    d = np.array([m.value for m in moments])
    var = np.array([m.total_sd**2 for m in moments]) + sim_var / k
    mean = simulated.mean(axis=1)
    loglik = np.where(ok, -0.5 * np.sum((np.nan_to_num(mean) - d) ** 2 / var, axis=1), -np.inf)
    w = np.exp(loglik - loglik[ok].max()) if ok.any() else np.zeros(len(ok))
    return w / w.sum() if w.sum() > 0 else w, np.sqrt(sim_var)


def systematic_resample(weights: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of a systematic resample (Kitagawa 1996): one uniform, ``size`` even strata."""
    cumulative = np.cumsum(weights / weights.sum())
    cumulative[-1] = 1.0
    positions = (rng.random() + np.arange(size)) / size
    return np.searchsorted(cumulative, positions, side="right")


def calibrate(
    as_of: int = 2015,
    *,
    draws: int = 1024,
    replicates: int = 2,
    sample_size: int = 200,
    seed: int = 20151231,
    workers: int = 1,
    n_firms: int = CALIBRATION_FIRMS,
    progress: Callable[[int], None] | None = None,
    evidence: bool | None = None,
    stage_one: int = STAGE_ONE,
    evidence_firms: int = EVIDENCE_FIRMS,
) -> Calibration:
    """Estimate the behavioural parameters from the data up to ``as_of`` (module docstring).

    ``evidence`` adds the published studies' moments
    (:mod:`mfgplan.calibration.evidence_stage`); by default from as-of 2015 on
    (:func:`~mfgplan.calibration.evidence_stage.uses_evidence`).
    """
    started = time.perf_counter()
    job, moments, rows = calibration_job(as_of, seed, replicates, n_firms)
    prior_list = priors()
    design = prior_draws(draws, seed, prior_list)
    simulated = simulate_draws(job, design, workers=workers, progress=progress)
    weights, sim_sd = importance_weights(moments, simulated)
    if weights.sum() <= 0:
        raise RuntimeError("every calibration run failed; no parameter set can be weighted")
    history_weights, fit = weights, None
    if uses_evidence(as_of, evidence):
        stage = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2,)))
        fit = evidence_fit(
            design, job.names, weights, stage, seed=seed, workers=workers,
            stage_one=stage_one, n_firms=evidence_firms, progress=progress,
            resample=systematic_resample,
        )  # fmt: skip
        weights = fit.weights(design.shape[0])
        if weights.sum() <= 0:
            raise RuntimeError("every evidence run failed; no parameter set can be weighted")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    index = systematic_resample(weights, sample_size, rng)
    settings = {
        "draws": draws,
        "replicates_per_draw": replicates,
        "sample_size": sample_size,
        "firms": n_firms,
        "trend_years": TREND_YEARS,
        "simulation_sd": [float(v) for v in sim_sd],
        "failed_draws": int((~np.isfinite(simulated).all(axis=(1, 2))).sum()),
    }
    if fit is not None:
        settings["evidence"] = evidence_settings(fit, evidence_firms)
    return Calibration(
        as_of, seed, prior_list, moments, design, simulated, weights, index, rows, settings,
        time.perf_counter() - started, history_weights, fit,
    )  # fmt: skip


# -- the parameter file -----------------------------------------------------------------------


def _round(x: float, digits: int = 6) -> float:
    return float(f"{x:.{digits}g}")


def to_document(result: Calibration, provenance: dict[str, Any]) -> dict[str, Any]:
    """The parameter file's content (see ``calibration/METHOD.md`` for each field)."""
    names = result.names
    post_mean = result.posterior_mean()
    post_sd = result.posterior_sd()
    w = result.weights
    parameters = []
    for j, p in enumerate(result.priors):
        column = result.draws[:, j]
        order = np.argsort(column)
        cdf = np.cumsum(w[order])
        p5, p95 = (float(column[order][np.searchsorted(cdf, q * cdf[-1])]) for q in (0.05, 0.95))
        parameters.append(
            {
                "name": p.name,
                "units": p.units,
                "prior": {
                    "distribution": "triangular",
                    "low": p.low,
                    "mode": p.mode,
                    "high": p.high,
                    "source": p.source,
                },
                "prior_mean": _round(p.mean),
                "prior_sd": _round(p.sd),
                "posterior_mean": _round(post_mean[j]),
                "posterior_sd": _round(post_sd[j]),
                "posterior_p5": _round(p5),
                "posterior_p95": _round(p95),
                "shift_in_prior_sd": _round((post_mean[j] - p.mean) / p.sd if p.sd else 0.0, 3),
                "sd_ratio": _round(post_sd[j] / p.sd if p.sd else 1.0, 3),
                # moved by the data (posterior sd below 0.8 of the prior's) or not; what reaches it
                "identified": "yes" if p.sd and post_sd[j] / p.sd < IDENTIFIED_BELOW else "no",
                "reached_by": reached_by(p.name, result.evidence is not None),
            }
        )
    simulated_mean = result.simulated.mean(axis=1)
    ok = np.isfinite(simulated_mean).all(axis=1)
    moment_rows = []
    for j, m in enumerate(result.moments):
        prior_mean = float(np.mean(simulated_mean[ok, j]))
        post = float(np.average(simulated_mean[ok, j], weights=w[ok]))
        sd = math.hypot(m.total_sd, result.settings["simulation_sd"][j])
        moment_rows.append(
            {
                "name": m.name,
                "description": m.description,
                "indicator": m.indicator,
                "transform": m.transform,
                "years": list(m.years),
                "data": _round(m.value),
                "data_se": _round(m.se),
                "discrepancy_sd": m.discrepancy,
                "simulated_prior_mean": _round(prior_mean),
                "simulated_posterior_mean": _round(post),
                "z_prior": _round((prior_mean - m.value) / sd, 3),
                "z_posterior": _round((post - m.value) / sd, 3),
            }
        )
    rows = result.data_rows
    data = [
        {
            "indicator": r["indicator"],
            "year": int(r["year"]),
            "value": float(r["value"]),
            "unit": r["unit"],
            "period": r["period"],
            "vintage": r["vintage"],
            "line": int(r["line"]),
        }
        for _, r in rows.sort_values(["indicator", "year"]).iterrows()
    ]
    data_hash = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "as_of": result.as_of,
        "description": (
            f"Behavioural parameters estimated from the data up to {result.as_of}: synthetic-"
            "likelihood importance sampling of the no-programme model's trends"
            + (" and of published studies re-run on the model's firms" if result.evidence else "")
            + " (calibration/METHOD.md)."
        ),
        "provenance": {**provenance, "seed": result.seed, "seconds": round(result.seconds, 1)},
        "settings": result.settings,
        "data": data,
        "data_sha256": data_hash,
        "moments": moment_rows,
        **evidence_document(result.evidence, w, result.history_weights),
        "fit": {
            "effective_sample_size": _round(result.ess, 4),
            "draws": int(result.draws.shape[0]),
            "distinct_sets_in_sample": int(np.unique(result.sample_index).size),
            "max_weight": _round(float(w.max()), 4),
        },
        "parameters": parameters,
        "estimate": {n: _round(v) for n, v in zip(names, post_mean, strict=True)},
        "sample": {
            "names": list(names),
            "values": [[_round(v) for v in row] for row in result.sample],
        },
    }
