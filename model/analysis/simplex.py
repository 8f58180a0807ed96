"""Shares of a budget within bounds, and the Euclidean projection onto the set they form.

The set is {s : sum(s) = 1, lower <= s <= upper}; the optimiser's moves stay feasible through
the projection.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["SUM_TOL", "bounds", "project_to_bounded_simplex"]

SUM_TOL = 1e-9  # tolerance on sum(shares) == 1 and on the bounds


def bounds(
    lower: float | Sequence[float] | np.ndarray | None,
    upper: float | Sequence[float] | np.ndarray | None,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper share bounds broadcast to ``k`` instruments and checked.

    The checks: finite, within [0, 1], lower <= upper, and the set they bound not empty
    (``ValueError`` otherwise).
    """
    lo = np.zeros(k) if lower is None else np.broadcast_to(np.asarray(lower, float), (k,)).copy()
    hi = np.ones(k) if upper is None else np.broadcast_to(np.asarray(upper, float), (k,)).copy()
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise ValueError("bounds must be finite")
    if np.any(lo < -SUM_TOL) or np.any(hi > 1 + SUM_TOL):
        raise ValueError("bounds must lie within [0, 1]")
    lo, hi = np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)
    if np.any(lo > hi + SUM_TOL):
        bad = np.flatnonzero(lo > hi + SUM_TOL).tolist()
        raise ValueError(f"lower bound above upper bound for instruments {bad}")
    hi = np.maximum(lo, hi)
    if lo.sum() > 1 + SUM_TOL:
        raise ValueError(f"infeasible bounds: the lower bounds sum to {lo.sum():.6g} > 1")
    if hi.sum() < 1 - SUM_TOL:
        raise ValueError(f"infeasible bounds: the upper bounds sum to {hi.sum():.6g} < 1")
    return lo, hi


def project_to_bounded_simplex(
    x: Sequence[float] | np.ndarray,
    lower: float | Sequence[float] | np.ndarray | None = None,
    upper: float | Sequence[float] | np.ndarray | None = None,
) -> np.ndarray:
    """Euclidean projection of ``x`` onto {s: sum(s) = 1, lower <= s <= upper}.

    The projection is ``clip(x - tau, lower, upper)`` for the shift ``tau`` that makes the
    shares sum to 1; ``tau`` is found by bisection (the sum is non-increasing in ``tau``) and
    then solved exactly on the final bracket. ``lower`` defaults to 0 and ``upper`` to 1
    (scalars broadcast). Raises ``ValueError`` if the set is empty (sum(lower) > 1 or
    sum(upper) < 1) or ``x`` is not finite.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError("x must be a non-empty vector")
    if not np.all(np.isfinite(x)):
        raise ValueError("x must be finite")
    lo, hi = bounds(lower, upper, x.size)

    def total(tau: float) -> float:
        return float(np.clip(x - tau, lo, hi).sum())

    t_lo = float(np.min(x - hi)) - 1.0  # every share at its upper bound: sum >= 1
    t_hi = float(np.max(x - lo)) + 1.0  # every share at its lower bound: sum <= 1
    for _ in range(200):
        mid = 0.5 * (t_lo + t_hi)
        if total(mid) > 1.0:
            t_lo = mid
        else:
            t_hi = mid
        if t_hi - t_lo <= 1e-15 * max(1.0, abs(mid)):
            break
    tau = 0.5 * (t_lo + t_hi)
    # exact solve: with the active sets at tau, sum = sum(bounds) + sum(x_free) - n_free * tau
    y = x - tau
    at_lo, at_hi = y <= lo, y >= hi
    free = ~(at_lo | at_hi)
    if free.any():
        exact = (x[free].sum() + lo[at_lo].sum() + hi[at_hi].sum() - 1.0) / free.sum()
        if t_lo - 1e-12 <= exact <= t_hi + 1e-12:
            tau = exact
    s = np.clip(x - tau, lo, hi)
    # remove the last rounding error on a free coordinate (never breaks a bound)
    residual = 1.0 - s.sum()
    if residual != 0.0:
        room = hi - s if residual > 0 else s - lo
        i = int(np.argmax(room))
        s[i] = np.clip(s[i] + residual, lo[i], hi[i])
    return s
