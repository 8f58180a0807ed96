"""The run command end to end: the output contract, determinism, budgets, bad command lines."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mfgplan.cli import main
from tests.conftest import small_scenario

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {
    "manufacturing_va": ("replicate", "year"),
    "industrial_va": ("replicate", "year"),
    "industrial_va_growth": ("replicate", "year"),
    "sei_share": ("replicate", "year"),
    "hightech_share": ("replicate", "year"),
    "cnc_rate": ("replicate", "year"),
    "rd_intensity": ("replicate", "year"),
    "enterprise_count": ("replicate", "year"),
    "sector_va": ("replicate", "year", "sector"),
    "grant_committed": ("replicate", "year", "instrument", "sector"),
    "grant_paid": ("replicate", "year", "instrument", "sector"),
}


def small(tmp_path: Path, base: str, name: str | None = None) -> Path:
    """A shipped scenario with a small population, for speed."""
    return small_scenario(tmp_path, base, name=name or Path(base).stem)


@pytest.fixture(scope="module")
def plan_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plan")
    out = tmp / "run"
    assert main(["run", str(small(tmp, "plan-2016.yaml", "plan")), "--out", str(out), "-q"]) == 0
    return out


def test_run_folder_contract(plan_run):
    out = plan_run
    for name in ("results.nc", "targets.csv", "manifest.json", "scenario.resolved.yaml"):
        assert (out / name).is_file(), name
    assert not out.with_name(out.name + ".partial").exists()
    for name in ("manufacturing_va", "sei_share", "hightech_share", "cnc_rate"):
        assert (out / "charts" / f"{name}.png").stat().st_size > 10_000
    with xr.open_dataset(out / "results.nc") as ds:
        for name, dims in REQUIRED.items():
            assert ds[name].dims == dims, name
            assert ds[name].attrs["units"] and ds[name].attrs["long_name"], name
        assert int(ds.year[0]) == 2015 and int(ds.year[-1]) == 2025
        assert ds.sizes["replicate"] == 4
        for name in ("sei_share", "hightech_share", "cnc_rate", "rd_intensity"):
            v = ds[name].values
            assert ((v > 0) & (v < 1)).all(), name
        paid = ds.grant_paid.sum(("instrument", "sector"))
        budget = ds.allocation.sum("instrument")
        # paid never exceeds the budget cumulatively, in any replicate
        assert (paid.cumsum("year") <= budget.cumsum("year") + 1e-3).all()
        # committed = paid + outstanding + lapsed is checked against the ledger's payment record
        # and the project book in tests/unit/economy/test_ledger_records.py (the results hold
        # neither, and grant_outstanding is the ledger's remainder); here only that nothing is
        # owed or lapsed beyond what a year committed
        owed = ds.grant_outstanding + ds.grant_lapsed
        assert (ds.grant_outstanding >= -1e-3).all() and (ds.grant_lapsed >= -1e-3).all()
        assert (owed <= ds.grant_committed + 1e-3).all()
    table = pd.read_csv(out / "targets.csv")
    assert list(table.columns[:10]) == [
        "target", "indicator", "year", "target_year", "threshold", "units", "probability",
        "median", "p5", "p95",
    ]  # fmt: skip
    assert set(table.target) == {"manufacturing_va_1tn", "sei_share_30", "hightech_share_30",
                                 "cnc_rate_60"}  # fmt: skip
    assert table.probability.between(0, 1).all()
    # how much of each line's money was used, per year, in yuan (the province's units even at
    # 700 firms): the plan allocates 4.7亿元 a year to retrofit grants in 2016-2020, none later
    budget = pd.read_csv(out / "budget.csv")
    assert list(budget.columns) == [
        "instrument", "year", "allocated", "committed", "paid", "lapsed_awards", "outstanding",
        "lapsed_uncommitted",
    ]  # fmt: skip
    retrofit = budget[budget.instrument == "tech_retrofit_grant"].set_index("year")
    assert retrofit.loc[2016:2020, "allocated"].tolist() == [4.7e8] * 5
    assert retrofit.loc[2021:, "allocated"].sum() == 0.0
    assert (retrofit.loc[2016:2020, "committed"] <= 4.7e8 * 5).all()
    assert retrofit["paid"].sum() > 0
    assert len(budget) == 10 * 10  # ten lines, ten projected years
    manifest = json.loads((out / "manifest.json").read_text())
    for key in ("git_commit", "versions", "seed", "scenarios", "timings_seconds", "files"):
        assert key in manifest
    assert len(manifest["scenarios"][0]["sha256"]) == 64
    assert manifest["versions"]["mesa"].startswith("3.5")


def test_same_seed_gives_identical_results(plan_run, tmp_path):
    out = tmp_path / "again"
    scenario = small(tmp_path, "plan-2016.yaml", "plan")
    assert main(["run", str(scenario), "--out", str(out), "-q", "--no-charts"]) == 0
    with xr.open_dataset(plan_run / "results.nc") as a, xr.open_dataset(out / "results.nc") as b:
        xr.testing.assert_identical(a, b)
    # a subset of replicates run alone gives the same replicates (seeds per replicate)
    from mfgplan.inputs.scenario import load_scenario
    from mfgplan.runs.ensemble import run_ensemble

    resolved = load_scenario(scenario)
    part = run_ensemble(
        resolved.scenario,
        replicate_ids=[2, 3],
        parameters=resolved.parameters,
        explicit=resolved.explicit_behaviour,
        counterfactual=resolved.counterfactual,
    )
    with xr.open_dataset(plan_run / "results.nc") as a:
        np.testing.assert_array_equal(
            a.manufacturing_va.sel(replicate=[2, 3]).values, part.manufacturing_va.values
        )


def test_the_counterfactual_follows_the_baseline_and_no_money_falls_below_it(tmp_path):
    """The pre-plan policy mix is the world the baseline extrapolates: running it gives the
    baseline exactly. Stopping the old special funds too (no provincial money) pays nothing
    and leaves value added below it: the old money did something, and the plan's effect is
    measured from the pre-plan mix, not from zero."""
    pre = tmp_path / "pre"
    assert main(["run", str(small(tmp_path, "pre-plan.yaml")), "--out", str(pre), "-q",
                 "--no-charts"]) == 0  # fmt: skip
    with xr.open_dataset(pre / "results.nc") as ds:
        assert float(ds.grant_paid.sum()) > 0  # the old 0.7 bn a year is spent
        for name in ("manufacturing_va", "sei_share", "cnc_rate", "enterprise_count"):
            np.testing.assert_allclose(ds[name], ds[f"{name}_counterfactual"], rtol=1e-12)
    none = tmp_path / "none"
    assert main(["run", str(small(tmp_path, "no-programme.yaml")), "--out", str(none), "-q",
                 "--no-charts"]) == 0  # fmt: skip
    with xr.open_dataset(none / "results.nc") as ds:
        assert float(ds.grant_paid.sum()) == 0.0
        assert float(ds.grant_committed.sum()) == 0.0
        gap = (ds.manufacturing_va - ds.manufacturing_va_counterfactual).sel(year=2020)
        assert float(gap.mean()) < 0
        # before the programme starts, nothing differs
        base = ds.manufacturing_va.sel(year=2015) - ds.manufacturing_va_counterfactual.sel(
            year=2015
        )
        assert float(abs(base).max()) == 0.0
    assert (none / "counterfactual.yaml").exists()
    assert (pre / "scenario.resolved.yaml").exists() and not (pre / "counterfactual.yaml").exists()


def test_compare_runs_on_common_random_numbers(tmp_path):
    out = tmp_path / "cmp"
    a = small(tmp_path, "no-programme.yaml")
    b = small(tmp_path, "plan-2016.yaml", "plan")
    assert main(["compare", str(a), str(b), "--out", str(out), "-q", "-n", "3"]) == 0
    table = pd.read_csv(out / "compare.csv")
    assert set(table.scenario) == {"no-programme", "plan"}
    ref = table[table.scenario == "no-programme"]
    assert (ref.diff_median == 0).all()
    assert (out / "charts" / "manufacturing_va_difference.png").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "missing.yaml"], "file not found"),
        (["run", "scenarios/plan-2016.yaml", "--out", "scenarios"], "already exists"),
        (["forecast", "--as-of", "2030"], "--as-of"),
    ],
)
def test_bad_command_lines_exit_2_without_traceback(args, message, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_zero_replicates_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "scenarios/plan-2016.yaml", "--replicates", "0"])
    assert info.value.code == 2
    assert "at least 1" in capsys.readouterr().err


def test_run_prints_the_planners_summary(tmp_path, capsys):
    out = tmp_path / "run"
    scenario = small(tmp_path, "plan-2016.yaml", "plan")
    assert main(["run", str(scenario), "--out", str(out), "-q", "--no-charts"]) == 0
    printed = capsys.readouterr()
    lines = printed.out.splitlines()
    va = next(line for line in lines if line.startswith("  manufacturing VA above 1万亿元 by 2020"))
    assert "P(met) " in va and "亿元 [" in va  # probability and median with 90% intervals
    assert any("the programme's effect in 2020" in line for line in lines)
    cnc = next(line for line in lines if line.startswith("    CNC rate "))
    assert cnc.rstrip().endswith("pp]")  # a difference of shares is in percentage points
    retrofit = next(line for line in lines if line.strip().startswith("tech_retrofit_grant"))
    assert retrofit.count("亿元") == 3 and retrofit.rstrip().endswith("%")
    # 4 replicates: the intervals are rough and the command says so
    assert "warning: only 4 replicates" in printed.err


def test_results_pass_the_cf_checker(plan_run):
    """results.nc against CF-1.11 (the IOOS compliance checker): no high-priority problem.

    The one finding allowed is the documented one: money is in ``yuan``, which CF and UDUNITS
    have no unit for (outputs/README.md). Every money variable is named, nothing else.
    """
    from compliance_checker.base import BaseCheck
    from compliance_checker.runner import CheckSuite

    suite = CheckSuite()
    suite.load_all_available_checkers()
    results, errors = suite.run_all(
        suite.load_dataset(str(plan_run / "results.nc")), ["cf:1.11"], skip_checks=[]
    )["cf:1.11"]
    # the checker's own failure on string coordinates (sector, instrument names), not the file's
    assert set(errors) <= {"check_coordinate_variables_strict_monotonicity"}
    failed = [
        r for r in results
        if r.weight == BaseCheck.HIGH
        and not (r.value if isinstance(r.value, bool) else r.value[0] == r.value[1])
    ]  # fmt: skip
    messages = [m for r in failed for m in r.msgs]
    with xr.open_dataset(plan_run / "results.nc") as ds:
        money = {n for n, v in ds.variables.items() if v.attrs.get("units") == "yuan"}
        assert ds.attrs["Conventions"] == "CF-1.11"
        for name in ("title", "history", "source", "institution", "references"):
            assert ds.attrs[name], name
        assert ds["sei_share"].attrs["units"] == "1" and ds["awards"].attrs["units"] == "1"
    # 15 money variables: VA (2 + 2 counterfactual), sector VA, 5 ledger arrays, allocation,
    # 2 equity, 2 tax expenditure
    assert len(money) == 15
    expected = {f'units for {n}, "yuan" are not recognized by UDUNITS' for n in money}
    assert set(messages) == expected
