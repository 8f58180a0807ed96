"""The planner's questions in model terms: objectives, allocations as shares, uncertain inputs.

Shared by ``mfgplan optimize`` (objectives over replicates, allocations as shares of the grant
budget, the bounds the plan's rules set) and ``mfgplan sensitivity`` (the uncertain inputs and
their ranges, and the inputs of each replicate for scenario discovery).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mfgplan.analysis.targets import TARGETS, Target
from mfgplan.errors import did_you_mean
from mfgplan.inputs.behaviour import Behaviour
from mfgplan.inputs.parameters import Scenario, catalogue, count_limits
from mfgplan.inputs.programme import GRANT_INSTRUMENTS
from mfgplan.inputs.sample import ParameterSample
from mfgplan.inputs.scenario import ResolvedScenario

__all__ = [
    "Objective",
    "allocation_scenario",
    "apply_factors",
    "objective",
    "optimised_document",
    "replicate_inputs",
    "scenario_factors",
    "share_bounds",
    "uncertain_factors",
]


# -- objectives ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Objective:
    """What the optimiser maximises, per replicate: a primary value and a tie-break.

    ``all`` (default): primary 1 if every 2020 target is met, else 0; tie-break the mean over
    targets of ``min(value / threshold, 1)`` (how close the targets come).
    ``target:NAME``: primary 1 if that target is met; tie-break ``value / threshold``.
    ``va:YEAR``: expected manufacturing value added in YEAR [billion yuan, nominal].
    """

    spec: str
    label: str
    units: str
    targets: tuple[Target, ...] = ()
    year: int = 0

    def values(self, ds: xr.Dataset) -> np.ndarray:
        """``(replicates, 2)``: primary and tie-break of every replicate of ``ds``."""
        if self.year:
            va = ds["manufacturing_va"].sel(year=self.year).values / 1e9
            return np.column_stack([va, va])
        met = []
        ratio = []
        for t in self.targets:
            v = ds[t.indicator].sel(year=t.year).values
            met.append(v >= t.threshold)
            ratio.append(np.minimum(v / t.threshold, 1.0))
        primary = np.all(met, axis=0).astype(float)
        secondary = np.mean(ratio, axis=0)
        return np.column_stack([primary, secondary])


def objective(spec: str, scenario: Scenario) -> Objective:
    """Parse ``--objective`` (``all``, ``target:NAME`` or a target's name, ``va:YEAR``).

    ``ValueError`` with the choices if unknown.
    """
    names = {t.name: t for t in TARGETS}
    if spec == "all":
        return Objective("all", "probability of meeting all 2020 targets", "probability", TARGETS)
    name = spec.removeprefix("target:")
    if name in names:
        t = names[name]
        return Objective(spec, f"probability of meeting {t.name} ({t.description})",
                         "probability", (t,))  # fmt: skip
    if spec.startswith("va:"):
        try:
            year = int(spec[3:])
        except ValueError:
            raise ValueError(f"--objective: {spec!r}: va:YEAR needs a year") from None
        if not scenario.base_year < year <= scenario.horizon:
            raise ValueError(
                f"--objective: {spec!r}: the year must lie in {scenario.base_year + 1}-"
                f"{scenario.horizon}"
            )
        return Objective(spec, f"expected manufacturing value added in {year}",
                         "billion yuan", year=year)  # fmt: skip
    close = did_you_mean(name, [*names, "all"])
    if close.startswith(";"):
        raise ValueError(f"--objective: unknown objective {spec!r}{close}")
    raise ValueError(
        f"--objective: unknown objective {spec!r} (choose all, va:YEAR, or one of "
        f"{', '.join(names)})"
    )


# -- allocations as shares ---------------------------------------------------------------------


def share_bounds(
    scenario: Scenario, min_shares: Mapping[str, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of each grant line's share of the programme's grant budget.

    Upper: what its count x amount can ever pay over the programme, divided by the budget
    (1 for lines without a count). Lower: the minimum shares the user fixes.
    """
    total = sum(scenario.budget_by_year().values())
    limits = count_limits(scenario)
    upper = np.array(
        [min(1.0, limits[n] / total) if n in limits and total > 0 else 1.0
         for n in GRANT_INSTRUMENTS]
    )  # fmt: skip
    lower = np.zeros(len(GRANT_INSTRUMENTS))
    for name, value in (min_shares or {}).items():
        if name not in GRANT_INSTRUMENTS:
            raise ValueError(
                f"--min-share: unknown instrument {name!r}{did_you_mean(name, GRANT_INSTRUMENTS)}"
            )
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"--min-share: {name}={value}: a share must lie in [0, 1]")
        k = GRANT_INSTRUMENTS.index(name)
        if value > upper[k] + 1e-12:
            raise ValueError(
                f"--min-share: {name}={value:.3f} is more than its count x amount allows "
                f"({upper[k]:.3f} of the budget)"
            )
        lower[k] = value
    if lower.sum() > 1.0 + 1e-9:
        raise ValueError(f"--min-share: the minimum shares add up to {lower.sum():.3f} > 1")
    if upper.sum() < 1.0 - 1e-9:
        raise ValueError("the instruments' limits cannot use the whole budget")
    return lower, upper


def current_shares(scenario: Scenario) -> np.ndarray:
    """The scenario's own allocation as shares of its grant budget over the programme."""
    by_year = scenario.allocation_by_year()
    total = sum(scenario.budget_by_year().values())
    amounts = np.array([sum(by_year[n].values()) for n in GRANT_INSTRUMENTS])
    return amounts / total if total > 0 else amounts


def yearly_budget(scenario: Scenario, year_shares: Sequence[float] | None) -> dict[int, float]:
    """Grant money per programme year [yuan].

    The scenario's, or its total spread by ``year_shares`` (one share per programme year,
    summing to 1).
    """
    budget = scenario.budget_by_year()
    if year_shares is None:
        return budget
    total = sum(budget.values())
    years = list(scenario.programme_years)
    if len(year_shares) != len(years):
        raise ValueError(f"year shares: expected {len(years)} values, got {len(year_shares)}")
    return {y: total * float(max(v, 0.0)) for y, v in zip(years, year_shares, strict=True)}


def allocation_amounts(
    scenario: Scenario, shares: Sequence[float], year_shares: Sequence[float] | None = None
) -> dict[str, dict[int, float]]:
    """Yuan per grant line and programme year: each year's grant money split by ``shares``.

    Amounts are rounded down to whole yuan, so they never exceed a year's budget or a line's
    count x amount limit through rounding.
    """
    budget = yearly_budget(scenario, year_shares)
    shares = np.clip(np.asarray(shares, dtype=float), 0.0, 1.0)
    return {
        name: {y: float(np.floor(budget[y] * shares[k])) for y in budget}
        for k, name in enumerate(GRANT_INSTRUMENTS)
    }


def allocation_scenario(
    scenario: Scenario,
    shares: Sequence[float],
    year_shares: Sequence[float] | None = None,
    title: str = "",
) -> Scenario:
    """The scenario with each programme year's grant money split by ``shares``.

    With ``year_shares``, the programme's grant money is first spread over the years by them
    (the annual budget follows).
    """
    data = scenario.model_dump(mode="python")
    data["programme"]["allocation"] = allocation_amounts(scenario, shares, year_shares)
    if year_shares is not None:
        keep = 1.0 - scenario.programme.admin_share
        data["programme"]["annual_budget"] = {
            # whole yuan, never below the year's (floored) allocations
            y: float(np.ceil(v / keep - 1e-6))
            for y, v in yearly_budget(scenario, year_shares).items()
        }
    if title:
        data["title"] = title
    return Scenario.model_validate(data)


def optimised_document(
    resolved: ResolvedScenario,
    scenario: Scenario,
    shares: Sequence[float],
    *,
    title: str,
    notes: Sequence[str],
    calibration: str | None,
    year_shares: Sequence[float] | None = None,
    counterfactual: str | None = None,
) -> str:
    """The user's scenario file with the optimised allocation, its comments and units kept.

    The source file is read round-trip (ruamel.yaml): every comment and value it has stays,
    the allocation (and, with ``year_shares``, the annual budget) is rewritten in 万元 (whole
    万元, rounded down, so no line exceeds a year's budget) with the optimised share as a
    comment beside the line's own, the paths it names (``baseline``, ``calibration``,
    ``counterfactual``) point to files that exist from the output folder, and ``notes`` head
    the file.
    """
    from io import StringIO

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    rt = YAML()
    rt.width = 100
    rt.preserve_quotes = True
    doc = rt.load(resolved.path.read_text(encoding="utf-8"))
    if not isinstance(doc, CommentedMap):
        doc = CommentedMap()
    if doc.get("baseline") is not None and len(resolved.chain) > 1:
        doc["baseline"] = str(Path(resolved.chain[1]).resolve())
    doc["title"] = title
    if calibration is not None or "calibration" in doc:
        doc["calibration"] = calibration
    if counterfactual is not None or "counterfactual" in doc:
        doc["counterfactual"] = counterfactual
    programme = doc.setdefault("programme", CommentedMap())
    allocation = programme.setdefault("allocation", CommentedMap())
    amounts = allocation_amounts(scenario, shares, year_shares)
    for k, name in enumerate(GRANT_INSTRUMENTS):
        per_year = {y: _whole_wan(v) for y, v in amounts[name].items()}
        values = set(per_year.values())
        allocation[name] = next(iter(values)) if len(values) == 1 else CommentedMap(per_year)
        _add_comment(allocation, name, f"optimised: {float(shares[k]):.1%} of the grant money")
    if year_shares is not None:
        share = 1.0 - scenario.programme.admin_share
        budget = yearly_budget(scenario, year_shares)
        programme["annual_budget"] = CommentedMap(
            {y: _whole_wan(v / share if share > 0 else v) for y, v in budget.items()}
        )
        _add_comment(programme, "annual_budget", "optimised spread over the years")
    doc.yaml_set_start_comment("\n".join(notes))
    buffer = StringIO()
    rt.dump(doc, buffer)
    return buffer.getvalue()


def _whole_wan(yuan: float) -> str:
    """An amount in whole 万元, rounded down: ``470123456`` -> ``'47012万元'``."""
    return f"{int(np.floor(yuan / 1e4 + 1e-9))}万元"


def _add_comment(node: Any, key: str, text: str) -> None:
    """Put ``text`` beside ``key``, after the comment already there (if any)."""
    old = node.ca.items.get(key)
    token = old[2] if old and len(old) > 2 else None
    before = token.value.strip().lstrip("#").strip() if token is not None else ""
    if token is not None:
        node.ca.items.pop(key)
    node.yaml_add_eol_comment(f"{before}; {text}" if before else text, key)


# -- uncertain inputs --------------------------------------------------------------------------


@dataclass(frozen=True)
class FactorRange:
    """A behavioural parameter's range for sensitivity analysis and where it comes from."""

    name: str
    low: float
    high: float
    units: str
    source: str


def uncertain_factors(
    parameters: ParameterSample | None, explicit: frozenset[str] = frozenset()
) -> list[FactorRange]:
    """The behavioural parameters with a plausible range, except those the scenario sets.

    With a calibrated sample: the 5th-95th percentile of the sample (the calibrated range);
    without: the prior range of the catalogue. Parameters whose range is empty are left out.
    """
    rows = {r["name"]: r for r in catalogue(Behaviour, prefix="") if r["prior"] is not None}
    out = []
    for name, row in rows.items():
        if name in explicit:
            continue
        if parameters is not None and name in parameters.names:
            column = parameters.values[:, parameters.names.index(name)]
            low, high = (float(v) for v in np.quantile(column, [0.05, 0.95]))
            source = f"calibrated sample {parameters.path.name}, 5-95%"
        else:
            low, high = (float(v) for v in row["prior"])
            source = "prior range (catalogue)"
        if high > low:
            out.append(FactorRange(name, low, high, row["units"], source))
    return out


#: relative range of a scenario assumption in sensitivity analysis (assumption: +-25%)
ASSUMPTION_RANGE = 0.25
#: amounts per count define the plan's count x amount limits; varying them would change what
#: the allocation may be, so they are not uncertain inputs (fund loss only changes reported cost)
NOT_FACTORS = ("per_park", "support_per_project", "expected_loss_rate")


def _get(obj: object, dotted: str) -> object:
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def scenario_factors(scenario: Scenario) -> list[FactorRange]:
    """The scenario's instrument and fund inputs its catalogue marks as assumptions.

    Only real numbers above zero are taken, each over +-``ASSUMPTION_RANGE`` of the scenario's
    value, within the catalogue bounds.
    """
    out = []
    for row in catalogue():
        name = row["name"]
        if not name.startswith(("programme.instruments.", "programme.investment_fund.")):
            continue
        if "assumption" not in row["source"].lower() or name.endswith(NOT_FACTORS):
            continue
        value = _get(scenario, name)
        if isinstance(value, bool) or not isinstance(value, float) or value <= 0:
            continue
        bounds = row["bounds"]
        low = max(value * (1 - ASSUMPTION_RANGE), bounds.get("ge", -np.inf))
        high = min(value * (1 + ASSUMPTION_RANGE), bounds.get("le", np.inf))
        if high > low:
            source = f"scenario assumption, +-{ASSUMPTION_RANGE:.0%} of {value:g} (assumption)"
            out.append(FactorRange(name, float(low), float(high), row["units"], source))
    return out


def apply_factors(scenario: Scenario, names: Sequence[str], values: Sequence[float]) -> Scenario:
    """The scenario with factor ``names[i]`` set to ``values[i]``.

    A factor is a behavioural parameter by its name, a scenario input by its dotted path.
    """
    behaviour = {n: float(v) for n, v in zip(names, values, strict=True) if "." not in n}
    dotted = {n: float(v) for n, v in zip(names, values, strict=True) if "." in n}
    if not dotted:
        return scenario.model_copy(
            update={"behaviour": scenario.behaviour.model_copy(update=behaviour)}
        )
    data = scenario.model_dump(mode="python")
    data["behaviour"].update(behaviour)
    for name, value in dotted.items():
        *path, last = name.split(".")
        node = data
        for part in path:
            node = node[part]
        node[last] = value
    return Scenario.model_validate(data)


def replicate_inputs(
    ds: xr.Dataset, parameters: ParameterSample | None, year: int = 2020
) -> pd.DataFrame:
    """Per replicate: the uncertain inputs it ran with, for scenario discovery.

    The behavioural parameters of its set (with a sample), and what the statistical baseline
    drew for it: the no-programme values in ``year`` of manufacturing VA (billion yuan), the
    SEI, high-tech and CNC shares (%), and the mean real growth of industrial VA to ``year``
    (% a year).
    """
    out: dict[str, np.ndarray] = {}
    if parameters is not None and "parameter_set" in ds.coords:
        sets = ds["parameter_set"].values
        for j, name in enumerate(parameters.names):
            column = parameters.values[sets, j]
            if np.ptp(column) > 0:
                out[name] = column
    out["baseline_manufacturing_va_bn"] = (
        ds["manufacturing_va_counterfactual"].sel(year=year).values / 1e9
    )
    for name in ("sei_share", "hightech_share", "cnc_rate"):
        out[f"baseline_{name}_pct"] = 100 * ds[f"{name}_counterfactual"].sel(year=year).values
    growth = ds["industrial_va_growth_counterfactual"].sel(year=slice(ds["year"].values[1], year))
    out["baseline_real_growth_pct"] = 100 * growth.mean("year").values
    return pd.DataFrame(out, index=ds["replicate"].values)
