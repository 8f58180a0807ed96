"""Global sensitivity analysis, independent of the simulation model.

* **Morris elementary effects** (screening: which uncertain inputs matter at all) and
  **Sobol variance-based indices** (first-order ``S1`` and total-effect ``ST`` shares of the
  output variance), both through SALib. Designs are returned in natural units (rows = points,
  columns = factors); the caller evaluates the model at each row and passes the outputs back.
* **Stability warnings** when the sample is too small for the indices to be trusted.
* The **Ishigami** test function with its analytic indices, to check the pipeline end to end.

Scenario discovery (PRIM) is :mod:`mfgplan.analysis.discovery`; the charts are
:mod:`mfgplan.report.planning_charts`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "ISHIGAMI_EXACT",
    "ISHIGAMI_FACTORS",
    "Factor",
    "ishigami",
    "ishigami_exact",
    "morris_design",
    "morris_indices",
    "sobol_design",
    "sobol_indices",
    "stability_warnings",
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
        """Check the range: ``ValueError`` unless finite ``low < high``."""
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

    Returns ``trajectories * (len(factors) + 1)`` points in natural units.
    """
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
    """Morris statistics of each output: ``mu_star``, its half-width, ``mu``, ``sigma``, ``rank``.

    ``mu_star`` is the mean absolute elementary effect, in the output's units per movement
    across the factor's whole range, with its bootstrap confidence half-width; ``rank`` is by
    ``mu_star`` within the output (1 = most influential). ``levels`` must be the one used for
    the design.
    """
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
    points in natural units.
    """
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
    """First-order (``S1``) and total-effect (``ST``) Sobol indices of each output.

    The indices come with their bootstrap confidence half-widths, and ``rank`` by ``ST`` within
    the output.
    """
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
    samples for Sobol, trajectories for Morris). Empty list when the indices look stable.
    """
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
