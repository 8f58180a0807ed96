"""How results.nc writes units and counts (CF-1.11): hand-written expectations."""

from __future__ import annotations

import numpy as np

from mfgplan.runs.variables import netcdf_attributes, netcdf_dtype, stored_values


def test_fractions_and_counts_are_dimensionless_and_money_is_documented():
    assert netcdf_attributes("fraction", "SEI share")["units"] == "1"
    assert netcdf_attributes("count", "awards")["units"] == "1"
    money = netcdf_attributes("yuan", "grants paid")
    assert money["units"] == "yuan" and "no currency unit" in money["comment"]
    assert netcdf_attributes("1", "price index") == {"units": "1", "long_name": "price index"}


def test_counts_are_integers_only_for_the_whole_province():
    assert netcdf_dtype("awards", 1.0) == "i4"
    assert netcdf_dtype("awards", 0.25) == "f8"  # 3 awards in a quarter sample = 12.0 expected
    assert netcdf_dtype("enterprise_count", 1.0) == "f8"  # anchored: an expected value
    assert netcdf_dtype("grant_paid", 1.0) == "f8"
    # 2.9999999 from a division comes back as 3, not truncated to 2
    assert stored_values(np.array([2.9999999, 4.0]), "i4").tolist() == [3, 4]
    assert stored_values(np.array([0.5]), "f8").tolist() == [0.5]
