"""attribute, optimize and sensitivity end to end on a small population."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from mfgplan.analysis.attribution import INSTRUMENTS, OUTCOMES
from mfgplan.cli import main
from mfgplan.inputs.scenario import load_scenario
from tests.conftest import small_scenario

ROOT = Path(__file__).resolve().parents[2]


def small(tmp_path: Path, extra: str = "") -> Path:
    return small_scenario(tmp_path, extra=extra)


@pytest.fixture(scope="module")
def attribution(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("att")
    # one line without money: its effect must be exactly zero
    scenario = small(tmp, "programme:\n  allocation:\n    loan_guarantee_subsidy: 0\n")
    out = tmp / "out"
    assert main(["attribute", str(scenario), "-n", "4", "--out", str(out), "-q"]) == 0
    return out


def test_attribution_table(attribution):
    table = pd.read_csv(attribution / "attribution.csv")
    totals = {
        "plan against its counterfactual", "all provincial money",
        "sum of provincial instruments", "interaction",
    }  # fmt: skip
    assert set(table["instrument"]) == {*INSTRUMENTS, *totals}
    assert set(table["outcome"]) == set(OUTCOMES)
    unfunded = table[table["instrument"] == "loan_guarantee_subsidy"]
    assert (unfunded["effect_mean"] == 0).all() and (unfunded["money_paid"] == 0).all()
    cumulative = table[table["outcome"] == "industrial_va_cumulative"].set_index("instrument")
    whole = cumulative.loc["all provincial money", "effect_mean"]
    total = cumulative.loc["sum of provincial instruments", "effect_mean"]
    # the CSV keeps six significant figures: the interaction is a difference of large numbers
    scale = 1e-5 * max(abs(whole), abs(total))
    assert cumulative.loc["interaction", "effect_mean"] == pytest.approx(whole - total, abs=scale)
    # the national super-deduction is not in the province's sum
    provincial = [i for i in INSTRUMENTS if i != "rd_super_deduction"]
    provincial_sum = cumulative.loc[provincial, "effect_mean"].sum()
    assert total == pytest.approx(
        provincial_sum, abs=1e-5 * cumulative.loc[provincial, "effect_mean"].abs().sum()
    )
    # the province's money raises value added and the CNC rate (every replicate)
    assert cumulative.loc["all provincial money", "effect_p5"] > 0
    cnc = table[table["outcome"] == "cnc_rate_2020"].set_index("instrument")
    assert cnc.loc["all provincial money", "effect_mean"] > 0
    # the plan adds less than all provincial money: the old 0.7 bn a year was there before
    plan = cumulative.loc["plan against its counterfactual", "effect_mean"]
    assert plan < whole
    retrofit = cumulative.loc["tech_retrofit_grant"]
    assert 0 <= retrofit["deadweight_share"] <= 1
    assert retrofit["money_paid"] > 0
    assert (attribution / "charts" / "per_yuan_industrial_va_cumulative.png").is_file()
    manifest = json.loads((attribution / "manifest.json").read_text())
    assert any("not allowed by its rule" in n for n in manifest["notes"])


def test_optimize_writes_a_scenario_that_runs(tmp_path, capsys):
    out = tmp_path / "opt"
    code = main(["optimize", str(small(tmp_path)), "--quick", "--final-replicates", "6", "-j", "2",
                 "--objective", "va:2020", "--by-year", "--out", str(out), "-q"])  # fmt: skip
    assert code == 0
    profile = pd.read_csv(out / "year_profile.csv")
    assert list(profile["year"]) == [2016, 2017, 2018, 2019, 2020]
    assert profile["optimised_share"].sum() == pytest.approx(1.0)
    assert (out / "charts" / "optimiser_years.png").is_file()
    allocation = pd.read_csv(out / "allocation.csv")
    assert allocation["optimised_share"].sum() == pytest.approx(1.0)
    assert (allocation["optimised_share"] <= allocation["upper_bound"] + 1e-9).all()
    finalists = pd.read_csv(out / "finalists.csv")
    assert finalists["indistinguishable"].any()
    assert (out / "charts" / "optimiser.png").is_file()
    written = (out / "optimized.yaml").read_text()
    document = yaml.safe_load(written)
    assert document["calibration"] == "calibration.json"
    # the source's own lines and comments are kept; amounts keep their units
    assert "n_firms: 700" in written and "# Optimised allocation of" in written
    assert "万元" in written and "optimised: " in written and "1000000000.0" not in written
    # the annual budget follows the chosen spread over the years (whole 万元, rounded down)
    budget = load_scenario(out / "optimized.yaml").scenario.programme.annual_budget
    assert sorted(budget) == [2016, 2017, 2018, 2019, 2020]
    assert sum(budget.values()) == pytest.approx(5e9, abs=5 * 1e4)
    # the written scenario is accepted by run
    run_out = tmp_path / "run"
    assert main(["run", str(out / "optimized.yaml"), "-n", "2", "--out", str(run_out), "-q",
                 "--no-charts"]) == 0  # fmt: skip
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["objective"]["spec"] == "va:2020"
    assert "by_year" in manifest
    assert manifest["evaluations"] > 0


def test_optimize_says_when_there_is_nothing_to_choose(tmp_path, capsys):
    """The default objective (every 2020 target met) is 0 for every allocation here (the SEI
    target is out of reach): no optimized.yaml, and an objective that discriminates named."""
    out = tmp_path / "tie"
    # a smaller population than small()'s 700 firms: every allocation still scores 0
    code = main(["optimize", str(small(tmp_path)), "--quick", "--final-replicates", "6", "-j", "2",
                 "--firms", "300", "--out", str(out), "-q"])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "nothing to choose" in printed and "va:2020" in printed
    assert not (out / "optimized.yaml").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["nothing_to_choose"] is True and manifest["written"] is None
    # asked for, it is written
    again = tmp_path / "tie-written"
    assert main(["optimize", str(small(tmp_path)), "--quick", "--final-replicates", "6", "-j", "2",
                 "--firms", "300", "--write-tied", "--out", str(again), "-q"]) == 0  # fmt: skip
    assert (again / "optimized.yaml").is_file()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--objective", "nonsense"], "unknown objective"),
        (["--objective", "va:2050"], "the year must lie"),
        (["--min-share", "tech_retrofit_grant"], "INSTRUMENT=SHARE"),
        (["--min-share", "no_such=0.1"], "unknown instrument"),
        (["--min-share", "it_integration_demo_award=0.5"], "count x amount"),
        (
            [
                "--min-share",
                "tech_retrofit_grant=0.7",
                "--min-share",
                "first_of_kind_equipment_subsidy=0.5",
            ],
            "add up to",
        ),
    ],
)
def test_optimize_bad_options_exit_2(tmp_path, capsys, options, message):
    out = tmp_path / "opt"
    assert main(["optimize", str(small(tmp_path)), "--out", str(out), "-q", *options]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and not out.with_name("opt.partial").exists()


def test_sensitivity_and_discovery(tmp_path, capsys):
    out = tmp_path / "sens"
    code = main(["sensitivity", str(small(tmp_path)), "-j", "2", "--samples", "2", "-n", "1",
                 "--prim-replicates", "16", "--out", str(out), "-q"])  # fmt: skip
    assert code == 0
    table = pd.read_csv(out / "sensitivity.csv")
    assert {"mu_star", "mu_star_conf", "rank"} <= set(table.columns)
    assert table["output"].nunique() == 4
    factors = pd.read_csv(out / "factors.csv")
    assert "innovation_rate" in set(factors["name"])
    assert "programme.instruments.loan_guarantee_subsidy.fee_rate" in set(factors["name"])
    discovery = pd.read_csv(out / "discovery.csv")
    assert len(discovery) == 4
    manifest = json.loads((out / "manifest.json").read_text())
    # two trajectories are too few: the warning is recorded and printed
    assert manifest["warnings"]
    assert "warning:" in capsys.readouterr().err
    assert (out / "charts" / "sensitivity_cnc_rate_2020.png").is_file()
    # a target missed (or met) in every replicate has no box to draw: a note, not an empty panel
    for row in discovery.itertuples():
        chart = out / "charts" / f"prim_{row.target}.png"
        if row.missed_share in (0.0, 1.0):
            assert row.chart.startswith("no chart: ") and not chart.exists()
        else:
            assert row.chart == f"charts/prim_{row.target}.png" and chart.is_file()


def test_sensitivity_sobol_needs_a_power_of_two(tmp_path, capsys):
    code = main(["sensitivity", str(small(tmp_path)), "--method", "sobol", "--samples", "10",
                 "--out", str(tmp_path / "s"), "-q"])  # fmt: skip
    assert code == 2
    assert "power of two" in capsys.readouterr().err


def test_frontier_writes_its_tables_and_chart(tmp_path, capsys):
    out = tmp_path / "frontier"
    code = main(["frontier", str(small(tmp_path)), "--scales", "0,1,4", "-n", "4", "--out",
                 str(out), "-q"])  # fmt: skip
    assert code == 0
    table = pd.read_csv(out / "frontier.csv")
    assert sorted(table["scale"].unique()) == [0.0, 1.0, 4.0]
    assert {"probability", "p_low", "p_high", "median", "first_year_p50"} <= set(table.columns)
    summary = pd.read_csv(out / "frontier_summary.csv")
    assert set(summary["target"]) == {
        "manufacturing_va_1tn", "sei_share_30", "hightech_share_30", "cnc_rate_60",
    }  # fmt: skip
    # with more money the plan's probabilities do not fall (common random numbers)
    for _, rows in table.groupby("target"):
        assert rows.sort_values("scale")["probability"].is_monotonic_increasing
    assert (out / "charts" / "frontier.png").is_file()
    printed = capsys.readouterr().out
    assert "what would it take?" in printed and "P >= 0.9" in printed


def test_frontier_refuses_bad_scales(tmp_path, capsys):
    with pytest.raises(SystemExit) as err:
        main(["frontier", str(small(tmp_path)), "--scales", "1,-2"])
    assert err.value.code == 2
    assert "a scale must be between 0 and 1000" in capsys.readouterr().err
