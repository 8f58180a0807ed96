"""Finished replicates on disk, as they finish; the results file written from them in chunks.

A partial run folder (:class:`mfgplan.runs.folders.RunFolder`) keeps its replicates in a
``replicates/`` folder (one per scenario for ``compare``):

* ``r000012.npz`` - replicate 12's arrays, one file per finished replicate;
* ``r000013.failed.json`` - replicate 13 raised: the error and its seed.

Every file is written under a temporary name, flushed to disk and renamed into place
(:func:`mfgplan.files.atomic_write_bytes`), so a process killed at any moment (``kill -9``
included) or a machine that loses power leaves only whole files; ``--resume`` runs the
replicates that have no ``.npz`` file (failed ones are tried again) and the final results are
the same as an uninterrupted run's. ``results.nc`` is then written replicate-chunk by
replicate-chunk from these files (:func:`write_results`), so an ensemble larger than memory can
be written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from mfgplan.files import (
    atomic_write_text,
    atomic_write_with,
    fsync_file,
    fsync_folder,
    temporary_name,
)
from mfgplan.parallel import Failure
from mfgplan.runs.variables import netcdf_attributes, netcdf_dtype, stored_values

__all__ = ["CHUNK", "ReplicateStore", "write_results"]

#: replicates written to results.nc per chunk (bounds the memory of the writer)
CHUNK = 64


class ReplicateStore:
    """The replicates of one job in a partial run folder (see module doc).

    Parameters
    ----------
    folder
        The folder of the replicate files (created if missing).
    """

    def __init__(self, folder: Path) -> None:
        self.replicates = Path(folder)
        self.replicates.mkdir(parents=True, exist_ok=True)

    # -- replicates -----------------------------------------------------------------------------

    def _path(self, replicate: int, suffix: str) -> Path:
        return self.replicates / f"r{replicate:06d}{suffix}"

    def save(self, replicate: int, arrays: dict[str, np.ndarray]) -> None:
        """Record a finished replicate (and forget an earlier failure of it)."""
        atomic_write_with(self._path(replicate, ".npz"), lambda fh: np.savez(fh, **arrays))
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


def write_results(
    path: Path,
    skeleton: xr.Dataset,
    variables: dict[str, tuple[tuple[str, ...], str, str]],
    loader: Callable[[int], dict[str, np.ndarray]],
    ids: Sequence[int],
) -> None:
    """Write ``results.nc`` from stored replicates, ``CHUNK`` replicates at a time.

    ``skeleton`` carries coordinates and attributes
    (:func:`mfgplan.runs.variables.dataset_skeleton`);
    ``loader(r)`` returns replicate ``r``'s arrays. The file is written under a temporary name
    and renamed when complete.
    """
    import netCDF4

    path = Path(path)
    tmp = temporary_name(path)
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
        fraction = float(skeleton.attrs.get("sample_fraction", 1.0))
        auxiliary = [str(n) for n, c in skeleton.coords.items() if c.dims != (n,)]
        for name, (dims, units, long_name) in variables.items():
            full = ("replicate", *dims)
            chunks = tuple(1 if d == "replicate" else skeleton.sizes[d] for d in full)
            var = nc.createVariable(
                name, netcdf_dtype(name, fraction), full, zlib=True, complevel=4,
                chunksizes=chunks, fill_value=False,
            )  # fmt: skip
            attrs = netcdf_attributes(units, long_name)
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
                values = np.stack([run[name] for run in block])
                var[start:stop] = stored_values(values, var.dtype.str[1:])
    fsync_file(tmp)
    os.replace(tmp, path)
    fsync_folder(path.parent)
