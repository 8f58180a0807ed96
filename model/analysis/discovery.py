"""Scenario discovery: where in the space of uncertain inputs a target is missed.

**PRIM** (patient rule induction, Friedman & Fisher 1999), used for scenario discovery as in
Bryant & Lempert (2010): find a box of a few readable conditions on the inputs inside which the
cases of interest (e.g. "the 2020 target is missed") are concentrated. Independent of the
simulation model: it takes a table of inputs and a boolean outcome per case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["PrimResult", "prim"]


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}"


@dataclass
class PrimResult:
    """The box chosen by :func:`prim`.

    ``limits`` lists only the restricted inputs (``low``/``high`` bounds of the box; a bound
    applies only where ``restricted_low``/``restricted_high`` is true) with a quasi-p-value
    ``qp_value`` (one-sided binomial test of the density gained by the restriction). ``coverage``
    is the share of all cases of interest inside the box, ``density`` the share of the box's
    cases that are of interest, ``support`` the share of all cases inside the box.
    ``trajectory`` records every box of the peeling; ``chosen_step`` is the row selected
    before the restrictions were simplified; ``dropped`` the restrictions removed then.
    """

    limits: pd.DataFrame
    coverage: float
    density: float
    support: float
    base_rate: float
    trajectory: pd.DataFrame
    chosen_step: int = 0
    ranges: pd.DataFrame = field(default_factory=pd.DataFrame)
    n_points: int = 0
    n_of_interest: int = 0
    dropped: tuple[str, ...] = ()

    @property
    def degenerate(self) -> bool:
        """True when every case, or no case, is of interest."""
        return self.n_of_interest in (0, self.n_points)

    def conditions(self, units: Mapping[str, str] | None = None) -> list[str]:
        """One readable condition per restricted input."""
        units = units or {}
        out = []
        for row in self.limits.itertuples(index=False):
            unit = f" {units[row.input]}" if units.get(row.input) else ""
            lo, hi = _fmt(row.low), _fmt(row.high)
            if row.restricted_low and row.restricted_high:
                out.append(f"{lo} <= {row.input} <= {hi}{unit}")
            elif row.restricted_low:
                out.append(f"{row.input} >= {lo}{unit}")
            elif row.restricted_high:
                out.append(f"{row.input} <= {hi}{unit}")
        return out

    def describe(self, units: Mapping[str, str] | None = None) -> list[str]:
        """The box's conditions followed by a summary line of coverage and density."""
        if self.n_points and self.n_of_interest == self.n_points:
            return ["every case is of interest: no condition separates them"]
        if self.n_of_interest == 0:
            return ["no case is of interest: no condition separates them"]
        lines = self.conditions(units)
        if not lines:
            lines.append("no condition on the inputs concentrates the cases of interest")
        lines.append(
            f"covers {self.coverage:.0%} of the cases of interest; {self.density:.0%} of the "
            f"cases in the box are of interest (base rate {self.base_rate:.0%})"
        )
        return lines


def _box_mask(X: np.ndarray, lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
    return np.all((lows <= X) & (highs >= X), axis=1)


def _stats(mask: np.ndarray, y: np.ndarray, n_interest: int) -> tuple[float, float, float]:
    n_in = int(mask.sum())
    hits = int(y[mask].sum())
    coverage = hits / n_interest if n_interest else 0.0
    density = hits / n_in if n_in else 0.0
    return coverage, density, n_in / len(y)


def prim(
    inputs: pd.DataFrame,
    of_interest: np.ndarray,
    *,
    peel_alpha: float = 0.05,
    min_support: float = 0.05,
    threshold: float | None = None,
    drop_tolerance: float = 0.01,
) -> PrimResult:
    """Find a box of inputs where the cases ``of_interest`` are concentrated (PRIM).

    Peeling: starting from the box holding every case, each step considers, for every input,
    removing the cases below the ``peel_alpha`` quantile or above the ``1 - peel_alpha``
    quantile of the cases still in the box, and keeps the peel giving the highest density
    (share of cases of interest in the box; ties go to the peel keeping more cases). Peeling
    stops when every peel would bring the support (share of all cases in the box) below
    ``min_support``.

    Choice of box: with ``threshold``, the first box on the trajectory whose density reaches
    it (the highest-density box if none does); otherwise the box maximising
    ``density * coverage`` among boxes denser than the base rate (the unrestricted box if none
    is).

    Simplification: restrictions are then removed one bound at a time, greedily (the removal
    costing least density first), as long as the density stays within ``drop_tolerance``
    (1 percentage point) of the chosen box's, so that the box reads as a few conditions.
    """
    if not 0 < peel_alpha < 0.5:
        raise ValueError(f"peel_alpha must be in (0, 0.5), got {peel_alpha}")
    if not 0 < min_support < 1:
        raise ValueError(f"min_support must be in (0, 1), got {min_support}")
    non_numeric = [
        c
        for c in inputs.columns
        if not (pd.api.types.is_numeric_dtype(inputs[c]) or pd.api.types.is_bool_dtype(inputs[c]))
    ]
    if non_numeric:
        raise ValueError(f"PRIM takes numeric inputs only; not numeric: {non_numeric}")
    names = [str(c) for c in inputs.columns]
    X = inputs.to_numpy(dtype=float)
    y = np.asarray(of_interest)
    if y.dtype != bool:
        if not np.isin(y, (0, 1)).all():
            raise ValueError("of_interest must be boolean")
        y = y.astype(bool)
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"of_interest has {y.shape} values for {len(X)} input rows")
    if len(X) == 0 or X.shape[1] == 0:
        raise ValueError("PRIM needs at least one case and one input")
    if not np.isfinite(X).all():
        bad = [n for n, ok in zip(names, np.isfinite(X).all(axis=0), strict=True) if not ok]
        raise ValueError(f"inputs with missing or infinite values: {bad}")

    n, d = X.shape
    n_interest = int(y.sum())
    base_rate = n_interest / n
    mins, maxs = X.min(axis=0), X.max(axis=0)
    ranges = pd.DataFrame({"input": names, "min": mins, "max": maxs})
    empty_limits = pd.DataFrame(
        {
            "input": pd.Series(dtype=str),
            "low": pd.Series(dtype=float),
            "high": pd.Series(dtype=float),
            "restricted_low": pd.Series(dtype=bool),
            "restricted_high": pd.Series(dtype=bool),
            "qp_value": pd.Series(dtype=float),
        }
    )

    lows, highs = mins.copy(), maxs.copy()
    boxes: list[tuple[np.ndarray, np.ndarray]] = [(lows.copy(), highs.copy())]
    records = [
        {"step": 0, "peeled": "", "coverage": 1.0 if n_interest else 0.0,
         "density": base_rate, "support": 1.0, "n_restricted": 0, "n_points": n}
    ]  # fmt: skip
    degenerate = n_interest in (0, n)
    mask = np.ones(n, dtype=bool)
    while not degenerate:
        idx = np.flatnonzero(mask)
        Xb, yb = X[idx], y[idx]
        best = None  # (density, kept, dim, side, bound, keep)
        for j in range(d):
            v = Xb[:, j]
            for side in ("low", "high"):
                if side == "low":
                    bound = float(np.quantile(v, peel_alpha))
                    keep = v >= bound
                else:
                    bound = float(np.quantile(v, 1 - peel_alpha))
                    keep = v <= bound
                kept = int(keep.sum())
                if kept == len(v) or kept / n < min_support or kept == 0:
                    continue
                density = float(yb[keep].mean())
                if best is None or (density, kept) > (best[0], best[1]):
                    best = (density, kept, j, side, bound, keep)
        if best is None:
            break
        _, _, j, side, bound, keep = best
        if side == "low":
            lows[j] = bound
        else:
            highs[j] = bound
        mask = np.zeros(n, dtype=bool)
        mask[idx[keep]] = True
        coverage, density, support = _stats(mask, y, n_interest)
        boxes.append((lows.copy(), highs.copy()))
        records.append(
            {"step": len(records), "peeled": f"{names[j]} {side}", "coverage": coverage,
             "density": density, "support": support,
             "n_restricted": int(np.sum((lows > mins) | (highs < maxs))),
             "n_points": int(mask.sum())}
        )  # fmt: skip
    trajectory = pd.DataFrame.from_records(records)

    if degenerate:
        return PrimResult(
            limits=empty_limits,
            coverage=1.0 if n_interest else 0.0,
            density=base_rate,
            support=1.0,
            base_rate=base_rate,
            trajectory=trajectory,
            chosen_step=0,
            ranges=ranges,
            n_points=n,
            n_of_interest=n_interest,
        )

    dens = trajectory["density"].to_numpy()
    cov = trajectory["coverage"].to_numpy()
    if threshold is not None:
        reached = np.flatnonzero(dens >= threshold)
        chosen = int(reached[0]) if len(reached) else int(np.argmax(dens))
    else:
        objective = np.where(dens > base_rate + 1e-12, dens * cov, -np.inf)
        chosen = int(np.argmax(objective)) if np.isfinite(objective).any() else 0

    # Simplification: drop bounds that barely add density.
    lows, highs = (b.copy() for b in boxes[chosen])
    target_density = dens[chosen]
    dropped: list[str] = []
    while True:
        candidates = []
        for j in range(d):
            for side, arr, free in (("low", lows, mins), ("high", highs, maxs)):
                if arr[j] == free[j]:
                    continue
                old = arr[j]
                arr[j] = free[j]
                _, density, support = _stats(_box_mask(X, lows, highs), y, n_interest)
                arr[j] = old
                candidates.append((density, support, j, side))
        if not candidates:
            break
        density, _, j, side = max(candidates)
        if density < target_density - drop_tolerance:
            break
        if side == "low":
            lows[j] = mins[j]
        else:
            highs[j] = maxs[j]
        dropped.append(f"{names[j]} {side}")

    mask = _box_mask(X, lows, highs)
    coverage, density, support = _stats(mask, y, n_interest)
    rows = []
    for j in range(d):
        r_lo, r_hi = bool(lows[j] > mins[j]), bool(highs[j] < maxs[j])
        if not (r_lo or r_hi):
            continue
        # Quasi-p-value: chance of at least the box's hits if the restriction on this input
        # were lifted and the box's cases were drawn at the lifted box's density.
        lo_free, hi_free = lows.copy(), highs.copy()
        lo_free[j], hi_free[j] = mins[j], maxs[j]
        _, p0, _ = _stats(_box_mask(X, lo_free, hi_free), y, n_interest)
        hits, n_in = int(y[mask].sum()), int(mask.sum())
        qp = float(stats.binom.sf(hits - 1, n_in, p0)) if n_in else 1.0
        rows.append(
            {"input": names[j], "low": float(lows[j]), "high": float(highs[j]),
             "restricted_low": r_lo, "restricted_high": r_hi, "qp_value": qp}
        )  # fmt: skip
    limits = pd.DataFrame.from_records(rows) if rows else empty_limits
    return PrimResult(
        limits=limits,
        coverage=coverage,
        density=density,
        support=support,
        base_rate=base_rate,
        trajectory=trajectory,
        chosen_step=chosen,
        ranges=ranges,
        n_points=n,
        n_of_interest=n_interest,
        dropped=tuple(dropped),
    )
