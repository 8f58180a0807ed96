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
    simulate = job_module.simulate_replicate
    simulate_worlds = job_module.simulate_worlds

    def counting(scenario, *args, **kwargs):
        calls.append(scenario.programme == resolved.counterfactual)
        economies.append(1)
        return simulate(scenario, *args, **kwargs)

    def counting_worlds(scenarios, *args, **kwargs):
        calls.extend(s.programme == resolved.counterfactual for s in scenarios)
        economies.append(len(scenarios))
        return simulate_worlds(scenarios, *args, **kwargs)

    monkeypatch.setattr(job_module, "simulate_replicate", counting)
    monkeypatch.setattr(job_module, "simulate_worlds", counting_worlds)
    shared = run_pairs(jobs, [(0, 3), (1, 3)])
    # two scenario worlds and one counterfactual world (a title does not change a run); the
    # counterfactual is a further programme world of the first variant's economy
    assert sorted(calls) == [False, False, True]
    assert economies == [2, 1]
    calls.clear()
    economies.clear()
    alone = [run_one(job, 3) for job in jobs]
    assert sorted(calls) == [False, False, True, True]
    assert economies == [2, 2]
    for (_, _, a), b in zip(shared, alone, strict=True):
        assert set(a) == set(b)
        for name in a:
            np.testing.assert_array_equal(a[name], b[name])
