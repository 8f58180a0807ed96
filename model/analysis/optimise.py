"""Noise-aware search for a good split of a budget over instruments.

A candidate is a vector of shares ``s`` (summing to 1) with per-instrument bounds
``lower <= s <= upper``. The objective is only known through a noisy, expensive
``evaluate(candidates, replicate_ids)`` that returns one value per candidate and replicate;
the same replicate id means the same random draws for every candidate (common random
numbers), so paired differences between candidates are much less noisy than the values.
Larger is better. ``evaluate`` may also return a secondary per-replicate objective (last
axis of length 2) that breaks ties in the primary one, e.g. when the primary is a
probability estimated from 0/1 outcomes.

The search has three stages, each made of few large ``evaluate`` calls:

1. screening: the start allocation, the centre of the feasible set, one "corner" per
   instrument and scrambled Sobol points on the simplex, on the screening replicates;
2. local search: pairwise moves "shift ``step`` of the budget from instrument j to
   instrument i" around the incumbent, on the same replicates, the step halving each round;
3. re-evaluation: the best distinct candidates (always with the start) on new replicates,
   so the final choice and its intervals are free of the selection bias of stages 1-2
   (winner's curse), with paired confidence intervals of the differences to the chosen one.

The module has no dependency on the simulation model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import qmc

from mfgplan.analysis.intervals import t_interval, wilson_interval
from mfgplan.analysis.simplex import SUM_TOL, bounds, project_to_bounded_simplex

__all__ = [
    "Evaluate",
    "OptimiseResult",
    "OptimiseSettings",
    "optimise",
]

Evaluate = Callable[[list[np.ndarray], Sequence[int]], np.ndarray]
"""``evaluate(candidates, replicate_ids)`` -> array (candidates x replicates) or
(candidates x replicates x 2): [..., 0] primary objective, [..., 1] secondary (tie-break)."""

_KEY_DECIMALS = 10  # shares equal to this many decimals are the same candidate
_STAT_COLUMNS = (
    "candidate",
    "batch",
    "stage",
    "kind",
    "mean",
    "mean_secondary",
    "n_replicates",
    "replicate_first",
    "replicate_last",
    "screening_mean",
    "ci_low",
    "ci_high",
    "diff_to_best",
    "diff_low",
    "diff_high",
    "indistinguishable",
    "is_start",
    "is_best",
)


# --- settings and result ---------------------------------------------------------------------


@dataclass
class OptimiseSettings:
    """Budget of the search (numbers of candidates and replicates) and the reporting level."""

    screening_candidates: int = 24  # start + centre + corners + Sobol points (at least those)
    screening_replicates: int = 16  # replicate ids 0 .. screening_replicates - 1
    local_rounds: int = 3  # rounds of pairwise moves, one evaluate call each
    local_step: float = 0.10  # share of the budget moved per move, halved each round
    finalists: int = 5  # candidates re-evaluated on new replicates (the start included)
    final_replicates: int = 64  # new replicate ids after the screening ones
    confidence: float = 0.90  # level of the intervals
    seed: int = 0  # scrambling of the Sobol points

    def __post_init__(self) -> None:
        """Check the settings: ``ValueError`` naming the first one out of its range."""
        if self.screening_candidates < 1:
            raise ValueError("screening_candidates must be at least 1")
        if self.screening_replicates < 1:
            raise ValueError("screening_replicates must be at least 1")
        if self.local_rounds < 0:
            raise ValueError("local_rounds must be non-negative")
        if not 0.0 < self.local_step <= 1.0:
            raise ValueError("local_step must be in (0, 1]")
        if self.finalists < 1:
            raise ValueError("finalists must be at least 1")
        if self.final_replicates < 2:
            raise ValueError("final_replicates must be at least 2 (paired intervals)")
        if not 0.0 < self.confidence < 1.0:
            raise ValueError("confidence must be in (0, 1)")


@dataclass
class OptimiseResult:
    """Outcome of :func:`optimise`.

    Means and intervals of ``best``, ``start`` and ``gain`` are on the final replicates (not
    used for the selection). ``finalists`` has one row per re-evaluated candidate: its shares
    (one column per instrument name), ``mean``, ``mean_secondary``, ``ci_low``/``ci_high``
    (interval of the mean: Wilson for 0/1 outcomes, else t), ``screening_mean``,
    ``diff_to_best`` with ``diff_low``/``diff_high`` (paired t-interval) and
    ``indistinguishable`` (the paired interval contains 0), ``is_start``, ``is_best``.
    ``history`` has one row per evaluated candidate and stage (start, screening,
    local round r, final) with its shares, means, number and range of replicate ids and the
    evaluation ``batch`` (index of the ``evaluate`` call).
    """

    best: np.ndarray
    best_mean: float
    best_interval: tuple[float, float]
    start_mean: float
    start_interval: tuple[float, float]
    gain: float
    gain_interval: tuple[float, float]
    finalists: pd.DataFrame
    history: pd.DataFrame
    evaluations: int
    notes: list[str]
    names: list[str] = field(default_factory=list)
    start: np.ndarray = field(default_factory=lambda: np.empty(0))
    evaluate_calls: int = 0
    confidence: float = 0.90
    #: "primary", or "secondary" when the primary tied in every final replicate (then ``gain``,
    #: its interval and the finalists' differences are in the secondary objective)
    compared_on: str = "primary"


# --- statistics ------------------------------------------------------------------------------


def _fmt(v: float) -> str:
    return f"{v:.2f}" if abs(v) < 1e3 else f"{v:.4g}"


# --- the search ------------------------------------------------------------------------------


@dataclass
class _Candidate:
    shares: np.ndarray
    kind: str
    stage: str
    batch: int
    primary: np.ndarray  # on the screening replicates
    secondary: np.ndarray

    @property
    def mean(self) -> float:
        return float(self.primary.mean())

    @property
    def mean_secondary(self) -> float:
        return float(self.secondary.mean())


def _key(s: np.ndarray) -> bytes:
    return np.round(s, _KEY_DECIMALS).tobytes()


def _sobol_uniforms(n: int, k: int, seed: int) -> np.ndarray:
    if n <= 0:
        return np.empty((0, k))
    rng = np.random.default_rng(seed)
    try:
        sampler = qmc.Sobol(d=k, scramble=True, rng=rng)
    except TypeError:  # scipy < 1.15 names the argument ``seed``
        sampler = qmc.Sobol(d=k, scramble=True, seed=rng)
    m = max(0, math.ceil(math.log2(n)))
    return sampler.random_base2(m)[:n]  # a power of 2 keeps the balance properties


def optimise(
    evaluate: Evaluate,
    k: int,
    *,
    lower: float | Sequence[float] | np.ndarray | None = None,
    upper: float | Sequence[float] | np.ndarray | None = None,
    start: Sequence[float] | np.ndarray | None = None,
    settings: OptimiseSettings | None = None,
    names: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> OptimiseResult:
    """Search the shares of ``k`` instruments that maximise a noisy objective.

    ``evaluate(candidates, replicate_ids)`` must return an array of shape
    (len(candidates), len(replicate_ids)) or (len(candidates), len(replicate_ids), 2) (primary,
    secondary tie-break); a replicate id fixes the random draws for every candidate.
    ``lower``/``upper`` bound each share (defaults 0 and 1). ``start`` is the current
    allocation (defaults to the centre of the feasible set); it is always evaluated and
    re-evaluated, as the reference of the gain, even if it lies outside the bounds (the
    search itself stays within them). See the module docstring for the stages.
    """
    settings = settings or OptimiseSettings()
    if k < 1:
        raise ValueError("k must be at least 1")
    lo, hi = bounds(lower, upper, k)
    names = [f"instrument {i + 1}" for i in range(k)] if names is None else [str(n) for n in names]
    if len(names) != k:
        raise ValueError(f"{len(names)} names for {k} instruments")
    if len(set(names)) != k:
        raise ValueError("instrument names must be unique")
    clash = sorted(set(names) & set(_STAT_COLUMNS))
    if clash:
        raise ValueError(f"instrument names clash with result columns: {clash}")
    say = progress or (lambda _msg: None)
    notes: list[str] = []
    conf = settings.confidence

    centre = project_to_bounded_simplex(np.full(k, 1.0 / k), lo, hi)
    if start is None:
        start_s = centre.copy()
        notes.append("no start allocation given: the centre of the feasible set is the start")
    else:
        start_s = np.asarray(start, dtype=float).copy()
        if start_s.shape != (k,) or not np.all(np.isfinite(start_s)):
            raise ValueError(f"start must be a finite vector of {k} shares")
        if np.any(start_s < -SUM_TOL) or abs(start_s.sum() - 1.0) > 1e-6:
            raise ValueError(
                f"start shares must be non-negative and sum to 1 (sum {start_s.sum()})"
            )
    start_feasible = bool(np.all(start_s >= lo - 1e-7) and np.all(start_s <= hi + 1e-7))
    if not start_feasible:
        out = [names[i] for i in np.flatnonzero((start_s < lo - 1e-7) | (start_s > hi + 1e-7))]
        notes.append(
            "the start allocation lies outside the bounds (" + ", ".join(out) + "): it is kept "
            "as the reference, but the search moves only within the bounds"
        )

    calls = 0
    evaluations = 0
    sample_scale = [0.0]  # largest |primary| seen: scale of the tie tolerance

    def call(cands: list[np.ndarray], rids: list[int]) -> tuple[np.ndarray, np.ndarray, bool]:
        nonlocal calls, evaluations
        out = np.asarray(evaluate([c.copy() for c in cands], rids), dtype=float)
        n, r = len(cands), len(rids)
        if out.shape == (n, r):
            prim, sec, has_sec = out, np.zeros_like(out), False
        elif out.shape == (n, r, 2):
            prim, sec, has_sec = out[..., 0], out[..., 1], True
        else:
            raise ValueError(
                f"evaluate returned shape {out.shape}; expected ({n}, {r}) or ({n}, {r}, 2)"
            )
        if not (np.all(np.isfinite(prim)) and np.all(np.isfinite(sec))):
            raise ValueError("evaluate returned non-finite values")
        calls += 1
        evaluations += n * r
        sample_scale[0] = max(sample_scale[0], float(np.abs(prim).max(initial=0.0)))
        return prim, sec, has_sec

    def tol() -> float:
        return 1e-12 * max(1.0, sample_scale[0])

    def better(a: tuple[float, float], b: tuple[float, float]) -> bool:
        """Whether (primary, secondary) ``a`` is strictly better than ``b``."""
        if a[0] > b[0] + tol():
            return True
        return abs(a[0] - b[0]) <= tol() and a[1] > b[1] + tol()

    def rank(cands: list[_Candidate]) -> list[int]:
        """Indices from best to worst (stable: earlier candidates first among ties)."""
        order: list[int] = []
        for i, c in enumerate(cands):
            pos = len(order)
            while pos > 0 and better((c.mean, c.mean_secondary), _ms(cands[order[pos - 1]])):
                pos -= 1
            order.insert(pos, i)
        return order

    screen_ids = list(range(settings.screening_replicates))
    pool: list[_Candidate] = []
    seen: dict[bytes, int] = {}
    secondary_given = False

    # 1. screening -----------------------------------------------------------------------------
    fixed: list[tuple[np.ndarray, str]] = [(start_s, "start"), (centre, "centre")]
    for i in range(k):
        x = np.full(k, 1.0 / k)
        x[i] += 2.0  # dominant coordinate: as much as allowed to i, the rest spread evenly
        fixed.append((project_to_bounded_simplex(x, lo, hi), f"corner {names[i]}"))
    n_sobol = max(0, settings.screening_candidates - len(fixed))
    u = np.clip(_sobol_uniforms(n_sobol, k, settings.seed), 1e-12, 1.0 - 1e-12)
    free_budget = 1.0 - lo.sum()
    for row in u:
        d = -np.log(row)  # uniform Dirichlet point on the simplex
        d /= d.sum()
        fixed.append((project_to_bounded_simplex(lo + free_budget * d, lo, hi), "sobol"))
    batch_shares: list[np.ndarray] = []
    batch_kinds: list[str] = []
    for s, kind in fixed:
        key = _key(s)
        if key in seen or any(_key(b) == key for b in batch_shares):
            continue
        batch_shares.append(s)
        batch_kinds.append(kind)
    say(
        f"screening: {len(batch_shares)} candidates x {len(screen_ids)} replicates "
        f"({len(batch_shares) * len(screen_ids)} runs)"
    )
    prim, sec, has_sec = call(batch_shares, screen_ids)
    secondary_given |= has_sec
    for j, (s, kind) in enumerate(zip(batch_shares, batch_kinds, strict=True)):
        seen[_key(s)] = len(pool)
        stage = "start" if kind == "start" else "screening"
        pool.append(_Candidate(s, kind, stage, calls - 1, prim[j], sec[j]))
    start_idx = 0

    # 2. local search ----------------------------------------------------------------------------
    def feasible(c: _Candidate) -> bool:
        return bool(np.all(c.shares >= lo - 1e-7) and np.all(c.shares <= hi + 1e-7))

    feasible_idx = [i for i in rank(pool) if feasible(pool[i])]
    incumbent = feasible_idx[0] if feasible_idx else seen[_key(centre)]
    step = settings.local_step
    for r in range(1, settings.local_rounds + 1):
        s0 = pool[incumbent].shares
        moves: list[np.ndarray] = []
        kinds: list[str] = []
        for i in range(k):
            for j in range(k):
                if i == j:
                    continue
                delta = min(step, s0[j] - lo[j], hi[i] - s0[i])
                if delta <= SUM_TOL:
                    continue
                s = s0.copy()
                s[i] += delta
                s[j] -= delta
                s = project_to_bounded_simplex(s, lo, hi)  # a no-op up to rounding
                key = _key(s)
                if key in seen or any(_key(m) == key for m in moves):
                    continue
                moves.append(s)
                kinds.append(f"move {delta:.3g}: {names[j]} -> {names[i]}")
        stage = f"local round {r}"
        if moves:
            say(
                f"{stage}: step {step:.3g}, {len(moves)} moves x {len(screen_ids)} replicates "
                f"({len(moves) * len(screen_ids)} runs)"
            )
            prim, sec, has_sec = call(moves, screen_ids)
            secondary_given |= has_sec
            first = len(pool)
            for j, (s, kind) in enumerate(zip(moves, kinds, strict=True)):
                seen[_key(s)] = len(pool)
                pool.append(_Candidate(s, kind, stage, calls - 1, prim[j], sec[j]))
            new = list(range(first, len(pool)))
            best_move = new[rank([pool[i] for i in new])[0]]
            inc, mov = pool[incumbent], pool[best_move]
            diff = (
                float((mov.primary - inc.primary).mean()),
                float((mov.secondary - inc.secondary).mean()),
            )
            if better(diff, (0.0, 0.0)):
                incumbent = best_move
                say(f"{stage}: moved ({mov.kind}), mean {mov.mean:.6g}")
            else:
                say(f"{stage}: no move improves the incumbent (mean {inc.mean:.6g})")
        else:
            say(f"{stage}: no feasible move of step {step:.3g}")
        step /= 2.0

    search_means = np.array([c.mean for c in pool])
    if np.ptp(search_means) <= tol():
        v = _fmt(float(search_means[0]))
        if secondary_given:
            notes.append(
                f"every candidate had the same primary objective ({v}): "
                "ranked by the secondary objective"
            )
        else:
            notes.append(
                f"every candidate had the same objective ({v}): the objective does not "
                "discriminate between these allocations"
            )

    # 3. re-evaluation on new replicates -----------------------------------------------------
    order = [i for i in rank(pool) if i != start_idx]
    final_idx = [start_idx, *order[: settings.finalists - 1]]
    final_ids = list(
        range(
            settings.screening_replicates, settings.screening_replicates + settings.final_replicates
        )
    )
    say(
        f"final: {len(final_idx)} finalists x {len(final_ids)} new replicates "
        f"({len(final_idx) * len(final_ids)} runs)"
    )
    fprim, fsec, has_sec = call([pool[i].shares for i in final_idx], final_ids)
    secondary_given |= has_sec
    final_batch = calls - 1
    fmeans = [(float(fprim[j].mean()), float(fsec[j].mean())) for j in range(len(final_idx))]
    chosen = 0  # the start wins ties
    for j in range(1, len(final_idx)):
        if better(fmeans[j], fmeans[chosen]):
            chosen = j
    if len(final_idx) > 1 and np.ptp([m[0] for m in fmeans]) <= tol():
        v = _fmt(fmeans[0][0])
        tail = "ranked by the secondary objective" if secondary_given else "the start is kept"
        notes.append(
            f"on the final replicates every finalist had the same primary objective ({v}): {tail}"
        )

    binary = bool(np.all((fprim == 0.0) | (fprim == 1.0)))
    n_final = len(final_ids)

    def mean_interval(j: int) -> tuple[float, float]:
        if binary:
            return wilson_interval(fmeans[j][0], n_final, conf)
        return t_interval(fprim[j], conf)

    # when the primary objective is the same in every replicate of every finalist (e.g. a
    # probability that is 0 everywhere), the paired comparisons use the secondary objective:
    # a difference of exactly zero everywhere says nothing about which allocation is better
    on_secondary = bool(secondary_given and len(final_idx) > 1 and np.all(fprim == fprim[0]))
    compared = fsec if on_secondary else fprim
    if on_secondary:
        notes.append(
            "the primary objective is the same in every final replicate of every finalist: "
            "the paired differences, the gain and the indistinguishable set use the secondary "
            "objective"
        )
    rows = []
    for j, idx in enumerate(final_idx):
        c = pool[idx]
        d = compared[j] - compared[chosen]
        d_int = (0.0, 0.0) if np.all(d == 0.0) else t_interval(d, conf)
        ci = mean_interval(j)
        rows.append(
            {
                "candidate": idx,
                "kind": c.kind,
                **{n: float(c.shares[i]) for i, n in enumerate(names)},
                "mean": fmeans[j][0],
                "mean_secondary": fmeans[j][1] if secondary_given else np.nan,
                "ci_low": ci[0],
                "ci_high": ci[1],
                "screening_mean": c.mean,
                "diff_to_best": float(d.mean()),
                "diff_low": d_int[0],
                "diff_high": d_int[1],
                "indistinguishable": bool(d_int[0] <= 0.0 <= d_int[1]),
                "is_start": idx == start_idx,
                "is_best": j == chosen,
            }
        )
    finalists = pd.DataFrame(rows)
    finalists = finalists.sort_values(
        ["is_best", "mean", "mean_secondary"], ascending=False, kind="stable"
    ).reset_index(drop=True)

    g = compared[chosen] - compared[0]
    gain = float(g.mean())
    gain_interval = (0.0, 0.0) if np.all(g == 0.0) else t_interval(g, conf)
    best_idx = final_idx[chosen]
    if best_idx == start_idx:
        notes.append("the start allocation remains the best of the finalists")
    elif gain_interval[0] <= 0.0:
        notes.append(
            f"the gain over the start ({_fmt(gain)}) is not significant at {conf:.0%} confidence"
        )
    n_ind = int(finalists["indistinguishable"].sum())
    notes.append(
        f"{n_ind} of {len(finalists)} finalists are indistinguishable from the chosen allocation "
        f"(paired {conf:.0%} interval of the difference contains 0)"
    )

    # history ------------------------------------------------------------------------------------
    hist = []
    for idx, c in enumerate(pool):
        hist.append(
            {
                "candidate": idx,
                "batch": c.batch,
                "stage": c.stage,
                "kind": c.kind,
                **{n: float(c.shares[i]) for i, n in enumerate(names)},
                "mean": c.mean,
                "mean_secondary": c.mean_secondary if secondary_given else np.nan,
                "n_replicates": len(screen_ids),
                "replicate_first": screen_ids[0],
                "replicate_last": screen_ids[-1],
            }
        )
    for j, idx in enumerate(final_idx):
        c = pool[idx]
        hist.append(
            {
                "candidate": idx,
                "batch": final_batch,
                "stage": "final",
                "kind": c.kind,
                **{n: float(c.shares[i]) for i, n in enumerate(names)},
                "mean": fmeans[j][0],
                "mean_secondary": fmeans[j][1] if secondary_given else np.nan,
                "n_replicates": n_final,
                "replicate_first": final_ids[0],
                "replicate_last": final_ids[-1],
            }
        )
    history = pd.DataFrame(hist)

    say(
        f"done: {calls} evaluate calls, {evaluations} runs; best mean {fmeans[chosen][0]:.6g} "
        f"(start {fmeans[0][0]:.6g})"
    )
    return OptimiseResult(
        best=pool[best_idx].shares.copy(),
        best_mean=fmeans[chosen][0],
        best_interval=mean_interval(chosen),
        start_mean=fmeans[0][0],
        start_interval=mean_interval(0),
        gain=gain,
        gain_interval=gain_interval,
        finalists=finalists,
        history=history,
        evaluations=evaluations,
        notes=notes,
        names=list(names),
        start=start_s.copy(),
        evaluate_calls=calls,
        confidence=conf,
        compared_on="secondary" if on_secondary else "primary",
    )


def _ms(c: _Candidate) -> tuple[float, float]:
    return (c.mean, c.mean_secondary)
