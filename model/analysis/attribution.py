"""What each yuan buys: the effect of every instrument, on common random numbers.

For a scenario ``S`` and each instrument ``i`` (the province's ten grant lines and the
investment fund, and, apart, the national R&D super-deduction), three ensembles share every
replicate's draws:

- ``S`` itself (``full``);
- ``S`` with ``i`` switched off (``off``): its allocation set to zero in every year (the
  budget unchanged: the money is simply not spent), the fund's investment set to zero, or
  the super-deduction rate set to zero;
- ``S`` with ``MARGINAL_STEP`` more money for ``i`` (``plus``): its allocation and the
  annual budget raised by the same amount (for the fund, its annual investment and size).
  Skipped when the plan's count x amount limit leaves no room (the rule, not the money,
  binds).

Per replicate ``r``, the effect of ``i`` on an outcome ``Y`` is ``Y_full(r) - Y_off(r)``
(one-at-a-time attribution). The province's instruments are set against one more ensemble,
``S`` with **all** its provincial money switched off (``province:off``, national policy
kept): their one-at-a-time effects need not add up to ``Y_full - Y_province_off``; the
difference, reported as ``interaction``, is what instruments do together (shared applicants,
crowding in the same calls, the budget they share). The national super-deduction is not the
province's: it is reported on its own row and is in neither the sum nor the interaction. The
row ``plan against its counterfactual`` is ``Y_full - Y_counterfactual``: what the scenario
changes relative to the pre-plan policy mix (ODD 7.8). Money is what the full run paid for
the instrument, all in nominal yuan (grants: payments; fund: equity invested, with its
expected loss as fiscal cost; super-deduction: the tax expenditure). Deadweight is the share
of the instrument's supported projects that would have gone ahead anyway: the same project
draw evaluated with and without the support (ODD 7.3).

The marginal value of a yuan is ``(Y_plus - Y_full) / extra money``, a ratio of means over the
replicate pairs. For a grant line the extra money is the extra **allocation** (a line that
does not spend what it has gets a marginal value near zero: more money buys nothing); for the
fund and the super-deduction it is the extra fiscal cost the run incurred.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from mfgplan.analysis.intervals import mean_interval, ratio_interval
from mfgplan.inputs.fields import expand_yearly
from mfgplan.inputs.parameters import Scenario
from mfgplan.inputs.programme import GRANT_INSTRUMENTS
from mfgplan.inputs.scenario import first_problem

__all__ = [
    "INSTRUMENTS",
    "MARGINAL_STEP",
    "OUTCOMES",
    "Variant",
    "attribution_table",
    "variants",
]

#: the province's instruments attributed: the grant lines, then the investment fund
PROVINCIAL_INSTRUMENTS: tuple[str, ...] = (*GRANT_INSTRUMENTS, "investment_fund")
#: national policy, attributed on its own (not the province's money)
NATIONAL_INSTRUMENTS: tuple[str, ...] = ("rd_super_deduction",)
#: every instrument attributed
INSTRUMENTS: tuple[str, ...] = (*PROVINCIAL_INSTRUMENTS, *NATIONAL_INSTRUMENTS)
#: relative increase of an instrument's money for its marginal value
MARGINAL_STEP = 0.10
#: outcome -> (units, description); all measured in the target year 2020 unless cumulative
OUTCOMES: dict[str, tuple[str, str]] = {
    "manufacturing_va_2020": ("yuan", "extra manufacturing value added in 2020 (nominal)"),
    "industrial_va_cumulative": (
        "yuan",
        "extra above-scale industrial value added, summed from the first programme year to the "
        "horizon (nominal)",
    ),
    "sei_share_2020": ("percentage points", "extra SEI share of industrial VA in 2020"),
    "hightech_share_2020": ("percentage points", "extra high-tech share of industrial VA in 2020"),
    "cnc_rate_2020": ("percentage points", "extra key-process CNC rate in 2020"),
}
TARGET_YEAR = 2020


@dataclass(frozen=True)
class Variant:
    """One ensemble of an attribution: the full scenario, or one instrument off or plus."""

    label: str
    instrument: str | None
    kind: str  # "full", "off" or "plus"
    scenario: Scenario
    #: for a grant line's "plus" variant: the extra money allocated over the programme [yuan]
    extra_allocation: float = 0.0


def _with(
    scenario: Scenario, programme: dict | None = None, policy: dict | None = None
) -> Scenario:
    data = scenario.model_dump(mode="python")
    if programme:
        for key, value in programme.items():
            if isinstance(value, dict) and isinstance(data["programme"].get(key), dict):
                data["programme"][key].update(value)
            else:
                data["programme"][key] = value
    if policy:
        data["national_policy"].update(policy)
    return Scenario.model_validate(data)


def _scaled(value: object, factor: float, years: range) -> dict[int, float]:
    return {y: v * factor for y, v in expand_yearly(value, years, field="value").items()}


def variants(scenario: Scenario, step: float = MARGINAL_STEP) -> tuple[list[Variant], list[str]]:
    """The ensembles an attribution runs and notes on what could not be run."""
    out = [
        Variant("full", None, "full", scenario),
        Variant(
            "province:off",
            None,
            "off",
            scenario.model_copy(update={"programme": scenario.programme.without_money()}),
        ),
    ]
    notes: list[str] = []
    years = scenario.programme_years
    budget = expand_yearly(scenario.programme.annual_budget, years, field="annual_budget")
    for name in GRANT_INSTRUMENTS:
        alloc = getattr(scenario.programme.allocation, name)
        out.append(
            Variant(f"{name}:off", name, "off", _with(scenario, {"allocation": {name: 0.0}}))
        )
        per_year = expand_yearly(alloc, years, field=name)
        if sum(per_year.values()) <= 0:
            notes.append(f"{name}: no allocation; marginal value not computed")
            continue
        extra = {y: v * step for y, v in per_year.items()}
        share = 1.0 - scenario.programme.admin_share
        try:
            plus = _with(
                scenario,
                {
                    "allocation": {name: {y: per_year[y] + extra[y] for y in years}},
                    "annual_budget": {y: budget[y] + extra[y] / share for y in years},
                },
            )
        except ValueError as err:
            notes.append(
                f"{name}: {step:.0%} more money is not allowed by its rule ({first_problem(err)}); "
                "marginal value not computed"
            )
            continue
        out.append(Variant(f"{name}:plus", name, "plus", plus, sum(extra.values())))
    fund = scenario.programme.investment_fund
    out.append(
        Variant(
            "investment_fund:off",
            "investment_fund",
            "off",
            _with(scenario, {"investment_fund": {"size": 0.0, "annual_investment": 0.0}}),
        )
    )
    if fund.size > 0:
        out.append(
            Variant(
                "investment_fund:plus",
                "investment_fund",
                "plus",
                _with(
                    scenario,
                    {
                        "investment_fund": {
                            "size": fund.size * (1 + step),
                            "annual_investment": _scaled(fund.annual_investment, 1 + step, years),
                        }
                    },
                ),
            )
        )
    else:
        notes.append("investment_fund: size 0; marginal value not computed")
    out.append(
        Variant(
            "rd_super_deduction:off",
            "rd_super_deduction",
            "off",
            _with(scenario, policy={"rd_super_deduction_rate": 0.0}),
        )
    )
    rate = scenario.national_policy.rd_super_deduction_rate
    proj = scenario.projection_years
    out.append(
        Variant(
            "rd_super_deduction:plus",
            "rd_super_deduction",
            "plus",
            _with(scenario, policy={"rd_super_deduction_rate": _scaled(rate, 1 + step, proj)}),
        )
    )
    return out, notes


# -- measuring ---------------------------------------------------------------------------------


def outcomes(ds: xr.Dataset, first_year: int) -> dict[str, np.ndarray]:
    """Per-replicate outcome levels of one ensemble (see :data:`OUTCOMES`)."""
    years = ds["year"].values
    cumulative = years >= first_year
    out = {
        "manufacturing_va_2020": ds["manufacturing_va"].sel(year=TARGET_YEAR).values,
        "industrial_va_cumulative": ds["industrial_va"].values[:, cumulative].sum(axis=1),
        "sei_share_2020": 100.0 * ds["sei_share"].sel(year=TARGET_YEAR).values,
        "hightech_share_2020": 100.0 * ds["hightech_share"].sel(year=TARGET_YEAR).values,
        "cnc_rate_2020": 100.0 * ds["cnc_rate"].sel(year=TARGET_YEAR).values,
    }
    return out


def counterfactual_outcomes(ds: xr.Dataset, first_year: int) -> dict[str, np.ndarray]:
    """The same outcomes in the counterfactual world of the same replicates (ODD 7.8)."""
    names = ("manufacturing_va", "industrial_va", "sei_share", "hightech_share", "cnc_rate")
    renamed = ds[[f"{n}_counterfactual" for n in names]].rename(
        {f"{n}_counterfactual": n for n in names}
    )
    return outcomes(renamed, first_year)


def money(ds: xr.Dataset, instrument: str, fund_loss_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Per replicate: money the instrument used and its fiscal cost [yuan, nominal as paid].

    Grants: payments (the fiscal cost is the payment). Fund: equity invested; its fiscal cost
    is the expected loss, ``fund_loss_rate`` of the equity (the scenario's
    ``investment_fund.expected_loss_rate``). Super-deduction: the tax expenditure. All in
    nominal yuan.
    """
    if instrument in GRANT_INSTRUMENTS:
        paid = ds["grant_paid"].sel(instrument=instrument).sum(("year", "sector")).values
        return paid, paid
    if instrument == "investment_fund":
        equity = ds["fund_equity"].sum("year").values
        return equity, equity * fund_loss_rate
    if instrument == "rd_super_deduction":
        tax = ds["rd_tax_expenditure"].sum("year").values
        return tax, tax
    raise KeyError(instrument)


def deadweight(ds: xr.Dataset, instrument: str) -> tuple[float, int]:
    """Deadweight share of the instrument's supported projects, and their number.

    The share is of the instrument's supported projects that would have gone ahead anyway; the
    number is of supported projects (all replicates). NaN where the instrument supports no
    projects (lump-sum lines, the fund, the tax rule).
    """
    if instrument not in GRANT_INSTRUMENTS:
        return float("nan"), 0
    dead = float(ds["deadweight_projects"].sel(instrument=instrument).sum())
    extra = float(ds["additional_projects"].sel(instrument=instrument).sum())
    total = dead + extra
    return (dead / total if total > 0 else float("nan")), round(total)


NAN = float("nan")


def _row(
    instrument: str,
    outcome: str,
    units: str,
    effect: np.ndarray,
    confidence: float,
    *,
    per: tuple[float, float, float] = (NAN, NAN, NAN),
    marginal: tuple[float, float, float] = (NAN, NAN, NAN),
    paid: float = NAN,
    cost: float = NAN,
    dead: float = NAN,
    supported: int = 0,
) -> dict[str, object]:
    """One row of the attribution table (columns: :func:`attribution_table`)."""
    mean, lo, hi = mean_interval(effect, confidence)
    return {
        "instrument": instrument,
        "outcome": outcome,
        "units": units,
        "effect_mean": mean,
        "effect_low": lo,
        "effect_high": hi,
        "effect_p5": float(np.quantile(effect, 0.05)),
        "effect_p95": float(np.quantile(effect, 0.95)),
        "money_paid": paid,
        "fiscal_cost": cost,
        "per_100m_yuan": per[0],
        "per_100m_low": per[1],
        "per_100m_high": per[2],
        "marginal_per_100m": marginal[0],
        "marginal_low": marginal[1],
        "marginal_high": marginal[2],
        "deadweight_share": dead,
        "supported_projects": supported,
        "replicates": int(effect.size),
    }


def attribution_table(
    datasets: Mapping[str, xr.Dataset],
    variant_list: Sequence[Variant],
    scenario: Scenario,
    *,
    confidence: float = 0.90,
    seed: int = 0,
    n_boot: int = 2000,
) -> pd.DataFrame:
    """One row per instrument and outcome, plus rows for the whole programme and the instruments.

    The rows for the instruments are their sum and their interaction.

    Columns: ``instrument, outcome, units, effect_mean, effect_low, effect_high`` (the mean
    per-replicate effect and its ``confidence`` interval), ``effect_p5, effect_p95`` (spread
    over replicates), ``money_paid, fiscal_cost`` (mean, yuan), ``per_100m_yuan`` (effect
    per 100 million yuan of fiscal cost) with ``per_100m_low, per_100m_high`` (paired
    bootstrap), ``marginal_per_100m`` (with one more step of money) and its interval,
    ``deadweight_share``, ``supported_projects``, ``replicates``.

    ``per_100m_yuan`` uses the fiscal cost the full run incurred for the instrument; the
    marginal value uses the extra money of the ``plus`` variant (module docstring).
    """
    rng = np.random.default_rng(seed)
    first = scenario.programme.first_year
    full = datasets["full"]
    base = outcomes(full, first)
    counterfactual = counterfactual_outcomes(full, first)
    province_off = outcomes(datasets["province:off"], first) if "province:off" in datasets else None
    rows = []
    sums = {name: np.zeros_like(values) for name, values in base.items()}
    loss = scenario.programme.investment_fund.expected_loss_rate
    labels = {v.label for v in variant_list}
    for instrument in INSTRUMENTS:
        off_label = f"{instrument}:off"
        if off_label not in datasets or off_label not in labels:
            continue
        off = outcomes(datasets[off_label], first)
        paid, cost = money(full, instrument, loss)
        dead, supported = deadweight(full, instrument)
        plus_label = f"{instrument}:plus"
        plus = outcomes(datasets[plus_label], first) if plus_label in datasets else None
        if plus is not None:
            _, cost_plus = money(datasets[plus_label], instrument, loss)
            extra = next((v.extra_allocation for v in variant_list if v.label == plus_label), 0.0)
            extra_money = np.full_like(cost, extra) if extra > 0 else cost_plus - cost
        for outcome, (units, _desc) in OUTCOMES.items():
            effect = base[outcome] - off[outcome]
            if instrument in PROVINCIAL_INSTRUMENTS:
                sums[outcome] += effect
            scale = 1e8  # per 100 million yuan (亿元)
            per = ratio_interval(effect * scale, cost, confidence, rng, n_boot)
            marginal = (
                ratio_interval(
                    (plus[outcome] - base[outcome]) * scale, extra_money, confidence, rng, n_boot
                )
                if plus is not None
                else (NAN, NAN, NAN)
            )
            rows.append(
                _row(
                    instrument, outcome, units, effect, confidence, per=per, marginal=marginal,
                    paid=float(paid.mean()), cost=float(cost.mean()), dead=dead,
                    supported=supported,
                )
            )  # fmt: skip
    grants = sum(money(full, name, loss)[1] for name in GRANT_INSTRUMENTS)
    fund_cost = money(full, "investment_fund", loss)[1]
    programme_cost = np.asarray(grants) + fund_cost
    for outcome, (units, _desc) in OUTCOMES.items():
        against = base[outcome] - counterfactual[outcome]
        totals = [("plan against its counterfactual", against, False)]
        if province_off is not None:
            whole = base[outcome] - province_off[outcome]
            totals += [
                ("all provincial money", whole, True),
                ("sum of provincial instruments", sums[outcome], False),
                ("interaction", whole - sums[outcome], False),
            ]
        for label, effect, whole_row in totals:
            per = (
                ratio_interval(effect * 1e8, programme_cost, confidence, rng, n_boot)
                if whole_row
                else (NAN, NAN, NAN)
            )
            spent = float(programme_cost.mean()) if whole_row else NAN
            rows.append(
                _row(label, outcome, units, effect, confidence, per=per, paid=spent, cost=spent)
            )
    return pd.DataFrame(rows)
