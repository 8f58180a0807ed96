"""Every file a scenario names is read as the scenario is: a regular file of bounded size, in
bounded time (a FIFO would block a plain read forever; /dev/zero would fill memory)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mfgplan.calibration.observed import ObservedError, read_observed
from mfgplan.inputs import sample
from mfgplan.inputs.scenario import ScenarioError, load_scenario
from tests.conftest import ROOT


def run_validate(path, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """``mfgplan validate PATH`` in a subprocess that must end within ``timeout`` seconds."""
    return subprocess.run(
        [sys.executable, "-m", "mfgplan", "validate", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def test_a_baseline_that_is_a_fifo_is_refused_at_its_line(tmp_path):
    os.mkfifo(tmp_path / "base.yaml")
    scenario = tmp_path / "s.yaml"
    scenario.write_text("title: variant\nbaseline: base.yaml\n")
    done = run_validate(scenario)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "base.yaml: (file): not a regular file" in done.stderr


def test_a_calibration_that_is_a_fifo_or_a_device_is_refused(tmp_path):
    os.mkfifo(tmp_path / "params.json")
    for target, name in (("params.json", "fifo"), ("/dev/zero", "device")):
        scenario = tmp_path / f"{name}.yaml"
        scenario.write_text(f"title: x\ncalibration: {target}\n")
        done = run_validate(scenario)
        assert done.returncode == 2, name
        assert f"{name}.yaml:2: calibration:" in done.stderr and "not a regular file" in (
            done.stderr
        ), name


def test_a_parameter_file_above_the_limit_is_refused(tmp_path, monkeypatch):
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 2048)
    monkeypatch.setattr(sample, "MAX_BYTES", 1024)
    scenario = tmp_path / "s.yaml"
    scenario.write_text("title: x\ncalibration: big.json\n")
    with pytest.raises(ScenarioError, match=r"s\.yaml:2: calibration: .*more than the 1024-byte"):
        load_scenario(scenario)


def test_an_observations_file_that_is_a_fifo_is_refused(tmp_path):
    os.mkfifo(tmp_path / "later.csv")
    with pytest.raises(ObservedError, match=r"later\.csv: not a regular file"):
        read_observed(tmp_path / "later.csv")
