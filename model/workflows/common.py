"""What every workflow shares: how it reports progress, loads scenarios and checks a scheduler.

A workflow is one command's work (``mfgplan run``, ``compare``...): it takes a typed options
object, does the work and returns a typed result; it never prints. Progress and notes go to a
:class:`Reporter` the caller hands in (the command line's shows progress bars; the notebook
API's shows nothing). Problems end the workflow with :class:`mfgplan.errors.InputError` (bad
input, nothing written) or :class:`mfgplan.errors.RunFailedError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from mfgplan.analysis.uncertainty import unidentified
from mfgplan.errors import InputError
from mfgplan.inputs.parameters import Scenario
from mfgplan.inputs.sample import ParameterSample
from mfgplan.inputs.scenario import ResolvedScenario, ScenarioError, load_scenario
from mfgplan.parallel import SchedulerError, connect
from mfgplan.runs.folders import RunFolder

__all__ = [
    "QUIET",
    "Reporter",
    "keep_calibration",
    "keep_counterfactual",
    "load_scenarios",
    "parameter_records",
    "probe_scheduler",
    "unidentified_parameters",
    "with_firms",
]


class Reporter(Protocol):
    """Where a workflow reports progress and notes."""

    def task(self, label: str, total: int, done: int = 0) -> Callable[[int], None]:
        """Start a task of ``total`` steps, ``done`` of them already done.

        The returned function advances it by its argument.
        """
        ...

    def say(self, message: str) -> None:
        """A note on the work's progress (e.g. the stage an optimisation is in)."""
        ...


class _Quiet:
    """A reporter that shows nothing."""

    def task(self, label: str, total: int, done: int = 0) -> Callable[[int], None]:
        """A task nobody watches."""
        return lambda _k: None

    def say(self, message: str) -> None:
        """Nothing is said."""


#: the reporter of a workflow nobody watches
QUIET: Reporter = _Quiet()


def load_scenarios(paths: Sequence[str | Path]) -> list[ResolvedScenario]:
    """Load every scenario file; :class:`InputError` with one line per problem of every file."""
    resolved = []
    problems: list[str] = []
    for p in paths:
        try:
            resolved.append(load_scenario(p))
        except ScenarioError as err:
            problems.extend(str(problem) for problem in err.problems)
    if problems:
        raise InputError("\n".join(problems))
    return resolved


def keep_calibration(folder: RunFolder, resolved: ResolvedScenario) -> str | None:
    """Copy the scenario's parameter file into the folder as ``calibration.json``.

    Returns the name a written scenario file refers to it by (None without a calibration).
    """
    if resolved.parameters is None:
        return None
    text = resolved.parameters.path.read_text(encoding="utf-8")
    folder.write_text("calibration.json", text)
    return "calibration.json"


def keep_counterfactual(
    folder: RunFolder, resolved: ResolvedScenario, own_name: str, *, same_programme: bool = True
) -> str | None:
    """Write the scenario's counterfactual programme into the folder as ``counterfactual.yaml``.

    Returns the name a written scenario file (``own_name``) refers to it by: the file itself
    for a scenario that is its own counterfactual and is written with its own programme
    (``same_programme``); None without a counterfactual.
    """
    if resolved.counterfactual is None:
        return None
    if resolved.own_counterfactual and same_programme:
        return own_name
    text = resolved.counterfactual_yaml("counterfactual.yaml")
    if text is not None:
        folder.write_text("counterfactual.yaml", text)
    return "counterfactual.yaml"


def probe_scheduler(address: str | None) -> None:
    """Fail before any work (and any folder) if the dask scheduler does not answer."""
    if address is None:
        return
    try:
        connect(address, timeout=5.0).close()
    except SchedulerError as err:
        raise InputError(str(err)) from None


def with_firms(scenario: Scenario, firms: int | None) -> Scenario:
    """The scenario with another base-year population (``--firms``), at least 100."""
    if firms is None:
        return scenario
    if firms < 100:
        raise InputError(f"--firms: at least 100 (got {firms})")
    return scenario.model_copy(update={"n_firms": int(firms)})


def parameter_records(parameters: ParameterSample | None) -> list[dict] | None:
    """The parameter file's records (prior and posterior of each parameter), None: no sample."""
    if parameters is None:
        return None
    return json.loads(parameters.path.read_text(encoding="utf-8"))["parameters"]


def unidentified_parameters(resolved: ResolvedScenario) -> list[str] | None:
    """The programme's parameters the scenario's calibration did not move (None: no sample)."""
    return unidentified(parameter_records(resolved.parameters))
