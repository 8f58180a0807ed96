"""Target evaluation on a hand-made ensemble."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from mfgplan.analysis.targets import TARGETS, target_table


def dataset() -> xr.Dataset:
    years = np.array([2019, 2020])
    mfg = np.array([[0.9e12, 0.95e12], [0.9e12, 1.0e12], [0.9e12, 1.1e12], [0.9e12, 1.2e12]])
    share = np.array([[0.2, 0.29], [0.2, 0.30], [0.2, 0.31], [0.2, 0.1]])
    data = {
        "manufacturing_va": (("replicate", "year"), mfg),
        "sei_share": (("replicate", "year"), share),
        "hightech_share": (("replicate", "year"), share),
        "cnc_rate": (("replicate", "year"), share),
    }
    return xr.Dataset(data, coords={"replicate": np.arange(4), "year": years})


def test_probabilities_by_hand():
    table = target_table(dataset())
    row = table[(table.target == "manufacturing_va_1tn") & (table.year == 2020)].iloc[0]
    # 1.0e12, 1.1e12, 1.2e12 meet ">= 1e12": 3 of 4
    assert row.probability == pytest.approx(0.75)
    assert row["median"] == pytest.approx(1.05e12)
    assert bool(row.target_year)
    row = table[(table.target == "sei_share_30") & (table.year == 2020)].iloc[0]
    assert row.probability == pytest.approx(0.5)  # 0.30 and 0.31
    assert table[(table.year == 2019)].probability.eq(0).all()
    assert len(table) == len(TARGETS) * 2
