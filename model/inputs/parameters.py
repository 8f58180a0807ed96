"""The parameter catalogue: every number the model uses, declared once.

:class:`Scenario` is the whole catalogue: run settings, the provincial programme
(:mod:`mfgplan.inputs.programme`), national policy and the enterprises' behaviour
(:mod:`mfgplan.inputs.behaviour`). Each field carries a description, units, bounds, a default
and a source (a section of the plan, a statistic, a paper, or "assumption";
:mod:`mfgplan.inputs.fields`). Scenario files are validated against it with unknown keys
rejected. :func:`catalogue` lists every parameter (``mfgplan params``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, model_validator

from mfgplan.inputs.behaviour import Behaviour, identification
from mfgplan.inputs.fields import Frozen, P, expand_yearly
from mfgplan.inputs.programme import GRANT_INSTRUMENTS, NationalPolicy, Programme

__all__ = [
    "HEADER_FIELDS",
    "Inconsistency",
    "Scenario",
    "allocation_warnings",
    "catalogue",
    "consistency_problems",
    "count_limits",
]

# --------------------------------------------------------------------------------------------
# The scenario
# --------------------------------------------------------------------------------------------

#: scenario fields that name and describe it without changing a run
HEADER_FIELDS = frozenset({"title", "description", "author", "references", "baseline"})


class Scenario(Frozen):
    """A complete, validated scenario: header, run settings and every parameter."""

    title: str = Field(min_length=1, max_length=200, description="Short name of the scenario.")
    description: str = Field("", max_length=5000, description="What the scenario represents.")
    author: str = Field("", max_length=200, description="Who wrote the scenario.")
    references: list[str] = Field(default_factory=list, description="Sources the scenario uses.")
    baseline: str | None = Field(None, description="Scenario file this one overrides, if any.")
    calibration: str | None = Field(
        None,
        min_length=1,
        max_length=1000,
        description="Parameter file from mfgplan calibrate (path relative to the scenario "
        "file): replicates draw their behavioural parameters from its sample.",
    )
    counterfactual: str | None = Field(
        None,
        min_length=1,
        max_length=1000,
        description="Scenario file (path relative to the file that names it) whose programme "
        "is the world this one is measured against: the pre-plan policy mix continuing "
        "(scenarios/pre-plan.yaml). Only its programme block is used; behaviour, national "
        "policy and firms stay this scenario's. Empty: no provincial programme at all.",
    )
    seed: int = P(
        20160114, units="-", source="convention", description="Root random seed.", ge=0,
        le=2**63 - 1,
    )  # fmt: skip
    replicates: int = P(
        200, units="replicates", source="convention", description="Monte Carlo replicates.",
        ge=1, le=100_000,
    )  # fmt: skip
    base_year: int = P(
        2015, units="year", source="the plan's base year",
        description="Last year of data the model sees (as-of year): from 2012, the first year "
        "with data on the CNC rate and the enterprise count.", ge=2012, le=2015,
    )  # fmt: skip
    horizon: int = P(
        2025, units="year", source="plan: 2025 goals", description="Last projected year.",
        ge=2016, le=2035,
    )  # fmt: skip
    n_firms: int | None = P(
        None, units="firms", source="data: 9,226 above-scale firms at end-2015 (derived)",
        description="Initial firm population; empty means the data's count (at most 1,000,000: "
        "about twice China's whole above-scale industry).", ge=100, le=1_000_000,
    )  # fmt: skip
    programme: Programme = Programme()
    national_policy: NationalPolicy = NationalPolicy()
    behaviour: Behaviour = Behaviour()

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Scenario:
        """Every cross-field rule (:func:`consistency_problems`) holds.

        With a list under ``consistency`` in the validation context the problems are added to
        it instead of raised (the scenario loader reports them beside the field problems).
        """
        problems = consistency_problems(self)
        collect = (info.context or {}).get("consistency")
        if collect is not None:
            collect.extend(problems)
        elif problems:
            raise ValueError("\n".join(f"{p.field}: {p.message}" for p in problems))
        return self

    @property
    def programme_years(self) -> range:
        """Years in which the programme has a budget."""
        return range(self.programme.first_year, self.programme.last_year + 1)

    @property
    def projection_years(self) -> range:
        """Projected years, after the base year up to the horizon."""
        return range(self.base_year + 1, self.horizon + 1)

    def allocation_by_year(self) -> dict[str, dict[int, float]]:
        """Allocation of each grant instrument expanded to every programme year [yuan]."""
        years = self.programme_years
        return {
            name: expand_yearly(getattr(self.programme.allocation, name), years, field=name)
            for name in GRANT_INSTRUMENTS
        }

    def budget_by_year(self) -> dict[int, float]:
        """Programme budget for grants in every programme year, after administration [yuan]."""
        budget = expand_yearly(
            self.programme.annual_budget, self.programme_years, field="annual_budget"
        )
        return {y: v * (1.0 - self.programme.admin_share) for y, v in budget.items()}


def count_limits(scenario: Scenario) -> dict[str, float]:
    """What each fixed-count instrument can ever pay over the programme.

    Its count x amount [yuan] (plan 三 and 四(三)); instruments without a count are not listed.
    """
    ins = scenario.programme.instruments
    return {
        "it_integration_demo_award": ins.it_integration_demo_award.total_awards
        * ins.it_integration_demo_award.award,
        "sei_cluster_guiding_fund": ins.sei_cluster_guiding_fund.clusters
        * ins.sei_cluster_guiding_fund.per_cluster,
        "intelligent_mfg_base_grant": ins.intelligent_mfg_base_grant.bases
        * ins.intelligent_mfg_base_grant.per_base,
        "platform_and_park_subsidy": ins.platform_and_park_subsidy.parks
        * ins.platform_and_park_subsidy.per_park,
        "innovation_centre_grant": ins.innovation_centre_grant.centres
        * ins.innovation_centre_grant.cap,
        "intelligent_mfg_demo_award": ins.intelligent_mfg_demo_award.total_awards
        * ins.intelligent_mfg_demo_award.cap,
        "major_project_support": ins.major_project_support.projects
        * ins.major_project_support.support_per_project,
    }


@dataclass(frozen=True)
class Inconsistency:
    """A cross-field rule a scenario breaks: where, why, and the fields it was computed from."""

    field: str
    message: str
    #: dotted paths of the values the rule read (a problem of one of them explains this one)
    inputs: tuple[str, ...]


def _yearly(
    value: Any, years: range, field: str, problems: list[Inconsistency]
) -> dict[int, float] | None:
    """The per-year value expanded; a problem noted (and the years that can be read) if not."""
    try:
        return expand_yearly(value, years, field=field)
    except ValueError as err:
        problems.append(Inconsistency(field, str(err).removeprefix(f"{field}: "), (field,)))
    if isinstance(value, dict):  # the rules that add values up still see the years it can give
        inside = {k: v for k, v in value.items() if k == "default" or k in years}
        try:
            return expand_yearly(inside, years, field=field)
        except ValueError:
            pass
    return None


def _years_text(years: list[int]) -> str:
    if len(years) > 1 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return ", ".join(map(str, years))


def consistency_problems(scenario: Scenario) -> list[Inconsistency]:
    """Every cross-field rule the scenario breaks, all of them (not only the first).

    The programme's years lie after the base year and within the horizon; every per-year
    value names only projected years; in every programme year the allocations fit the budget
    after administration; no fixed-count instrument is given more than its count x amount
    (:func:`count_limits`).
    """
    problems: list[Inconsistency] = []
    prog = scenario.programme
    years_in = ("programme.first_year", "programme.last_year")
    if prog.last_year < prog.first_year:
        problems.append(
            Inconsistency(
                "programme.last_year", "must not be before programme.first_year", years_in
            )
        )
    if prog.first_year <= scenario.base_year:
        problems.append(
            Inconsistency(
                "programme.first_year",
                f"{prog.first_year} must be after base_year {scenario.base_year}",
                ("programme.first_year", "base_year"),
            )
        )
    if prog.last_year > scenario.horizon:
        problems.append(
            Inconsistency(
                "programme.last_year",
                f"{prog.last_year} is beyond the horizon {scenario.horizon}",
                ("programme.last_year", "horizon"),
            )
        )
    if problems:
        return problems  # the programme's years are not usable
    years = scenario.programme_years
    budget = _yearly(prog.annual_budget, years, "programme.annual_budget", problems)
    per_instrument = {
        name: _yearly(getattr(prog.allocation, name), years, f"programme.allocation.{name}",
                      problems)
        for name in GRANT_INSTRUMENTS
    }  # fmt: skip
    _yearly(
        prog.investment_fund.annual_investment, years,
        "programme.investment_fund.annual_investment", problems,
    )  # fmt: skip
    _yearly(
        scenario.national_policy.rd_super_deduction_rate, scenario.projection_years,
        "national_policy.rd_super_deduction_rate", problems,
    )  # fmt: skip
    if budget is None or any(v is None for v in per_instrument.values()):
        return problems
    over = []
    for y in years:
        spend = sum(per_instrument[name][y] for name in GRANT_INSTRUMENTS)  # type: ignore[index]
        available = budget[y] * (1.0 - prog.admin_share)
        if spend > available * (1 + 1e-12) + 1.0:
            over.append((y, spend, available))
    if over:
        if len({(s, a) for _, s, a in over}) == 1:
            _, spend, available = over[0]
            text = (
                f"{_years_text([y for y, _, _ in over])} allocations sum to {spend:.6g} yuan, "
                f"more than the {available:.6g} yuan budget after administration"
            )
        else:
            text = "allocations are more than the budget after administration in " + "; ".join(
                f"{y} ({s:.6g} against {a:.6g} yuan)" for y, s, a in over
            )
        problems.append(
            Inconsistency(
                "programme.allocation",
                text,
                ("programme.allocation", "programme.annual_budget", "programme.admin_share"),
            )
        )
    for name, limit in count_limits(scenario).items():
        total = sum(per_instrument[name].values())  # type: ignore[union-attr]
        if total > limit * (1 + 1e-12) + 1.0:
            problems.append(
                Inconsistency(
                    f"programme.allocation.{name}",
                    f"{total:,.0f} yuan over the programme exceeds what its count and amount can "
                    f"use ({limit:,.0f} yuan)",
                    (f"programme.allocation.{name}", f"programme.instruments.{name}"),
                )
            )
    return problems


def allocation_warnings(scenario: Scenario) -> list[Inconsistency]:
    """Budget no instrument is given: legal, but usually a mistake, so it is a warning.

    One warning naming the years and the unallocated amount [亿元] when, in some programme
    year, less than the budget after administration is allocated (by more than 1 yuan).
    """
    budget = scenario.budget_by_year()
    by_year = scenario.allocation_by_year()
    gaps = {}
    for y, available in budget.items():
        left = available - sum(by_year[name][y] for name in GRANT_INSTRUMENTS)
        if left > 1.0:
            gaps[y] = (left, available)
    if not gaps:
        return []
    if len(set(gaps.values())) == 1:
        left, available = next(iter(gaps.values()))
        text = (
            f"{left / 1e8:.4g}亿元 a year of the {available / 1e8:.4g}亿元 budget in "
            f"{_years_text(sorted(gaps))} is not allocated to any instrument"
        )
    else:
        text = "budget not allocated to any instrument: " + "; ".join(
            f"{y} {left / 1e8:.4g}亿元 of {available / 1e8:.4g}亿元"
            for y, (left, available) in sorted(gaps.items())
        )
    return [
        Inconsistency(
            "programme.allocation", f"{text}: no call can commit it", ("programme.allocation",)
        )
    ]


# --------------------------------------------------------------------------------------------
# The catalogue listing
# --------------------------------------------------------------------------------------------


def catalogue(model: type[BaseModel] = Scenario, prefix: str = "") -> list[dict[str, Any]]:
    """List every parameter: path, units, default, bounds, source, description.

    Nested sections are walked recursively; header fields without units (title, description,
    author, references, baseline) are not parameters and are left out.
    """
    rows: list[dict[str, Any]] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(catalogue(annotation, prefix=f"{path}."))
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if "units" not in extra:
            continue
        bounds: dict[str, float] = {}
        for meta in info.metadata:
            for key in ("ge", "le", "gt", "lt"):
                if hasattr(meta, key):
                    bounds[key] = getattr(meta, key)
        rows.append(
            {
                "name": path,
                "units": extra["units"],
                "default": info.default,
                "bounds": bounds,
                "prior": extra.get("prior"),
                "source": extra["source"],
                "description": info.description or "",
                "identified": identification(name, extra.get("prior") is not None)
                if prefix == "behaviour."
                else "fixed",
            }
        )
    return rows
