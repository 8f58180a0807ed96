"""A run with worker processes that is terminated or killed leaves no worker behind.

``kill <pid>`` (SIGTERM) ends a run as Ctrl-C does: the workers are stopped at once, the
command exits 130 naming the partial folder to resume. ``kill -9`` cannot be handled, but the
workers end with the forkserver, which ends with the run. Before, the workers of a terminated
run went on computing the replicates in flight (minutes at 500,000 firms) that nobody saved.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux ``/proc/<pid>/task/<tid>/children``)."""
    found: set[int] = set()
    stack = [pid]
    while stack:
        parent = stack.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    stack.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    """The processes of ``pids`` that still run (not gone, not zombies)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.add(pid)
    return running


def start_run(tmp_path: Path) -> tuple[subprocess.Popen[str], Path, set[int]]:
    """A two-worker run of many small replicates, once its workers have saved a few."""
    scenario = tmp_path / "small.yaml"
    scenario.write_text(
        f"baseline: {ROOT / 'scenarios' / 'plan-2016.yaml'}\ntitle: small plan\nn_firms: 600\n",
        encoding="utf-8",
    )
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mfgplan.cli", "run", str(scenario), "--out", str(out), "-q",
         "--no-charts", "--replicates", "400", "--workers", "2"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    partial = tmp_path / "run.partial"
    workers: set[int] = set()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        workers |= descendants(proc.pid)
        done = list((partial / "replicates").glob("r*.npz")) if partial.exists() else []
        if len(done) >= 4 and len(workers) >= 3:  # the forkserver and two workers
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be stopped"
    return proc, partial, workers | descendants(proc.pid)


def wait_gone(pids: set[int], seconds: float = 15.0) -> set[int]:
    deadline = time.monotonic() + seconds
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)


def end(proc: subprocess.Popen[str], workers: set[int]) -> None:
    """Whatever a test found, leave no process of its run behind."""
    for pid in alive(workers | {proc.pid}):
        os.kill(pid, signal.SIGKILL)
    proc.communicate()


def test_sigterm_stops_the_workers_and_keeps_the_partial_folder(tmp_path):
    proc, partial, workers = start_run(tmp_path)
    try:
        os.kill(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130
        assert "--resume" in err and str(partial) in err
        assert (partial / "INCOMPLETE").is_file()
        assert wait_gone(workers) == set()
    finally:
        end(proc, workers)


def test_kill_9_takes_the_workers_with_it(tmp_path):
    proc, _, workers = start_run(tmp_path)
    try:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL
        assert wait_gone(workers) == set()
    finally:
        end(proc, workers)
