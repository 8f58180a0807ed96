"""Building blocks of the parameter catalogue: typed fields with units and sources.

Every number a scenario can set is declared with :func:`P` (a pydantic ``Field`` carrying
``units``, ``source`` and, for behavioural parameters, a plausible range ``prior``) on a
:class:`Frozen` model: immutable, unknown keys rejected, strict types, no NaN or infinity. The
catalogue itself is :class:`mfgplan.inputs.parameters.Scenario` and its sections
(:mod:`mfgplan.inputs.programme`, :mod:`mfgplan.inputs.behaviour`).

Per-year values (``YearlyMoney``, ``YearlyFraction``) may be written as one value for every year
or as ``{year: value}``; a dated value holds until the next date (:func:`expand_yearly`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from mfgplan.inputs.money import parse_money, plausible_yuan

__all__ = [
    "PLAN",
    "PLAN_4",
    "AsTuple",
    "Fraction",
    "Frozen",
    "Money",
    "P",
    "Rationing",
    "SelectionRule",
    "YearlyFraction",
    "YearlyMoney",
    "expand_yearly",
]

Money = Annotated[float, BeforeValidator(parse_money), Field(ge=0), AfterValidator(plausible_yuan)]


def _list_to_tuple(value: Any) -> Any:
    """YAML has lists, not tuples: accept a list where a fixed-length tuple is declared."""
    return tuple(value) if isinstance(value, list) else value


#: a YAML list read as a fixed-length tuple (items still validated strictly)
AsTuple = BeforeValidator(_list_to_tuple)
YearKey = int | Literal["default"]
YearlyMoney = Money | dict[YearKey, Money]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
YearlyFraction = Fraction | dict[YearKey, Fraction]
SelectionRule = Literal["merit", "lottery", "first_come", "city_quota"]
Rationing = Literal["strict_prefix", "greedy"]
PLAN = "plan 四(三)"
PLAN_4 = "plan 四(四)"


def P(  # noqa: N802 - reads as a declaration
    default: Any,
    *,
    units: str,
    source: str,
    description: str,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
    prior: tuple[float, float] | None = None,
) -> Any:
    """Declare a catalogue parameter (a pydantic ``Field`` with units and source).

    ``prior`` is the plausible range of a behavioural parameter (uniform prior of the
    calibration, ``calibration/estimate.py``); parameters without one are fixed by definition
    or data.
    """
    extra: dict[str, Any] = {"units": units, "source": source}
    if prior is not None:
        extra["prior"] = [float(prior[0]), float(prior[1])]
    return Field(
        default,
        ge=ge,
        le=le,
        gt=gt,
        lt=lt,
        description=description,
        json_schema_extra=extra,
    )


class Frozen(BaseModel):
    """Base for catalogue sections: immutable, unknown keys rejected, types strict, finite.

    Types are strict (``yes`` is not a number, ``"3"`` is not an integer) and there is no NaN or
    infinity anywhere.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, strict=True, allow_inf_nan=False
    )


def expand_yearly(value: Any, years: range, *, field: str) -> dict[int, float]:
    """Expand a per-year value to every year of ``years``.

    A scalar applies to every year; ``{2016: a, 2018: b}`` gives ``a`` for 2016-2017 and ``b``
    from 2018 on. The key ``default`` gives the value before the first dated year (a scenario
    that overrides a baseline from 2018 on is stored as ``{default: a, 2018: b}``). Without
    ``default`` the first dated key must be ``years[0]``.

    Raises
    ------
    ValueError
        Naming ``field`` when a year is outside ``years`` or the first year is missing.
    """
    if not isinstance(value, dict):
        return {y: float(value) for y in years}
    dated = {k: v for k, v in value.items() if k != "default"}
    if not dated and "default" not in value:
        raise ValueError(f"{field}: empty mapping of years")
    bad = [y for y in dated if y not in years]
    if bad:
        listed = ", ".join(map(str, bad))
        raise ValueError(
            f"{field}: year{'s' if len(bad) > 1 else ''} {listed} "
            f"{'are' if len(bad) > 1 else 'is'} outside the allowed years {years[0]}-{years[-1]}"
        )
    if "default" not in value and years[0] not in dated:
        raise ValueError(f"{field}: the first dated value must be for {years[0]}")
    out: dict[int, float] = {}
    current = float(value.get("default", 0.0))
    for y in years:
        current = float(dated.get(y, current))
        out[y] = current
    return out
