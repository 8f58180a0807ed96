"""The one life of an output folder (mfgplan.runs.folders.RunFolder): what is replaced, what
is refused, the lock, the manifest."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import pytest

from mfgplan.errors import InputError
from mfgplan.runs.folders import RunFolder, is_mfgplan_folder


def _finish(folder: RunFolder, text: str = "values\n") -> None:
    folder.start()
    folder.write_text("table.csv", text)
    folder.finish(command="test", scenarios=[], seed=1, replicates=2, timings={})


def test_a_finished_folder_has_a_manifest_with_every_file_hash(tmp_path):
    out = tmp_path / "out"
    with RunFolder.open(out) as folder:
        folder.start()
        folder.write_text("table.csv", "a,b\n1,2\n")
        folder.write_text("charts/x.png", "not really a png")
        path = folder.finish(command="mfgplan test", scenarios=[], seed=7, replicates=3,
                             timings={"all": 1.0})  # fmt: skip
    assert path == out and not out.with_name("out.partial").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["written_by"] == "mfgplan" and manifest["seed"] == 7
    assert manifest["files"] == {
        "table.csv": hashlib.sha256(b"a,b\n1,2\n").hexdigest(),
        "charts/x.png": hashlib.sha256(b"not really a png").hexdigest(),
    }
    created = datetime.fromisoformat(manifest["created"])
    assert created.utcoffset().total_seconds() == 0  # UTC
    assert not (out / "INCOMPLETE").exists()
    assert is_mfgplan_folder(out)
    assert not (tmp_path / ".out.lock").exists()


def test_force_replaces_a_folder_mfgplan_wrote(tmp_path):
    out = tmp_path / "out"
    with RunFolder.open(out) as folder:
        _finish(folder, "first\n")
    with pytest.raises(InputError, match="already exists \\(use --force"):
        RunFolder.open(out)
    with RunFolder.open(out, force=True) as folder:
        _finish(folder, "second\n")
    assert (out / "table.csv").read_text() == "second\n"


@pytest.mark.parametrize("force", [False, True])
def test_a_users_own_folder_is_never_replaced(tmp_path, force):
    out = tmp_path / "my-notes"
    out.mkdir()
    (out / "thesis.md").write_text("two years of work")
    with pytest.raises(InputError, match=r"not a folder mfgplan wrote .* never replaced"):
        RunFolder.open(out, force=force)
    assert (out / "thesis.md").read_text() == "two years of work"
    assert sorted(p.name for p in out.iterdir()) == ["thesis.md"]


def test_a_file_and_a_foreign_partial_are_refused(tmp_path):
    (tmp_path / "report.txt").write_text("keep me")
    with pytest.raises(InputError, match="never replaced"):
        RunFolder.open(tmp_path / "report.txt", force=True)
    assert (tmp_path / "report.txt").read_text() == "keep me"
    (tmp_path / "run.partial").mkdir()
    (tmp_path / "run.partial" / "data.csv").write_text("keep me too")
    with pytest.raises(InputError, match=r"run\.partial: exists and is not a partial folder"):
        RunFolder.open(tmp_path / "run", force=True, resumable=True)
    assert (tmp_path / "run.partial" / "data.csv").read_text() == "keep me too"


def test_an_interrupted_run_is_resumed_or_refused(tmp_path):
    out = tmp_path / "run"
    folder = RunFolder.open(out, resumable=True)
    folder.start({"scenario_sha256": "abc", "seed": 1})
    folder.close()  # as a killed process leaves it
    with pytest.raises(InputError, match="an interrupted run is here; continue it with --resume"):
        RunFolder.open(out, resumable=True)
    with RunFolder.open(out, resume=True, resumable=True) as again:
        assert again.resuming
        with pytest.raises(InputError, match="cannot resume, seed differs"):
            again.start({"scenario_sha256": "abc", "seed": 2})
        again.start({"scenario_sha256": "abc", "seed": 1})
    # a command that cannot resume starts again over its own partial folder
    with RunFolder.open(out) as fresh:
        assert not fresh.resuming and not fresh.partial.exists()


def test_a_second_command_on_the_same_folder_is_refused(tmp_path):
    out = tmp_path / "run"
    first = RunFolder.open(out)
    try:
        with pytest.raises(InputError, match=r"another mfgplan command \(pid \d+\) is writing"):
            RunFolder.open(out, force=True)
    finally:
        first.close()
    RunFolder.open(out).close()  # free again once the first has finished


def test_resume_of_a_finished_folder_does_nothing(tmp_path):
    out = tmp_path / "run"
    with RunFolder.open(out) as folder:
        _finish(folder)
    with RunFolder.open(out, resume=True, resumable=True) as again:
        assert again.complete
    with pytest.raises(InputError, match="choose one"):
        RunFolder.open(out, resume=True, force=True)
