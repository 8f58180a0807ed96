"""Reading scenario files: safe YAML, baselines, validation with one line per problem.

A scenario file is untrusted input. It is read with explicit limits (size, nesting, aliases),
with the YAML safe loader minus every tag that would construct an object, with duplicate keys
rejected, and validated against the parameter catalogue
(:class:`mfgplan.inputs.parameters.Scenario`).
Every problem found is reported at once as ``file:line: field: message``.

A file may name a ``baseline`` (a path relative to it, ``.yaml`` optional): the file's values
are merged over the baseline's (mappings recursively; other values replace), so a variant
states only what differs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mfgplan.files import InputFileError, read_bounded
from mfgplan.inputs.parameters import Scenario, allocation_warnings
from mfgplan.inputs.problems import (
    Problem,
    ScenarioError,
    cross_field_problems,
    placed,
    problems_of,
)
from mfgplan.inputs.programme import Programme
from mfgplan.inputs.sample import ParameterFileError, ParameterSample, load_parameter_file

__all__ = [
    "MAX_ALIASES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "Problem",
    "ResolvedScenario",
    "ScenarioError",
    "first_problem",
    "load_scenario",
    "scenario_document",
    "scenario_summary",
]

MAX_BYTES = 1 << 20  # 1 MiB
MAX_DEPTH = 20
MAX_ALIASES = 50
MAX_CHAIN = 10


@dataclass(frozen=True)
class ResolvedScenario:
    """A validated scenario with where it came from."""

    scenario: Scenario
    path: Path
    chain: tuple[Path, ...]
    document: dict[str, Any] = field(repr=False)
    sha256: str
    #: the calibrated parameter sample the scenario names (``calibration:``), if any
    parameters: ParameterSample | None = None
    #: what is legal but probably not meant (budget left unallocated), ``file:line`` placed
    warnings: tuple[Problem, ...] = ()
    #: the programme of the scenario named by ``counterfactual:`` (the world the scenario is
    #: measured against), or None for no provincial programme at all
    counterfactual: Programme | None = None
    #: the file it came from
    counterfactual_path: Path | None = None
    #: where each dotted key was written: ``{key: (file, line)}``
    where: dict[str, tuple[str, int]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def explicit_behaviour(self) -> frozenset[str]:
        """Behavioural parameters the scenario files set themselves (they win over a sample)."""
        behaviour = self.document.get("behaviour")
        return frozenset(behaviour) if isinstance(behaviour, dict) else frozenset()

    def info(self) -> dict[str, Any]:
        """What a manifest records of the scenario: title, files, hash and calibration."""
        return {
            "title": self.scenario.title,
            "path": str(self.path),
            "chain": [str(p) for p in self.chain],
            "sha256": self.sha256,
            "counterfactual": str(self.counterfactual_path) if self.counterfactual_path else None,
            "calibration": (
                {
                    "file": str(self.parameters.path),
                    "sha256": self.parameters.sha256,
                    "as_of": self.parameters.as_of,
                    "parameter_sets": self.parameters.size,
                }
                if self.parameters
                else None
            ),
        }

    @property
    def own_counterfactual(self) -> bool:
        """Whether the scenario's programme is its counterfactual's (the pre-plan mix's is)."""
        return self.counterfactual is not None and self.counterfactual == self.scenario.programme

    def to_yaml(
        self, calibration_ref: str | None = None, counterfactual_ref: str | None = None
    ) -> str:
        """The resolved scenario with every default filled in (loads back to an equal one).

        ``calibration_ref`` and ``counterfactual_ref`` replace the ``calibration`` and
        ``counterfactual`` paths (a run folder keeps a copy of the parameter file and of the
        counterfactual beside the resolved scenario); without them the counterfactual is named
        by its absolute path.
        """
        data = scenario_document(self.scenario)
        data.pop("baseline", None)
        if calibration_ref is not None:
            data["calibration"] = calibration_ref
        if counterfactual_ref is not None:
            data["counterfactual"] = counterfactual_ref
        elif self.counterfactual_path is not None:
            data["counterfactual"] = str(self.counterfactual_path)
        header = (
            f"# Resolved scenario: {self.scenario.title}\n"
            f"# from {' <- '.join(str(p) for p in self.chain)}\n"
            f"# sha256 {self.sha256}\n"
        )
        return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)

    def counterfactual_yaml(self, own_name: str) -> str | None:
        """A scenario file of the counterfactual programme alone, named ``own_name``.

        Its programme block is all a run uses of it; it is its own counterfactual. None for a
        scenario without a counterfactual.
        """
        if self.counterfactual is None or self.counterfactual_path is None:
            return None
        s = self.scenario
        data = {
            "title": f"Counterfactual of {s.title}",
            "counterfactual": own_name,
            "base_year": s.base_year,
            "horizon": s.horizon,
            "programme": _int_year_keys(self.counterfactual.model_dump(mode="json")),
        }
        header = f"# The counterfactual programme of {s.title}, from {self.counterfactual_path}\n"
        return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def _int_year_keys(value: Any) -> Any:
    """JSON-mode dumps turn year keys into strings; a scenario file needs them as integers."""
    if isinstance(value, dict):
        return {
            (int(k) if isinstance(k, str) and k.isdigit() else k): _int_year_keys(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_int_year_keys(v) for v in value]
    return value


def first_problem(err: Exception) -> str:
    """The first message of a validation error, without pydantic's decoration.

    The decoration's last line is a documentation link.
    """
    errors = getattr(err, "errors", None)
    if callable(errors):
        try:
            return str(errors()[0]["msg"]).removeprefix("Value error, ")
        except (IndexError, KeyError, TypeError):
            pass
    return str(err).splitlines()[0]


def scenario_document(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data that writes to a loadable YAML file.

    Year keys are integers, every default filled in.
    """
    return _int_year_keys(scenario.model_dump(mode="json"))


# ------------------------------------------------------------------------------------------------
# safe YAML with line numbers
# ------------------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader that counts aliases, limits depth and rejects duplicate keys and odd tags."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                event = self.peek_event()
                raise yaml.constructor.ConstructorError(
                    None, None, f"more than {MAX_ALIASES} aliases", event.start_mark
                )
        return super().compose_node(parent, index)  # type: ignore[arg-type]


STANDARD_TAGS = {
    "tag:yaml.org,2002:" + t
    for t in ("map", "seq", "str", "int", "float", "bool", "null", "timestamp")
}


def _check_node(
    node: yaml.Node, depth: int, lines: dict[str, int], path: str, seen: set[int] | None = None
) -> None:
    """Walk the composed tree: depth limit, tags, duplicate keys; record each key's line.

    A node reached again through an alias is not walked again, so the walk stays linear in the
    file's size whatever the aliases expand to.
    """
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    if depth > MAX_DEPTH:
        raise _NodeError(node, f"nested deeper than {MAX_DEPTH} levels")
    if node.tag not in STANDARD_TAGS:
        raise _NodeError(node, f"YAML tag {node.tag!r} is not allowed")
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<":
                raise _NodeError(key_node, "merge keys (<<) are not allowed")
            if key_node.tag not in STANDARD_TAGS or not isinstance(key_node, yaml.ScalarNode):
                raise _NodeError(key_node, "keys must be plain text")
            key = str(key_node.value)
            if key in seen:
                raise _NodeError(key_node, f"duplicate key {key!r}")
            seen.add(key)
            sub = f"{path}.{key}" if path else key
            lines.setdefault(sub, key_node.start_mark.line + 1)
            _check_node(value_node, depth + 1, lines, sub, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_node(item, depth + 1, lines, f"{path}.{i}", seen)


class _NodeError(Exception):
    def __init__(self, node: yaml.Node, message: str) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1
        self.message = message


def _read_document(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """Read one file into a plain mapping and a map from dotted key to line number."""
    name = str(path)

    def fail(message: str, line: int | None = None, fld: str = "") -> ScenarioError:
        return ScenarioError([Problem(name, line, fld, message)])

    try:
        raw = read_bounded(path, MAX_BYTES)
    except InputFileError as err:
        raise fail(str(err)) from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail("UTF-16 or UTF-32 text: save the file as UTF-8")
    if b"\x00" in raw:
        raise fail("binary file (contains NUL bytes), not YAML text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise fail(f"not UTF-8 text (byte {err.start})") from None
    if not text.strip():
        raise fail("empty file")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise fail("empty document")
        lines: dict[str, int] = {}
        _check_node(node, 0, lines, "")
        data = loader.construct_document(node)
    except _NodeError as err:
        raise fail(err.message, err.line) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        message = f"malformed YAML: {err.problem or err.context}"
        raise fail(message, line) from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as err:
        raise fail(f"malformed YAML: {type(err).__name__}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise fail(f"the top level must be a mapping of keys, not a {type(data).__name__}", 1)
    return data, lines


# ------------------------------------------------------------------------------------------------
# baselines and merging
# ------------------------------------------------------------------------------------------------


def _merge(base: Any, over: Any) -> Any:
    """``over`` merged onto ``base``: mappings recursively, anything else replaces."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base[key], value) if key in base else value
        return out
    return over


def _resolve_baseline(path: Path, ref: Any, line: int | None) -> Path:
    return _resolve_reference(path, ref, line, "baseline")


def _resolve_reference(path: Path, ref: Any, line: int | None, key: str) -> Path:
    """The scenario file ``ref`` that ``path`` names under ``key`` (``.yaml`` may be left off)."""
    if not isinstance(ref, str) or not ref.strip():
        raise ScenarioError([Problem(str(path), line, key, "must be the name of a scenario file")])
    try:
        candidate = (path.parent / ref).resolve()
        if not candidate.exists() and candidate.suffix not in (".yaml", ".yml"):
            candidate = candidate.with_name(candidate.name + ".yaml")
        found = candidate.exists()
    except (ValueError, OSError):  # a NUL byte, a name too long for the file system
        raise ScenarioError(
            [Problem(str(path), line, key, f"{ref!r} is not a usable file name")]
        ) from None
    if not found:
        raise ScenarioError([Problem(str(path), line, key, f"{key} scenario {ref!r} not found")])
    return candidate


def _load_chain(
    path: Path,
) -> tuple[dict[str, Any], dict[str, tuple[str, int]], tuple[Path, ...]]:
    """The merged document, where each dotted key was written (file, line), and the chain.

    A key set in several files of the chain is placed where it takes effect: the file nearest
    the top of the chain.
    """
    chain: list[Path] = []
    documents: list[dict[str, Any]] = []
    line_maps: list[dict[str, int]] = []
    current = path
    while True:
        resolved = current.resolve()
        if resolved in [p.resolve() for p in chain]:
            raise ScenarioError(
                [
                    Problem(
                        str(chain[-1]),
                        line_maps[-1].get("baseline"),
                        "baseline",
                        f"baselines refer back to {current.name} (cycle: "
                        + " -> ".join(p.name for p in [*chain, current])
                        + ")",
                    )
                ]
            )
        if len(chain) >= MAX_CHAIN:
            raise ScenarioError(
                [
                    Problem(
                        str(path), None, "baseline", f"more than {MAX_CHAIN} baselines in a chain"
                    )
                ]
            )
        data, lines = _read_document(current)
        chain.append(current)
        documents.append(data)
        line_maps.append(lines)
        if "baseline" not in data or data["baseline"] is None:
            break
        current = _resolve_baseline(current, data["baseline"], lines.get("baseline"))
    merged: dict[str, Any] = {}
    for doc in reversed(documents):
        merged = _merge(merged, doc)
    merged["baseline"] = documents[0].get("baseline")
    where: dict[str, tuple[str, int]] = {}
    for file, lines in reversed(list(zip(chain, line_maps, strict=True))):
        where.update({key: (str(file), line) for key, line in lines.items()})
    return merged, where, tuple(chain)


def load_scenario(path: str | Path, *, with_calibration: bool = True) -> ResolvedScenario:
    """Read, merge and validate a scenario file; raise :class:`ScenarioError` if not valid.

    The scenario named by ``counterfactual:`` is loaded too (its programme block is kept in
    :attr:`ResolvedScenario.counterfactual`); a scenario may name itself. Without
    ``with_calibration`` the parameter file it names is not read (the calibration itself needs
    the plan's programme, not the sample it is about to replace).
    """
    resolved = _load(Path(path), with_calibration=with_calibration)
    cf_path, cf_programme = _load_counterfactual(resolved)
    if cf_path is None:
        return resolved
    # the run depends on the counterfactual's programme, so the hash does too
    canonical = json.dumps(
        [resolved.sha256, cf_programme.model_dump(mode="json")], sort_keys=True, ensure_ascii=False
    )
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return replace(
        resolved, sha256=digest, counterfactual=cf_programme, counterfactual_path=cf_path
    )


def _load_counterfactual(resolved: ResolvedScenario) -> tuple[Path | None, Programme | None]:
    """The file and programme named by ``counterfactual:`` (relative to the file naming it)."""
    scenario = resolved.scenario
    if scenario.counterfactual is None:
        return None, None
    where = resolved.where
    file, line = where.get("counterfactual", (str(resolved.path), None))  # type: ignore[assignment]
    target = _resolve_reference(Path(file), scenario.counterfactual, line, "counterfactual")
    if target == resolved.path.resolve():
        return target, scenario.programme
    try:
        other = _load(target)
    except ScenarioError as err:
        first = err.problems[0]
        raise ScenarioError(
            [Problem(file, line, "counterfactual", f"{target.name} is not valid: {first}")]
        ) from None
    return target, other.scenario.programme


def _load(path: Path, *, with_calibration: bool = True) -> ResolvedScenario:
    """Read, merge and validate one scenario file (without its counterfactual)."""
    document, where, chain = _load_chain(path)
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError as err:
        problems = problems_of(err, str(path), where)
        invalid = [p.field for p in problems if p.field]
        if invalid and all(e.get("loc") for e in err.errors()):
            problems += cross_field_problems(document, invalid, str(path), where)
        raise ScenarioError(sorted(problems, key=_order)) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as err:
        raise ScenarioError([Problem(str(path), None, "", f"invalid scenario ({err})")]) from None
    parameters = _load_calibration(scenario, path, where) if with_calibration else None
    data = scenario.model_dump(mode="json")
    if parameters is not None:
        # the run depends on the file's content, not on where it lies
        data["calibration"] = {"file": parameters.path.name, "sha256": parameters.sha256}
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    warnings = tuple(
        placed(w.field, w.message, str(path), where) for w in allocation_warnings(scenario)
    )
    return ResolvedScenario(
        scenario, path, chain, document, digest, parameters, warnings, where=where
    )


def _order(problem: Problem) -> tuple[str, int, str]:
    """Problems in the order of the files and lines they are on."""
    return (problem.file, problem.line or 0, problem.field)


def _load_calibration(
    scenario: Scenario, path: Path, where: dict[str, tuple[str, int]]
) -> ParameterSample | None:
    """The parameter file named by ``calibration:`` (relative to the file that names it)."""
    if scenario.calibration is None:
        return None
    file, line = where.get("calibration", (str(path), None))  # type: ignore[assignment]
    target = Path(file).parent / scenario.calibration
    try:
        sample = load_parameter_file(target)
    except ParameterFileError as err:
        raise ScenarioError([Problem(file, line, "calibration", str(err))]) from None
    if sample.as_of != scenario.base_year:
        raise ScenarioError(
            [
                Problem(
                    file,
                    line,
                    "calibration",
                    f"{target.name} is calibrated as of {sample.as_of} but base_year is "
                    f"{scenario.base_year} (calibrate with mfgplan calibrate --as-of "
                    f"{scenario.base_year})",
                )
            ]
        )
    return sample


def scenario_summary(resolved: ResolvedScenario) -> list[tuple[str, str]]:
    """Key facts of a scenario for printing."""
    s = resolved.scenario
    budget = s.budget_by_year()
    rows = [
        ("title", s.title),
        ("years", f"{s.base_year} base, to {s.horizon}; programme {s.programme.first_year}-"
                  f"{s.programme.last_year}"),
        ("annual budget", ", ".join(f"{y}: {v / 1e8:g}亿元" for y, v in budget.items())),
    ]  # fmt: skip
    for name, per_year in s.allocation_by_year().items():
        rows.append((name, ", ".join(f"{v / 1e8:g}" for v in per_year.values()) + " 亿元/yr"))
    rows += [
        ("investment fund", f"{s.programme.investment_fund.size / 1e8:g}亿元"),
        ("replicates, seed", f"{s.replicates}, {s.seed}"),
    ]
    return rows
