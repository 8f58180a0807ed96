"""Numbers in the planner's units (values worked out by hand)."""

from __future__ import annotations

import pandas as pd
import pytest

from mfgplan.report import text


@pytest.mark.parametrize(
    ("yuan", "sign", "shown"),
    [
        (9.42e11, False, "9,420亿元"),  # 9.42e11 / 1e8 = 9,420
        (6.32e9, True, "+63.2亿元"),
        (4.7e8, False, "4.70亿元"),
        (3.7e6, False, "0.0370亿元"),
        (-1.5e9, True, "-15.0亿元"),
        (0.0, False, "0.00亿元"),
    ],
)
def test_money_in_yi_yuan(yuan, sign, shown):
    assert text.money(yuan, sign=sign) == shown


def test_shares_in_percent_and_differences_in_points():
    assert text.value("fraction", 0.1731) == "17.3%"
    assert text.difference("fraction", 0.005) == "+0.50 pp"
    assert text.value("count", 9226.4) == "9,226"
    assert text.band("fraction", 0.154, 0.182) == "[15.4%, 18.2%]"
    assert text.band("yuan", -1e8, 2e9, diff=True) == "[-1.00亿元, +20.0亿元]"


def test_few_replicates_say_how_rough_a_probability_is():
    assert text.few_replicates(200) is None
    # Wilson 90% at p = 0.5, n = 20: z = 1.645, z^2 = 2.706; denominator 1 + 2.706/20 = 1.1353;
    # half-width 1.645 / 1.1353 * sqrt(0.25/20 + 2.706/1600) = 1.449 * 0.1191 = 0.173
    assert "+-0.17 " in text.few_replicates(20)


def test_target_lines_carry_the_wilson_interval():
    table = pd.DataFrame(
        [{"target": "sei_share_30", "year": 2020, "probability": 0.0, "median": 0.1731,
          "p5": 0.159, "p95": 0.188, "replicates": 200}]
    )  # fmt: skip
    (line,) = text.target_lines(table)
    # Wilson 90% at p = 0 with n = 200: upper 2.706 / (200 + 2.706) = 0.0133
    assert line == (
        "  SEI at least 30% of industrial VA by 2020: P(met) 0.00 [0.00, 0.01]; median 17.3% "
        "[15.9%, 18.8%]"
    )
