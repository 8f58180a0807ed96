"""The parameter catalogue: every number the model uses, declared once.

:class:`Scenario` is the whole catalogue: run settings, the provincial programme
(:mod:`mfgplan.inputs.programme`), national policy and the enterprises' behaviour
(:mod:`mfgplan.inputs.behaviour`). Each field carries a description, units, bounds, a default
and a source (a section of the plan, a statistic, a paper, or "assumption";
:mod:`mfgplan.inputs.fields`). Scenario files are validated against it with unknown keys
rejected. :func:`catalogue` lists every parameter (``mfgplan params``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator

from mfgplan.inputs.behaviour import Behaviour
from mfgplan.inputs.fields import Frozen, P, expand_yearly
from mfgplan.inputs.programme import GRANT_INSTRUMENTS, NationalPolicy, Programme

__all__ = ["Scenario", "catalogue", "count_limits"]

# --------------------------------------------------------------------------------------------
# The scenario
# --------------------------------------------------------------------------------------------


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
        description="Initial firm population; empty means the data's count.", ge=100, le=200_000,
    )  # fmt: skip
    programme: Programme = Programme()
    national_policy: NationalPolicy = NationalPolicy()
    behaviour: Behaviour = Behaviour()

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        prog = self.programme
        if prog.last_year < prog.first_year:
            raise ValueError("programme.last_year: must not be before programme.first_year")
        if prog.first_year <= self.base_year:
            raise ValueError(
                f"programme.first_year: {prog.first_year} must be after base_year {self.base_year}"
            )
        if prog.last_year > self.horizon:
            raise ValueError(
                f"programme.last_year: {prog.last_year} is beyond the horizon {self.horizon}"
            )
        years = self.programme_years
        budget = expand_yearly(prog.annual_budget, years, field="programme.annual_budget")
        spend = {y: 0.0 for y in years}
        for name in GRANT_INSTRUMENTS:
            per_year = expand_yearly(
                getattr(prog.allocation, name), years, field=f"programme.allocation.{name}"
            )
            for y, v in per_year.items():
                spend[y] += v
        for y in years:
            available = budget[y] * (1.0 - prog.admin_share)
            if spend[y] > available * (1 + 1e-12) + 1.0:
                raise ValueError(
                    f"programme.allocation: {y} allocations sum to {spend[y]:.6g} yuan, more than "
                    f"the {available:.6g} yuan budget after administration"
                )
        _check_count_limits(self)
        expand_yearly(
            prog.investment_fund.annual_investment, years, field="investment_fund.annual_investment"
        )
        expand_yearly(
            self.national_policy.rd_super_deduction_rate,
            range(self.base_year + 1, self.horizon + 1),
            field="national_policy.rd_super_deduction_rate",
        )
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


def _check_count_limits(scenario: Scenario) -> None:
    """Reject allocations larger than the plan's count x amount for fixed-count instruments."""
    by_year = scenario.allocation_by_year()
    for name, limit in count_limits(scenario).items():
        total = sum(by_year[name].values())
        if total > limit * (1 + 1e-12) + 1.0:
            raise ValueError(
                f"programme.allocation.{name}: {total:,.0f} yuan over the programme exceeds what "
                f"its count and amount can use ({limit:,.0f} yuan)"
            )


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
            }
        )
    return rows
