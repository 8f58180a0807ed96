"""Provenance of outputs: the package version, the source commit, library versions, a manifest.

A leaf module: it imports nothing from the package, so every layer can describe what it wrote.
"""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["PACKAGES", "__version__", "git_commit", "manifest", "utc_now", "utc_stamp", "versions"]

__version__ = "0.6.0"

#: libraries whose versions every manifest records
PACKAGES = (
    "mesa", "numpy", "numba", "scipy", "pandas", "statsmodels", "xarray", "netCDF4", "pydantic",
)  # fmt: skip


def utc_now() -> str:
    """The time now in UTC, ISO 8601 to the second (``2026-12-01T19:32:12+00:00``)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def utc_stamp() -> str:
    """The time now in UTC for folder and file names (``20261201T193212Z``)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def git_commit() -> str:
    """Commit of the source tree (``unknown`` outside a git checkout; ``+dirty`` if edited)."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def versions() -> dict[str, str]:
    """Versions of mfgplan, Python and :data:`PACKAGES`."""
    out = {"mfgplan": __version__, "python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:  # pragma: no cover - all are dependencies
            out[pkg] = "missing"
    return out


def manifest(
    *,
    command: str,
    scenarios: Sequence[dict[str, Any]],
    seed: int,
    replicates: int,
    timings: dict[str, float],
    files: dict[str, str],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest of a run folder: versions, commit, seed, scenario hashes, timings, files."""
    out: dict[str, Any] = {
        "command": command,
        "status": "complete",
        "created": utc_now(),
        "git_commit": git_commit(),
        "versions": versions(),
        "platform": platform.platform(),
        "seed": seed,
        "replicates": replicates,
        "scenarios": list(scenarios),
        "timings_seconds": timings,
        "files": files,
    }
    if extra:
        out.update(extra)
    return out
