"""Sensitivity analysis and scenario discovery on functions with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mfgplan.analysis.discovery import PrimResult, prim
from mfgplan.analysis.sensitivity import (
    ISHIGAMI_EXACT,
    ISHIGAMI_FACTORS,
    Factor,
    ishigami,
    morris_design,
    morris_indices,
    sobol_design,
    sobol_indices,
    stability_warnings,
)
from mfgplan.report.planning_charts import prim_chart, tornado_chart

LINEAR = [Factor("x1", 0.0, 2.0), Factor("x2", -1.0, 1.0), Factor("x3", 0.0, 10.0)]
LINEAR_COEF = np.array([5.0, 1.0, 0.0])


def linear(x: np.ndarray) -> np.ndarray:
    return x @ LINEAR_COEF


@pytest.fixture(scope="module")
def ishigami_sobol() -> tuple[pd.DataFrame, int]:
    design = sobol_design(ISHIGAMI_FACTORS, 1024, seed=11)
    table = sobol_indices(ISHIGAMI_FACTORS, design, ishigami(design), "y", seed=11)
    return table, len(design)


@pytest.fixture(scope="module")
def box_data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(2024)
    x = pd.DataFrame(rng.uniform(size=(2000, 4)), columns=[f"x{i}" for i in range(4)])
    truth = ((x.x0 > 0.7) & (x.x2 < 0.4)).to_numpy()
    noise = rng.uniform(size=len(x)) < 0.05
    return x, np.where(noise, ~truth, truth)


def test_ishigami_exact_values():
    assert ISHIGAMI_EXACT.loc["x1", "S1"] == pytest.approx(0.3139, abs=1e-4)
    assert ISHIGAMI_EXACT.loc["x2", "S1"] == pytest.approx(0.4424, abs=1e-4)
    assert ISHIGAMI_EXACT.loc["x3", "S1"] == 0.0
    assert ISHIGAMI_EXACT["ST"].tolist() == pytest.approx([0.5576, 0.4424, 0.2437], abs=1e-4)
    assert ishigami(np.array([[math.pi / 2, math.pi / 2, 1.0]]))[0] == pytest.approx(1 + 7 + 0.1)


def test_sobol_recovers_ishigami_indices(ishigami_sobol):
    table, n_points = ishigami_sobol
    assert n_points == 1024 * (3 + 2)
    assert list(table.columns) == ["output", "factor", "S1", "S1_conf", "ST", "ST_conf", "rank"]
    got = table.set_index("factor")
    for name in ("x1", "x2", "x3"):
        assert got.loc[name, "S1"] == pytest.approx(ISHIGAMI_EXACT.loc[name, "S1"], abs=0.05)
        assert got.loc[name, "ST"] == pytest.approx(ISHIGAMI_EXACT.loc[name, "ST"], abs=0.05)
    assert abs(got.loc["x3", "S1"]) < 0.05
    assert got["rank"].to_dict() == {"x1": 1, "x2": 2, "x3": 3}


def test_stability_warnings(ishigami_sobol):
    table, n_points = ishigami_sobol
    assert stability_warnings(table, "sobol", n_points) == []
    design = sobol_design(ISHIGAMI_FACTORS, 32, seed=11)
    small = sobol_indices(ISHIGAMI_FACTORS, design, ishigami(design), "y", seed=11)
    warned = stability_warnings(small, "sobol", len(design))
    assert warned
    assert any("32 Sobol base samples" in w for w in warned)
    assert all("--samples" in w for w in warned)
    assert any("y / x1" in w for w in warned)

    morris_design_ = morris_design(LINEAR, 4, seed=1)
    morris_table = morris_indices(LINEAR, morris_design_, linear(morris_design_), "y")
    warned = stability_warnings(morris_table, "morris", len(morris_design_))
    assert len(warned) == 1 and "4 Morris trajectories" in warned[0]


def test_morris_linear_function():
    design = morris_design(LINEAR, 20, seed=5)
    assert design.shape == (20 * 4, 3)
    for j, f in enumerate(LINEAR):
        assert design[:, j].min() >= f.low and design[:, j].max() <= f.high
    outputs = np.column_stack([linear(design), -2 * linear(design)])
    table = morris_indices(LINEAR, design, outputs, ["y", "minus_2y"])
    assert list(table.columns) == [
        "output", "factor", "mu_star", "mu_star_conf", "mu", "sigma", "rank"
    ]  # fmt: skip
    y = table[table.output == "y"].set_index("factor")
    # elementary effects are taken on unit-scaled inputs: |coefficient| * (high - low)
    expected = np.abs(LINEAR_COEF) * np.array([f.high - f.low for f in LINEAR])
    assert y["mu_star"].to_numpy() == pytest.approx(expected)
    assert y["mu"].to_numpy() == pytest.approx(LINEAR_COEF * [2.0, 2.0, 10.0])
    assert y["sigma"].to_numpy() == pytest.approx(0.0, abs=1e-9)
    assert y["rank"].to_dict() == {"x1": 1, "x2": 2, "x3": 3}
    m2 = table[table.output == "minus_2y"].set_index("factor")
    assert m2["mu_star"].to_numpy() == pytest.approx(2 * expected)
    assert stability_warnings(table, "morris", len(design)) == []


def test_bad_arguments():
    for n in (0, 1, 100, 1000):
        with pytest.raises(ValueError, match="power of two"):
            sobol_design(ISHIGAMI_FACTORS, n, seed=0)
    design = morris_design(LINEAR, 10, seed=0)
    outputs = np.column_stack([linear(design), linear(design)])
    outputs[3, 1] = np.nan
    with pytest.raises(ValueError, match="'broken'"):
        morris_indices(LINEAR, design, outputs, ["fine", "broken"])
    with pytest.raises(ValueError, match="output names"):
        morris_indices(LINEAR, design, outputs[:, 0], ["a", "b"])
    with pytest.raises(ValueError, match="low < high"):
        Factor("bad", 1.0, 1.0)


def test_prim_finds_known_box(box_data):
    x, y = box_data
    result = prim(x, y)
    limits = result.limits.set_index("input")
    assert list(limits.index) == ["x0", "x2"]
    assert bool(limits.loc["x0", "restricted_low"]) and not limits.loc["x0", "restricted_high"]
    assert bool(limits.loc["x2", "restricted_high"]) and not limits.loc["x2", "restricted_low"]
    assert limits.loc["x0", "low"] == pytest.approx(0.7, abs=0.05)
    assert limits.loc["x2", "high"] == pytest.approx(0.4, abs=0.05)
    assert result.density > 0.8
    assert result.coverage > 0.6
    assert result.base_rate == pytest.approx(y.mean())
    assert (limits["qp_value"] < 1e-6).all()

    lines = result.describe()
    assert len(lines) == 3
    assert lines[0].startswith("x0 >= 0.")
    assert lines[1].startswith("x2 <= 0.")
    assert lines[2].startswith("covers ") and "base rate" in lines[2]
    assert result.describe({"x0": "share"})[0].endswith(" share")

    traj = result.trajectory
    assert {"coverage", "density", "support", "n_restricted"} <= set(traj.columns)
    assert traj["support"].iloc[0] == 1.0 and traj["support"].min() >= 0.05
    assert traj["support"].is_monotonic_decreasing


def test_prim_threshold_and_simplification():
    rng = np.random.default_rng(2)
    x = pd.DataFrame(rng.uniform(size=(2000, 3)), columns=["x0", "x1", "x2"])
    truth = (x.x0 > 0.5).to_numpy()
    y = np.where(rng.uniform(size=len(x)) < 0.03, ~truth, truth)
    result = prim(x, y, threshold=0.99)
    chosen = result.trajectory.iloc[result.chosen_step]
    assert chosen["density"] >= 0.99
    assert (result.trajectory["density"].iloc[: result.chosen_step] < 0.99).all()
    # the peeling restricted irrelevant inputs on the way; they are dropped again
    assert result.dropped
    assert result.density >= chosen["density"] - 0.01
    assert "x0" in set(result.limits["input"])
    assert len(result.limits) < chosen["n_restricted"]


def test_prim_degenerate(box_data):
    x, _ = box_data
    for flags, word in ((np.ones(len(x), bool), "every case"), (np.zeros(len(x), bool), "no case")):
        result = prim(x, flags)
        assert result.limits.empty
        lines = result.describe()
        assert len(lines) == 1 and lines[0].startswith(word)
        assert "no condition separates them" in lines[0]
    with pytest.raises(ValueError, match="numeric"):
        prim(x.assign(label="a"), np.ones(len(x), bool))


def test_charts_render(tmp_path, ishigami_sobol, box_data):
    table, _ = ishigami_sobol
    design = morris_design(LINEAR, 10, seed=0)
    morris_table = morris_indices(LINEAR, design, linear(design), "2020 high-tech share")
    x, y = box_data
    result: PrimResult = prim(x, y)
    figures = {
        "sobol.png": tornado_chart(table, "y", "sobol"),
        "morris.png": tornado_chart(morris_table, "2020 high-tech share", "morris"),
        "prim.png": prim_chart(result, "When is the 2020 target missed?"),
        "prim_flat.png": prim_chart(prim(x, np.ones(len(x), bool)), "Degenerate"),
    }
    for name, fig in figures.items():
        path = tmp_path / name
        fig.savefig(path, dpi=80)
        assert path.stat().st_size > 5_000, name
