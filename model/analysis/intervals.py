"""Intervals of estimates from replicates: means, proportions and ratios of means.

Every number a planning analysis prints comes with one of these (two-sided, at the
``confidence`` given, e.g. 0.9).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = ["mean_interval", "ratio_interval", "t_interval", "wilson_interval"]


def t_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """Two-sided t-interval of the mean: ``m +- t_{n-1} s / sqrt(n)``.

    ``[m, m]`` when the values are all equal, ``(-inf, inf)`` with fewer than two values.
    """
    values = np.asarray(values, dtype=float)
    m = float(values.mean())
    n = values.size
    if n < 2:
        return (-math.inf, math.inf)
    sd = float(values.std(ddof=1))
    if sd == 0.0 or np.all(values == values[0]):
        return (m, m)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return (m - half, m + half)


def mean_interval(values: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """The mean and its t-interval ``(mean, low, high)``.

    A single value or equal values give ``(m, m, m)``.
    """
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if values.size < 2 or np.all(values == values[0]):
        return mean, mean, mean
    low, high = t_interval(values, confidence)
    return mean, low, high


def wilson_interval(p: float, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval of a proportion ``p`` observed in ``n`` trials."""
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


def ratio_interval(
    num: np.ndarray, den: np.ndarray, confidence: float, rng: np.random.Generator, n_boot: int
) -> tuple[float, float, float]:
    """Ratio of means with a paired bootstrap percentile interval ``(ratio, low, high)``.

    NaN if the denominator is not positive.
    """
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    if den.mean() <= 0:
        return (float("nan"),) * 3  # type: ignore[return-value]
    ratio = float(num.mean() / den.mean())
    if num.size < 2:
        return ratio, ratio, ratio
    index = rng.integers(0, num.size, size=(n_boot, num.size))
    dens = den[index].mean(axis=1)
    ok = dens > 0
    boots = num[index].mean(axis=1)[ok] / dens[ok]
    lo, hi = np.quantile(boots, [0.5 - confidence / 2, 0.5 + confidence / 2])
    return ratio, float(lo), float(hi)
