"""Scenario files: money units, baselines, per-year values, and every kind of bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mfgplan.inputs.money import MoneyError, parse_money
from mfgplan.inputs.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize(
    ("text", "yuan"),
    [
        ("3亿元", 3e8),
        ("300万元", 3e6),
        ("1万亿元", 1e12),
        ("2.5e9 yuan", 2.5e9),
        ("1_000_000", 1e6),
        (5, 5.0),
        ("0.2亿元", 2e7),
        # every unit, with and without 元 (values by hand)
        ("12元", 12.0),
        ("5千元", 5_000.0),
        ("5千", 5_000.0),
        ("3十万元", 300_000.0),
        ("2百万", 2_000_000.0),
        ("1.5千万元", 15_000_000.0),
        ("4.7亿", 470_000_000.0),
        ("1百亿元", 10_000_000_000.0),
        ("2千亿", 200_000_000_000.0),
        ("1万亿", 1_000_000_000_000.0),
    ],
)
def test_money_units(text, yuan):
    assert parse_money(text) == pytest.approx(yuan)


@pytest.mark.parametrize("text", ["3亿美元", "-5", "nan", "inf", True, "lots", "3 亿 dollars", -1])
def test_money_rejects(text):
    with pytest.raises(MoneyError):
        parse_money(text)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenarios_validate(path):
    resolved = load_scenario(path)
    assert resolved.scenario.title
    # the resolved YAML loads back to the same scenario
    again = yaml.safe_load(resolved.to_yaml())
    from mfgplan.inputs.parameters import Scenario

    # the counterfactual is named by its absolute path, so the file loads from anywhere
    assert again["counterfactual"] == str(resolved.counterfactual_path)
    assert Path(again["counterfactual"]).name == "pre-plan.yaml"
    skip = {"baseline", "counterfactual"}
    reloaded = Scenario.model_validate(again).model_dump(exclude=skip)
    assert reloaded == resolved.scenario.model_dump(exclude=skip)


def test_alternatives_spend_the_same_five_billion():
    totals = {}
    for path in SHIPPED:
        s = load_scenario(path).scenario
        totals[path.stem] = sum(sum(v.values()) for v in s.allocation_by_year().values())
    assert totals["no-programme"] == 0
    for name in ("plan-2016", "retrofit-heavy", "demonstration-heavy", "cluster-innovation-heavy"):
        assert totals[name] == pytest.approx(5e9), name


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_baseline_override_and_per_year_values(tmp_path):
    write(tmp_path, "base.yaml", "title: base\nprogramme:\n  allocation:\n"
          "    tech_retrofit_grant: {default: 4.7亿元, 2019: 3亿元}\n")  # fmt: skip
    child = write(
        tmp_path, "child.yaml",
        "baseline: base\ntitle: child\nprogramme:\n  allocation:\n"
        "    tech_retrofit_grant: {2020: 1亿元}\n  instruments:\n    tech_retrofit_grant:\n"
        "      cap: 500万元\n",
    )  # fmt: skip
    r = load_scenario(child)
    alloc = r.scenario.allocation_by_year()["tech_retrofit_grant"]
    # default 4.7亿 until 2019 (3亿), 2020 overridden by the child (1亿)
    assert alloc == {2016: 4.7e8, 2017: 4.7e8, 2018: 4.7e8, 2019: 3e8, 2020: 1e8}
    assert r.scenario.programme.instruments.tech_retrofit_grant.cap == 5e6
    assert r.scenario.programme.instruments.tech_retrofit_grant.matching_rate == 0.05
    assert [p.name for p in r.chain] == ["child.yaml", "base.yaml"]


def test_huge_file_is_refused_before_parsing(tmp_path):
    huge = tmp_path / "huge.yaml"
    huge.write_text("title: x\n" + "# padding\n" * 120_000)
    with pytest.raises(ScenarioError, match="limit"):
        load_scenario(huge)


def test_all_problems_reported_at_once(tmp_path):
    path = write(tmp_path, "many.yaml", "title: x\nseed: abc\nreplicates: 0\nfoo: 1\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    fields = {p.field for p in info.value.problems}
    assert {"seed", "replicates", "foo"} <= fields
    lines = {p.field: p.line for p in info.value.problems}
    assert lines["seed"] == 2 and lines["foo"] == 4


def test_validate_command_exit_code_and_no_traceback(tmp_path):
    bad = write(tmp_path, "bad.yaml", "title: x\nprogramme:\n  alocation: {}\n")
    run = subprocess.run(
        [sys.executable, "-m", "mfgplan.cli", "validate", str(bad), str(SHIPPED[0])],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert f"{bad}:3: programme.alocation: unknown key" in run.stderr
    assert run.stdout.startswith("OK ")


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
    st.text(max_size=12), st.sampled_from(["3亿元", "1万亿元", "abc", "2016", "default"]),
)  # fmt: skip
keys = st.sampled_from(
    ["title", "seed", "replicates", "horizon", "base_year", "programme", "allocation",
     "tech_retrofit_grant", "annual_budget", "instruments", "behaviour", "baseline", "x", "2018",
     "default", "national_policy", "rd_super_deduction_rate", "cap"]
)  # fmt: skip
documents = st.recursive(
    scalars, lambda children: st.dictionaries(keys, children, max_size=5), max_leaves=20
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=documents)
def test_generated_documents_never_crash_the_loader(tmp_path, document):
    path = tmp_path / "gen.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    try:
        load_scenario(path)
    except ScenarioError as err:
        assert err.problems


def test_resolved_yaml_with_per_year_values_loads_back(tmp_path):
    """Year keys survive the round trip (a JSON-mode dump writes them as strings)."""
    root = Path(__file__).resolve().parents[3]
    child = tmp_path / "child.yaml"
    child.write_text(
        f"baseline: {root / 'scenarios' / 'plan-2016.yaml'}\ntitle: per-year\n"
        "programme:\n  allocation:\n    tech_retrofit_grant: {2016: 4亿元, 2018: 4.7亿元}\n",
        encoding="utf-8",
    )
    resolved = load_scenario(child)
    again = tmp_path / "again.yaml"
    again.write_text(resolved.to_yaml(calibration_ref=None).replace(
        "calibration: ../calibration/params/as-of-2015.json",
        f"calibration: {root / 'calibration' / 'params' / 'as-of-2015.json'}",
    ), encoding="utf-8")  # fmt: skip
    assert load_scenario(again).scenario == resolved.scenario.model_copy(
        update={
            "calibration": str(root / "calibration" / "params" / "as-of-2015.json"),
            "baseline": None,
            "counterfactual": str(root / "scenarios" / "pre-plan.yaml"),
        }
    )


def test_a_counterfactual_with_per_year_values_is_written_so_that_it_loads_back(tmp_path):
    """Year keys stay integers in the counterfactual a run folder keeps."""
    root = Path(__file__).resolve().parents[3]
    (tmp_path / "cf.yaml").write_text(
        f"baseline: {root / 'scenarios' / 'pre-plan.yaml'}\ntitle: cf per year\n"
        "counterfactual: cf.yaml\nprogramme:\n  allocation:\n"
        "    tech_retrofit_grant: {2016: 3亿元, 2018: 3.2亿元}\n",
        encoding="utf-8",
    )
    child = tmp_path / "child.yaml"
    child.write_text(
        f"baseline: {root / 'scenarios' / 'plan-2016.yaml'}\ntitle: child\n"
        "counterfactual: cf.yaml\n",
        encoding="utf-8",
    )
    resolved = load_scenario(child)
    kept = tmp_path / "kept.yaml"
    kept.write_text(resolved.counterfactual_yaml("kept.yaml"), encoding="utf-8")
    again = load_scenario(kept)
    assert again.scenario.programme.allocation.tech_retrofit_grant == {2016: 3e8, 2018: 3.2e8}
    assert again.own_counterfactual
