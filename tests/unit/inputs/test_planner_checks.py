"""The checks a planner needs: amounts that cannot be yuan, budget left unallocated, every
problem of a file in one pass and in line order."""

from __future__ import annotations

import pytest

from mfgplan.cli import main
from mfgplan.inputs.scenario import ScenarioError, load_scenario


def scenario(tmp_path, text: str, name: str = "s.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("0.47", "0.47 of 10亿元 is 4.7亿元"),  # a share written where yuan are meant
        ("47", "did you mean 47万元 or 47亿元?"),
        ("5千元", "5000 yuan is less than 1万元"),
    ],
)
def test_an_amount_that_cannot_be_yuan_is_refused_with_a_suggestion(tmp_path, value, hint):
    path = scenario(
        tmp_path, f"title: x\nprogramme:\n  allocation:\n    tech_retrofit_grant: {value}\n"
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    (problem,) = err.value.problems
    assert (problem.line, problem.field) == (4, "programme.allocation.tech_retrofit_grant")
    assert hint in problem.message


def test_zero_and_a_real_amount_are_accepted(tmp_path):
    path = scenario(
        tmp_path,
        "title: x\nprogramme:\n  allocation:\n    tech_retrofit_grant: 4.7亿元\n"
        "    loan_guarantee_subsidy: 0\n",
    )
    assert load_scenario(path).scenario.programme.allocation.tech_retrofit_grant == 4.7e8


def test_unallocated_budget_is_a_warning_not_an_error(tmp_path, capsys):
    # the defaults allocate 10亿元 a year; taking the retrofit line's 4.7亿元 away leaves it
    path = scenario(tmp_path, "title: x\nprogramme:\n  allocation:\n    tech_retrofit_grant: 0\n")
    resolved = load_scenario(path)
    (warning,) = resolved.warnings
    assert (warning.line, warning.field) == (3, "programme.allocation")
    assert warning.message.startswith("4.7亿元 a year of the 10亿元 budget in 2016-2020")
    assert main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"warning: {path}:3: programme.allocation: 4.7亿元 a year")


def test_a_fully_allocated_budget_has_no_warning(tmp_path):
    assert load_scenario(scenario(tmp_path, "title: x\n")).warnings == ()


def test_every_problem_of_a_file_in_one_pass_in_line_order(tmp_path):
    path = scenario(
        tmp_path,
        "title: x\n"
        "programme:\n"
        "  allocation:\n"
        "    tech_retrofit_grant: 9亿元\n"  # 14.3亿元 a year with the other lines: over budget
        "    major_project_support: {2016: 1.2亿元, 2014: 1亿元, 2030: 1亿元}\n"
        "seed: abc\n",
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    got = [(p.line, p.field, p.message) for p in err.value.problems]
    assert [(line, fld) for line, fld, _ in got] == [
        (3, "programme.allocation"),
        (5, "programme.allocation.major_project_support"),
        (6, "seed"),
    ]
    assert "2016-2020 allocations sum to 1.43e+09 yuan, more than the 1e+09 yuan" in got[0][2]
    assert got[1][2] == "years 2014, 2030 are outside the allowed years 2016-2020"


def test_a_rule_that_reads_a_bad_field_says_nothing(tmp_path):
    # the budget sum cannot be known when one of its lines is unreadable: only that line is named
    path = scenario(
        tmp_path,
        "title: x\nprogramme:\n  allocation:\n    tech_retrofit_grant: 9亿元\n"
        "    major_project_support: lots\n",
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert [p.field for p in err.value.problems] == ["programme.allocation.major_project_support"]
