"""The compiled aggregates add in NumPy's order: equal to NumPy's sums to the last bit."""

from __future__ import annotations

import numpy as np
import pytest

from mfgplan.economy.aggregate import pairwise_sum, record_sums


@pytest.mark.parametrize("n", [*range(0, 140), 255, 256, 257, 1000, 4097, 8192, 9226, 65537])
def test_pairwise_sum_is_numpys_sum_bit_for_bit(n):
    rng = np.random.default_rng(n)
    # a heavy tail makes every order of addition give a different last bit
    a = rng.lognormal(0.0, 2.5, n)
    assert 0.0 + pairwise_sum(a, 0, n) == a.sum()
    if n > 10:
        assert 0.0 + pairwise_sum(a, 3, n - 10) == a[3 : n - 7].sum()


def test_pairwise_sum_by_hand():
    # below 8 elements a running sum; 9 elements: eight accumulators, then the ninth
    assert pairwise_sum(np.array([1.0, 2.0, 3.0]), 0, 3) == 6.0
    a = np.array([1e16, 1.0, -1e16, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    # ((1e16 + 1) + (-1e16 + 1)) + 0 = 0 (1e16 + 1 rounds to 1e16), then + 1
    assert pairwise_sum(a, 0, 9) == 1.0 == a.sum()


def test_record_sums_are_the_numpy_expressions():
    rng = np.random.default_rng(5)
    n_slots, n_sectors = 3000, 20
    sector = rng.integers(0, n_sectors, n_slots).astype(np.int8)
    alive = rng.random(n_slots) < 0.9
    live = np.flatnonzero(alive)
    va_base = rng.lognormal(10.0, 2.0, n_slots)
    shares = {k: rng.random(n_slots) for k in ("sei", "sei0", "ht", "ht0", "cnc", "cnc0")}
    rd, rd0 = rng.lognormal(5.0, 1.0, n_slots), rng.lognormal(5.0, 1.0, n_slots)
    key_area = rng.random(n_sectors) < 0.5
    va1 = va_base[live] * np.exp(rng.normal(0.0, 0.01, live.size))
    by1, by0, s = record_sums(
        live, sector, va1, va_base, shares["sei"], shares["sei0"], shares["ht"], shares["ht0"],
        shares["cnc"], shares["cnc0"], rd, rd0, key_area, n_sectors,
    )  # fmt: skip
    sec = sector[live]
    va0 = va_base[live]
    key = key_area[sec]
    np.testing.assert_array_equal(by1, np.bincount(sec, weights=va1, minlength=n_sectors))
    np.testing.assert_array_equal(by0, np.bincount(sec, weights=va0, minlength=n_sectors))
    expected = [
        va1.sum(), va0.sum(), (va1 * shares["sei"][live]).sum(),
        (va0 * shares["sei0"][live]).sum(), (va1 * shares["ht"][live]).sum(),
        (va0 * shares["ht0"][live]).sum(), va1[key].sum(), va0[key].sum(),
        (va1[key] * shares["cnc"][live][key]).sum(), (va0[key] * shares["cnc0"][live][key]).sum(),
        rd[live].sum(), rd0[live].sum(),
    ]  # fmt: skip
    assert s.tolist() == expected
