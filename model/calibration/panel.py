"""Firm-level panels of a simulated economy, and the estimators published studies used on theirs.

A virtual experiment (:mod:`mfgplan.calibration.experiments`) runs the model's firms through a
published policy change and estimates the effect the way the study did, on a firm-year panel
like the study's. :func:`simulate_panel` steps one replicate and keeps, at the end of every
year, one row per live firm (the state of :class:`~mfgplan.economy.firms.FirmTable`) and, from
the project book, each firm's investment, intelligent-equipment projects, applications and
awards of the year. The estimators are the studies' own: two-way fixed-effects
difference-in-differences with standard errors clustered by firm (statsmodels), a
difference-in-differences of group means in logs for lumpy outcomes, and a linear probability
model of selection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mfgplan.economy.compiled import CompiledFirmDynamics
from mfgplan.economy.economy import ManufacturingEconomy
from mfgplan.economy.firm_dynamics import FirmDynamics
from mfgplan.economy.firms import ProjectType
from mfgplan.economy.replicate import BaselineSource, replicate_economy
from mfgplan.inputs.parameters import Scenario

__all__ = ["Estimate", "balanced", "linear_probability", "ratio_did", "simulate_panel", "twfe"]

#: firm state kept in each year's rows (FirmTable field names)
STATE = (
    "firm_id", "sector", "city", "ownership", "va_base", "uplift_capital", "uplift_tfp", "rd",
    "rd_base", "rd_performer", "taxable", "claims_deduction", "im_demo", "it_demo",
    "prior_support", "investment_routine", "investment_routine_extra",
)  # fmt: skip


@dataclass(frozen=True)
class Estimate:
    """A coefficient with its standard error (NaN where the design cannot be estimated)."""

    value: float
    se: float

    @property
    def t(self) -> float:
        """The t statistic (NaN without a standard error)."""
        return self.value / self.se if self.se > 0 else float("nan")


def simulate_panel(
    scenario: Scenario,
    source: BaselineSource,
    root_seed: int,
    replicate: int,
    n_firms: int,
    *,
    province_firms: int | None = None,
    firm_dynamics: type[FirmDynamics] = CompiledFirmDynamics,
    include_base_year: bool = False,
) -> pd.DataFrame:
    """One replicate's firm-year panel (its economy from economy.replicate.replicate_economy).

    Columns: ``year`` and :data:`STATE` at the end of each projected year (live firms after
    entry and exit), ``va`` (value added with the programme, yuan/year at 2015 prices),
    ``investment`` / ``investment_base`` (yuan of fixed investment in the year in the actual /
    baseline world, as the studies measure it: routine investment plus the projects started;
    ``investment_projects`` the actual world's projects alone), ``intelligent``
    (intelligent-equipment projects started in the actual world), ``applied`` and ``awarded``
    (a grant application / award of the year). With ``include_base_year`` the base year's
    firms come first (no projects).
    """
    model = replicate_economy(
        scenario, source, root_seed, replicate, n_firms, province_firms=province_firms,
        firm_dynamics=firm_dynamics,
    )  # fmt: skip
    years = model.years
    frames = []

    def snapshot(year: int) -> None:
        f = model.firms
        live = f.live_slots()
        row = {name: getattr(f, name)[live].copy() for name in STATE}
        row["va"] = f.va(live)
        row["year"] = np.full(live.size, year)
        frames.append(pd.DataFrame(row))

    if include_base_year:
        snapshot(int(years[0]))
    for step in range(model.n_quarters):
        model.step()
        if step % 4 == 3:
            snapshot(int(years[0]) + 1 + step // 4)
    panel = pd.concat(frames, ignore_index=True)
    projects = _project_years(model, int(years[0]) + 1)
    model.release()
    panel = panel.merge(projects, on=["firm_id", "year"], how="left")
    for name in ("investment", "investment_base", "intelligent", "applied", "awarded"):
        panel[name] = panel[name].fillna(0.0)
    # all fixed investment, as the studies measure it: routine investment plus projects
    panel["investment_projects"] = panel["investment"]
    panel["investment"] += panel["investment_routine"] + panel["investment_routine_extra"]
    panel["investment_base"] += panel["investment_routine"]
    return panel


def _project_years(model: ManufacturingEconomy, first_year: int) -> pd.DataFrame:
    """Per firm and year: investment started in each world, intelligent projects, grants."""
    pb = model.projects
    start_year = first_year + pb.view("start") // 4
    in_actual = pb.view("in_actual")
    table = pd.DataFrame(
        {
            "firm_id": pb.view("firm_id"),
            "year": start_year,
            "investment": np.where(in_actual, pb.view("investment"), 0.0),
            "investment_base": np.where(pb.view("in_baseline"), pb.view("investment"), 0.0),
            "intelligent": (in_actual & (pb.view("kind") == ProjectType.INTELLIGENT)) * 1.0,
            "applied": (pb.view("apply_year") > 0) * 1.0,
            "awarded": (pb.view("award") > 0) * 1.0,
        }
    )
    return table.groupby(["firm_id", "year"], as_index=False).sum()


def balanced(panel: pd.DataFrame, years: range | list[int]) -> pd.DataFrame:
    """The firms observed in every one of ``years`` (a balanced panel), those years only."""
    years = list(years)
    rows = panel[panel["year"].isin(years)]
    counts = rows.groupby("firm_id")["year"].transform("size")
    return rows[counts == len(years)].copy()


def twfe(panel: pd.DataFrame, outcome: str, treatment: str) -> Estimate:
    r"""Two-way fixed-effects difference-in-differences on a balanced panel.

    .. math:: y_{it} = \alpha_i + \lambda_t + \beta D_{it} + e_{it}

    estimated by the within transformation (firm and year means removed, exact for a balanced
    panel), standard errors clustered by firm (statsmodels OLS, ``cov_type="cluster"``).
    """
    import statsmodels.api as sm

    y = panel[outcome].to_numpy(dtype=float)
    d = panel[treatment].to_numpy(dtype=float)
    firm = panel["firm_id"].to_numpy()
    year = panel["year"].to_numpy()

    def within(x: np.ndarray) -> np.ndarray:
        s = pd.Series(x)
        return (
            x
            - s.groupby(firm).transform("mean").to_numpy()
            - s.groupby(year).transform("mean").to_numpy()
            + x.mean()
        )

    dd = within(d)
    if not np.any(np.abs(dd) > 1e-12):
        return Estimate(float("nan"), float("nan"))
    codes = pd.factorize(firm)[0]
    fit = sm.OLS(within(y), dd).fit(cov_type="cluster", cov_kwds={"groups": codes})
    return Estimate(float(fit.params[0]), float(fit.bse[0]))


def ratio_did(panel: pd.DataFrame, outcome: str, treated: str, post: str) -> float:
    r"""Difference-in-differences of group means in logs (for lumpy outcomes such as investment).

    .. math:: \ln\frac{\bar y_{T,post}}{\bar y_{T,pre}} - \ln\frac{\bar y_{C,post}}{\bar y_{C,pre}}

    A firm's investment is zero in most years (projects are lumpy), so the log of firm-level
    investment, which studies take over firms that invest, is replaced by the log of the group
    means: the proportional change of the group's investment, extensive margin included.
    """
    m = panel.groupby([treated, post])[outcome].mean()
    try:
        return float(
            np.log(m[(True, True)] / m[(True, False)])
            - np.log(m[(False, True)] / m[(False, False)])
        )
    except (KeyError, ZeroDivisionError, FloatingPointError):
        return float("nan")


def linear_probability(
    rows: pd.DataFrame, outcome: str, regressors: list[str]
) -> dict[str, Estimate]:
    """OLS of a 0/1 ``outcome`` on ``regressors`` with year effects, robust (HC1) errors."""
    import statsmodels.api as sm

    x = pd.get_dummies(rows["year"], prefix="year", drop_first=True, dtype=float)
    x = pd.concat([rows[regressors].astype(float), x], axis=1)
    x = sm.add_constant(x, has_constant="add")
    fit = sm.OLS(rows[outcome].astype(float), x).fit(cov_type="HC1")
    return {r: Estimate(float(fit.params[r]), float(fit.bse[r])) for r in regressors}
