"""Monte Carlo ensembles: replicates, seeds and the labelled results dataset.

Replicate ``r`` of a run with root seed ``S`` uses ``SeedSequence(S, spawn_key=(r,))`` (the
``r``-th child of the root), split into a stream for the statistical baseline draw and one for
the agent-based model. Results therefore depend only on ``(S, r)``: not on how many replicates
run, in which order or in which process, and two scenarios with the same seed share every draw
the programme does not change (common random numbers).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import xarray as xr

from mfgplan.calibration.forecast import BaselineFit, fit_baseline
from mfgplan.economy.replicate import simulate_replicate
from mfgplan.inputs.parameters import Scenario
from mfgplan.inputs.programme import GRANT_INSTRUMENTS
from mfgplan.inputs.sample import ParameterSample, set_for_replicate
from mfgplan.inputs.sectors import SECTORS
from mfgplan.parallel import EnsembleJob, Failure, iter_outcomes
from mfgplan.provenance import __version__
from mfgplan.runs.anchoring import INDICATORS, anchor

__all__ = [
    "VARIABLES",
    "EnsembleFailedError",
    "allocation_array",
    "assemble",
    "dataset_skeleton",
    "default_n_firms",
    "resolve_job",
    "run_ensemble",
    "run_ensembles",
    "run_replicate",
]


def default_n_firms(fit: BaselineFit) -> int:
    """Base-year enterprise count from the data (the last observed full-year value)."""
    years, values = fit.history["enterprise_count"]
    return round(float(values[years <= fit.as_of][-1]))


def replicate_scenario(
    scenario: Scenario,
    replicate: int,
    parameters: ParameterSample | None,
    explicit: frozenset[str] = frozenset(),
) -> Scenario:
    """The scenario replicate ``replicate`` runs: with a calibrated sample, its behavioural
    parameters are set ``(r // 2) mod S`` of the sample, except those in ``explicit``."""
    if parameters is None:
        return scenario
    index = set_for_replicate(replicate, parameters.size)
    behaviour = scenario.behaviour.model_copy(
        update=parameters.behaviour_updates(index, keep=explicit)
    )
    return scenario.model_copy(update={"behaviour": behaviour})


def run_replicate(
    scenario: Scenario,
    fit: BaselineFit,
    root_seed: int,
    replicate: int,
    n_firms: int,
    *,
    parameters: ParameterSample | None = None,
    explicit: frozenset[str] = frozenset(),
) -> dict[str, np.ndarray]:
    """Run one replicate: pick its parameter set, draw a baseline path, run the model, anchor
    (see module doc)."""
    scenario = replicate_scenario(scenario, replicate, parameters, explicit)
    baseline, record = simulate_replicate(scenario, fit, root_seed, replicate, n_firms)
    out = anchor(baseline, record)
    ledger = record.ledger
    pad = np.zeros((1, len(GRANT_INSTRUMENTS), len(SECTORS)))
    # ledger arrays are [instrument, year, sector] over projected years; add the base year
    for name in ("committed", "paid", "lapsed"):
        arr = np.transpose(getattr(ledger, name), (1, 0, 2))
        out[f"grant_{name}"] = np.concatenate([pad, arr])
    unspent = np.concatenate([np.zeros((1, len(GRANT_INSTRUMENTS))), ledger.unspent_lapsed.T])
    out["grant_unspent_lapsed"] = unspent
    out["grant_outstanding"] = np.concatenate([pad, np.transpose(ledger.outstanding(), (1, 0, 2))])
    out["awards"] = record.awards.T
    out["additional_projects"] = record.additional_projects.T
    out["deadweight_projects"] = record.deadweight_projects.T
    out["fund_equity"] = record.fund_equity
    out["cluster_fund_equity"] = record.cluster_equity
    out["rd_tax_expenditure"] = record.tax_expenditure_actual
    out["rd_tax_expenditure_no_programme"] = record.tax_expenditure_baseline
    return out


#: variable -> (dims after replicate, units, long name)
VARIABLES: dict[str, tuple[tuple[str, ...], str, str]] = {
    **{name: (("year",), u, d) for name, (u, d) in INDICATORS.items()},
    **{
        f"{name}_no_programme": (("year",), u, f"{d}, without the provincial programme")
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
    "fund_equity": (("year",), "yuan", "equity invested by the manufacturing investment fund"),
    "cluster_fund_equity": (("year",), "yuan", "equity invested by the SEI cluster funds"),
    "rd_tax_expenditure": (
        ("year",),
        "yuan",
        "R&D super-deduction tax expenditure (base-year prices)",
    ),
    "rd_tax_expenditure_no_programme": (
        ("year",),
        "yuan",
        "R&D super-deduction tax expenditure without the programme (base-year prices)",
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

    Shared by the in-memory ensemble and the chunked writer (:mod:`mfgplan.runs.store`), so both give
    the same labelled file.
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
    ds["sector"].attrs = {"long_name": "sector group (mfgplan.inputs.sectors.SECTORS)"}
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


class EnsembleFailedError(RuntimeError):
    """Every replicate of an ensemble failed; the first failure is attached."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(f"every replicate failed; replicate {failure.replicate}: {failure.error}")
        self.failure = failure


def resolve_job(
    scenario: Scenario,
    *,
    seed: int | None = None,
    fit: BaselineFit | None = None,
    n_firms: int | None = None,
    parameters: ParameterSample | None = None,
    explicit: frozenset[str] = frozenset(),
) -> EnsembleJob:
    """The job of a scenario with the run's overrides applied (baseline fitted if not given).

    ``parameters`` is the calibrated sample the replicates draw from; ``explicit`` the
    behavioural parameters the scenario sets itself (they win over the sample).
    """
    fit = fit or fit_baseline(as_of=scenario.base_year)
    root = scenario.seed if seed is None else int(seed)
    firms = n_firms or scenario.n_firms or default_n_firms(fit)
    if parameters is not None and parameters.as_of != scenario.base_year:
        raise ValueError(
            f"calibration: {parameters.path.name} is calibrated as of {parameters.as_of}, the "
            f"scenario's base year is {scenario.base_year}"
        )
    return EnsembleJob(scenario, fit, root, int(firms), parameters, frozenset(explicit))


def run_ensembles(
    jobs: Sequence[EnsembleJob],
    ids: Sequence[int],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[xr.Dataset], list[list[Failure]]]:
    """Run the same replicates of several jobs (common random numbers), possibly in parallel.

    Returns one dataset per job holding its successful replicates in replicate order, and the
    failures of each job. ``progress(job_index, 1)`` is called as each replicate finishes.
    """
    started = time.perf_counter()
    ids = list(ids)
    results: list[dict[int, dict[str, np.ndarray]]] = [{} for _ in jobs]
    failures: list[list[Failure]] = [[] for _ in jobs]
    for j, r, outcome in iter_outcomes(
        jobs, [ids] * len(jobs), workers=workers, scheduler=scheduler
    ):
        if isinstance(outcome, Failure):
            failures[j].append(outcome)
        else:
            results[j][r] = outcome
        if progress:
            progress(j, 1)
    datasets = []
    for j, job in enumerate(jobs):
        ok = sorted(results[j])
        if not ok:
            raise EnsembleFailedError(min(failures[j], key=lambda f: f.replicate))
        skeleton = dataset_skeleton(
            job.scenario, job.fit, job.root_seed, job.n_firms, ok, job.parameters
        )
        ds = assemble(skeleton, [results[j][r] for r in ok])
        # timings go to the manifest, not the dataset: the same seed gives an identical file
        ds.encoding["elapsed_seconds"] = round(time.perf_counter() - started, 3)
        datasets.append(ds)
    for fails in failures:
        fails.sort(key=lambda f: f.replicate)
    return datasets, failures


def run_ensemble(
    scenario: Scenario,
    *,
    replicates: int | None = None,
    seed: int | None = None,
    fit: BaselineFit | None = None,
    n_firms: int | None = None,
    progress: Callable[[int], None] | None = None,
    replicate_ids: Sequence[int] | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    parameters: ParameterSample | None = None,
    explicit: frozenset[str] = frozenset(),
) -> xr.Dataset:
    """Run replicates of ``scenario`` and return the labelled results dataset.

    Parameters
    ----------
    replicates, seed
        Override the scenario's values.
    fit
        The statistical baseline (fitted on the data up to the base year if not given).
    n_firms
        Base-year enterprises; default the scenario's ``n_firms`` or the data's count.
    progress
        Called with 1 after each replicate.
    replicate_ids
        Which replicates to run (default ``range(replicates)``).
    workers, scheduler
        Local worker processes, or the address of a dask.distributed scheduler
        (:func:`mfgplan.parallel.iter_outcomes`); the results do not depend on either.
    parameters, explicit
        The calibrated sample replicates draw their behavioural parameters from, and the
        parameters the scenario sets itself (see :func:`replicate_scenario`).

    Failed replicates are left out of the dataset and listed in ``ds.encoding["failures"]``;
    :class:`EnsembleFailedError` if every replicate fails.
    """
    job = resolve_job(
        scenario, seed=seed, fit=fit, n_firms=n_firms, parameters=parameters, explicit=explicit
    )
    n_rep = scenario.replicates if replicates is None else int(replicates)
    ids = list(range(n_rep)) if replicate_ids is None else list(replicate_ids)
    (ds,), (failures,) = run_ensembles(
        [job],
        ids,
        workers=workers,
        scheduler=scheduler,
        progress=(lambda _j, k: progress(k)) if progress else None,
    )
    ds.encoding["failures"] = failures
    return ds
