"""The notebook API gives what the command line writes, value for value, and the example runs."""

from __future__ import annotations

import runpy
import subprocess
import sys

import pytest
import xarray as xr

import mfgplan
from mfgplan.cli import main
from mfgplan.errors import InputError
from tests.conftest import ROOT, small_scenario


def load(path):
    with xr.open_dataset(path) as ds:
        return ds.load()


def test_run_is_the_results_file_of_mfgplan_run(tmp_path):
    """The issue's own check: the shipped plan at its full population, 8 replicates, seed 5."""
    plan = ROOT / "scenarios" / "plan-2016.yaml"
    out = tmp_path / "run"
    assert main(["run", str(plan), "--replicates", "8", "--seed", "5", "--out", str(out),
                 "-q", "--no-charts"]) == 0  # fmt: skip
    ds = mfgplan.run(plan, replicates=8, seed=5)
    assert ds.identical(load(out / "results.nc"))
    assert ds.attrs["calibration"] == "as-of-2015.json"  # the scenario's calibration applied
    assert ds["parameter_set"].values.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]


def test_import_mfgplan_works_from_any_folder(tmp_path):
    (tmp_path / "model.py").write_text("raise SystemExit('the user model.py was imported')\n")
    done = subprocess.run(
        [sys.executable, "-c", "import mfgplan, model; print(mfgplan.__version__)"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    # a notebook folder's own model.py no longer hides the package
    assert done.returncode == 1 and "the user model.py was imported" in done.stderr
    done = subprocess.run(
        [sys.executable, "-c", "import mfgplan; print(mfgplan.__version__)"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == mfgplan.__version__


def test_compare_is_the_comparison_of_mfgplan_compare(tmp_path):
    plan = small_scenario(tmp_path, "plan-2016.yaml", name="plan", replicates=4)
    heavy = small_scenario(tmp_path, "demonstration-heavy.yaml", name="demo", replicates=4)
    out = tmp_path / "cmp"
    assert main(["compare", str(plan), str(heavy), "--out", str(out), "-q"]) == 0
    cmp = mfgplan.compare([plan, heavy])
    assert cmp.labels == ["plan", "demo"]
    for label in cmp.labels:
        assert cmp.datasets[label].identical(load(out / f"results_{label}.nc")), label
    written = (out / "compare.csv").read_text(encoding="utf-8")
    assert cmp.table.to_csv(index=False, float_format="%.6g") == written


def test_bad_input_raises_one_readable_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: x\nreplicates: 0\n")
    with pytest.raises(InputError, match=r"bad\.yaml:2: replicates:"):
        mfgplan.load_scenario(bad)
    with pytest.raises(InputError, match="file not found"):
        mfgplan.run(tmp_path / "missing.yaml")


def test_the_example_notebook_runs(monkeypatch, capsys):
    monkeypatch.setenv("MFGPLAN_EXAMPLE_REPLICATES", "2")
    runpy.run_path(str(ROOT / "examples" / "notebook.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "2020 manufacturing VA: median" in out and "retrofit-heavy" in out
