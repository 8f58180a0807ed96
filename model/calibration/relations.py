r"""Related series: where a short series takes its trend from, and its documented breaks.

The province's above-scale enterprise count has two figures (2012, 2015), one before 2015 at
the earlier as-of years. Its trend is taken from a relation estimated on related series:

- **threshold crossing.** The count is the number of firms above a fixed nominal revenue
  threshold, so it grows with the nominal size of industry. The elasticity ``beta`` of a count
  to its sector's nominal revenue is estimated on the NBS high-tech manufacturing series
  (province and nation, 2010-2015, the same threshold definition), by least squares through
  the origin on yearly log differences:

  .. math:: \Delta \ln N_{s,t} = \beta\, \Delta \ln R_{s,t} + u_{s,t}

  and applied to the baseline's expected growth ``g`` of the province's nominal industrial
  value added (GDP x industry's share, mean log growth over the next five years, with its
  spread ``se_g`` over the baseline's paths): drift prior ``beta g`` with sd
  ``sqrt(g^2 se_beta^2 + beta^2 se_g^2 + s_u^2)`` (the last term is the relation's
  residual: a transfer from high-tech manufacturing to all industry is no better than the
  relation holds across years and sectors; assumption A14).
- **the 2011 threshold break.** The above-scale threshold rose from 5 to 20 million yuan of
  main business revenue in 2011; the same relation's residual in 2011 is the break's size on
  the log count (-0.33 in the province, -0.38 nationally). One documented break in the
  statistics' window gives the re-definition hazard (assumption A15).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mfgplan.calibration.series import series
from mfgplan.calibration.trend import ErrorScale, Redefinition, TrendSeries, fit_measured_trends

__all__ = [
    "COUNT_PRIOR",
    "COUNT_REVENUE_PAIRS",
    "SHARE_PRIORS",
    "THRESHOLD_BREAK_YEAR",
    "CountRelation",
    "count_relation",
    "enterprise_drift_prior",
    "expected_nominal_growth",
    "measured_baseline_trends",
    "threshold_redefinition",
]

#: (count, revenue) indicator pairs of the same sector and threshold definition
COUNT_REVENUE_PAIRS = (
    ("hightech_nbs_enterprises", "hightech_nbs_revenue"),
    ("national_hightech_nbs_enterprises", "national_hightech_nbs_revenue"),
)
#: the year the above-scale threshold rose (5 -> 20 million yuan of revenue); the change from
#: the year before to this year is a definitional break, not growth
THRESHOLD_BREAK_YEAR = 2011


@dataclass(frozen=True)
class CountRelation:
    """The count-revenue elasticity and the breaks it reveals (module docstring)."""

    beta: float
    beta_se: float
    residual_sd: float
    pairs: int
    #: relation residuals of the threshold break's year, one per sector series
    break_sizes: tuple[float, ...]


def _differences(history: pd.DataFrame, count: str, revenue: str, as_of: int) -> pd.DataFrame:
    cy, cv, _ = series(history, count)
    ry, rv, _ = series(history, revenue)
    frame = pd.DataFrame({"year": cy, "count": np.log(cv)}).merge(
        pd.DataFrame({"year": ry, "revenue": np.log(rv)}), on="year"
    )
    frame = frame[frame["year"] <= as_of].sort_values("year")
    consecutive = frame["year"].diff() == 1
    return pd.DataFrame(
        {
            "year": frame["year"][consecutive],
            "dcount": frame["count"].diff()[consecutive],
            "drevenue": frame["revenue"].diff()[consecutive],
        }
    )


def count_relation(history: pd.DataFrame, as_of: int) -> CountRelation | None:
    """Estimate the elasticity on the pairs up to ``as_of``; ``None`` with fewer than two."""
    diffs = pd.concat(
        [_differences(history, c, r, as_of) for c, r in COUNT_REVENUE_PAIRS], ignore_index=True
    )
    is_break = diffs["year"] == THRESHOLD_BREAK_YEAR
    fit, breaks = diffs[~is_break], diffs[is_break]
    if len(fit) < 2:
        return None
    x, y = fit["drevenue"].to_numpy(), fit["dcount"].to_numpy()
    beta = float(x @ y / (x @ x))
    residual_sd = float(np.sqrt(np.sum((y - beta * x) ** 2) / (len(x) - 1)))
    sizes = tuple(float(v) for v in breaks["dcount"] - beta * breaks["drevenue"])
    return CountRelation(beta, residual_sd / float(np.sqrt(x @ x)), residual_sd, len(x), sizes)


#: years ahead and paths of the expected nominal industrial growth, and their fixed seed
GROWTH_YEARS, GROWTH_PATHS, GROWTH_SEED = 5, 4000, 2011


def expected_nominal_growth(models: dict, as_of: int) -> tuple[float, float]:
    """Mean and sd over paths of the log growth of nominal industrial VA, 1/year.

    Over the :data:`GROWTH_YEARS` years after ``as_of``: real GDP growth plus the deflator plus
    the change of industry's share, from the baseline's fitted models (``gdp_real_growth``,
    ``va_deflator_growth``, ``industry_share``) on their own fixed-seed paths.
    """
    years = np.arange(as_of, as_of + GROWTH_YEARS + 1)
    rng = np.random.Generator(np.random.PCG64(GROWTH_SEED))
    real = models["gdp_real_growth"].simulate(years, GROWTH_PATHS, rng)[:, 1:]
    deflator = models["va_deflator_growth"].simulate(years, GROWTH_PATHS, rng)[:, 1:]
    share = models["industry_share"].simulate(years, GROWTH_PATHS, rng)
    growth = (
        np.log1p(real).sum(1) + np.log1p(deflator).sum(1) + np.log(share[:, -1] / share[:, 0])
    ) / GROWTH_YEARS
    return float(growth.mean()), float(growth.std())


def enterprise_drift_prior(
    relation: CountRelation, growth: tuple[float, float]
) -> tuple[float, float]:
    """Drift prior of the log enterprise count, 1/year: ``(beta g, sd)`` (module docstring)."""
    g, g_se = growth
    sd = np.sqrt(g**2 * relation.beta_se**2 + relation.beta**2 * g_se**2 + relation.residual_sd**2)
    return relation.beta * g, float(sd)


def threshold_redefinition(
    relation: CountRelation, first_year: int, as_of: int
) -> Redefinition | None:
    """The re-definition risk of the enterprise count from the documented threshold break.

    One break (the 2011 threshold) in the statistics' window from ``first_year`` (the data's
    first year) to ``as_of``; its size on the log count is the mean of the relation's break
    residuals, with their spread and the relation's residual as its sd. ``None`` if the break
    is not in the window.
    """
    if not relation.break_sizes or as_of < THRESHOLD_BREAK_YEAR:
        return None
    sizes = np.array(relation.break_sizes)
    spread = float(np.var(sizes, ddof=1)) if sizes.size > 1 else 0.0
    return Redefinition(
        breaks=1,
        exposure_years=float(as_of - first_year),
        size_mean=float(sizes.mean()),
        size_sd=float(np.sqrt(spread + relation.residual_sd**2)),
        source=f"the {THRESHOLD_BREAK_YEAR} above-scale threshold break",
    )


#: share series of the measured local trend: indicator -> (drift prior (mean, sd) per year,
#: volatility prior median per year), both on the logit scale (assumption A13); they share
#: one volatility multiplier (A16)
SHARE_PRIORS = {
    "hightech_share": ((0.03, 0.10), 0.03),
    "cnc_rate": ((0.08, 0.10), 0.05),
    "rd_intensity": ((0.05, 0.10), 0.03),
}
#: the enterprise count's drift prior when no related series reaches the as-of year, and its
#: volatility prior median, per year on the log scale (A13-A14)
COUNT_PRIOR = ((0.05, 0.05), 0.05)


def measured_baseline_trends(
    arrays: dict, models: dict, history: pd.DataFrame, as_of: int
) -> tuple[dict[str, object], ErrorScale]:
    """The baseline's measured local trends of the shares and the enterprise count.

    ``arrays`` are the baseline's ``(years, values, sigmas)`` by indicator, ``models`` its
    fitted models so far (the count's drift needs GDP, the deflator and industry's share).

    The count's drift comes from the count-revenue relation times the expected nominal growth
    of industry (A14), with the 2011 threshold break as re-definition risk
    (A15); the measurement-error scale is pooled over all four series (A16).
    """
    specs = [
        TrendSeries(name, *arrays[name], "logit", drift_prior, sigma_prior,
                    volatility_group="shares")
        for name, (drift_prior, sigma_prior) in SHARE_PRIORS.items()
    ]  # fmt: skip
    relation = count_relation(history, as_of)
    drift_prior, sigma_prior = COUNT_PRIOR
    source, redefinition = "prior (no related series up to the as-of year)", None
    if relation is not None:
        drift_prior = enterprise_drift_prior(relation, expected_nominal_growth(models, as_of))
        source = (
            f"count-revenue elasticity {relation.beta:.2f} (se {relation.beta_se:.2f}, "
            f"{relation.pairs} pairs) x expected nominal industrial growth"
        )
        redefinition = threshold_redefinition(relation, int(history["year"].min()), as_of)
    specs.append(
        TrendSeries("enterprise_count", *arrays["enterprise_count"], "log", drift_prior,
                    sigma_prior, source, redefinition)
    )  # fmt: skip
    return fit_measured_trends(specs)
