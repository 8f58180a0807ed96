"""Which of the programme's parameters the data has not moved, and the caution printed."""

from __future__ import annotations

from mfgplan.analysis.uncertainty import PROGRAMME_CHANNELS, unidentified
from mfgplan.report.text import caution_line


def test_a_parameter_is_unidentified_when_its_sd_did_not_shrink_below_80_percent():
    records = [
        {"name": "demonstration_effect", "prior_sd": 0.0102, "posterior_sd": 0.0101},  # 0.99
        {"name": "hightech_upgrade_step", "prior_sd": 0.055, "posterior_sd": 0.035},  # 0.64
        {"name": "retrofit_tfp_effect", "prior_sd": 0.05, "posterior_sd": 0.045},  # 0.9
    ]
    out = unidentified(records)
    assert "demonstration_effect" in out and "retrofit_tfp_effect" in out
    assert "hightech_upgrade_step" not in out
    # a programme parameter missing from the file is not known to be identified either
    assert "innovation_centre_spillover" in out
    assert len(out) == len(PROGRAMME_CHANNELS) - 1
    assert unidentified(None) is None


def test_the_caution_names_the_parameters_and_says_nothing_when_all_are_identified():
    line = caution_line(["demonstration_effect", "innovation_centre_spillover"], "the allocation")
    assert line.startswith("caution: the allocation rests on 2 parameters")
    assert "demonstration_effect, innovation_centre_spillover" in line
    assert caution_line([], "x") is None and caution_line(None, "x") is None
