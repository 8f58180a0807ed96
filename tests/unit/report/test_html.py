"""report.html's words and numbers, against values worked out by hand."""

from __future__ import annotations

import pandas as pd

from mfgplan.report.html import RunReport, first_likely_year, run_report, verdict


def _targets() -> pd.DataFrame:
    rows = []
    for year, p in ((2019, 0.20), (2020, 0.36), (2021, 0.55), (2022, 0.80)):
        rows.append(
            {"target": "manufacturing_va_1tn", "indicator": "manufacturing_va", "year": year,
             "probability": p, "median": 9.456e11, "p5": 8.0e11, "p95": 1.12e12,
             "replicates": 1000}
        )  # fmt: skip
    rows.append(
        {"target": "sei_share_30", "indicator": "sei_share", "year": 2020, "probability": 0.0,
         "median": 0.171, "p5": 0.150, "p95": 0.190, "replicates": 1000}
    )  # fmt: skip
    return pd.DataFrame(rows)


def test_first_likely_year_and_verdict_words():
    t = _targets()
    assert first_likely_year(t, "manufacturing_va_1tn") == 2021
    assert first_likely_year(t, "manufacturing_va_1tn", 0.9) is None
    assert verdict(0.0, 0.0, 0.0027) == "missed"  # 0 of 1000: Wilson high end 0.0027
    assert verdict(0.36, 0.335, 0.385) == "unlikely"
    assert verdict(0.55, 0.52, 0.58) == "likely"
    assert verdict(0.35, 0.20, 0.53) == "even"  # 7 of 20: the interval straddles 0.5


def test_the_run_report_says_the_numbers_in_the_planners_units():
    budget = pd.DataFrame(
        {"instrument": ["tech_retrofit_grant", "loan_guarantee_subsidy", "investment_fund"],
         "allocated": [2.35e9, 1.5e8, 0.0], "committed": [1.0e9, 3.0e6, 0.0],
         "paid": [8.7e8, 3.0e6, 0.0], "lapsed": [0.0, 0.0, 0.0],
         "paid_share": [8.7e8 / 2.35e9, 0.02, 0.0]}
    )  # fmt: skip
    effects = pd.DataFrame(
        {"indicator": ["manufacturing_va", "sei_share"], "year": [2020, 2020],
         "units": ["yuan", "fraction"], "median": [3.99e9, 0.0048], "p5": [1.27e9, 0.002],
         "p95": [1.028e10, 0.009], "mean": [4e9, 0.005]}
    )  # fmt: skip
    parameters = [
        {"name": "demonstration_effect", "prior": {"source": "wide prior 0-0.05"},
         "prior_sd": 0.0102, "posterior_sd": 0.0101},
        {"name": "hightech_upgrade_step", "prior": {"source": "assumption"},
         "prior_sd": 0.055, "posterior_sd": 0.035},
    ]  # fmt: skip
    page = run_report(
        RunReport("Plan 2016", "plan-2016.yaml", 1000, 20160114, "0.5.0", _targets(), effects,
                  budget, parameters=parameters),
        lang="en",
    )  # fmt: skip
    # P 0.36 of 1000: Wilson 90% (z 1.645): centre 0.3604, half-width 0.0249 -> [0.3354, 0.3853]
    assert "0.36 [0.34, 0.39]" in page
    assert "9,456亿元 [8,000亿元, 11,200亿元]" in page
    assert "<td>2021</td>" in page  # first year with P >= 0.5
    assert "will be missed" in page and "not by 2022" in page  # SEI: 0 of 1000
    assert "+39.9亿元 [+12.7亿元, +102.8亿元]" in page and "+0.48 pp" in page
    # (8.7e8 + 3e6) / (2.35e9 + 1.5e8) = 34.9%; the fund has no grant money and no row
    assert "34.92%" not in page and "35%" in page and "manufacturing investment fund" not in page
    # 0.0101 / 0.0102 = 0.99: not moved; 0.035 / 0.055 = 0.64: moved
    assert "0.99" in page and "no (assumption only)" in page and "0.64" in page
    assert "结论" not in page  # English only
