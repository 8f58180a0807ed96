"""Calibration: hand-computed pieces, the as-of cut-off (no leakage) and the parameter file."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mfgplan.calibration import estimate, series
from mfgplan.calibration.paramfile import write_parameter_file
from mfgplan.inputs.sample import (
    ParameterFileError,
    load_parameter_file,
    set_for_replicate,
    variance_split,
)
from mfgplan.inputs.scenario import ScenarioError, load_scenario
from mfgplan.runs.job import replicate_scenario

ROOT = Path(__file__).resolve().parents[3]


# -- hand-computed pieces -------------------------------------------------------------------


def test_wls_slope_two_points_is_the_difference_over_the_gap():
    slope, se = estimate.wls_slope(
        np.array([2012, 2015]), np.array([1.0, 1.3]), np.array([0.1, 0.1])
    )
    assert slope == pytest.approx(0.1)
    # se = (sum w (t - tbar)^2)^-1/2 = (100 * (1.5^2 + 1.5^2))^-1/2 = 1 / sqrt(450)
    assert se == pytest.approx(1 / math.sqrt(450))


def test_wls_slope_three_points_weights():
    # t = 0, 1, 2 with weights 1, 1, 4 (sd 1, 1, 0.5); x = 0, 2, 2
    # tbar = (0 + 1 + 8) / 6 = 1.5; xbar = (0 + 2 + 8) / 6 = 5/3
    # sxx = 2.25 + 0.25 + 4 * 0.25 = 3.5; sxy = (-1.5)(-5/3) + (-0.5)(1/3) + 4(0.5)(1/3) = 2.5 + ...
    t = np.array([0.0, 1.0, 2.0])
    x = np.array([0.0, 2.0, 2.0])
    slope, se = estimate.wls_slope(t, x, np.array([1.0, 1.0, 0.5]))
    sxy = (-1.5) * (-5 / 3) + (-0.5) * (1 / 3) + 4 * 0.5 * (1 / 3)
    assert slope == pytest.approx(sxy / 3.5)
    assert se == pytest.approx(1 / math.sqrt(3.5))


def test_triangular_prior_matches_scipy():
    prior = estimate.Prior("x", "-", 0.1, 0.8, 0.3, "test")
    dist = prior.distribution
    assert prior.mean == pytest.approx(dist.mean())
    assert prior.sd == pytest.approx(dist.std())
    assert dist.ppf(0.0) == pytest.approx(0.1) and dist.ppf(1.0) == pytest.approx(0.8)


def test_prior_draws_stay_inside_the_ranges_and_need_a_power_of_two():
    priors = estimate.priors()
    draws = estimate.prior_draws(64, 1, priors)
    lows = np.array([p.low for p in priors])
    highs = np.array([p.high for p in priors])
    assert draws.shape == (64, len(priors))
    assert (draws >= lows).all() and (draws <= highs).all()
    with pytest.raises(ValueError, match="power of two"):
        estimate.prior_draws(100, 1, priors)


def test_importance_weights_by_hand():
    moment = estimate.DataMoment("m", "x", "log", (2012, 2015), 0.10, 0.03, 0.04, "test")
    # two draws, one replicate each: simulated 0.10 (z = 0) and 0.15 (z = 0.05 / 0.05 = 1)
    simulated = np.array([[[0.10]], [[0.15]], [[np.nan]]])
    weights, sim_sd = estimate.importance_weights([moment], simulated)
    ratio = math.exp(-0.5)
    assert weights[1] / weights[0] == pytest.approx(ratio)
    assert weights[2] == 0.0
    assert weights.sum() == pytest.approx(1.0)
    assert sim_sd[0] == 0.0


def test_systematic_resample():
    rng = np.random.default_rng(0)
    assert (estimate.systematic_resample(np.array([0.0, 1.0, 0.0]), 5, rng) == 1).all()
    index = estimate.systematic_resample(np.array([0.5, 0.5]), 4, rng)
    assert sorted(index.tolist()) == [0, 0, 1, 1]


def test_variance_split_by_hand():
    # groups {1, 3} and {5, 7}: within = (1 + 1 + 1 + 1) / 2 = 2; means 2 and 6 give
    # between = 8 (ddof 1); parameter variance = 8 - 2 / 2 = 7; share 7 / 9
    param, shock, share = variance_split(np.array([1.0, 3.0, 5.0, 7.0]), np.array([0, 0, 1, 1]))
    assert (param, shock) == pytest.approx((7.0, 2.0))
    assert share == pytest.approx(7 / 9)
    # no parameter effect: identical group means give share 0
    assert variance_split(np.array([1.0, 3.0, 1.0, 3.0]), np.array([0, 0, 1, 1]))[2] == 0.0


def test_replicates_share_sets_in_pairs():
    assert [set_for_replicate(r, 3) for r in range(8)] == [0, 0, 1, 1, 2, 2, 0, 0]


def test_data_moments_as_of_2015():
    moments = {m.name: m for m in estimate.data_moments(series.load_history(as_of=2015))}
    assert set(moments) == {"hightech_trend", "cnc_trend", "firm_growth"}
    # enterprise count: two points, log(9226 / 6800) / 3
    assert moments["firm_growth"].value == pytest.approx(math.log(9226 / 6800) / 3)
    assert moments["firm_growth"].years == (2012, 2015)


def test_only_the_high_tech_trend_exists_as_of_2012():
    moments = estimate.data_moments(series.load_history(as_of=2012))
    assert [m.name for m in moments] == ["hightech_trend"]


# -- the cut-off: nothing after the as-of year can change a calibration -----------------------


def _tampered_copy(tmp_path: Path, as_of: int) -> Path:
    data = pd.read_csv(series.DATA_FILE, dtype=str, keep_default_na=False)
    later = data["year"].astype(int) > as_of
    data.loc[later, "value"] = (data.loc[later, "value"].astype(float) * 1.7).map(str)
    extra = data.iloc[[0]].copy()
    extra["year"] = str(as_of + 1)
    extra["indicator"] = "hightech_share"
    extra["value"] = "90"
    extra["period"] = "year"
    out = tmp_path / "tampered.csv"
    pd.concat([data, extra]).to_csv(out, index=False)
    return out


@pytest.mark.parametrize("as_of", [2012, 2013])
def test_no_leakage_later_data_cannot_change_the_calibration(tmp_path, monkeypatch, as_of):
    def run() -> dict:
        result = estimate.calibrate(as_of, draws=4, replicates=1, sample_size=4, n_firms=300)
        return estimate.to_document(result, {})

    original = run()
    monkeypatch.setattr(series, "DATA_FILE", _tampered_copy(tmp_path, as_of))
    tampered = run()
    for doc in (original, tampered):
        doc["provenance"].pop("seconds")
    assert original == tampered
    assert all(row["year"] <= as_of for row in original["data"])


# -- the parameter file ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_calibration():
    return estimate.calibrate(
        2015, draws=8, replicates=2, sample_size=6, n_firms=300, stage_one=6, evidence_firms=300
    )


def test_parameter_file_round_trip(tmp_path, small_calibration):
    doc = estimate.to_document(small_calibration, {"command": "test"})
    path = write_parameter_file(doc, tmp_path / "p.json")
    sample = load_parameter_file(path)
    assert sample.as_of == 2015
    assert sample.names == small_calibration.names
    assert sample.size == 6
    np.testing.assert_allclose(sample.values, small_calibration.sample, rtol=1e-5)
    assert sample.estimate == pytest.approx(doc["estimate"])
    # replicate r runs set (r // 2) mod S
    scenario = load_scenario(ROOT / "scenarios" / "plan-2016.yaml").scenario
    for r in (0, 1, 5, 13):
        got = replicate_scenario(scenario, r, sample).behaviour
        row = sample.values[set_for_replicate(r, sample.size)]
        for name, value in zip(sample.names, row, strict=True):
            assert getattr(got, name) == value


def test_document_describes_the_fit(small_calibration):
    doc = estimate.to_document(small_calibration, {})
    assert doc["format"] == "mfgplan-parameters" and doc["as_of"] == 2015
    assert {m["name"] for m in doc["moments"]} == {"hightech_trend", "cnc_trend", "firm_growth"}
    assert doc["fit"]["draws"] == 8
    assert 1.0 <= doc["fit"]["effective_sample_size"] <= 8.0
    for p in doc["parameters"]:
        assert p["prior"]["low"] <= p["posterior_mean"] <= p["prior"]["high"]


def _scenario_with(tmp_path: Path, calibration: str, extra: str = "") -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(
        f"baseline: {ROOT / 'scenarios' / 'plan-2016.yaml'}\ntitle: t\n"
        f"calibration: {calibration}\n{extra}"
    )
    return path


def test_explicit_behaviour_wins_over_the_sample(tmp_path, small_calibration):
    doc = estimate.to_document(small_calibration, {})
    write_parameter_file(doc, tmp_path / "p.json")
    resolved = load_scenario(
        _scenario_with(tmp_path, "p.json", "behaviour:\n  innovation_rate: 0.77\n")
    )
    assert resolved.parameters is not None
    assert "innovation_rate" in resolved.explicit_behaviour
    got = replicate_scenario(resolved.scenario, 3, resolved.parameters, resolved.explicit_behaviour)
    assert got.behaviour.innovation_rate == 0.77
    j = resolved.parameters.names.index("entry_rate")
    assert got.behaviour.entry_rate == resolved.parameters.values[1, j]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not a JSON parameter file"),
        ('{"format": "other"}', "format: not an mfgplan-parameters file"),
        ('{"format": "mfgplan-parameters", "format_version": 99}', "format_version: 99"),
        (
            '{"format": "mfgplan-parameters", "format_version": 1, "as_of": 2015, '
            '"sample": {"names": ["no_such"], "values": [[1]]}}',
            "unknown parameter 'no_such'",
        ),
        (
            '{"format": "mfgplan-parameters", "format_version": 1, "as_of": 2015, '
            '"sample": {"names": ["exit_rate"], "values": [[1.5]]}}',
            "exit_rate outside its bounds",
        ),
        (
            '{"format": "mfgplan-parameters", "format_version": 1, "as_of": 2015, '
            '"sample": {"names": ["exit_rate"], "values": [[0.1, 0.2]]}}',
            "expected rows of 1 numbers",
        ),
    ],
)
def test_bad_parameter_files(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ParameterFileError, match=message) as err:
        load_parameter_file(path)
    assert str(path) in str(err.value)
    # through a scenario: reported at the file and line of the calibration key
    scenario = _scenario_with(tmp_path, "bad.json")
    with pytest.raises(ScenarioError) as err2:
        load_scenario(scenario)
    assert f"{scenario}:3: calibration:" in str(err2.value)


def test_missing_parameter_file_and_wrong_year(tmp_path, small_calibration):
    with pytest.raises(
        ScenarioError, match=r"s\.yaml:3: calibration: .*nowhere.json: file not found"
    ):
        load_scenario(_scenario_with(tmp_path, "nowhere.json"))
    doc = estimate.to_document(small_calibration, {})
    doc["as_of"] = 2013
    write_parameter_file(doc, tmp_path / "p.json")
    with pytest.raises(ScenarioError, match="calibrated as of 2013 but base_year is 2015"):
        load_scenario(_scenario_with(tmp_path, "p.json"))


def test_shipped_parameter_files_load_and_match_their_year():
    files = sorted((ROOT / "calibration" / "params").glob("as-of-*.json"))
    assert files, "no shipped parameter file"
    for path in files:
        sample = load_parameter_file(path)
        assert path.stem == f"as-of-{sample.as_of}"
        doc = json.loads(path.read_text())
        assert all(row["year"] <= sample.as_of for row in doc["data"])
        assert doc["fit"]["effective_sample_size"] >= 50


def test_prior_ranges_are_inside_the_catalogue_bounds():
    from mfgplan.inputs.behaviour import Behaviour
    from mfgplan.inputs.parameters import catalogue

    bounds = {row["name"]: row["bounds"] for row in catalogue(Behaviour, prefix="")}
    for p in estimate.priors():
        assert p.low <= p.mode <= p.high
        b = bounds[p.name]
        assert b.get("ge", -np.inf) <= p.low and p.high <= b.get("le", np.inf), p.name


def test_calibration_does_not_depend_on_the_number_of_workers():
    small = {"draws": 8, "replicates": 1, "sample_size": 4, "n_firms": 300, "stage_one": 4,
             "evidence_firms": 300}  # fmt: skip
    one = estimate.calibrate(2015, workers=1, **small)
    two = estimate.calibrate(2015, workers=2, **small)
    np.testing.assert_array_equal(one.simulated, two.simulated)
    np.testing.assert_array_equal(one.evidence.simulated, two.evidence.simulated)
    np.testing.assert_array_equal(one.weights, two.weights)
    np.testing.assert_array_equal(one.sample, two.sample)
