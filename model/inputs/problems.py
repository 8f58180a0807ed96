"""Problems of a scenario file: one line each, placed at the file and line they are on.

:class:`Problem` and :class:`ScenarioError` are what the loader (:mod:`mfgplan.inputs.scenario`)
reports; the functions turn pydantic's validation errors into problems, find the cross-field
rules that fail beside the field problems, and place each at the line that set its field.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from mfgplan.inputs.parameters import Inconsistency, Scenario

__all__ = ["Problem", "ScenarioError", "cross_field_problems", "placed", "problems_of"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        """The problem in one line: ``file[:line]: field: message`` (field ``(file)`` if none)."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field or '(file)'}: {self.message}"


class ScenarioError(Exception):
    """A scenario file (or its baseline chain) is not valid; ``problems`` lists why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


# ------------------------------------------------------------------------------------------------
# validation errors -> problems
# ------------------------------------------------------------------------------------------------


def _model_at(location: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model holding the field at ``location`` (for key suggestions)."""
    model: type[BaseModel] = Scenario
    for part in location[:-1]:
        info = model.model_fields.get(str(part))
        if info is None or not isinstance(info.annotation, type):
            return None
        if not issubclass(info.annotation, BaseModel):
            return None
        model = info.annotation
    return model


def _message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    loc = err.get("loc", ())
    if kind == "extra_forbidden":
        model = _model_at(tuple(loc))
        msg = "unknown key"
        if model is not None:
            close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
            if close:
                msg += f"; did you mean {close[0]!r}?"
            else:
                msg += f" (valid keys: {', '.join(sorted(model.model_fields))})"
        return msg
    if kind == "missing":
        return "required field is missing"
    text = str(err.get("msg", "invalid value"))
    text = text.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if "input" in err and loc and kind not in ("model_type", "dict_type") and "got" not in text:
        shown = repr(err["input"])
        if len(shown) > 40:
            shown = shown[:37] + "..."
        text += f" (got {shown})"
    return text


def placed(fld: str, message: str, file: str, where: dict[str, tuple[str, int]]) -> Problem:
    """A problem of field ``fld``, placed where the field (or its nearest key) is written."""
    located: tuple[str, int] | None = None
    probe = fld
    while probe and located is None:
        located = where.get(probe)
        probe = probe.rpartition(".")[0]
    src, line = located if located else (file, None)
    return Problem(src, line, fld, message)


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _without(document: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """The document with each field (a dotted path) removed, so it takes its default."""
    out = copy.deepcopy(document)
    for fld in fields:
        parts = fld.split(".")
        while parts:
            node: Any = out
            for part in parts[:-1]:
                node = node.get(part) if isinstance(node, dict) else None
            key = parts[-1]
            keys = [key, int(key)] if key.isdigit() else [key]
            if isinstance(node, dict) and any(k in node for k in keys):
                for k in keys:
                    node.pop(k, None)
                break
            parts = parts[:-1]
    return out


def cross_field_problems(
    document: dict[str, Any], invalid: list[str], file: str, where: dict[str, tuple[str, int]]
) -> list[Problem]:
    """The cross-field problems of a document whose fields ``invalid`` are bad.

    The bad fields are set aside (they take their defaults) and the rest is validated with the
    cross-field rules collected, not raised; a rule that read a bad field says nothing (the
    field's own problem explains it). So a file's problems come in one pass.
    """
    pruned = _without(document, invalid)
    found: list[Inconsistency] = []
    try:
        Scenario.model_validate(pruned, context={"consistency": found})
    except (ValidationError, ValueError, TypeError):
        return []
    return [
        placed(p.field, p.message, file, where)
        for p in found
        if not any(_overlaps(i, bad) for i in p.inputs for bad in invalid)
    ]


def problems_of(
    err: ValidationError, file: str, where: dict[str, tuple[str, int]]
) -> list[Problem]:
    """One problem per validation error, placed at its line (one per field and message)."""
    problems = []
    seen: set[str] = set()
    for e in err.errors():
        # drop pydantic's union-branch labels ("function-after[...]", "constrained-float",
        # "dict[...]", "int"); field names never contain brackets or hyphens
        loc = tuple(
            str(p)
            for p in e.get("loc", ())
            if not any(c in str(p) for c in "[(-") and str(p) not in ("int", "float", "str")
        )
        e = {**e, "loc": loc}
        fld = ".".join(loc)
        message = _message(dict(e))
        entries = [(fld, message)]
        if not fld and ":" in message.split(" ")[0]:
            # model-level checks give one line per problem, each naming its field first:
            # "programme.allocation: ..."
            entries = [
                (f.strip(), m) for f, _, m in (line.partition(": ") for line in message.split("\n"))
            ]
        for fld, message in entries:
            if fld in seen:  # one message per field (the first union branch explains best)
                continue
            seen.add(fld)
            problems.append(placed(fld, message, file, where))
    # a union (a value, or a mapping of values by year) fails in every branch: keep the
    # deepest explanation of a field and drop the shallower "expected ..., got dict"
    fields = [p.field for p in problems]
    return [
        p for p in problems if not p.field or not any(f.startswith(p.field + ".") for f in fields)
    ]
