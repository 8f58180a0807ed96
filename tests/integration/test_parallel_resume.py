"""Runs split over processes or a cluster, killed and resumed, with failing replicates.

The results of a run depend only on the scenario and the seed: these tests compare runs made in
different ways value for value (``xarray.Dataset.identical``), not within a tolerance.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from mfgplan.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scen") / "small.yaml"
    path.write_text(
        f"baseline: {ROOT / 'scenarios' / 'plan-2016.yaml'}\ntitle: small plan\n"
        "n_firms: 600\nreplicates: 6\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def serial(scenario, tmp_path_factory) -> xr.Dataset:
    out = tmp_path_factory.mktemp("serial") / "run"
    assert main(["run", str(scenario), "--out", str(out), "-q", "--no-charts"]) == 0
    with xr.open_dataset(out / "results.nc") as ds:
        return ds.load()


def results(out: Path) -> xr.Dataset:
    with xr.open_dataset(out / "results.nc") as ds:
        return ds.load()


def test_two_workers_identical_to_one(scenario, serial, tmp_path):
    out = tmp_path / "run"
    args = ["run", str(scenario), "--out", str(out), "-q", "--no-charts", "--workers", "2"]
    assert main(args) == 0
    assert results(out).identical(serial)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["workers"] == 2 and manifest["status"] == "complete"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_local_dask_cluster_identical_to_serial(scenario, serial, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        out = tmp_path / "run"
        args = ["run", str(scenario), "--out", str(out), "-q", "--no-charts"]
        assert main([*args, "--scheduler", cluster.scheduler_address]) == 0
    assert results(out).identical(serial)


def test_unreachable_scheduler_is_refused_before_work(scenario, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["run", str(scenario), "--out", str(out), "-q", "--scheduler", "tcp://127.0.0.1:9"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--scheduler tcp://127.0.0.1:9: no dask scheduler answers" in err
    assert "Traceback" not in err
    assert not out.exists() and not out.with_name("run.partial").exists()


def test_kill_9_then_resume_gives_the_uninterrupted_result(scenario, tmp_path):
    out = tmp_path / "run"
    partial = tmp_path / "run.partial"
    n = 24
    base = [str(scenario), "--out", str(out), "-q", "--no-charts", "--replicates", str(n)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "mfgplan.cli", "run", *base],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = list((partial / "replicates").glob("r*.npz")) if partial.exists() else []
        if len(done) >= 4 or proc.poll() is not None:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    # a killed run leaves a folder marked incomplete, never a finished-looking results.nc
    assert not out.exists()
    assert (partial / "INCOMPLETE").is_file()
    assert not (partial / "results.nc").exists()
    saved = len(list((partial / "replicates").glob("r*.npz")))
    assert 0 < saved < n
    # without --resume the folder is protected
    assert main(["run", *base]) == 2
    assert main(["run", *base, "--resume"]) == 0
    assert not partial.exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["resumed_replicates"] >= saved
    reference = tmp_path / "reference"
    assert main(["run", str(scenario), "--out", str(reference), "-q", "--no-charts",
                 "--replicates", str(n)]) == 0  # fmt: skip
    assert results(out).identical(results(reference))
    # resuming a complete run does nothing
    assert main(["run", *base, "--resume"]) == 0


def test_resume_refuses_a_different_run(scenario, tmp_path, capsys):
    out = tmp_path / "run"
    partial = tmp_path / "run.partial"
    (partial / "replicates").mkdir(parents=True)
    (partial / "run.json").write_text(json.dumps({"scenario_sha256": "0" * 64}))
    args = ["run", str(scenario), "--out", str(out), "-q", "--resume"]
    assert main(args) == 2
    assert "cannot resume, scenario_sha256 differs" in capsys.readouterr().err


def test_failed_replicates_are_recorded_and_the_rest_complete(
    scenario, serial, tmp_path, monkeypatch, capsys
):
    from mfgplan.runs import job

    real = job.run_replicate

    def flaky(scenario, fit, root_seed, replicate, n_firms, **options):
        if replicate in (2, 4):
            raise FloatingPointError(f"injected failure in replicate {replicate}")
        return real(scenario, fit, root_seed, replicate, n_firms, **options)

    monkeypatch.setattr(job, "run_replicate", flaky)
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out), "-q", "--no-charts"]) == 3
    err = capsys.readouterr().err
    assert "2 of 6 replicates failed" in err and "Traceback" not in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete_with_failures"
    failed = manifest["replicates_failed"]
    assert [f["replicate"] for f in failed] == [2, 4]
    assert failed[0]["error"] == "FloatingPointError: injected failure in replicate 2"
    assert failed[0]["seed"] == {"entropy": serial.attrs["seed"], "spawn_key": [2]}
    ds = results(out)
    assert ds.replicate.values.tolist() == [0, 1, 3, 5]
    # the replicates that ran are the same as in a run without failures
    np.testing.assert_array_equal(
        ds.manufacturing_va.values, serial.manufacturing_va.sel(replicate=[0, 1, 3, 5]).values
    )


def test_every_replicate_failing_exits_nonzero_with_the_first_error(
    scenario, tmp_path, monkeypatch, capsys
):
    from mfgplan.runs import job

    def broken(scenario, fit, root_seed, replicate, n_firms, **_options):
        raise ValueError(f"bad draw {replicate}")

    monkeypatch.setattr(job, "run_replicate", broken)
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out), "-q"]) == 1
    err = capsys.readouterr().err
    assert "every replicate failed" in err and "ValueError: bad draw 0" in err
    assert "Traceback" not in err
    assert not out.exists()
