"""Run folders under stress: a second command on the same folder, a full disk, a comparison
killed and resumed. Results after a resume are compared value for value with an uninterrupted
run (``xarray.Dataset.identical``, ``==`` on the CSV bytes)."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr

from mfgplan import files
from mfgplan.cli import main
from tests.conftest import ROOT, small_scenario


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("scen")
    plan = small_scenario(folder, "plan-2016.yaml", name="plan", replicates=6)
    heavy = small_scenario(folder, "retrofit-heavy.yaml", name="heavy", replicates=6)
    return plan, heavy


def load(path: Path) -> xr.Dataset:
    with xr.open_dataset(path) as ds:
        return ds.load()


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mfgplan", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_replicates(partial: Path, at_least: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = list(partial.rglob("r*.npz")) if partial.exists() else []
        if len(done) >= at_least or proc.poll() is not None:
            return
        time.sleep(0.05)


def test_a_second_run_on_the_same_folder_is_refused(scenarios, tmp_path, capsys):
    plan, _ = scenarios
    out = tmp_path / "run"
    args = ["run", str(plan), "--out", str(out), "-q", "--no-charts", "-n", "24"]
    proc = start(*args)
    try:
        wait_for_replicates(out.with_name("run.partial"), 1, proc)
        assert proc.poll() is None, "the first run ended before the second could start"
        for extra in ([], ["--force"], ["--resume"]):
            assert main([*args, *extra]) == 2
            err = capsys.readouterr().err
            assert "another mfgplan command" in err and "is writing this folder" in err
            assert err.count("\n") == 1 and "Traceback" not in err
    finally:
        assert proc.wait(timeout=300) == 0
    # the first run was not disturbed: it finished with every replicate
    assert load(out / "results.nc").sizes["replicate"] == 24


def test_a_full_disk_leaves_a_resumable_run(scenarios, tmp_path, monkeypatch, capsys):
    plan, _ = scenarios
    reference = tmp_path / "reference"
    base = ["run", str(plan), "-q", "--no-charts"]
    assert main([*base, "--out", str(reference)]) == 0
    capsys.readouterr()  # what the reference run printed
    out = tmp_path / "run"
    real = files._write_fd
    writes = {"n": 0}

    def disk_fills_up(fd, data):
        writes["n"] += 1
        if writes["n"] > 5:  # the note, run.json and three replicates fit; then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd, data)

    monkeypatch.setattr(files, "_write_fd", disk_fills_up)
    assert main([*base, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "--resume" in err and "Traceback" not in err
    assert err.count("\n") == 1
    partial = out.with_name("run.partial")
    assert (partial / "INCOMPLETE").is_file() and not out.exists()
    assert len(list((partial / "replicates").glob("r*.npz"))) == 3
    assert not list(partial.rglob(".*.tmp"))  # no half-written file
    monkeypatch.setattr(files, "_write_fd", real)  # space was freed
    assert main([*base, "--out", str(out), "--resume"]) == 0
    assert load(out / "results.nc").identical(load(reference / "results.nc"))


def test_a_full_disk_while_writing_results_is_resumable(scenarios, tmp_path, monkeypatch, capsys):
    from mfgplan.workflows import run as run_workflow

    plan, _ = scenarios
    base = ["run", str(plan), "-q", "--no-charts"]
    reference = tmp_path / "reference"
    assert main([*base, "--out", str(reference)]) == 0
    capsys.readouterr()  # what the reference run printed
    real = run_workflow.write_results

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(run_workflow, "write_results", full)
    out = tmp_path / "run"
    assert main([*base, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "while writing the results" in err and "--resume" in err
    monkeypatch.setattr(run_workflow, "write_results", real)
    assert main([*base, "--out", str(out), "--resume"]) == 0
    assert load(out / "results.nc").identical(load(reference / "results.nc"))


def test_a_full_disk_while_writing_the_manifest_is_resumable(
    scenarios, tmp_path, monkeypatch, capsys
):
    from mfgplan.runs import folders

    plan, _ = scenarios
    base = ["run", str(plan), "-q", "--no-charts"]
    reference = tmp_path / "reference"
    assert main([*base, "--out", str(reference)]) == 0
    capsys.readouterr()  # what the reference run printed
    real = folders.atomic_write_text

    def full_at_the_manifest(path, text):
        if Path(path).name == "manifest.json":
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, text)

    monkeypatch.setattr(folders, "atomic_write_text", full_at_the_manifest)
    out = tmp_path / "run"
    assert main([*base, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "run.partial: No space left on device while writing the results" in err
    assert err.count("\n") == 1 and "--resume" in err
    partial = out.with_name("run.partial")
    assert (partial / "INCOMPLETE").is_file() and (partial / "run.json").is_file()
    assert len(list((partial / "replicates").glob("r*.npz"))) == 6  # nothing lost
    monkeypatch.setattr(folders, "atomic_write_text", real)
    assert main([*base, "--out", str(out), "--resume"]) == 0
    assert load(out / "results.nc").identical(load(reference / "results.nc"))
    manifest = (out / "manifest.json").read_text()
    assert '"manifest.json"' not in manifest and "replicates/" not in manifest


def test_compare_killed_then_resumed_gives_the_uninterrupted_result(scenarios, tmp_path):
    plan, heavy = scenarios
    out = tmp_path / "cmp"
    partial = tmp_path / "cmp.partial"
    n = "16"
    args = ["compare", str(plan), str(heavy), "-q", "-n", n]
    proc = start(*args, "--out", str(out))
    wait_for_replicates(partial, 4, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the comparison finished before it was killed"
    assert (partial / "INCOMPLETE").is_file() and not out.exists()
    saved = len(list(partial.rglob("r*.npz")))
    assert 0 < saved < 32
    assert main([*args, "--out", str(out)]) == 2  # protected without --resume
    assert main([*args, "--out", str(out), "--resume"]) == 0
    reference = tmp_path / "reference"
    assert main([*args, "--out", str(reference)]) == 0
    assert (out / "compare.csv").read_bytes() == (reference / "compare.csv").read_bytes()
    for label in ("plan", "heavy"):
        name = f"results_{label}.nc"
        assert load(out / name).identical(load(reference / name)), label
    assert main([*args, "--out", str(out), "--resume"]) == 0  # finished: nothing to do
