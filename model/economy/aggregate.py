"""The year's aggregates of the firm table in one compiled pass, summed as NumPy sums.

:func:`record_sums` gives the sums :class:`mfgplan.economy.record.Recorder` writes (value added
by sector in both worlds, the VA-weighted SEI, high-tech and key-area CNC numerators and their
denominators, R&D) from one pass over the live firms instead of some twenty NumPy calls, each
of which copied an array of the population's size. It adds in NumPy's order, so the record is
the same to the last bit: a sector's value added firm by firm in slot order (as
``np.bincount`` with weights), every other total by :func:`pairwise_sum`, NumPy's pairwise
summation of a contiguous array (``np.add.reduce``: blocks of at most 128 summed with eight
accumulators, halves of longer arrays summed separately and added). Products are formed
before they are summed, as NumPy forms the temporary array ``a * b``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["pairwise_sum", "record_sums"]

#: NumPy's pairwise-summation block (``PW_BLOCKSIZE`` in its ``loops_utils.h``)
BLOCK = 128


@njit(cache=True)
def _block_sum(a: np.ndarray, start: int, n: int) -> float:
    """NumPy's sum of a block of at most 128 elements (eight accumulators below that)."""
    if n < 8:
        res = 0.0
        for i in range(start, start + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]
    r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
    i = 8
    whole = n - n % 8
    while i < whole:
        j = start + i
        r0 += a[j]
        r1 += a[j + 1]
        r2 += a[j + 2]
        r3 += a[j + 3]
        r4 += a[j + 4]
        r5 += a[j + 5]
        r6 += a[j + 6]
        r7 += a[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[start + i]
        i += 1
    return res


@njit(cache=True)
def pairwise_sum(a: np.ndarray, start: int, n: int) -> float:
    """``a[start:start + n].sum()`` in NumPy's order (see the module doc), to the last bit.

    Below 8 elements a plain running sum; up to 128 eight running sums, combined as
    ``((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))``, then the remainder; above, the two
    halves (the first a multiple of 8 long) summed separately and added. The recursion is
    walked with an explicit stack (numba's cache does not keep recursive functions).
    """
    if n <= BLOCK:
        return _block_sum(a, start, n)
    depth = 64
    seg_start = np.empty(depth, dtype=np.int64)
    seg_n = np.empty(depth, dtype=np.int64)
    left_done = np.zeros(depth, dtype=np.bool_)
    left_value = np.empty(depth)
    top = 0
    seg_start[0], seg_n[0], left_done[0] = start, n, False
    result = 0.0
    while top >= 0:
        m = seg_n[top]
        if m > BLOCK:
            # descend into the left half
            half = m // 2
            half -= half % 8
            seg_start[top + 1], seg_n[top + 1], left_done[top + 1] = seg_start[top], half, False
            top += 1
            continue
        result = _block_sum(a, seg_start[top], m)
        top -= 1
        # hand the value up: a left half waits for its right half, a right half completes
        while top >= 0:
            if not left_done[top]:
                left_value[top] = result
                left_done[top] = True
                half = seg_n[top] // 2
                half -= half % 8
                seg_start[top + 1] = seg_start[top] + half
                seg_n[top + 1] = seg_n[top] - half
                left_done[top + 1] = False
                top += 1
                break
            result = left_value[top] + result
            top -= 1
    return result


@njit(cache=True)
def _total(a: np.ndarray) -> float:
    """``a.sum()`` (NumPy's order; 0 for an empty array)."""
    return 0.0 + pairwise_sum(a, 0, a.size)


@njit(cache=True)
def record_sums(
    live: np.ndarray,
    sector: np.ndarray,
    va_actual: np.ndarray,
    va_base: np.ndarray,
    sei: np.ndarray,
    sei_base: np.ndarray,
    hightech: np.ndarray,
    hightech_base: np.ndarray,
    cnc: np.ndarray,
    cnc_base: np.ndarray,
    rd: np.ndarray,
    rd_base: np.ndarray,
    key_area: np.ndarray,
    n_sectors: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The record's sums over the live firms ``live`` (slots, ascending).

    ``va_actual`` is by live firm (``Y = Y0 exp(uK + uA)``, in the order of ``live``); every
    other array by slot. Returns the value added by sector with and without the programme
    [yuan/year] and ``[sum Y, sum Y0, sum Y sei, sum Y0 sei0, sum Y ht, sum Y0 ht0, sum Y_key,
    sum Y0_key, sum Y_key cnc, sum Y0_key cnc0, sum rd, sum rd0]``.
    """
    m = live.size
    by_sector_actual = np.zeros(n_sectors)
    by_sector_base = np.zeros(n_sectors)
    va0 = np.empty(m)
    terms = np.empty((6, m))
    n_key = 0
    for k in range(m):
        if key_area[sector[live[k]]]:
            n_key += 1
    key1 = np.empty(n_key)
    key0 = np.empty(n_key)
    key_products = np.empty((2, n_key))
    j = 0
    for k in range(m):
        i = live[k]
        s = sector[i]
        y1 = va_actual[k]
        y0 = va_base[i]
        by_sector_actual[s] += y1
        by_sector_base[s] += y0
        va0[k] = y0
        terms[0, k] = y1 * sei[i]
        terms[1, k] = y0 * sei_base[i]
        terms[2, k] = y1 * hightech[i]
        terms[3, k] = y0 * hightech_base[i]
        terms[4, k] = rd[i]
        terms[5, k] = rd_base[i]
        if key_area[s]:
            key1[j] = y1
            key0[j] = y0
            key_products[0, j] = y1 * cnc[i]
            key_products[1, j] = y0 * cnc_base[i]
            j += 1
    totals = np.empty(12)
    totals[0] = _total(va_actual)
    totals[1] = _total(va0)
    for q in range(4):
        totals[2 + q] = _total(terms[q])
    totals[6] = _total(key1)
    totals[7] = _total(key0)
    totals[8] = _total(key_products[0])
    totals[9] = _total(key_products[1])
    totals[10] = _total(terms[4])
    totals[11] = _total(terms[5])
    return by_sector_actual, by_sector_base, totals
