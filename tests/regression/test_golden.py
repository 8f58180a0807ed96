"""Golden summaries of every shipped scenario (small population, few replicates).

The comparison is exact (``==`` on every stored number): a refactoring must not move the
last bit. A change of results makes these fail on purpose and writes what was computed beside
the golden file (``<scenario>.actual.json``, git-ignored) for review; then say in CHANGELOG.md
that results change and why, and regenerate with
``MFGPLAN_UPDATE_GOLDEN=1 pytest tests/regression``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from mfgplan.analysis.targets import TARGETS
from mfgplan.calibration.forecast import fit_baseline
from mfgplan.inputs.scenario import load_scenario
from mfgplan.runs.ensemble import run_ensemble

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
N_FIRMS, REPLICATES = 800, 4


@pytest.fixture(scope="module")
def fit():
    return fit_baseline(as_of=2015)


def summary(path: Path, fit) -> dict[str, float]:
    resolved = load_scenario(path)
    ds = run_ensemble(
        resolved.scenario,
        replicates=REPLICATES,
        fit=fit,
        n_firms=N_FIRMS,
        parameters=resolved.parameters,
        explicit=resolved.explicit_behaviour,
        counterfactual=resolved.counterfactual,
    )
    out = {}
    for t in TARGETS:
        v = ds[t.indicator].sel(year=t.year).values
        out[f"{t.name}_median"] = float(np.median(v))
        out[f"{t.name}_probability"] = float(np.mean(v >= t.threshold))
    out["grant_paid_total"] = float(ds.grant_paid.sum())
    out["grant_committed_total"] = float(ds.grant_committed.sum())
    out["awards_total"] = float(ds.awards.sum())
    out["fund_equity_total"] = float(ds.fund_equity.sum())
    return out


@pytest.mark.regression
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_golden_summary(path, fit):
    got = summary(path, fit)
    file = GOLDEN / f"{path.stem}.json"
    if os.environ.get("MFGPLAN_UPDATE_GOLDEN") == "1":
        file.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    expected = json.loads(file.read_text())
    actual = file.with_suffix(".actual.json")
    if got != expected:
        actual.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    else:
        actual.unlink(missing_ok=True)
    assert set(got) == set(expected)
    differ = {k: (got[k], v) for k, v in expected.items() if got[k] != v}
    assert not differ, f"computed != golden (written to {actual.name}): {differ}"
