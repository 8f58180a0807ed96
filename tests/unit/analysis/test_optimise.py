"""Budget-allocation optimiser: projection, known optima of synthetic noisy problems, ties,
indistinguishable finalists, determinism and the chart."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pytest

from mfgplan.analysis.optimise import OptimiseResult, OptimiseSettings, optimise
from mfgplan.analysis.simplex import project_to_bounded_simplex
from mfgplan.report.planning_charts import optimiser_chart

# --- projection ------------------------------------------------------------------------------


def _check_feasible(s: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
    assert s.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(s >= lower - 1e-12)
    assert np.all(s <= upper + 1e-12)


def test_projection_of_equal_values_is_the_centre():
    s = project_to_bounded_simplex([0.5, 0.5, 0.5], 0.0, 1.0)
    np.testing.assert_allclose(s, [1 / 3, 1 / 3, 1 / 3], atol=1e-12)


def test_projection_leaves_feasible_points_unchanged():
    x = np.array([0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(project_to_bounded_simplex(x), x, atol=1e-12)


def test_projection_with_active_bounds():
    # unbounded projection would be [0.75, 0.25, 0]: the upper bound 0.5 and lower 0.1 bind
    s = project_to_bounded_simplex([1.0, 0.5, 0.0], [0.0, 0.0, 0.1], [0.5, 1.0, 1.0])
    np.testing.assert_allclose(s, [0.5, 0.4, 0.1], atol=1e-12)
    # upper bounds summing to exactly 1 leave a single feasible point
    s = project_to_bounded_simplex([5.0, -3.0, 0.2], 0.0, [0.2, 0.3, 0.5])
    np.testing.assert_allclose(s, [0.2, 0.3, 0.5], atol=1e-12)


def test_projection_matches_the_unbounded_simplex_formula():
    # sort-based projection onto the probability simplex (no upper bounds)
    rng = np.random.default_rng(1)
    for _ in range(50):
        x = rng.normal(0, 1, 6)
        u = np.sort(x)[::-1]
        css = np.cumsum(u) - 1
        rho = np.flatnonzero(u - css / np.arange(1, 7) > 0)[-1]
        expected = np.maximum(x - css[rho] / (rho + 1), 0)
        np.testing.assert_allclose(project_to_bounded_simplex(x), expected, atol=1e-10)


@pytest.mark.parametrize(
    ("lower", "upper"),
    [([0.5, 0.4, 0.2], 1.0), (0.0, [0.3, 0.3, 0.3]), ([0.5, 0, 0], [0.4, 1, 1])],
)
def test_projection_infeasible_bounds_raise(lower, upper):
    with pytest.raises(ValueError):
        project_to_bounded_simplex([0.3, 0.3, 0.4], lower, upper)


def test_projection_random_points_satisfy_bounds_and_are_nearest():
    rng = np.random.default_rng(7)
    for _ in range(200):
        k = int(rng.integers(2, 9))
        lower = rng.uniform(0, 1, k)
        lower *= rng.uniform(0, 0.9) / lower.sum()
        upper = np.minimum(1.0, lower + rng.uniform(0, 0.6, k))
        if upper.sum() < 1:
            upper = np.minimum(1.0, upper + (1 - upper.sum()) / k + 0.01)
        x = rng.normal(0.2, 0.5, k)
        s = project_to_bounded_simplex(x, lower, upper)
        _check_feasible(s, lower, upper)
        # no random feasible point is closer to x
        for _ in range(5):
            y = project_to_bounded_simplex(rng.normal(0.2, 0.5, k), lower, upper)
            assert np.sum((x - s) ** 2) <= np.sum((x - y) ** 2) + 1e-10


# --- synthetic noisy problems ----------------------------------------------------------------


def _quadratic(target, weights, *, common_sd: float = 1.0, own_sd: float = 0.001):
    """``f(s) = -sum(w (s - t)^2)`` plus a common term per replicate id (the same for every
    candidate) and a small candidate-specific term; deterministic in (shares, replicate)."""
    target = np.asarray(target, dtype=float)
    weights = np.asarray(weights, dtype=float)
    calls: list[tuple[int, int]] = []

    def evaluate(candidates, replicate_ids):
        calls.append((len(candidates), len(replicate_ids)))
        common = np.array([np.random.default_rng(r).normal(0, common_sd) for r in replicate_ids])
        out = np.empty((len(candidates), len(replicate_ids)))
        for a, s in enumerate(candidates):
            h = zlib.crc32(np.round(s, 10).tobytes())
            own = np.array([np.random.default_rng([h, r]).normal(0, own_sd) for r in replicate_ids])
            out[a] = -np.sum(weights * (s - target) ** 2) + common + own
        return out

    evaluate.calls = calls  # type: ignore[attr-defined]
    return evaluate


def test_finds_an_interior_optimum():
    target = np.array([0.4, 0.3, 0.2, 0.1])
    evaluate = _quadratic(target, [1.0, 2.0, 3.0, 4.0])
    start = np.full(4, 0.25)
    result = optimise(evaluate, 4, lower=0.0, upper=0.6, start=start, settings=OptimiseSettings())
    assert np.abs(result.best - target).max() < 0.05
    _check_feasible(result.best, np.zeros(4), np.full(4, 0.6))
    assert result.best_mean > result.start_mean
    assert result.gain > 0
    assert result.gain_interval[0] > 0
    np.testing.assert_allclose(result.start, start)
    # batched: screening, one call per local round and the final re-evaluation
    assert result.evaluate_calls == len(evaluate.calls) == 1 + 3 + 1
    assert result.evaluations == sum(n * r for n, r in evaluate.calls)
    # the final comparison uses new replicate ids, after the screening ones
    final = result.history[result.history["stage"] == "final"]
    assert (final["replicate_first"] == 16).all() and (final["replicate_last"] == 16 + 63).all()
    assert set(result.history["stage"]) >= {"start", "screening", "local round 1", "final"}


def test_optimum_on_a_bound_is_the_projection_of_the_target():
    target = np.array([0.8, 0.1, 0.05, 0.05])  # outside the bounds: share 1 is capped at 0.6
    upper = np.full(4, 0.6)
    expected = project_to_bounded_simplex(target, 0.0, upper)
    result = optimise(
        _quadratic(target, np.ones(4)), 4, lower=0.0, upper=upper, start=np.full(4, 0.25),
        settings=OptimiseSettings(),
    )  # fmt: skip
    assert result.best[0] == pytest.approx(0.6, abs=1e-9)
    assert np.abs(result.best - expected).max() < 0.05
    assert result.gain_interval[0] > 0


def test_lower_bounds_are_respected():
    target = np.array([0.0, 0.0, 0.5, 0.5])
    lower = np.array([0.1, 0.2, 0.0, 0.0])
    result = optimise(
        _quadratic(target, np.ones(4)), 4, lower=lower, upper=1.0, start=None,
        settings=OptimiseSettings(seed=3),
    )  # fmt: skip
    shares = result.history[list(result.names)].to_numpy()
    assert np.all(shares >= lower - 1e-9) and np.allclose(shares.sum(axis=1), 1)
    expected = project_to_bounded_simplex(target, lower, 1.0)  # [0.1, 0.2, 0.35, 0.35]
    assert np.abs(result.best - expected).max() < 0.05
    assert any("centre of the feasible set" in n for n in result.notes)


def test_ties_in_a_probability_are_broken_by_the_secondary_objective():
    target = np.array([0.1, 0.2, 0.3, 0.4])
    secondary = _quadratic(target, np.ones(4))

    def evaluate(candidates, replicate_ids):
        sec = secondary(candidates, replicate_ids)
        return np.stack([np.zeros_like(sec), sec], axis=-1)  # never meets the target

    result = optimise(evaluate, 4, lower=0.0, upper=1.0, start=np.full(4, 0.25),
                      settings=OptimiseSettings())  # fmt: skip
    assert any(
        "every candidate had the same primary objective (0.00): ranked by the secondary" in n
        for n in result.notes
    )
    assert np.abs(result.best - target).max() < 0.05
    assert result.best_mean == 0.0
    # 0/1 outcomes: Wilson interval of the probability, strictly inside [0, 1] above 0
    assert result.best_interval[0] == 0.0 and 0.0 < result.best_interval[1] < 0.1
    assert result.finalists["mean_secondary"].notna().all()
    # the primary ties everywhere: the gain and the paired comparisons use the secondary, so
    # the clearly better allocation shows a gain and the far-off start is distinguishable
    assert result.compared_on == "secondary"
    assert result.gain > 0 and result.gain_interval[0] > 0
    finalists = result.finalists.set_index("is_start")
    assert not finalists.loc[True, "indistinguishable"]
    assert finalists.loc[True, "diff_to_best"] < 0


def test_indistinguishable_set_contains_the_best_and_excludes_a_worse_finalist():
    target = np.array([0.4, 0.3, 0.2, 0.1])
    result = optimise(
        _quadratic(target, np.ones(4), own_sd=0.02), 4, lower=0.0, upper=1.0,
        start=np.array([0.0, 0.0, 0.2, 0.8]), settings=OptimiseSettings(finalists=4),
    )  # fmt: skip
    f = result.finalists
    assert len(f) == 4 and f["is_best"].sum() == 1 and f["is_start"].sum() == 1
    best = f[f["is_best"]].iloc[0]
    assert bool(best["indistinguishable"])
    assert best["diff_to_best"] == 0.0 and (best["diff_low"], best["diff_high"]) == (0.0, 0.0)
    start = f[f["is_start"]].iloc[0]
    assert not bool(start["indistinguishable"])
    assert start["diff_high"] < 0
    assert start["ci_low"] <= start["mean"] <= start["ci_high"]
    np.testing.assert_allclose(f[list(result.names)].to_numpy().sum(axis=1), 1.0)


def test_same_seed_gives_the_same_result():
    target = np.array([0.4, 0.3, 0.2, 0.1])
    settings = OptimiseSettings(seed=11, screening_replicates=8, final_replicates=16)

    def run(s: OptimiseSettings) -> OptimiseResult:
        return optimise(_quadratic(target, np.ones(4)), 4, lower=0.0, upper=0.6,
                        start=np.full(4, 0.25), settings=s)  # fmt: skip

    a, b = run(settings), run(settings)
    np.testing.assert_array_equal(a.best, b.best)
    assert a.best_mean == b.best_mean and a.gain_interval == b.gain_interval
    assert a.history.equals(b.history) and a.finalists.equals(b.finalists)
    c = run(OptimiseSettings(seed=12, screening_replicates=8, final_replicates=16))
    sobol = a.history["kind"] == "sobol"
    assert not np.allclose(
        a.history.loc[sobol, list(a.names)].to_numpy(),
        c.history.loc[c.history["kind"] == "sobol", list(c.names)].to_numpy(),
    )


def test_bad_evaluate_output_and_inputs_raise():
    with pytest.raises(ValueError, match="shape"):
        optimise(lambda c, r: np.zeros(len(c)), 3, lower=0.0, upper=1.0, start=None,
                 settings=OptimiseSettings())  # fmt: skip
    with pytest.raises(ValueError, match="infeasible"):
        optimise(_quadratic(np.full(3, 1 / 3), np.ones(3)), 3, lower=0.0, upper=0.3,
                 start=None, settings=OptimiseSettings())  # fmt: skip
    with pytest.raises(ValueError, match="sum to 1"):
        optimise(_quadratic(np.full(3, 1 / 3), np.ones(3)), 3, lower=0.0, upper=1.0,
                 start=np.array([0.5, 0.5, 0.5]), settings=OptimiseSettings())  # fmt: skip


def test_start_outside_the_bounds_is_kept_as_the_reference():
    target = np.array([0.3, 0.3, 0.4])
    upper = np.array([0.4, 0.5, 0.5])
    start = np.array([0.8, 0.1, 0.1])  # more than instrument 1 can ever use
    result = optimise(_quadratic(target, np.ones(3)), 3, lower=0.0, upper=upper, start=start,
                      settings=OptimiseSettings(), names=["a", "b", "c"])  # fmt: skip
    assert any("outside the bounds (a)" in n for n in result.notes)
    np.testing.assert_allclose(result.start, start)
    assert np.all(result.best <= upper + 1e-9)
    assert result.gain_interval[0] > 0
    assert list(result.finalists.columns[2:5]) == ["a", "b", "c"]


# --- chart -----------------------------------------------------------------------------------


def test_chart_renders_to_png():
    target = np.array([0.4, 0.3, 0.2, 0.1])
    names = ["subsidy", "loan", "tax", "land"]
    result = optimise(
        _quadratic(target, np.ones(4), own_sd=0.01), 4, lower=0.0, upper=0.6,
        start=np.full(4, 0.25), settings=OptimiseSettings(), names=names,
    )  # fmt: skip
    fig = optimiser_chart(result, names, start_label="plan", title="test allocation")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    assert buf.tell() > 5_000
