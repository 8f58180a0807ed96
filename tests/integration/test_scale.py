"""A smaller population is a smaller sample of the same province (ODD 5).

The plan's relative effect on 2020 manufacturing VA at 2,500 firms against the data's 9,226, on
the same seeds and parameter sets (paired by replicate). Before budgets, counts and firm sizes
were scaled to the sample, the effect at 2,500 firms was 2.2 times the one at 9,226.
"""

from __future__ import annotations

import numpy as np
import pytest

from mfgplan.calibration.forecast import fit_baseline
from mfgplan.inputs.scenario import load_scenario
from mfgplan.runs.ensemble import run_ensemble
from tests.conftest import ROOT

REPLICATES = 100


def relative_effects(behaviour: dict[str, float]) -> dict[int, np.ndarray]:
    """Per replicate, the plan's effect on 2020 manufacturing VA relative to its counterfactual."""
    resolved = load_scenario(ROOT / "scenarios" / "plan-2016.yaml")
    scenario = resolved.scenario.model_copy(
        update={"behaviour": resolved.scenario.behaviour.model_copy(update=behaviour)}
    )
    fit = fit_baseline(as_of=2015)
    out, counts = {}, {}
    for n_firms in (9226, 2500):
        ds = run_ensemble(
            scenario, replicates=REPLICATES, fit=fit, n_firms=n_firms, workers=2,
            parameters=resolved.parameters,
            explicit=resolved.explicit_behaviour | frozenset(behaviour),
            counterfactual=resolved.counterfactual,
        )  # fmt: skip
        va = ds.manufacturing_va.sel(year=2020) / ds.manufacturing_va_counterfactual.sel(year=2020)
        out[n_firms] = va.values - 1.0
        counts[n_firms] = ds.enterprise_count.sel(year=2015).values
    # the same 2015 enterprise count at any population: the data's (9,226, drawn with its
    # measurement error), replicate by replicate
    np.testing.assert_array_equal(counts[9226], counts[2500])
    assert np.median(counts[2500]) == pytest.approx(9226, rel=0.05)
    return out


@pytest.fixture(scope="module")
def without_spillovers():
    return relative_effects({"demonstration_effect": 0.0, "innovation_centre_spillover": 0.0})


@pytest.fixture(scope="module")
def with_spillovers():
    return relative_effects({})


def test_without_spillovers_the_effect_does_not_depend_on_the_population(without_spillovers):
    """Within three paired standard errors (measured: 0.142% vs 0.143% of VA, se 0.013 pp)."""
    full, small = without_spillovers[9226], without_spillovers[2500]
    assert full.mean() > 0
    difference = full - small
    se = difference.std(ddof=1) / np.sqrt(difference.size)
    assert abs(difference.mean()) < 3 * se


def test_with_spillovers_the_small_population_bias_stays_bounded(with_spillovers):
    """The demonstration spillover keeps a small-sample bias (sparser cells), downwards only.

    A demonstration firm without a sampled peer in its sector x city cell spills over onto
    nobody. Measured 24% low with the 0.6.0 calibration (its demonstration effect 0.030 a
    quarter; 150 replicates) and 12% low with 0.5.x (0.023); before the scaling the ratio was 2.2.
    """
    full, small = with_spillovers[9226], with_spillovers[2500]
    ratio = small.mean() / full.mean()
    assert 0.65 < ratio < 1.05
