"""Bounded reads and durable writes (mfgplan.files)."""

from __future__ import annotations

import errno
import hashlib
import os
import threading

import pytest

from mfgplan import files
from mfgplan.files import (
    InputFileError,
    atomic_write_bytes,
    atomic_write_text,
    read_bounded,
    replace_folder,
    sha256_file,
)


def _within(seconds: float, function, *args):
    """Run ``function(*args)`` in a thread; fail if it does not return within ``seconds``."""
    result: dict[str, object] = {}

    def target() -> None:
        try:
            result["value"] = function(*args)
        except BaseException as err:
            result["error"] = err

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{function.__name__} blocked for more than {seconds} s"
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result["value"]


def test_a_regular_file_is_read_whole(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes(b"title: x\n")
    assert read_bounded(path, 100) == b"title: x\n"
    assert read_bounded(path, 9) == b"title: x\n"  # exactly at the limit


def test_refusals_name_the_problem(tmp_path):
    with pytest.raises(InputFileError, match=r"^file not found$"):
        read_bounded(tmp_path / "nowhere.yaml", 100)
    with pytest.raises(InputFileError, match="not a regular file"):
        read_bounded(tmp_path, 100)
    big = tmp_path / "big.json"
    big.write_bytes(b"x" * 1001)
    with pytest.raises(InputFileError, match="file is 1001 bytes, more than the 1000-byte limit"):
        read_bounded(big, 1000)


def test_a_fifo_and_a_device_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    with pytest.raises(InputFileError, match="not a regular file"):
        _within(5.0, read_bounded, fifo, 1 << 20)
    with pytest.raises(InputFileError, match="not a regular file"):
        _within(5.0, read_bounded, "/dev/zero", 1 << 20)  # endless if it were read


def test_an_atomic_write_replaces_the_whole_file(tmp_path):
    path = tmp_path / "manifest.json"
    atomic_write_text(path, "old")
    atomic_write_bytes(path, b"new content")
    assert path.read_bytes() == b"new content"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]  # no temporary left


def test_a_full_disk_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "r000001.npz"
    atomic_write_bytes(path, b"the old replicate")

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files, "_write_fd", full)
    with pytest.raises(OSError) as err:
        atomic_write_bytes(path, b"a new replicate")
    assert err.value.errno == errno.ENOSPC
    assert path.read_bytes() == b"the old replicate"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r000001.npz"]


def test_sha256_is_the_hash_of_the_bytes(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\n1,2\n")
    # sha256 of b"a,b\n1,2\n" computed independently
    assert sha256_file(path) == hashlib.sha256(b"a,b\n1,2\n").hexdigest()


def test_replace_folder_swaps_in_the_new_folder(tmp_path):
    old, new = tmp_path / "run", tmp_path / "run.partial"
    old.mkdir()
    (old / "results.nc").write_text("old")
    new.mkdir()
    (new / "results.nc").write_text("new")
    replace_folder(new, old)
    assert (old / "results.nc").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
