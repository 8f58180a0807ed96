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

__all__ = ["VARIABLES", "allocation_array", "assemble", "dataset_skeleton"]

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
) -> xr.Dataset:
    """The results dataset without replicate data: coordinates, allocation and attributes.

    Shared by the in-memory ensemble and the chunked writer (:mod:`mfgplan.runs.store`), so
    both give the same labelled file.
    """
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
        {"units": "yuan", "long_name": "scenario allocation of the programme budget"},
    )
    ds["year"].attrs = {"units": "year", "long_name": "calendar year (base year included)"}
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
        "title": scenario.title,
        "model": "mfgplan",
        "model_version": __version__,
        "seed": int(root_seed),
        "base_year": scenario.base_year,
        "horizon": scenario.horizon,
        "n_firms": int(n_firms),
        "baseline_as_of": fit.as_of,
        "baseline_methods": "; ".join(f"{k}: {v}" for k, v in sorted(fit.methods.items())),
        "calibration": str(parameters.path.name) if parameters else "none (scenario values)",
        "calibration_sha256": parameters.sha256 if parameters else "",
        "calibration_as_of": parameters.as_of if parameters else -1,
    }
    return ds


def assemble(skeleton: xr.Dataset, runs: Sequence[dict[str, np.ndarray]]) -> xr.Dataset:
    """The results dataset: ``runs[i]`` is replicate ``skeleton.replicate[i]``."""
    ds = skeleton.copy()
    for name, (dims, units, long_name) in VARIABLES.items():
        values = np.stack([run[name] for run in runs])
        ds[name] = (("replicate", *dims), values, {"units": units, "long_name": long_name})
    # data variables first, allocation last, as in every results file
    return ds[[*VARIABLES, "allocation"]]
