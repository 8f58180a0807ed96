"""Global sensitivity analysis and scenario discovery, independent of the simulation model.

* **Morris elementary effects** (screening: which uncertain inputs matter at all) and
  **Sobol variance-based indices** (first-order ``S1`` and total-effect ``ST`` shares of the
  output variance), both through SALib. Designs are returned in natural units (rows = points,
  columns = factors); the caller evaluates the model at each row and passes the outputs back.
* **Stability warnings** when the sample is too small for the indices to be trusted.
* The **Ishigami** test function with its analytic indices, to check the pipeline end to end.
* **PRIM** (patient rule induction, Friedman & Fisher 1999), used for scenario discovery as
  in Bryant & Lempert (2010): find a box of a few readable conditions on the inputs inside
  which the cases of interest (e.g. "the 2020 target is missed") are concentrated.
* Charts for planners: a tornado chart of the indices and a PRIM chart (peeling trajectory and
  the chosen box).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

__all__ = [
    "ISHIGAMI_EXACT",
    "ISHIGAMI_FACTORS",
    "Factor",
    "PrimResult",
    "ishigami",
    "ishigami_exact",
    "morris_design",
    "morris_indices",
    "prim",
    "prim_chart",
    "sobol_design",
    "sobol_indices",
    "stability_warnings",
    "tornado_chart",
]

# Sample sizes below which the indices are flagged as unstable, and the largest confidence
# half-widths accepted for the most influential factors.
SOBOL_MIN_BASE = 256
SOBOL_MAX_CONF = 0.1
MORRIS_MIN_TRAJECTORIES = 10
MORRIS_MAX_REL_CONF = 0.5
TOP_FACTORS = 3
NUM_RESAMPLES = 100  # bootstrap resamples for the confidence intervals


@dataclass(frozen=True)
class Factor:
    """An uncertain input and the range it is varied over (uniformly)."""

    name: str
    low: float
    high: float
    units: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.high <= self.low:
            raise ValueError(
                f"factor {self.name!r}: need finite low < high, got [{self.low}, {self.high}]"
            )


def _problem(factors: Sequence[Factor]) -> dict:
    if not factors:
        raise ValueError("no factors given")
    names = [f.name for f in factors]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate factor names: {names}")
    return {
        "num_vars": len(factors),
        "names": names,
        "bounds": [[float(f.low), float(f.high)] for f in factors],
    }


def _outputs_2d(
    factors: Sequence[Factor],
    design: np.ndarray,
    outputs: np.ndarray,
    output_names: Sequence[str] | str,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    X = np.asarray(design, dtype=float)
    if X.ndim != 2 or X.shape[1] != len(factors):
        raise ValueError(
            f"design must have one column per factor ({len(factors)}), got shape {X.shape}"
        )
    Y = np.asarray(outputs, dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2 or Y.shape[0] != X.shape[0]:
        raise ValueError(
            f"outputs must have one row per design point ({X.shape[0]}), got shape {Y.shape}"
        )
    names = [output_names] if isinstance(output_names, str) else list(output_names)
    if len(names) != Y.shape[1]:
        raise ValueError(f"{Y.shape[1]} output columns but {len(names)} output names")
    for j, name in enumerate(names):
        bad = ~np.isfinite(Y[:, j])
        if bad.any():
            raise ValueError(
                f"output {name!r} has {int(bad.sum())} missing or infinite values "
                f"(of {Y.shape[0]}); indices cannot be computed"
            )
    return X, Y, names


def _index_frame(
    output: str, problem: dict, result: Mapping[str, object], columns: Sequence[str]
) -> pd.DataFrame:
    """One output's indices from a SALib result: ``output``, ``factor`` and ``columns``."""
    data: dict[str, object] = {"output": output, "factor": problem["names"]}
    data.update({c: np.asarray(result[c], dtype=float) for c in columns})
    return pd.DataFrame(data)


def _rank(table: pd.DataFrame, by: str) -> pd.Series:
    return table.groupby("output", sort=False)[by].rank(ascending=False, method="first").astype(int)


# --------------------------------------------------------------------------------------------
# Morris


def morris_design(
    factors: Sequence[Factor], trajectories: int, seed: int, levels: int = 4
) -> np.ndarray:
    """Morris design of ``trajectories`` one-at-a-time trajectories on a ``levels`` grid.

    Returns ``trajectories * (len(factors) + 1)`` points in natural units."""
    if trajectories < 2:
        raise ValueError(f"need at least 2 Morris trajectories, got {trajectories}")
    if levels < 2 or levels % 2:
        raise ValueError(f"Morris levels must be an even number >= 2, got {levels}")
    from SALib.sample import morris

    return morris.sample(_problem(factors), trajectories, num_levels=levels, seed=seed)


def morris_indices(
    factors: Sequence[Factor],
    design: np.ndarray,
    outputs: np.ndarray,
    output_names: Sequence[str] | str,
    *,
    levels: int = 4,
    seed: int = 0,
) -> pd.DataFrame:
    """Morris statistics of each output: ``mu_star`` (mean absolute elementary effect, in the
    output's units per movement across the factor's whole range), its bootstrap confidence
    half-width, ``mu``, ``sigma`` and ``rank`` (by ``mu_star`` within the output, 1 = most
    influential). ``levels`` must be the one used for the design."""
    from SALib.analyze import morris

    problem = _problem(factors)
    X, Y, names = _outputs_2d(factors, design, outputs, output_names)
    if X.shape[0] % (len(factors) + 1):
        raise ValueError(
            f"a Morris design has a multiple of {len(factors) + 1} points, got {X.shape[0]}"
        )
    frames = []
    for j, name in enumerate(names):
        res = morris.analyze(
            problem, X, Y[:, j], num_resamples=NUM_RESAMPLES, num_levels=levels, seed=seed
        )
        frames.append(_index_frame(name, problem, res, ("mu_star", "mu_star_conf", "mu", "sigma")))
    table = pd.concat(frames, ignore_index=True)
    table["rank"] = _rank(table, "mu_star")
    return table


# --------------------------------------------------------------------------------------------
# Sobol


def _is_power_of_two(n: int) -> bool:
    return n >= 2 and (n & (n - 1)) == 0


def sobol_design(factors: Sequence[Factor], base_samples: int, seed: int) -> np.ndarray:
    """Saltelli design on a scrambled Sobol sequence (first-order and total indices only).

    ``base_samples`` must be a power of two; returns ``base_samples * (len(factors) + 2)``
    points in natural units."""
    if not isinstance(base_samples, int | np.integer) or not _is_power_of_two(int(base_samples)):
        raise ValueError(
            f"Sobol base samples must be a power of two (e.g. 256, 512, 1024), got {base_samples}"
        )
    from SALib.sample import sobol

    return sobol.sample(_problem(factors), int(base_samples), calc_second_order=False, seed=seed)


def sobol_indices(
    factors: Sequence[Factor],
    design: np.ndarray,
    outputs: np.ndarray,
    output_names: Sequence[str] | str,
    *,
    seed: int = 0,
) -> pd.DataFrame:
    """First-order (``S1``) and total-effect (``ST``) Sobol indices of each output with their
    bootstrap confidence half-widths, and ``rank`` by ``ST`` within the output."""
    from SALib.analyze import sobol

    problem = _problem(factors)
    X, Y, names = _outputs_2d(factors, design, outputs, output_names)
    if X.shape[0] % (len(factors) + 2):
        raise ValueError(
            f"a Sobol design has a multiple of {len(factors) + 2} points, got {X.shape[0]}"
        )
    frames = []
    for j, name in enumerate(names):
        if np.ptp(Y[:, j]) == 0:
            raise ValueError(f"output {name!r} is constant: variance-based indices are undefined")
        res = sobol.analyze(
            problem, Y[:, j], calc_second_order=False, num_resamples=NUM_RESAMPLES, seed=seed
        )
        frames.append(_index_frame(name, problem, res, ("S1", "S1_conf", "ST", "ST_conf")))
    table = pd.concat(frames, ignore_index=True)
    table["rank"] = _rank(table, "ST")
    return table


# --------------------------------------------------------------------------------------------
# Stability


def _next_power_of_two(n: float) -> int:
    return 1 << max(1, math.ceil(math.log2(max(n, 2))))


def stability_warnings(table: pd.DataFrame, method: str, n_points: int) -> list[str]:
    """Readable warnings when the sample behind ``table`` is too small for stable indices.

    ``n_points`` is the number of model evaluations (rows of the design). Rules:

    * Sobol: fewer than 256 base samples; or, for a factor among the 3 largest ``ST`` of an
      output, ``ST_conf`` or ``S1_conf`` above 0.1.
    * Morris: fewer than 10 trajectories; or, for a factor among the 3 largest ``mu_star`` of
      an output, ``mu_star_conf`` above half of ``mu_star``.

    Each warning names the output and factor and suggests a larger ``--samples`` value (base
    samples for Sobol, trajectories for Morris). Empty list when the indices look stable."""
    method = method.lower()
    if method not in ("morris", "sobol"):
        raise ValueError(f"method must be 'morris' or 'sobol', got {method!r}")
    k = int(table["factor"].nunique())
    out: list[str] = []
    if method == "sobol":
        n = n_points // (k + 2)
        suggest = max(SOBOL_MIN_BASE, _next_power_of_two(4 * n))
        if n < SOBOL_MIN_BASE:
            out.append(
                f"only {n} Sobol base samples ({n_points} runs): indices are unreliable below "
                f"{SOBOL_MIN_BASE}; use --samples {suggest} or more"
            )
        for output, group in table.groupby("output", sort=False):
            top = group.nlargest(TOP_FACTORS, "ST")
            for row in top.itertuples(index=False):
                wide = [
                    f"{col} = {getattr(row, col):.2f} ± {getattr(row, col + '_conf'):.2f}"
                    for col in ("ST", "S1")
                    if getattr(row, col + "_conf") > SOBOL_MAX_CONF
                ]
                if wide:
                    out.append(
                        f"{output} / {row.factor}: {'; '.join(wide)} (confidence wider than "
                        f"±{SOBOL_MAX_CONF}); use --samples {suggest} or more"
                    )
    else:
        n = n_points // (k + 1)
        suggest = max(2 * MORRIS_MIN_TRAJECTORIES, 4 * n)
        if n < MORRIS_MIN_TRAJECTORIES:
            out.append(
                f"only {n} Morris trajectories ({n_points} runs): screening is unreliable below "
                f"{MORRIS_MIN_TRAJECTORIES}; use --samples {suggest} or more"
            )
        for output, group in table.groupby("output", sort=False):
            top = group.nlargest(TOP_FACTORS, "mu_star")
            for row in top.itertuples(index=False):
                if row.mu_star_conf > MORRIS_MAX_REL_CONF * row.mu_star:
                    out.append(
                        f"{output} / {row.factor}: mu* = {row.mu_star:.3g} ± "
                        f"{row.mu_star_conf:.3g} (confidence wider than half of mu*); "
                        f"use --samples {suggest} or more"
                    )
    return out


# --------------------------------------------------------------------------------------------
# Ishigami test function


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """Ishigami function ``sin x1 + a sin^2 x2 + b x3^4 sin x1`` on [-pi, pi]^3 (rows = points)."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != 3:
        raise ValueError(f"ishigami takes an (n, 3) array, got shape {x.shape}")
    x1, x2, x3 = x[:, 0], x[:, 1], x[:, 2]
    return np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)


def ishigami_exact(a: float = 7.0, b: float = 0.1) -> pd.DataFrame:
    """Analytic first-order and total Sobol indices of the Ishigami function (index x1..x3)."""
    pi4, pi8 = math.pi**4, math.pi**8
    v1 = 0.5 * (1 + b * pi4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi8 * (1 / 18 - 1 / 50)
    v = a**2 / 8 + b * pi4 / 5 + b**2 * pi8 / 18 + 0.5
    assert math.isclose(v, v1 + v2 + v13)
    return pd.DataFrame(
        {"S1": [v1 / v, v2 / v, 0.0], "ST": [(v1 + v13) / v, v2 / v, v13 / v]},
        index=pd.Index(["x1", "x2", "x3"], name="factor"),
    )


ISHIGAMI_FACTORS = tuple(Factor(f"x{i}", -math.pi, math.pi) for i in (1, 2, 3))
ISHIGAMI_EXACT = ishigami_exact()  # S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437


# --------------------------------------------------------------------------------------------
# PRIM


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
    before the restrictions were simplified; ``dropped`` the restrictions removed then."""

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


# --------------------------------------------------------------------------------------------
# Charts


def tornado_chart(table: pd.DataFrame, output: str, method: str, top: int = 12) -> Figure:
    """Horizontal bars of the ``top`` most influential factors of ``output`` (largest on top):
    Morris ``mu_star`` with its confidence interval, or Sobol ``ST`` and ``S1`` with theirs."""
    method = method.lower()
    if method not in ("morris", "sobol"):
        raise ValueError(f"method must be 'morris' or 'sobol', got {method!r}")
    rows = table[table["output"] == output]
    if rows.empty:
        raise ValueError(f"no indices for output {output!r}")
    key = "mu_star" if method == "morris" else "ST"
    rows = rows.sort_values(key, ascending=False).head(top)
    k = len(rows)
    fig = Figure(figsize=(8.5, 0.42 * k + 1.8), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(k)[::-1].astype(float)
    factors = rows["factor"].astype(str).tolist()
    if method == "morris":
        mu = rows["mu_star"].to_numpy(float)
        conf = rows["mu_star_conf"].to_numpy(float)
        ax.barh(y, mu, xerr=conf, color="tab:blue", alpha=0.8, capsize=3,
                label="mu* (95% interval); σ: spread of the effects")  # fmt: skip
        ends = np.nan_to_num(mu + conf)
        span = float(ends.max()) if k and ends.max() > 0 else 1.0
        for yi, end, s in zip(y, ends, rows["sigma"].to_numpy(float), strict=True):
            ax.text(end + 0.02 * span, yi, f"σ = {s:.3g}", fontsize=7, color="dimgray",
                    va="center")  # fmt: skip
        ax.set_xlim(0, 1.15 * span)
        ax.set_title(f"What {output} hinges on (Morris mu*, same units as the output)", fontsize=11)
        ax.set_xlabel(
            f"mean absolute change in {output} when the input moves across its whole range\n"
            "(σ large: the effect depends on the other inputs or is non-linear)",
            fontsize=9,
        )
    else:
        h = 0.38
        ax.barh(y + h / 2, rows["ST"].to_numpy(float), height=h,
                xerr=rows["ST_conf"].to_numpy(float), color="tab:blue", alpha=0.85, capsize=3,
                label="total effect ST (with interactions)")  # fmt: skip
        ax.barh(y - h / 2, rows["S1"].to_numpy(float), height=h,
                xerr=rows["S1_conf"].to_numpy(float), color="tab:orange", alpha=0.85,
                capsize=3, label="first-order S1 (alone)")  # fmt: skip
        ax.set_title(
            f"What {output} hinges on (Sobol indices: share of the output's variance)",
            fontsize=11,
        )
        ax.set_xlabel(f"share of the variance of {output} due to the input (95% intervals)")
        ax.set_xlim(left=min(0.0, ax.get_xlim()[0]))
    ax.set_yticks(y, factors, fontsize=8)
    ax.axvline(0.0, color="black", lw=0.8)
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=8, loc="lower right")
    return fig


def prim_chart(result: PrimResult, title: str) -> Figure:
    """Left: the peeling trajectory (coverage against density, coloured by the number of
    restricted inputs, chosen box highlighted). Right: the chosen box's restricted inputs as
    ranges normalised to each input's observed range, labelled with the conditions."""
    fig = Figure(figsize=(12, 4.8), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.15])
    traj = result.trajectory
    sc = left.scatter(traj["coverage"], traj["density"], c=traj["n_restricted"], cmap="viridis",
                      s=22, zorder=2)  # fmt: skip
    left.plot(traj["coverage"], traj["density"], color="grey", lw=0.6, zorder=1)
    cb = fig.colorbar(sc, ax=left)
    cb.set_label("number of restricted inputs")
    step = result.chosen_step
    if 0 <= step < len(traj):
        left.scatter([traj["coverage"].iloc[step]], [traj["density"].iloc[step]], s=140,
                     facecolors="none", edgecolors="tab:red", lw=2, zorder=3,
                     label="box chosen on the trajectory")  # fmt: skip
    left.scatter([result.coverage], [result.density], marker="*", s=180, color="tab:red",
                 zorder=4, label="after simplification")  # fmt: skip
    left.axhline(result.base_rate, color="black", ls=":", lw=1,
                 label=f"base rate {result.base_rate:.0%}")  # fmt: skip
    left.set_xlabel("coverage (share of the cases of interest inside the box)")
    left.set_ylabel("density (share of the box's cases that are of interest)")
    left.set_title("Peeling trajectory", fontsize=10)
    left.set_xlim(-0.02, 1.02)
    left.set_ylim(-0.02, 1.02)
    left.grid(alpha=0.3)
    left.legend(fontsize=7, loc="lower left")

    limits = result.limits
    conditions = result.conditions()
    if limits.empty:
        right.text(0.5, 0.5, result.describe()[0], ha="center", va="center", wrap=True,
                   fontsize=10, transform=right.transAxes)  # fmt: skip
        right.set_axis_off()
    else:
        ranges = result.ranges.set_index("input")
        k = len(limits)
        y = np.arange(k)[::-1].astype(float)
        for yi, row, text in zip(y, limits.itertuples(index=False), conditions, strict=True):
            lo, hi = ranges.loc[row.input, "min"], ranges.loc[row.input, "max"]
            width = hi - lo if hi > lo else 1.0
            a, b = (row.low - lo) / width, (row.high - lo) / width
            right.barh(yi, 1.0, left=0.0, height=0.5, color="lightgrey")
            right.barh(yi, b - a, left=a, height=0.5, color="tab:blue")
            right.text(0.5, yi + 0.33, text, ha="center", va="bottom", fontsize=8)
        right.set_yticks(y, limits["input"].tolist(), fontsize=8)
        right.set_ylim(-0.6, k - 0.2)
        right.set_xlim(0, 1)
        right.set_xlabel("position in the input's observed range (0 = lowest, 1 = highest)")
        right.grid(alpha=0.3, axis="x")
    summary = result.describe()[-1]
    right.set_title(f"Chosen box: {summary}", fontsize=8, wrap=True)
    fig.suptitle(title, fontsize=11)
    return fig
