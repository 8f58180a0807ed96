"""Finished replicates on disk, as they finish; the results file written from them in chunks.

While a run is going, its folder is ``<run>.partial/`` holding

* ``INCOMPLETE`` - a note saying the folder is not a finished run and how to continue it;
* ``run.json`` - what the replicates depend on (scenario hash, seed, population, baseline,
  model version and commit): ``--resume`` continues only a run with the same identity;
* ``replicates/r000012.npz`` - replicate 12's arrays, one file per finished replicate;
* ``replicates/r000013.failed.json`` - replicate 13 raised: the error and its seed.

Every file is written under a temporary name and renamed into place, so a process killed at
any moment (``kill -9`` included) leaves only whole files; ``--resume`` runs the replicates
that have no ``.npz`` file (failed ones are tried again) and the final results are the same as
an uninterrupted run's. ``results.nc`` is then written replicate-chunk by replicate-chunk from
these files (:func:`write_results`), so an ensemble larger than memory can be written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from mfgplan.parallel import Failure

__all__ = ["ReplicateStore", "RunMismatchError", "atomic_write_text", "write_results"]

INCOMPLETE_NOTE = """This folder is NOT a finished run.

A run of mfgplan was interrupted (or is still going) and keeps its finished replicates here.
Continue it with the same command and --resume; start again with --force.
Nothing in this folder is a result.
"""

#: replicates written to results.nc per chunk (bounds the memory of the writer)
CHUNK = 64


class RunMismatchError(ValueError):
    """The run folder belongs to a different run (scenario, seed, population or code)."""


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class ReplicateStore:
    """The ``replicates/`` folder of a partial run (see module doc)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.replicates = self.folder / "replicates"

    # -- identity ------------------------------------------------------------------------------

    def create(self, identity: dict[str, Any]) -> None:
        """Start a new partial run folder with this identity."""
        self.replicates.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.folder / "INCOMPLETE", INCOMPLETE_NOTE)
        atomic_write_text(self.folder / "run.json", json.dumps(identity, indent=2))

    def identity(self) -> dict[str, Any] | None:
        """The stored identity, or None if there is none (or it cannot be read)."""
        try:
            return json.loads((self.folder / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def check(self, identity: dict[str, Any]) -> None:
        """:class:`RunMismatchError` naming the first field that differs from ``identity``."""
        stored = self.identity()
        if stored is None:
            raise RunMismatchError(f"{self.folder}: no readable run.json; start again with --force")
        for key, value in identity.items():
            if stored.get(key) != value:
                raise RunMismatchError(
                    f"{self.folder}: cannot resume, {key} differs (folder has "
                    f"{stored.get(key)!r}, this run {value!r}); use --force to start again"
                )

    # -- replicates -----------------------------------------------------------------------------

    def _path(self, replicate: int, suffix: str) -> Path:
        return self.replicates / f"r{replicate:06d}{suffix}"

    def save(self, replicate: int, arrays: dict[str, np.ndarray]) -> None:
        """Record a finished replicate (and forget an earlier failure of it)."""
        path = self._path(replicate, ".npz")
        tmp = path.with_name(f".{path.name}.tmp")
        with tmp.open("wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
        self._path(replicate, ".failed.json").unlink(missing_ok=True)

    def save_failure(self, failure: Failure) -> None:
        """Record a replicate that raised."""
        atomic_write_text(
            self._path(failure.replicate, ".failed.json"), json.dumps(failure.to_dict(), indent=2)
        )

    def load(self, replicate: int) -> dict[str, np.ndarray]:
        """The arrays of a finished replicate."""
        with np.load(self._path(replicate, ".npz")) as data:
            return {name: data[name] for name in data.files}

    def finished(self) -> set[int]:
        """Replicates with a complete result file."""
        if not self.replicates.is_dir():
            return set()
        return {
            int(p.name[1:7]) for p in self.replicates.glob("r??????.npz") if p.name[1:7].isdigit()
        }

    def failures(self) -> list[Failure]:
        """Recorded failures, in replicate order."""
        out = []
        for p in sorted(self.replicates.glob("r??????.failed.json")):
            try:
                out.append(Failure.from_dict(json.loads(p.read_text(encoding="utf-8"))))
            except (OSError, ValueError, KeyError):
                continue
        return out

    def discard_temporary(self) -> None:
        """Remove half-written files left by a killed process."""
        for p in self.folder.rglob(".*.tmp"):
            p.unlink(missing_ok=True)


def write_results(
    path: Path,
    skeleton: xr.Dataset,
    variables: dict[str, tuple[tuple[str, ...], str, str]],
    loader: Callable[[int], dict[str, np.ndarray]],
    ids: Sequence[int],
) -> None:
    """Write ``results.nc`` from stored replicates, ``CHUNK`` replicates at a time.

    ``skeleton`` carries coordinates and attributes (:func:`mfgplan.runs.ensemble.dataset_skeleton`);
    ``loader(r)`` returns replicate ``r``'s arrays. The file is written under a temporary name
    and renamed when complete.
    """
    import netCDF4

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    ids = list(ids)
    with netCDF4.Dataset(tmp, "w", format="NETCDF4") as nc:
        for name, size in skeleton.sizes.items():
            nc.createDimension(str(name), size)
        for name, coord in skeleton.coords.items():
            values = coord.values
            dims = tuple(str(d) for d in coord.dims)
            if values.dtype.kind in "UO":
                var = nc.createVariable(str(name), str, dims)
                var[:] = np.asarray(values, dtype=object)
            else:
                var = nc.createVariable(str(name), values.dtype, dims)
                var[:] = values
            var.setncatts(dict(coord.attrs))
        alloc = skeleton["allocation"]
        var = nc.createVariable("allocation", "f8", alloc.dims, zlib=True, complevel=4)
        var[:] = alloc.values
        var.setncatts(dict(alloc.attrs))
        out = {}
        auxiliary = [str(n) for n, c in skeleton.coords.items() if c.dims != (n,)]
        for name, (dims, units, long_name) in variables.items():
            full = ("replicate", *dims)
            chunks = tuple(1 if d == "replicate" else skeleton.sizes[d] for d in full)
            var = nc.createVariable(
                name, "f8", full, zlib=True, complevel=4, chunksizes=chunks, fill_value=False
            )
            attrs = {"units": units, "long_name": long_name}
            if auxiliary:
                # non-dimension coordinates along the replicate (CF "coordinates" attribute)
                attrs["coordinates"] = " ".join(auxiliary)
            var.setncatts(attrs)
            out[name] = var
        nc.setncatts(dict(skeleton.attrs))
        for start in range(0, len(ids), CHUNK):
            block = [loader(r) for r in ids[start : start + CHUNK]]
            stop = start + len(block)
            for name, var in out.items():
                var[start:stop] = np.stack([run[name] for run in block])
    os.replace(tmp, path)
