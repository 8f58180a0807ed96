"""The results dataset: its variables (units, descriptions), coordinates and attributes.

One definition for the in-memory ensemble (:func:`assemble`) and the chunked netCDF writer
(:func:`mfgplan.runs.store.write_results`), so both give the same labelled file.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from mfgplan.calibration.forecast import BaselineFit
from mfgplan.inputs.parameters import Scenario
from mfgplan.inputs.programme import GRANT_INSTRUMENTS
from mfgplan.inputs.sample import ParameterSample, set_for_replicate
from mfgplan.inputs.sectors import SECTORS
from mfgplan.provenance import __version__
from mfgplan.runs.anchoring import INDICATORS
from mfgplan.runs.job import EnsembleJob

__all__ = [
    "CONVENTIONS",
    "VARIABLES",
    "WHOLE_COUNTS",
    "allocation_array",
    "assemble",
    "dataset_skeleton",
    "job_skeleton",
    "netcdf_attributes",
    "netcdf_dtype",
    "stored_values",
]

#: the metadata conventions results.nc follows
CONVENTIONS = "CF-1.11"
#: the model's units -> the file's: UDUNITS strings; a fraction or a count is dimensionless ("1")
_CF_UNITS = {"fraction": "1", "count": "1"}
#: what the file says about a unit CF has no word for (money)
_UNIT_COMMENTS = {
    "yuan": "units: yuan (renminbi, CNY). CF and UDUNITS have no currency unit, so the unit is "
    "written out; nominal unless the long_name says otherwise.",
    "fraction": "a fraction (0.30 = 30%)",
    "count": "a number of enterprises, awards or projects",
}
#: count variables stored as integers when the model holds the whole province (sample fraction 1)
WHOLE_COUNTS = ("awards", "additional_projects", "deadweight_projects")

#: variable -> (dims after replicate, units, long name)
VARIABLES: dict[str, tuple[tuple[str, ...], str, str]] = {
    **{name: (("year",), u, d) for name, (u, d) in INDICATORS.items()},
    **{
        f"{name}_counterfactual": (
            ("year",),
            u,
            f"{d}, in the counterfactual (the scenario's counterfactual programme, the pre-plan "
            "policy mix, continues)",
        )
        for name, (u, d) in INDICATORS.items()
    },
    "sector_va": (("year", "sector"), "yuan", "above-scale industrial value added by sector"),
    "price_index": (("year",), "1", "value-added price index, base year = 1"),
    "grant_committed": (
        ("year", "instrument", "sector"),
        "yuan",
        "grants committed (awarded) in the year, by recipient sector",
    ),
    "grant_paid": (("year", "instrument", "sector"), "yuan", "grants paid in the year"),
    "grant_lapsed": (
        ("year", "instrument", "sector"),
        "yuan",
        "commitments of the year released unpaid (abandoned projects, exits)",
    ),
    "grant_outstanding": (
        ("year", "instrument", "sector"),
        "yuan",
        "commitments of the year still unpaid at the horizon",
    ),
    "grant_unspent_lapsed": (
        ("year", "instrument"),
        "yuan",
        "allocation left uncommitted and returned at year end",
    ),
    "awards": (("year", "instrument"), "count", "awards made in the year"),
    "additional_projects": (
        ("year", "instrument"),
        "count",
        "awarded projects that would not have gone ahead without the programme",
    ),
    "deadweight_projects": (
        ("year", "instrument"),
        "count",
        "awarded projects that would have gone ahead anyway (same draw, no programme)",
    ),
    "fund_equity": (
        ("year",),
        "yuan",
        "equity invested by the manufacturing investment fund (nominal)",
    ),
    "cluster_fund_equity": (
        ("year",),
        "yuan",
        "equity invested by the SEI cluster funds (nominal)",
    ),
    "rd_tax_expenditure": (
        ("year",),
        "yuan",
        "R&D super-deduction tax expenditure (nominal)",
    ),
    "rd_tax_expenditure_no_programme": (
        ("year",),
        "yuan",
        "R&D super-deduction tax expenditure without any provincial programme, base-year "
        "national rules (nominal)",
    ),
}


def netcdf_attributes(units: str, long_name: str, **extra: str) -> dict[str, str]:
    """A variable's attributes in the file: CF ``units`` (UDUNITS), ``long_name``, a comment.

    The model's own unit words (``fraction``, ``count``) become ``1``; ``yuan`` is kept, with a
    comment, as CF has no currency unit (``outputs/README.md``).
    """
    attrs = {"units": _CF_UNITS.get(units, units), "long_name": long_name}
    if units in _UNIT_COMMENTS:
        attrs["comment"] = _UNIT_COMMENTS[units]
    return {**attrs, **extra}


def netcdf_dtype(name: str, sample_fraction: float) -> str:
    """The stored type of a variable: ``i4`` for whole counts, else ``f8``.

    Awards and projects are whole numbers only when the model holds the province's firms
    (``sample_fraction`` 1); from a sample they are expected counts in the province's units.
    """
    return "i4" if name in WHOLE_COUNTS and sample_fraction == 1.0 else "f8"


def stored_values(values: np.ndarray, dtype: str) -> np.ndarray:
    """``values`` as stored: rounded to the nearest whole number for an integer type."""
    return np.rint(values).astype(dtype) if dtype.startswith("i") else values.astype(dtype)


def allocation_array(scenario: Scenario) -> np.ndarray:
    """The scenario's allocation [year, instrument] in yuan, base year included (zero)."""
    years = np.arange(scenario.base_year, scenario.horizon + 1)
    allocation = scenario.allocation_by_year()
    alloc = np.zeros((len(years), len(GRANT_INSTRUMENTS)))
    for k, name in enumerate(GRANT_INSTRUMENTS):
        for y, v in allocation[name].items():
            alloc[y - scenario.base_year, k] = v
    return alloc


def dataset_skeleton(
    scenario: Scenario,
    fit: BaselineFit,
    root_seed: int,
    n_firms: int,
    ids: Sequence[int],
    parameters: ParameterSample | None = None,
    *,
    province_firms: int | None = None,
) -> xr.Dataset:
    """The results dataset without replicate data: coordinates, allocation and attributes.

    Shared by the in-memory ensemble and the chunked writer (:mod:`mfgplan.runs.store`), so
    both give the same labelled file. The global attributes follow CF-1.11 (``Conventions``,
    ``title``, ``institution``, ``source``, ``history``, ``references``); ``history`` names the
    model version and what was run, without a time stamp, so that the same seed gives the same
    file (the time is in ``manifest.json``). ``province_firms``: the province's enterprises
    (default ``n_firms``), for ``sample_fraction``.
    """
    fraction = n_firms / (province_firms or n_firms)
    years = np.arange(scenario.base_year, scenario.horizon + 1)
    coords = {
        "replicate": np.asarray(list(ids), dtype=np.int64),
        "year": years,
        "sector": [s.name for s in SECTORS],
        "instrument": list(GRANT_INSTRUMENTS),
    }
    ds = xr.Dataset(coords=coords)
    ds["allocation"] = (
        ("year", "instrument"),
        allocation_array(scenario),
        netcdf_attributes("yuan", "scenario allocation of the programme budget"),
    )
    ds["year"].attrs = {"long_name": "calendar year (base year included)"}
    ds["replicate"].attrs = {"long_name": "Monte Carlo replicate (its seed is (seed, replicate))"}
    ds["sector"].attrs = {
        "long_name": "sector group (20 groups of the industrial classification; ODD 2)"
    }
    ds["instrument"].attrs = {"long_name": "grant instrument of the provincial programme"}
    sets = [set_for_replicate(r, parameters.size) if parameters else -1 for r in ids]
    ds = ds.assign_coords(parameter_set=("replicate", np.asarray(sets, dtype=np.int64)))
    ds["parameter_set"].attrs = {
        "units": "1",
        "long_name": "set of the calibrated parameter sample the replicate used (-1: none)",
    }
    ds.attrs = {
        "Conventions": CONVENTIONS,
        "title": f"mfgplan projection: {scenario.title}",
        "institution": "mfgplan (provincial manufacturing-plan model); see the run's manifest.json",
        "source": f"mfgplan {__version__}: agent-based model of the province's above-scale "
        "manufacturing enterprises anchored to statistical forecasts of the history (model/ODD.md)",
        "history": f"mfgplan {__version__}: {len(ids)} replicates of '{scenario.title}', seed "
        f"{int(root_seed)}, {int(n_firms)} firms, baseline as of {fit.as_of}",
        "references": "model/ODD.md; calibration/METHOD.md; outputs/README.md",
        "scenario": scenario.title,
        "model": "mfgplan",
        "model_version": __version__,
        "seed": int(root_seed),
        "base_year": scenario.base_year,
        "horizon": scenario.horizon,
        "n_firms": int(n_firms),
        "sample_fraction": float(fraction),
        "baseline_as_of": fit.as_of,
        "baseline_methods": "; ".join(f"{k}: {v}" for k, v in sorted(fit.methods.items())),
        "calibration": str(parameters.path.name) if parameters else "none (scenario values)",
        "calibration_sha256": parameters.sha256 if parameters else "",
        "calibration_as_of": parameters.as_of if parameters else -1,
    }
    return ds


def job_skeleton(job: EnsembleJob, ids: Sequence[int]) -> xr.Dataset:
    """:func:`dataset_skeleton` of an ensemble job's replicates ``ids``."""
    return dataset_skeleton(
        job.scenario, job.fit, job.root_seed, job.n_firms, ids, job.parameters,
        province_firms=job.province_firms,
    )  # fmt: skip


def assemble(skeleton: xr.Dataset, runs: Sequence[dict[str, np.ndarray]]) -> xr.Dataset:
    """The results dataset: ``runs[i]`` is replicate ``skeleton.replicate[i]``."""
    ds = skeleton.copy()
    fraction = float(skeleton.attrs.get("sample_fraction", 1.0))
    for name, (dims, units, long_name) in VARIABLES.items():
        values = np.stack([run[name] for run in runs])
        values = stored_values(values, netcdf_dtype(name, fraction))
        ds[name] = (("replicate", *dims), values, netcdf_attributes(units, long_name))
    # data variables first, allocation last, as in every results file
    return ds[[*VARIABLES, "allocation"]]
