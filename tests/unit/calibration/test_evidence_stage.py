"""The evidence stage of the calibration: moments read from the published table, the emulator,
the likelihood and the weights, each against numbers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mfgplan.calibration import estimate
from mfgplan.calibration.evidence_stage import (
    ASSUMED_SE,
    TRANSFER_DISCREPANCY,
    Emulator,
    EvidenceFit,
    EvidenceMoment,
    emulate,
    evidence_loglik,
    evidence_moments,
)


def test_moments_read_the_published_numbers():
    moments = {m.name: m for m in evidence_moments()}
    liu_mao = moments["vat_investment"]
    # Liu & Mao's placebo sd is 0.03144 (Online Appendix Fig. A1 panel A); the table keeps the
    # interval 0.332-0.436, i.e. 0.384 +- 1.645 x 0.0316
    assert liu_mao.value == 0.384
    assert liu_mao.se == pytest.approx(0.03144, abs=3e-4)
    assert liu_mao.discrepancy == pytest.approx(0.25 * 0.384)
    # Zhang, Chen & He: 1.84, no SE read: 25% of the value
    zhang = moments["vat_user_cost"]
    assert (zhang.value, zhang.se) == (1.84, pytest.approx(0.46))
    # Qian, Zhan & Pan: (1.58 + 2.05) / 2 = 1.815 reported, x 1.14 / 2 = 1.03455 real
    rd = moments["rd_elasticity"]
    assert rd.value == pytest.approx(1.03455)
    assert rd.se == pytest.approx(0.25 * 1.03455 / math.sqrt(2))
    assert rd.discrepancy == pytest.approx(0.25 * 1.03455)
    assert {m.kind for m in moments.values()} == {"value", "sign"}
    assert ASSUMED_SE == TRANSFER_DISCREPANCY == 0.25


def test_likelihood_by_hand():
    value = EvidenceMoment("x", "d", "s", "q", "value", 1.0, 0.3, "-", 0.4, "-")
    sign = EvidenceMoment("y", "d", "s", "q", "sign", float("nan"), 1.0, "-", 0.0, "-")
    # set 0: mean 0.5, own variance 0.2^2 x 0.25 = 0.01; set 1: mean 1.0 (on target)
    em = Emulator(
        mean=np.array([[0.5, 1.96], [1.0, 3.96]]),
        sd=np.array([0.2, 1.0]),
        leverage=np.array([[0.25, 0.0], [0.25, 3.0]]),
        r2=np.zeros(2),
    )
    got = evidence_loglik([value, sign], em)
    # value: -0.5 x 0.25 / (0.09 + 0.16 + 0.01) = -0.480769; sign at t = 1.96: log 0.5
    assert got[0] == pytest.approx(-0.5 * 0.25 / 0.26 + math.log(0.5))
    # set 1: value term 0; sign: Phi((3.96 - 1.96) / sqrt(1 + 3)) = Phi(1) = 0.841345
    assert got[1] == pytest.approx(math.log(0.8413447))


def test_failed_value_estimate_carries_no_information():
    value = EvidenceMoment("x", "d", "s", "q", "value", 1.0, 0.3, "-", 0.4, "-")
    em = Emulator(np.array([[np.nan], [2.0]]), np.array([0.1]), np.array([[0.1], [0.1]]),
                  np.zeros(1))  # fmt: skip
    got = evidence_loglik([value], em)
    assert got[0] == 0.0
    assert got[1] == pytest.approx(-0.5 / (0.09 + 0.16 + 0.001))


def test_emulator_recovers_a_known_linear_mean():
    rng = np.random.default_rng(5)
    values = rng.uniform(0.0, 1.0, size=(300, 12))
    truth = 2.0 + 3.0 * values[:, 4]
    y = truth + rng.normal(0.0, 0.1, size=300)
    flat = rng.normal(0.0, 1.0, size=300)  # a moment no parameter moves
    em = emulate(np.column_stack([y, flat]), values)
    assert em.parameters[0] == (4,)
    assert np.max(np.abs(em.mean[:, 0] - truth)) < 0.05
    assert em.sd[0] == pytest.approx(0.1, rel=0.15)
    assert em.r2[0] > 0.95
    # no parameter: a constant emulator (every set weighs alike), or at most one chance pick
    assert len(em.parameters[1]) <= 1
    # leverage of an intercept plus one regressor sums to 2
    assert em.leverage[:, 0].sum() == pytest.approx(2.0)


def test_weights_are_counts_times_likelihood():
    fit = EvidenceFit(
        moments=[], draws=np.array([1, 4, 6]), counts=np.array([2, 1, 1]),
        simulated=np.zeros((3, 0)), emulator=Emulator(np.zeros((3, 0)), np.zeros(0),
                                                      np.zeros((3, 0)), np.zeros(0)),
        loglik=np.array([0.0, math.log(2.0), -math.inf]),
    )  # fmt: skip
    w = fit.weights(8)
    # draw 1: 2 x 1, draw 4: 1 x 2, draw 6: failed; the rest were not in the resample
    np.testing.assert_allclose(w, [0, 0.5, 0, 0, 0.5, 0, 0, 0])


@pytest.fixture(scope="module")
def with_evidence():
    return estimate.calibrate(
        2015, draws=16, replicates=1, sample_size=8, n_firms=300, stage_one=8,
        evidence_firms=300,
    )  # fmt: skip


def test_evidence_reweights_only_the_resampled_draws(with_evidence):
    result = with_evidence
    fit = result.evidence
    assert fit is not None and fit.counts.sum() == 8
    outside = np.setdiff1d(np.arange(16), fit.draws)
    assert np.all(result.weights[outside] == 0)
    assert set(result.sample_index) <= set(fit.draws)
    assert result.history_weights is not None and result.history_weights[outside].sum() > 0


def test_parameter_file_records_the_evidence(with_evidence):
    doc = estimate.to_document(with_evidence, {})
    names = [m["name"] for m in doc["evidence_moments"]]
    assert names == [
        "vat_investment", "vat_tfp", "vat_user_cost", "rd_elasticity", "demo_peers",
        "selection_size", "selection_prior",
    ]  # fmt: skip
    assert doc["settings"]["evidence"]["stage_one_resample"] == 8
    reach = {p["name"]: p["reached_by"] for p in doc["parameters"]}
    assert reach["investment_elasticity"] == ["vat_investment", "vat_user_cost", "vat_tfp"]
    assert reach["retrofit_tfp_effect"] == ["vat_tfp"]
    assert reach["demonstration_effect"] == ["demo_peers"]
    assert reach["innovation_centre_spillover"] == []
    left = {(r["study"], r["quantity"]) for r in doc["evidence_left_out"]}
    assert ("liu_mao_2019", "tfp_effect") not in left
    assert ("zhang_chen_he_2018", "investment_effect") in left


def test_earlier_files_keep_the_history_alone():
    result = estimate.calibrate(2014, draws=4, replicates=1, sample_size=4, n_firms=300)
    assert result.evidence is None
    np.testing.assert_array_equal(result.weights, result.history_weights)
    doc = estimate.to_document(result, {})
    assert "evidence_moments" not in doc
    reach = {p["name"]: p["reached_by"] for p in doc["parameters"]}
    assert reach["investment_elasticity"] == []


def test_the_catalogue_says_what_reaches_each_parameter():
    from mfgplan.inputs.behaviour import identification

    assert identification("demonstration_effect", True) == "yes: reached by demo_peers"
    assert identification("cnc_drift", True) == "yes: reached by cnc_trend"
    assert identification("retrofit_tfp_effect", True) == "yes: reached by vat_tfp"
    assert identification("innovation_centre_spillover", True) == "no"
    assert identification("project_life_years", False) == "fixed"


def test_the_plan_world_is_read_without_the_calibration_it_will_replace(tmp_path):
    from mfgplan.inputs.scenario import load_scenario
    from tests.conftest import ROOT

    # a scenario naming a parameter file that does not exist (as on a first calibration)
    path = tmp_path / "s.yaml"
    path.write_text(
        f"baseline: {ROOT / 'scenarios' / 'plan-2016.yaml'}\ntitle: t\n"
        "calibration: missing-as-of-2015.json\n"
    )
    resolved = load_scenario(path, with_calibration=False)
    assert resolved.parameters is None
    assert resolved.scenario.programme.annual_budget == 1e9
