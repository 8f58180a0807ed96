"""The calibrated parameter sample a scenario names: reading the file, one set per replicate.

The file is written by ``mfgplan calibrate`` (:mod:`mfgplan.calibration.paramfile`).

A scenario names it (``calibration: ../calibration/params/as-of-2015.json``, relative to the
scenario file); replicate ``r`` of a run then takes its behavioural parameters from sample set
``(r // 2) mod S`` (:func:`set_for_replicate`), except those the scenario sets itself. Pairs of
replicates share a set, so the spread of an ensemble splits into a parameter part and a shock
part (:func:`variance_split`).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mfgplan.files import InputFileError, read_bounded
from mfgplan.inputs.behaviour import Behaviour
from mfgplan.inputs.parameters import catalogue

__all__ = [
    "REPLICATES_PER_SET",
    "ParameterFileError",
    "ParameterSample",
    "load_parameter_file",
    "set_for_replicate",
    "variance_split",
]

FORMAT = "mfgplan-parameters"
FORMAT_VERSION = 1
#: largest parameter file read [bytes] (the shipped ones are about 0.1 MB)
MAX_BYTES = 64 << 20
#: replicates that share one parameter set (they differ in shocks only)
REPLICATES_PER_SET = 2


class ParameterFileError(ValueError):
    """A parameter file that cannot be used: the message names the file and the problem."""


@dataclass(frozen=True)
class ParameterSample:
    """A calibrated sample: ``values[s, j]`` is parameter ``names[j]`` in set ``s``."""

    path: Path
    as_of: int
    names: tuple[str, ...]
    values: np.ndarray
    estimate: dict[str, float]
    sha256: str

    @property
    def size(self) -> int:
        """Number of parameter sets (rows of ``values``)."""
        return int(self.values.shape[0])

    def behaviour_updates(self, index: int, keep: frozenset[str] = frozenset()) -> dict[str, float]:
        """Parameter values of set ``index`` except the names in ``keep``."""
        row = self.values[index]
        return {n: float(v) for n, v in zip(self.names, row, strict=True) if n not in keep}


def set_for_replicate(replicate: int, size: int) -> int:
    """Sample set of replicate ``replicate``: ``(r // REPLICATES_PER_SET) mod size``."""
    return (int(replicate) // REPLICATES_PER_SET) % int(size)


def _bounds() -> dict[str, dict[str, float]]:
    return {row["name"]: row["bounds"] for row in catalogue(Behaviour, prefix="")}


def load_parameter_file(path: str | Path) -> ParameterSample:
    """Read and check a parameter file; :class:`ParameterFileError` names what is wrong."""
    path = Path(path)
    try:
        raw = read_bounded(path, MAX_BYTES)
    except InputFileError as err:
        raise ParameterFileError(f"{path}: {err}") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ParameterFileError(f"{path}: not a JSON parameter file ({err})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ParameterFileError(f"{path}: format: not an {FORMAT} file")
    if doc.get("format_version") != FORMAT_VERSION:
        raise ParameterFileError(
            f"{path}: format_version: {doc.get('format_version')!r} is not supported "
            f"(this version reads {FORMAT_VERSION}; recalibrate with mfgplan calibrate)"
        )
    as_of = doc.get("as_of")
    if not isinstance(as_of, int):
        raise ParameterFileError(f"{path}: as_of: missing or not a year")
    sample = doc.get("sample")
    if not isinstance(sample, dict) or not isinstance(sample.get("names"), list):
        raise ParameterFileError(f"{path}: sample: missing names and values")
    names = tuple(str(n) for n in sample["names"])
    bounds = _bounds()
    unknown = [n for n in names if n not in bounds]
    if unknown:
        raise ParameterFileError(f"{path}: sample.names: unknown parameter {unknown[0]!r}")
    if len(set(names)) != len(names):
        raise ParameterFileError(f"{path}: sample.names: a parameter is listed twice")
    try:
        values = np.array(sample.get("values"), dtype=float)
    except (TypeError, ValueError):
        raise ParameterFileError(f"{path}: sample.values: not a table of numbers") from None
    if values.ndim != 2 or values.shape[1] != len(names) or values.shape[0] < 1:
        raise ParameterFileError(
            f"{path}: sample.values: expected rows of {len(names)} numbers, got shape "
            f"{values.shape}"
        )
    if not np.isfinite(values).all():
        raise ParameterFileError(f"{path}: sample.values: not every value is finite")
    for j, name in enumerate(names):
        b = bounds[name]
        column = values[:, j]
        lo = b.get("ge", b.get("gt", -math.inf))
        hi = b.get("le", b.get("lt", math.inf))
        if column.min() < lo or column.max() > hi:
            raise ParameterFileError(
                f"{path}: sample.values: {name} outside its bounds [{lo}, {hi}] "
                f"(range {column.min():.6g} to {column.max():.6g})"
            )
    estimate = doc.get("estimate", {})
    if not isinstance(estimate, dict):
        raise ParameterFileError(f"{path}: estimate: not a mapping")
    return ParameterSample(
        path.resolve(),
        int(as_of),
        names,
        values,
        {str(k): float(v) for k, v in estimate.items()},
        hashlib.sha256(raw).hexdigest(),
    )


def variance_split(values: np.ndarray, groups: np.ndarray) -> tuple[float, float, float]:
    r"""Split the variance of ``values`` into parameter and shock parts (one-way ANOVA).

    ``groups[r]`` is the parameter set of replicate ``r``. With ``n`` replicates per set, the
    within-set variance ``W`` (pooled, ddof 1) estimates the shock part; the variance of the
    set means ``B`` contains ``sigma_theta^2 + W / n``, so

    .. math:: \hat\sigma^2_\theta = \max(0, B - W/n),\quad
              \text{share} = \hat\sigma^2_\theta / (\hat\sigma^2_\theta + W)

    Returns ``(parameter_variance, shock_variance, parameter_share)``; NaN share when no set has
    two replicates or the total is zero. Sets with a single replicate enter ``B`` only.
    """
    values = np.asarray(values, dtype=float)
    groups = np.asarray(groups)
    labels, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=values)
    means = sums / counts
    resid = values - means[inverse]
    dof = int((counts - 1).sum())
    if dof == 0 or labels.size < 2:
        return math.nan, math.nan, math.nan
    within = float(np.sum(resid**2) / dof)
    n_per = float(np.mean(counts))
    between = float(np.var(means, ddof=1))
    param = max(0.0, between - within / n_per)
    total = param + within
    return param, within, (param / total if total > 0 else math.nan)
