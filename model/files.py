"""Files on disk: bounded reads of input files, durable atomic writes, folder renames.

A leaf module (no imports from the package), used by every layer that reads or writes:

- **Reads** of files a user names (scenarios, their baselines, parameter files, observations)
  go through :func:`read_bounded`: a regular file of bounded size, opened without blocking, so a
  FIFO, a device or a huge file is refused with one line instead of hanging or filling memory.
- **Writes** go to a temporary name beside the target, are flushed to disk (``fsync``) and then
  renamed into place, and the folder entry is flushed too (:func:`atomic_write_bytes`): a killed
  process or a machine crash leaves either the old file or the whole new one, never a part.
  Every write passes through :func:`_write_fd`, so a test can make the disk "full".
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "InputFileError",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_with",
    "fsync_file",
    "fsync_folder",
    "read_bounded",
    "replace_folder",
    "sha256_file",
    "temporary_name",
]

#: bytes read per call when reading a file
_BLOCK = 1 << 20


class InputFileError(ValueError):
    """A file named as input cannot be used; the message says why (without the path)."""


def read_bounded(path: str | Path, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` long.

    The file is opened with ``O_NONBLOCK`` and checked with ``fstat`` on the open descriptor,
    so a FIFO or a device is refused before anything is read and nothing can block; the read
    stops after ``max_bytes + 1`` bytes whatever the file claims.

    Raises
    ------
    InputFileError
        ``file not found``, ``not a regular file``, ``file is N bytes, more than the M-byte
        limit`` or ``cannot read (reason)``.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputFileError("file not found") from None
    except IsADirectoryError:
        raise InputFileError("not a regular file (a folder)") from None
    except OSError as err:
        raise InputFileError(f"cannot read ({err.strerror or err})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError("not a regular file")
        if info.st_size > max_bytes:
            raise InputFileError(
                f"file is {info.st_size} bytes, more than the {max_bytes}-byte limit"
            )
        chunks: list[bytes] = []
        total = 0
        while total <= max_bytes:
            block = os.read(fd, min(_BLOCK, max_bytes + 1 - total))
            if not block:
                break
            chunks.append(block)
            total += len(block)
        if total > max_bytes:
            raise InputFileError(f"file is more than the {max_bytes}-byte limit")
        return b"".join(chunks)
    except OSError as err:
        raise InputFileError(f"cannot read ({err.strerror or err})") from None
    finally:
        os.close(fd)


def temporary_name(path: Path) -> Path:
    """The temporary name a file is written under before it is renamed to ``path``."""
    return path.with_name(f".{path.name}.tmp")


def _write_fd(fd: int, data: bytes | memoryview) -> None:
    """Write all of ``data`` to ``fd`` (the one place every atomic write goes through)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def fsync_file(path: str | Path) -> None:
    """Flush a file written by a library (netCDF, a chart) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename inside it) to disk; a no-op where unsupported."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` durably.

    Durably: a temporary file, ``fsync``, rename, ``fsync`` of the folder. On failure (a full
    disk) the temporary file is removed and the error raised; an earlier ``path`` is left as it
    was.
    """
    path = Path(path)
    tmp = temporary_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        try:
            _write_fd(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` durably (:func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_with(path: str | Path, writer: Callable[[BinaryIO], None]) -> None:
    """Write what ``writer(stream)`` puts into a binary stream to ``path`` durably.

    For ``numpy.savez``, ``DataFrame.to_csv`` and the like.
    """
    buffer = io.BytesIO()
    writer(buffer)
    atomic_write_bytes(path, buffer.getvalue())


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def replace_folder(src: Path, dst: Path) -> None:
    """Rename the folder ``src`` to ``dst``.

    An existing ``dst`` is moved aside first and removed once ``src`` is in place. The parent's
    entries are flushed to disk.
    """
    old = None
    if dst.exists():
        old = dst.with_name(dst.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        os.replace(dst, old)
    os.replace(src, dst)
    fsync_folder(dst.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
