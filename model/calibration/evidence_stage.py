r"""The evidence stage of the calibration: published quasi-experiments as moments of the likelihood.

The history's three trends (:mod:`mfgplan.calibration.estimate`) reach the no-programme world;
the programme's own parameters (the investment response, the R&D tax response, the
demonstration spillover, the selection of awards) are reached only by published studies of
Chinese firms. This stage makes those studies moments of the same synthetic likelihood
(``calibration/METHOD.md``, "Evidence moments"):

1. **Stage 1** (the history). A systematic resample of :data:`STAGE_ONE` draws from the
   history's importance weights; its distinct draws carry the history's posterior.
2. **Virtual experiments.** Every distinct draw runs the designs of
   :mod:`mfgplan.calibration.experiments` (the VAT-style investment credit, the super-deduction
   rise, the plan's own world) on :data:`EVIDENCE_FIRMS` firms, all draws on the same random
   numbers (common random numbers), and gives the studies' estimates.
3. **Stage 2** (the evidence). Each distinct draw's weight is its count in the resample times
   its evidence likelihood (sampling importance resampling, Rubin 1988):

   .. math:: \log L_E(\theta) = -\tfrac12 \sum_{j \in value}
             \frac{(\hat m_j(\theta) - d_j)^2}{se_j^2 + \delta_j^2 + s_j^2 h(\theta)}
             + \sum_{j \in sign} \log \Phi\Big(\frac{\hat m_j(\theta) - 1.96}
             {\sqrt{1 + s_j^2 h(\theta)}}\Big)

   ``d_j`` the published value on the model's scale, ``se_j`` its standard error (read, or an
   assumption where the paper's could not be read: :data:`ASSUMED_SE`), ``delta_j`` the
   transfer discrepancy (:data:`TRANSFER_DISCREPANCY`: the study's years, firms and policy are
   not the model's). Each draw runs one replicate, so its estimate is noisy; the mean estimate
   ``m_j(theta)`` is a linear emulator fitted over the distinct draws (:func:`emulate`), with
   ``s_j^2 h(theta)`` its own variance (residual variance times leverage). A published
   significant sign (``sign``) is the probability that the study, re-run, finds it: the mean
   t statistic plus the study's own sampling noise (sd 1) above 1.96.

Which published numbers enter, on which scale, and why the others do not, is
:data:`MOMENT_SPECS` and :data:`LEFT_OUT`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from mfgplan.calibration.experiments import (
    EXPERIMENTS,
    ExperimentContext,
    published_table,
)
from mfgplan.calibration.forecast import fit_baseline
from mfgplan.inputs.sample import ParameterSample
from mfgplan.inputs.scenario import load_scenario
from mfgplan.parallel import map_tasks
from mfgplan.paths import SCENARIOS

__all__ = [
    "ASSUMED_SE",
    "EVIDENCE_FIRMS",
    "EVIDENCE_FROM",
    "LEFT_OUT",
    "MOMENT_SPECS",
    "REAL_TO_REPORTED_RD",
    "STAGE_ONE",
    "TRANSFER_DISCREPANCY",
    "Emulator",
    "EvidenceFit",
    "EvidenceMoment",
    "emulate",
    "evidence_fit",
    "evidence_loglik",
    "evidence_moments",
    "uses_evidence",
]

#: the first as-of year whose calibration adds the published studies' moments (the plan's
#: base year; the back-tests' earlier files keep the history alone: METHOD.md, E5)
EVIDENCE_FROM = 2015
#: draws of the stage-1 resample (their distinct draws run the virtual experiments)
STAGE_ONE = 400
#: firms of each virtual experiment in the calibration (the estimates are shares and
#: proportional effects; their sampling noise at this size enters the likelihood as ``s_j``)
EVIDENCE_FIRMS = 2000
#: the replicate whose random numbers every draw uses (common random numbers)
COMMON_SEED = 0
#: the scenario whose programme makes "the plan's own world" of the peer and selection designs
PLAN_SCENARIO = SCENARIOS / "plan-2016.yaml"
#: transfer discrepancy [fraction of the published value, one sd]: a study's years, firms and
#: policy are not Jiangxi's of 2016-2020 (assumption E2, calibration/METHOD.md)
TRANSFER_DISCREPANCY = 0.25
#: standard error where the paper's could not be read [fraction of the published value]
#: (assumption E1: about a t statistic of 4, the order of the headline estimates read)
ASSUMED_SE = 0.25
#: real over reported user-cost elasticity of R&D: 1.14 / 2 (Chen, Liu, Suarez Serrato & Xu,
#: NBER WP 24749 abstract, https://hdl.handle.net/10161/25064: "user-cost-elasticities of 2 for
#: the reported response, and 1.14 for the real response"); the model's R&D is real R&D
REAL_TO_REPORTED_RD = 1.14 / 2.0
#: two-sided 5% critical value of a published "significant" finding
CRITICAL_T = 1.96
#: |t| of a parameter's coefficient above which the emulator of a moment keeps it
EMULATOR_T = 3.0


def uses_evidence(as_of: int, evidence: bool | None = None) -> bool:
    """Whether the calibration at ``as_of`` has the evidence stage (default: from 2015 on)."""
    return evidence if evidence is not None else as_of >= EVIDENCE_FROM


@dataclass(frozen=True)
class EvidenceMoment:
    """A published estimate as a moment: its value on the model's scale and its errors."""

    name: str
    design: str
    study: str
    quantity: str
    #: ``value`` (a number) or ``sign`` (a significant positive finding)
    kind: str
    value: float
    se: float
    se_source: str
    discrepancy: float
    description: str


#: name -> (design, study, quantity, kind, scale factor onto the model's quantity, description)
MOMENT_SPECS: dict[str, tuple[str, str, str, str, float, str]] = {
    "vat_investment": (
        "vat_reform", "liu_mao_2019", "investment_effect", "value", 1.0,
        "investment response to the VAT equipment credit [log points] (Liu & Mao 2019)",
    ),
    "vat_tfp": (
        "vat_reform", "liu_mao_2019", "tfp_effect", "value", 1.0,
        "TFP response to the VAT equipment credit [log points] (Liu & Mao 2019)",
    ),
    "vat_user_cost": (
        "vat_reform", "zhang_chen_he_2018", "user_cost_elasticity", "value", 1.0,
        "user-cost elasticity of investment, VAT pilot [-] (Zhang, Chen & He 2018)",
    ),
    "rd_elasticity": (
        "super_deduction", "qian_zhan_pan_2023", "rd_elasticity_2013+rd_elasticity_2016",
        "value", REAL_TO_REPORTED_RD,
        "tax-price elasticity of real R&D: the mean of Qian et al.'s reported 1.58 (2013 "
        "expansion) and 2.05 (2016) x 1.14/2 (Chen et al.'s real over reported) [-]",
    ),
    "demo_peers": (
        "plan_peers_selection", "liu_chao_mbanyele_zhu_huang_2025",
        "peer_intelligent_transformation", "sign", 1.0,
        "demonstration firms raise peers' intelligent transformation (significant +; Liu et al. "
        "2025)",
    ),
    "selection_size": (
        "plan_peers_selection", "branstetter_li_ren_2023", "selection_size", "sign", 1.0,
        "larger firms are more likely to get support (significant +; Branstetter et al. 2023)",
    ),
    "selection_prior": (
        "plan_peers_selection", "boeing_2016", "selection_prior_grants", "sign", 1.0,
        "prior grants predict grants (significant +; Boeing 2016)",
    ),
}  # fmt: skip

#: published estimates re-run by ``mfgplan evidence`` that are not moments, and why
LEFT_OUT: dict[tuple[str, str], str] = {
    ("zhang_chen_he_2018", "investment_effect"): "the same estimate as its user-cost elasticity",
    ("branstetter_li_ren_2023", "selection_lagged_tfp"): (
        "no parameter: reviewers do not see TFP growth in the model"
    ),
    ("liu_ren_2025", "tfp_effect"): (
        "contradicted by Li & Branstetter 2024 (no effect) on the same policy; the model's "
        "key-sector TFP has no parameter of its own"
    ),
    ("li_branstetter_2024", "tfp_effect"): "see liu_ren_2025",
}


def evidence_moments(published: pd.DataFrame | None = None) -> list[EvidenceMoment]:
    """The evidence moments, their values read from ``calibration/evidence/published.csv``.

    A published interval of ``value +- 1.645 sd`` (Liu & Mao's placebo sd) gives the standard
    error; otherwise it is :data:`ASSUMED_SE` of the value. Every value moment carries the
    transfer discrepancy :data:`TRANSFER_DISCREPANCY` of its value.
    """
    table = published_table() if published is None else published
    out = []
    for name, (design, study, quantity, kind, scale, description) in MOMENT_SPECS.items():
        if kind == "sign":
            out.append(EvidenceMoment(name, design, study, quantity, kind, float("nan"),
                                      1.0, "t statistic", 0.0, description))  # fmt: skip
            continue
        # several quantities joined by "+": their mean (the same quantity of the model)
        rows = [table[(table["study"] == study) & (table["quantity"] == q)].iloc[0]
                for q in quantity.split("+")]  # fmt: skip
        value = float(np.mean([float(r["value"]) for r in rows])) * scale
        row = rows[0]
        if len(rows) == 1 and pd.notna(row["low"]) and pd.notna(row["high"]):
            se = (float(row["high"]) - float(row["low"])) / (2 * 1.645) * scale
            source = f"read: the paper's placebo sd ({se:.4g}; {row['where_read']})"
        else:
            se = ASSUMED_SE * abs(value) / math.sqrt(len(rows))
            source = (
                f"assumption E1 ({ASSUMED_SE:.0%} of the value"
                + (f" over sqrt({len(rows)}) estimates" if len(rows) > 1 else "")
                + "; the paper's SE not read)"
            )
        delta = TRANSFER_DISCREPANCY * abs(value)
        moment = EvidenceMoment(name, design, study, quantity, kind, value, se, source, delta,
                                description)  # fmt: skip
        out.append(moment)
    return out


@dataclass(frozen=True)
class EvidenceJob:
    """What every evidence task needs (picklable, sent once per worker)."""

    context: ExperimentContext
    designs: tuple[str, ...]
    keys: tuple[tuple[str, str], ...]


def _evidence_block(job: EvidenceJob, block: tuple[int, np.ndarray]) -> tuple[int, np.ndarray]:
    """The moments' simulated estimates of the draws ``block`` (rows of the sample)."""
    start, rows = block
    out = np.full((rows.size, len(job.keys)), np.nan)
    for i, row in enumerate(rows):
        estimates: dict[tuple[str, str], float] = {}
        for design in job.designs:
            # a design that fails on this set leaves its estimates missing, not the others'
            with contextlib.suppress(ArithmeticError, ValueError, RuntimeError, KeyError):
                estimates.update(EXPERIMENTS[design](job.context, int(row)))
        out[i] = [estimates.get(k, np.nan) for k in job.keys]
    return start, out


def simulate_evidence(
    moments: list[EvidenceMoment],
    names: tuple[str, ...],
    values: np.ndarray,
    *,
    seed: int,
    workers: int = 1,
    n_firms: int = EVIDENCE_FIRMS,
    progress: Callable[[np.ndarray], None] | None = None,
    chunk: int = 8,
) -> np.ndarray:
    """Every moment's simulated estimate for each parameter set ``values[i]``, ``(sets, moments)``.

    Sign moments give the t statistic. Each set runs on the same random numbers, so the result
    does not depend on how the sets are split across processes. ``progress`` is called with
    the indices of the sets each finished chunk holds.
    """
    fit = fit_baseline(as_of=2015)
    plan = load_scenario(PLAN_SCENARIO, with_calibration=False).scenario
    sample = ParameterSample(Path("-"), 2015, names, values, {}, "")
    ctx = ExperimentContext(fit, sample, plan, n_firms, fit.base_year_enterprises(), seed,
                            common_seed=COMMON_SEED)  # fmt: skip
    designs = tuple(dict.fromkeys(m.design for m in moments))
    job = EvidenceJob(ctx, designs, tuple((m.study, m.quantity.split("+")[0]) for m in moments))
    rows = np.arange(values.shape[0])
    tasks = [(0, (s, rows[s : s + chunk])) for s in range(0, rows.size, chunk)]
    out = np.full((rows.size, len(moments)), np.nan)
    for _, (start, result) in map_tasks(_evidence_block, [job], tasks, workers=workers):
        out[start : start + result.shape[0]] = result
        if progress:
            progress(rows[start : start + result.shape[0]])
    scale = np.array([MOMENT_SPECS[m.name][4] for m in moments])
    out = out * scale
    # a sign study that cannot be estimated on the set's firms (no exposed peer, no award)
    # finds nothing: t = 0
    sign = np.array([m.kind == "sign" for m in moments])
    out[:, sign] = np.nan_to_num(out[:, sign], nan=0.0)
    return out


@dataclass(frozen=True)
class Emulator:
    """A linear emulator of each moment's mean estimate over the parameters (module doc)."""

    #: fitted mean estimate of each set, ``(sets, moments)``
    mean: np.ndarray
    #: residual sd of one replicate's estimate around the fitted mean, per moment
    sd: np.ndarray
    #: leverage of each set (the fitted mean's variance is ``sd^2 x leverage``)
    leverage: np.ndarray
    #: share of the estimates' variance the parameters explain, per moment
    r2: np.ndarray
    #: per moment, the columns (parameters) the emulator uses
    parameters: tuple[tuple[int, ...], ...] = ()


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Least squares: fitted values, leverages, residual variance, coefficient t statistics."""
    q, r = np.linalg.qr(x)
    beta = np.linalg.solve(r, q.T @ y)
    fitted = x @ beta
    resid = y - fitted
    s2 = float(resid @ resid) / max(x.shape[0] - x.shape[1], 1)
    r_inv = np.linalg.inv(r)
    with np.errstate(divide="ignore", invalid="ignore"):
        # an exact fit (a constant estimate) has no t statistics: nothing is picked
        t = np.nan_to_num(beta / np.sqrt(s2 * np.sum(r_inv * r_inv, axis=1)), nan=0.0)
    return fitted, np.sum(q * q, axis=1), s2, t


def emulate(simulated: np.ndarray, values: np.ndarray) -> Emulator:
    r"""A linear emulator of each moment's mean estimate over the parameters.

    One replicate per set gives an estimate ``x_i = m(theta_i) + e_i``. Least squares of the
    estimates on all the parameters (standardised, with an intercept) picks the parameters whose
    coefficient has ``|t| >`` :data:`EMULATOR_T` (with 54 parameters, about 0.15 picked by
    chance per moment); the refit on those alone is the emulator ``\hat m(\theta)`` (a
    regression adjustment, Beaumont, Zhang & Balding 2002), so that the weights do not follow the
    noise of 54 coefficients. ``s^2``, the refit's residual variance, is the replicate's noise
    plus any misfit of the linear form (conservative), and the leverage ``h_i`` gives the fitted
    mean's own variance ``s^2 h_i``. A moment no parameter moves has a constant emulator: its
    likelihood weighs every set alike. A set with a failed estimate keeps NaN.
    """
    spread = values.std(axis=0)
    z = (values - values.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    n_moments = simulated.shape[1]
    mean = np.full(simulated.shape, np.nan)
    leverage = np.full(simulated.shape, np.nan)
    sd = np.zeros(n_moments)
    r2 = np.zeros(n_moments)
    picked: list[tuple[int, ...]] = []
    for j in range(n_moments):
        y = simulated[:, j]
        ok = np.isfinite(y)
        chosen: tuple[int, ...] = ()
        if int(ok.sum()) > z.shape[1] + 5:
            _, _, _, t = _fit(np.column_stack([np.ones(ok.sum()), z[ok]]), y[ok])
            chosen = tuple(int(k) for k in np.flatnonzero(np.abs(t[1:]) > EMULATOR_T))
        if ok.sum() < 2:
            picked.append(chosen)
            continue
        x = np.column_stack([np.ones(ok.sum()), z[ok][:, list(chosen)]])
        fitted, lev, s2, _ = _fit(x, y[ok])
        mean[ok, j], leverage[ok, j], sd[j] = fitted, lev, math.sqrt(s2)
        total = float(np.sum((y[ok] - y[ok].mean()) ** 2))
        r2[j] = 1.0 - float(np.sum((y[ok] - fitted) ** 2)) / total if total > 0 else 0.0
        picked.append(chosen)
    return Emulator(mean, sd, leverage, r2, tuple(picked))


def evidence_loglik(moments: list[EvidenceMoment], emulator: Emulator) -> np.ndarray:
    """The evidence log likelihood of each set (module doc); a failed estimate adds nothing."""
    total = np.zeros(emulator.mean.shape[0])
    for j, m in enumerate(moments):
        x = emulator.mean[:, j]
        own = emulator.sd[j] ** 2 * emulator.leverage[:, j]
        if m.kind == "sign":
            # the study's sampling noise (sd 1 on the t scale) and the fitted mean's own error
            term = stats.norm.logcdf((x - CRITICAL_T) / np.sqrt(1.0 + own))
        else:
            term = -0.5 * (x - m.value) ** 2 / (m.se**2 + m.discrepancy**2 + own)
        # a value the set's firms cannot give (a failed run) carries no information
        total += np.where(np.isfinite(x), term, 0.0)
    return total


@dataclass
class EvidenceFit:
    """The evidence stage's result: the moments, the distinct draws' estimates, the weights."""

    moments: list[EvidenceMoment]
    #: indices (into the calibration's draws) of the stage-1 resample's distinct draws
    draws: np.ndarray
    #: how often each distinct draw is in the stage-1 resample
    counts: np.ndarray
    #: simulated estimates, ``(distinct draws, moments)``
    simulated: np.ndarray
    emulator: Emulator
    loglik: np.ndarray
    seconds: float = 0.0

    def weights(self, n_draws: int) -> np.ndarray:
        """The posterior weights over all the calibration's draws (history x evidence)."""
        w = np.zeros(n_draws)
        ok = np.isfinite(self.loglik)
        if not ok.any():
            return w
        w[self.draws[ok]] = self.counts[ok] * np.exp(self.loglik[ok] - self.loglik[ok].max())
        return w / w.sum()


def evidence_fit(
    design: np.ndarray,
    names: tuple[str, ...],
    history_weights: np.ndarray,
    rng: np.random.Generator,
    *,
    seed: int,
    workers: int = 1,
    stage_one: int = STAGE_ONE,
    n_firms: int = EVIDENCE_FIRMS,
    progress: Callable[[int], None] | None = None,
    resample: Callable[[np.ndarray, int, np.random.Generator], np.ndarray],
) -> EvidenceFit:
    """Stages 1-3 of the module doc on the calibration's ``design`` and history weights."""
    import time

    started = time.perf_counter()
    moments = evidence_moments()
    index = resample(history_weights, stage_one, rng)
    draws, counts = np.unique(index, return_counts=True)

    def advance(finished: np.ndarray) -> None:
        # the progress of the resample: each distinct draw counts as often as it was drawn
        if progress:
            progress(int(counts[finished].sum()))

    simulated = simulate_evidence(moments, names, design[draws], seed=seed, workers=workers,
                                  n_firms=n_firms, progress=advance)  # fmt: skip
    emulator = emulate(simulated, design[draws])
    loglik = evidence_loglik(moments, emulator)
    return EvidenceFit(moments, draws, counts, simulated, emulator, loglik,
                       time.perf_counter() - started)  # fmt: skip


def evidence_settings(fit: EvidenceFit, n_firms: int) -> dict[str, object]:
    """The evidence stage's settings and fit statistics for the parameter file."""
    w = fit.weights(int(fit.draws.max()) + 1)[fit.draws]
    ess = float(w.sum() ** 2 / np.sum(w * w)) if w.sum() > 0 else 0.0
    return {
        "stage_one_resample": int(fit.counts.sum()),
        "distinct_draws": int(fit.draws.size),
        "firms": n_firms,
        "common_seed_replicate": COMMON_SEED,
        "failed_estimates": [int(v) for v in np.isnan(fit.simulated).sum(axis=0)],
        "effective_sample_size": float(f"{ess:.4g}"),
        "replicate_sd": [float(f"{v:.4g}") for v in fit.emulator.sd],
        "emulator_r2": [float(f"{v:.3g}") for v in fit.emulator.r2],
        "transfer_discrepancy": TRANSFER_DISCREPANCY,
        "assumed_se": ASSUMED_SE,
        "seconds": round(fit.seconds, 1),
    }


def _mean(x: np.ndarray, w: np.ndarray) -> float:
    ok = np.isfinite(x) & (w > 0)
    return float(np.average(x[ok], weights=w[ok])) if ok.any() else float("nan")


def evidence_document(
    fit: EvidenceFit | None, weights: np.ndarray, history_weights: np.ndarray | None
) -> dict[str, object]:
    """``evidence_moments`` of the parameter file: each moment before and after the evidence.

    ``simulated_history_mean`` is the estimate's mean under the history's posterior (the
    stage-1 resample), ``simulated_posterior_mean`` under the final posterior; for a sign
    moment also the share of sets whose simulated study finds the sign (t > 1.96).
    """
    if fit is None:
        return {}
    rows = []
    before = fit.counts.astype(float)
    after = weights[fit.draws]
    for j, m in enumerate(fit.moments):
        x = fit.simulated[:, j]
        mean_before, mean_after = _mean(x, before), _mean(x, after)
        row: dict[str, object] = {
            "name": m.name, "study": m.study, "quantity": m.quantity, "kind": m.kind,
            "description": m.description,
            "simulated_history_mean": float(f"{mean_before:.6g}"),
            "simulated_posterior_mean": float(f"{mean_after:.6g}"),
        }  # fmt: skip
        if m.kind == "sign":
            found = (x > CRITICAL_T) * 1.0
            row["finds_sign_history"] = float(f"{_mean(found, before):.4g}")
            row["finds_sign_posterior"] = float(f"{_mean(found, after):.4g}")
        else:
            sd = math.sqrt(m.se**2 + m.discrepancy**2)
            row.update(
                published=float(f"{m.value:.6g}"), se=float(f"{m.se:.4g}"),
                se_source=m.se_source, discrepancy_sd=float(f"{m.discrepancy:.4g}"),
                z_history=float(f"{(mean_before - m.value) / sd:.3g}"),
                z_posterior=float(f"{(mean_after - m.value) / sd:.3g}"),
            )  # fmt: skip
        rows.append(row)
    return {
        "evidence_moments": rows,
        "evidence_left_out": [
            {"study": s, "quantity": q, "why": why} for (s, q), why in LEFT_OUT.items()
        ],
    }
