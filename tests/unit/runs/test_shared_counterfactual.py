"""Variants of a replicate share its counterfactual run; the results are the same as without."""

from __future__ import annotations

import numpy as np

from mfgplan.calibration.forecast import fit_baseline
from mfgplan.inputs.scenario import load_scenario
from mfgplan.runs import job as job_module
from mfgplan.runs.job import resolve_job, run_one, run_pairs
from tests.conftest import ROOT


def test_two_variants_run_their_counterfactual_once_and_agree_with_separate_runs(monkeypatch):
    resolved = load_scenario(ROOT / "scenarios" / "plan-2016.yaml")
    fit = fit_baseline(as_of=2015)
    plan = resolved.scenario
    more = plan.model_copy(update={"title": "a variant with another title"})
    jobs = [
        resolve_job(s, fit=fit, n_firms=300, counterfactual=resolved.counterfactual)
        for s in (plan, more)
    ]
    calls = []
    economies = []
    simulate_worlds = job_module.simulate_worlds

    def counting(scenarios, *args, **kwargs):
        calls.extend(s.programme == resolved.counterfactual for s in scenarios)
        economies.append(len(scenarios))
        return simulate_worlds(scenarios, *args, **kwargs)

    monkeypatch.setattr(job_module, "simulate_worlds", counting)
    shared = run_pairs(jobs, [(0, 3), (1, 3)])
    # the same world twice (a title does not change a run) and the counterfactual once, as the
    # two programme worlds of one economy
    assert sorted(calls) == [False, True]
    assert economies == [2]
    calls.clear()
    economies.clear()
    alone = [run_one(job, 3) for job in jobs]
    assert sorted(calls) == [False, False, True, True]
    assert economies == [2, 2]
    for (_, _, a), b in zip(shared, alone, strict=True):
        assert set(a) == set(b)
        for name in a:
            np.testing.assert_array_equal(a[name], b[name])


def variant_jobs() -> list:
    """The plan and its two shipped variants, 300 firms, one seed, their counterfactuals."""
    fit = fit_baseline(as_of=2015)
    resolved = [
        load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        for name in ("plan-2016", "retrofit-heavy", "demonstration-heavy")
    ]
    return [
        resolve_job(r.scenario, fit=fit, n_firms=300, seed=11, counterfactual=r.counterfactual)
        for r in resolved
    ]


def count_economies(monkeypatch) -> list[int]:
    """The number of worlds of each economy the runs build from now on, in order."""
    economies: list[int] = []
    simulate_worlds = job_module.simulate_worlds

    def counting(scenarios, *args, **kwargs):
        economies.append(len(scenarios))
        return simulate_worlds(scenarios, *args, **kwargs)

    monkeypatch.setattr(job_module, "simulate_worlds", counting)
    return economies


def test_variants_run_as_the_programme_worlds_of_one_economy(monkeypatch):
    # three allocations of the plan's money (the shipped variants) and their common
    # counterfactual: one economy of four worlds per replicate, the results of separate runs
    jobs = variant_jobs()
    economies = count_economies(monkeypatch)
    shared = run_pairs(jobs, [(j, r) for r in (1, 2) for j in range(3)])
    assert economies == [4, 4]
    economies.clear()
    for j, r, a in shared:
        b = run_one(jobs[j], r)
        assert set(a) == set(b)
        for name in a:
            np.testing.assert_array_equal(a[name], b[name])
    assert economies == [2] * 6


def test_an_economy_carries_at_most_its_share_of_world_slots(monkeypatch):
    # 600 slots of 300 firms: two worlds an economy, so four worlds take two economies
    jobs = variant_jobs()
    economies = count_economies(monkeypatch)
    monkeypatch.setattr(job_module, "WORLD_SLOTS", 600)
    capped = run_pairs(jobs, [(j, 1) for j in range(3)])
    assert economies == [2, 2]
    monkeypatch.setattr(job_module, "WORLD_SLOTS", 2_000_000)
    uncapped = run_pairs(jobs, [(j, 1) for j in range(3)])
    assert economies == [2, 2, 4]
    for (_, _, a), (_, _, b) in zip(capped, uncapped, strict=True):
        for name in a:
            np.testing.assert_array_equal(a[name], b[name])
