"""The one life of an output folder, for every command that writes one.

1. :meth:`RunFolder.open` checks the target and takes a lock: an existing folder is replaced
   only with ``--force`` and only if mfgplan wrote it (its ``manifest.json`` says so); any
   other existing path is refused, never deleted. A second command started on the same
   folder while the first runs is refused with one line (an exclusive ``flock`` on
   ``.<name>.lock`` beside it, released by the operating system even after ``kill -9``).
2. :meth:`RunFolder.start` makes ``<name>.partial/`` with an ``INCOMPLETE`` note and, for a
   resumable run, ``run.json`` (what the results depend on: ``--resume`` continues only a run
   with the same identity); or, resuming, checks that identity and removes half-written files.
3. The command writes its files into the partial folder (durably: :mod:`mfgplan.files`);
   replicates go to :class:`~mfgplan.runs.store.ReplicateStore` folders as they finish.
4. :meth:`RunFolder.finish` removes the replicates, writes ``manifest.json`` last (versions,
   commit, seed, scenario hashes, the sha256 of every file, UTC time stamps) and renames the
   folder into place, so a folder with the final name is always complete.

The contract of each command's folder is ``outputs/README.md``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd

from mfgplan.errors import InputError, RunFailedError
from mfgplan.files import (
    atomic_write_text,
    fsync_file,
    fsync_folder,
    replace_folder,
    sha256_file,
)
from mfgplan.paths import OUTPUTS
from mfgplan.provenance import __version__, git_commit, manifest, utc_stamp
from mfgplan.runs.store import ReplicateStore

__all__ = [
    "INCOMPLETE_NOTE",
    "RunFolder",
    "check_output_file",
    "default_folder",
    "default_run_folder",
    "is_mfgplan_folder",
    "run_identity",
]

INCOMPLETE_NOTE = """This folder is NOT a finished run.

A run of mfgplan was interrupted (or is still going) and keeps its finished replicates here.
Continue it with the same command and --resume; start again with --force.
Nothing in this folder is a result.
"""
MANIFEST = "manifest.json"


def default_run_folder(scenario_path: Path, sha256: str, seed: int, replicates: int) -> Path:
    """``outputs/<scenario>/<UTC time>-s<seed>-r<replicates>-<hash>`` (``mfgplan run``)."""
    stamp = utc_stamp()
    return OUTPUTS / scenario_path.stem / f"{stamp}-s{seed}-r{replicates}-{sha256[:8]}"


def default_folder(command: str, name: str) -> Path:
    """``outputs/<command>/<name>-<UTC time>`` (every other command)."""
    return OUTPUTS / command / f"{name}-{utc_stamp()}"


def run_identity(scenario_sha256: str | Sequence[str], **fields: Any) -> dict[str, Any]:
    """What a resumable run's results depend on besides its replicate numbers.

    Scenario hash(es), the given fields (seed, population, baseline year), version and commit.
    """
    return {
        "scenario_sha256": scenario_sha256,
        **fields,
        "model_version": __version__,
        "git_commit": git_commit(),
    }


def _manifest_of(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_mfgplan_folder(path: Path) -> bool:
    """Whether ``path`` is a finished output folder of mfgplan (its manifest says so)."""
    data = _manifest_of(path)
    if data is None:
        return False
    versions = data.get("versions")
    return data.get("written_by") == "mfgplan" or (
        isinstance(versions, dict) and "mfgplan" in versions
    )


def _is_mfgplan_partial(path: Path) -> bool:
    """Whether ``path`` is a partial folder mfgplan made (its note or its identity)."""
    if not path.is_dir():
        return False
    note = path / "INCOMPLETE"
    with contextlib.suppress(OSError):
        if note.is_file() and note.read_text(encoding="utf-8").startswith(INCOMPLETE_NOTE[:30]):
            return True
    return (path / "run.json").is_file()


def _is_empty_folder(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


def _probe_writable(parent: Path) -> None:
    try:
        parent.mkdir(parents=True, exist_ok=True)
        if not parent.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "not a directory")
        probe = parent / f".mfgplan-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise InputError(
            f"{parent}: output folder is not writable ({err.strerror or err})"
        ) from None


def check_output_file(path: Path, *, force: bool, ours: Callable[[Path], bool], what: str) -> None:
    """Check a single output file before any work.

    An existing file is replaced only with ``force`` and only if ``ours(path)`` (mfgplan wrote
    it); the folder must be writable.
    """
    if path.exists() or path.is_symlink():
        if not force:
            raise InputError(f"{path}: {what} already exists (use --force to replace it)")
        if not path.is_file() or not ours(path):
            raise InputError(
                f"{path}: exists and is not a {what} mfgplan wrote; it is never replaced: "
                "choose another --out"
            )
    _probe_writable(path.parent)


class RunFolder:
    """An output folder being written (see module doc); use :meth:`open`.

    Attributes
    ----------
    final, partial
        The folder's name and the name it is built under (``<name>.partial``).
    resuming
        An interrupted run is continued (``--resume`` and a partial folder exist).
    complete
        ``--resume`` of a folder that is already finished: there is nothing to do.
    """

    def __init__(self, out: Path) -> None:
        self.final = Path(out)
        self.partial = self.final.with_name(self.final.name + ".partial")
        self.resuming = False
        self.complete = False
        self.resumable = False
        self._lock_fd: int | None = None
        self._lock_path = self.final.with_name(f".{self.final.name}.lock")

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(
        cls, out: Path, *, force: bool = False, resume: bool = False, resumable: bool = False
    ) -> RunFolder:
        """Check ``out``, lock it and decide what to do with it (module doc).

        ``resumable``: the command can continue an interrupted run (``--resume``); a partial
        folder of a command that cannot is replaced. Raises :class:`InputError` for every
        refusal, before anything is written.
        """
        if resume and force:
            raise InputError("--resume and --force: choose one")
        folder = cls(out)
        folder.resumable = resumable
        _probe_writable(folder.final.parent)
        folder._lock()
        try:
            folder._decide(force=force, resume=resume, resumable=resumable)
        except BaseException:
            folder.close()
            raise
        return folder

    def _decide(self, *, force: bool, resume: bool, resumable: bool) -> None:
        final, partial = self.final, self.partial
        if final.exists() or final.is_symlink():
            if not (is_mfgplan_folder(final) or _is_empty_folder(final)):
                raise InputError(
                    f"{final}: already exists and is not a folder mfgplan wrote (no mfgplan "
                    "manifest.json); it is never replaced or deleted: choose another --out"
                )
            if resume and is_mfgplan_folder(final):
                self.complete = True
                return
            if not force:
                raise InputError(
                    f"{final}: run folder already exists (use --force to replace it, or another "
                    "--out)"
                )
        if partial.exists() or partial.is_symlink():
            if not _is_mfgplan_partial(partial):
                raise InputError(
                    f"{partial}: exists and is not a partial folder mfgplan made; it is never "
                    "replaced: choose another --out"
                )
            if resume and resumable:
                self.resuming = True
            elif force or not resumable:
                shutil.rmtree(partial)
            else:
                raise InputError(
                    f"{partial}: an interrupted run is here; continue it with --resume or start "
                    "again with --force"
                )

    def _lock(self) -> None:
        while True:
            try:
                fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as err:
                raise InputError(
                    f"{self.final.parent}: output folder is not writable ({err.strerror or err})"
                ) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                raise InputError(
                    f"{self.final}: another mfgplan command (pid {holder}) is writing this "
                    "folder; wait for it to finish, or choose another --out"
                ) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self._lock_path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # the holder removed the file as we opened it: take the new one
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._lock_fd = fd

    def close(self) -> None:
        """Release the lock (a partial folder stays as it is, for ``--resume``)."""
        if self._lock_fd is None:
            return
        with contextlib.suppress(OSError):
            self._lock_path.unlink()
        os.close(self._lock_fd)
        self._lock_fd = None

    def __enter__(self) -> RunFolder:
        """The folder itself; the lock is released on leaving."""
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Release the lock."""
        self.close()

    # -- building ----------------------------------------------------------------------------

    def start(self, identity: dict[str, Any] | None = None) -> None:
        """Make the partial folder, or check the identity of the run being resumed.

        A new partial folder gets ``run.json`` if ``identity``; a resumed one has its half-written
        files removed.
        """
        if self.resuming:
            if identity is not None:
                self._check_identity(identity)
            for p in self.partial.rglob(".*.tmp"):
                p.unlink(missing_ok=True)
            return
        try:
            self.partial.mkdir(parents=True)
            atomic_write_text(self.partial / "INCOMPLETE", INCOMPLETE_NOTE)
            if identity is not None:
                atomic_write_text(self.partial / "run.json", json.dumps(identity, indent=2))
        except OSError as err:
            raise InputError(
                f"{self.partial}: cannot write the run folder ({err.strerror or err})"
            ) from None

    def _check_identity(self, identity: dict[str, Any]) -> None:
        try:
            stored = json.loads((self.partial / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InputError(
                f"{self.partial}: no readable run.json; start again with --force"
            ) from None
        for key, value in identity.items():
            if stored.get(key) != value:
                raise InputError(
                    f"{self.partial}: cannot resume, {key} differs (folder has "
                    f"{stored.get(key)!r}, this run {value!r}); use --force to start again"
                )

    @contextlib.contextmanager
    def writing(self, what: str) -> Iterator[None]:
        """A disk failure (full, removed) while ``what`` as one line naming the partial folder.

        The line (:class:`mfgplan.errors.RunFailedError`) says what to do next.
        """
        try:
            yield
        except OSError as err:
            then = (
                "free the space and continue with the same command and --resume"
                if self.resumable
                else "free the space and run the command again"
            )
            raise RunFailedError(
                f"{self.partial}: {err.strerror or err} while {what}; {then}"
            ) from None

    def path(self, name: str) -> Path:
        """A file or folder inside the partial folder (its parent folder made)."""
        target = self.partial / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write_text(self, name: str, text: str) -> Path:
        """Write a text file into the partial folder durably; returns its path."""
        path = self.path(name)
        atomic_write_text(path, text)
        return path

    def write_csv(self, name: str, table: pd.DataFrame) -> Path:
        """Write a table as CSV (numbers to 6 significant digits) durably; returns its path."""
        return self.write_text(name, table.to_csv(index=False, float_format="%.6g"))

    def store(self, name: str | None = None) -> ReplicateStore:
        """The replicate store ``replicates/`` (or ``replicates/<name>/`` of one scenario)."""
        folder = self.partial / "replicates"
        return ReplicateStore(folder / name if name else folder)

    def finish(
        self,
        *,
        command: str,
        scenarios: Sequence[dict[str, Any]],
        seed: int,
        replicates: int,
        timings: dict[str, float],
        extra: dict[str, Any] | None = None,
    ) -> Path:
        """Write ``manifest.json`` last and rename the folder into place; returns its path.

        The manifest has the sha256 of every file; an existing mfgplan folder of that name is
        replaced.
        """
        # what stays in the finished folder: everything but the replicates, the identity and
        # the note; the manifest is written before they go, so a failure here (a full disk)
        # leaves a folder that --resume can still finish
        scratch = {
            self.partial / name for name in ("replicates", "run.json", "INCOMPLETE", MANIFEST)
        }
        files = {}
        for p in sorted(self.partial.rglob("*")):
            if p.is_file() and not scratch & {p, *p.parents}:
                fsync_file(p)  # charts and netCDF files are written by libraries
                files[str(p.relative_to(self.partial))] = sha256_file(p)
        man = manifest(
            command=command,
            scenarios=scenarios,
            seed=seed,
            replicates=replicates,
            timings=timings,
            files=files,
            extra={"written_by": "mfgplan", **(extra or {})},
        )
        atomic_write_text(self.partial / MANIFEST, json.dumps(man, indent=2, default=str))
        shutil.rmtree(self.partial / "replicates", ignore_errors=True)
        (self.partial / "run.json").unlink(missing_ok=True)
        (self.partial / "INCOMPLETE").unlink(missing_ok=True)
        fsync_folder(self.partial)
        replace_folder(self.partial, self.final)
        self.close()
        return self.final
