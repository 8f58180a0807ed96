"""Ledgers of public money: programme grants, equity funds and tax expenditure.

The grant ledger records every yuan **committed**, **paid** and **lapsed** per instrument,
year and recipient sector, and holds each instrument's money still available to commit. Its
identities (ODD section 7.5) are checked by :meth:`GrantLedger.check`:

- per instrument and commitment year: committed = paid + outstanding + lapsed;
- committed in a year never exceeds what the instrument had available that year;
- cumulative payments never exceed the cumulative programme budget.

Besides the arrays, the ledger keeps an append-only record of every payment and every lapse
(:meth:`GrantLedger.payments`, :meth:`GrantLedger.lapses`): one entry per call of
:meth:`GrantLedger.pay` or :meth:`GrantLedger.lapse`, naming the project row it was for (``-1``
for lump sums), so the arrays can be checked against the movements that made them.

Equity (the industrial investment fund and cluster funds) and the national R&D tax
expenditure are separate ledgers: they are not paid from the 1 bn yuan a year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mfgplan.inputs.parameters import Scenario
from mfgplan.inputs.programme import GRANT_INSTRUMENTS
from mfgplan.inputs.sectors import SECTORS

__all__ = ["LAPSE_DTYPE", "PAYMENT_DTYPE", "GrantLedger", "LedgerError", "grant_ledger"]

#: one entry of the payment record: instrument index, commitment year, payment year, recipient
#: sector, yuan paid and the project row paid for (``-1`` for lump sums)
PAYMENT_DTYPE = np.dtype(
    [
        ("instrument", "int16"),
        ("commit_year", "int16"),
        ("pay_year", "int16"),
        ("sector", "int16"),
        ("yuan", "float64"),
        ("project", "int64"),
    ]
)
#: one entry of the lapse record: as :data:`PAYMENT_DTYPE`, with the year of the lapse
LAPSE_DTYPE = np.dtype(
    [
        ("instrument", "int16"),
        ("commit_year", "int16"),
        ("lapse_year", "int16"),
        ("sector", "int16"),
        ("yuan", "float64"),
        ("project", "int64"),
    ]
)


class LedgerError(AssertionError):
    """A ledger identity does not hold: a bug, never an input problem."""


class GrantLedger:
    """Commitments, payments and lapses of the grant instruments.

    Parameters
    ----------
    instruments
        Instrument names (the ``instrument`` dimension).
    years
        Years recorded (base year + 1 .. horizon); programme years are a subset.
    n_sectors
        Number of sector groups.
    allocation
        ``{instrument: {year: yuan}}`` for the programme years.
    carryover
        ``lapse``, ``roll_same_instrument`` or ``roll_pool`` for money uncommitted at year end.
    """

    def __init__(
        self,
        instruments: Sequence[str],
        years: Sequence[int],
        n_sectors: int,
        allocation: Mapping[str, Mapping[int, float]],
        carryover: str,
    ) -> None:
        self.instruments = tuple(instruments)
        self.index = {name: k for k, name in enumerate(self.instruments)}
        self.years = tuple(years)
        self.year_index = {y: i for i, y in enumerate(self.years)}
        self.programme_years = tuple(sorted({y for a in allocation.values() for y in a}))
        self.carryover = carryover
        shape = (len(self.instruments), len(self.years), n_sectors)
        #: committed[k, y, s]: yuan committed by instrument k in year y to sector s
        self.committed = np.zeros(shape)
        #: paid[k, y, s]: yuan paid in year y (whatever the commitment year)
        self.paid = np.zeros(shape)
        #: paid_by_commit_year[k, y, s]: payments booked to the commitment year y
        self.paid_by_commit_year = np.zeros(shape)
        #: lapsed[k, y, s]: commitments of year y released (abandoned projects, exits)
        self.lapsed = np.zeros(shape)
        #: allocated[k, y]: the scenario's allocation
        self.allocated = np.zeros(shape[:2])
        #: available[k, y]: money the instrument could commit in year y (incl. carry-over)
        self.available = np.zeros(shape[:2])
        #: unspent_lapsed[k, y]: money left uncommitted at year end and returned to treasury
        self.unspent_lapsed = np.zeros(shape[:2])
        for name, per_year in allocation.items():
            k = self.index[name]
            for y, amount in per_year.items():
                if y in self.year_index:
                    self.allocated[k, self.year_index[y]] = amount
        self._remaining = np.zeros(len(self.instruments))
        self._open_year: int | None = None
        # append-only records of the movements: one tuple per pay() and lapse() call
        self._payments: list[tuple[int, int, int, int, float, int]] = []
        self._lapses: list[tuple[int, int, int, int, float, int]] = []

    # -- the budget of a year ------------------------------------------------------------------

    def open_year(self, year: int) -> None:
        """Start a year: add its allocation to what each instrument can commit."""
        self._open_year = year
        if year not in self.year_index:
            return
        yi = self.year_index[year]
        self._remaining += self.allocated[:, yi]
        self.available[:, yi] = self._remaining

    def remaining(self, instrument: str) -> float:
        """Money the instrument can still commit this year [yuan]."""
        return float(self._remaining[self.index[instrument]])

    def close_year(self, year: int) -> None:
        """End a year: apply the carry-over rule to money not committed."""
        if year not in self.year_index:
            return
        yi = self.year_index[year]
        last = not self.programme_years or year >= self.programme_years[-1]
        if self.carryover == "lapse" or last:
            self.unspent_lapsed[:, yi] = self._remaining
            self._remaining[:] = 0.0
        elif self.carryover == "roll_pool":
            pool = self._remaining.sum()
            self._remaining[:] = 0.0
            next_year = year + 1
            if next_year in self.year_index:
                nxt = self.allocated[:, self.year_index[next_year]]
                weights = nxt / nxt.sum() if nxt.sum() > 0 else None
                if weights is None:
                    self.unspent_lapsed[:, yi] = 0.0
                    self.unspent_lapsed[0, yi] = pool
                else:
                    self._remaining += pool * weights
        # roll_same_instrument: keep _remaining as it is

    # -- movements -------------------------------------------------------------------------------

    def commit(self, instrument: str, year: int, sector: int, amount: float) -> None:
        """Commit ``amount`` yuan of ``instrument`` in ``year`` to a firm of ``sector``."""
        k = self.index[instrument]
        if amount > self._remaining[k] + 1e-6:
            raise LedgerError(
                f"{instrument}: commitment {amount:.6g} exceeds the {self._remaining[k]:.6g} "
                f"yuan left in {year}"
            )
        self._remaining[k] -= amount
        self.committed[k, self.year_index[year], sector] += amount

    def pay(
        self,
        instrument: str,
        commit_year: int,
        pay_year: int,
        sector: int,
        amount: float,
        *,
        project: int = -1,
    ) -> None:
        """Pay ``amount`` yuan in ``pay_year`` against a commitment made in ``commit_year``.

        ``project`` is the project row paid for (``-1`` for a lump sum); the payment is also
        appended to the payment record (:meth:`payments`).
        """
        k = self.index[instrument]
        if pay_year in self.year_index:
            self.paid[k, self.year_index[pay_year], sector] += amount
        self.paid_by_commit_year[k, self.year_index[commit_year], sector] += amount
        self._payments.append(
            (k, int(commit_year), int(pay_year), int(sector), float(amount), int(project))
        )

    def pay_many(
        self,
        instrument: np.ndarray,
        commit_year: np.ndarray,
        pay_year: int,
        sector: np.ndarray,
        amount: np.ndarray,
        project: np.ndarray,
    ) -> None:
        """Several payments of ``pay_year`` at once, in the order given (instrument indices).

        The same as one :meth:`pay` per element in that order: ``np.add.at`` adds repeated
        cells one after the other, so every sum is the same to the last bit.
        """
        if amount.size == 0:
            return
        k = np.asarray(instrument, dtype=np.intp)
        commit_index = np.array([self.year_index[int(y)] for y in commit_year], dtype=np.intp)
        if pay_year in self.year_index:
            year_index = np.full(k.size, self.year_index[pay_year], dtype=np.intp)
            np.add.at(self.paid, (k, year_index, sector), amount)
        np.add.at(self.paid_by_commit_year, (k, commit_index, sector), amount)
        self._payments.extend(
            zip(
                k.tolist(), [int(y) for y in commit_year], [int(pay_year)] * k.size,
                [int(x) for x in sector], [float(x) for x in amount], [int(x) for x in project],
                strict=True,
            )
        )  # fmt: skip

    def lapse(
        self,
        instrument: str,
        commit_year: int,
        sector: int,
        amount: float,
        year_now: int,
        *,
        project: int = -1,
    ) -> None:
        """Release a commitment that will not be paid.

        While the programme runs the money can be committed again by the same instrument this year.
        ``project`` is the project row released (``-1`` for a lump sum); the lapse is also
        appended to the lapse record (:meth:`lapses`).
        """
        k = self.index[instrument]
        self.lapsed[k, self.year_index[commit_year], sector] += amount
        self._lapses.append(
            (k, int(commit_year), int(year_now), int(sector), float(amount), int(project))
        )
        if year_now in self.programme_years and self._open_year == year_now:
            self._remaining[k] += amount
            self.available[k, self.year_index[year_now]] += amount

    # -- the records of movements ----------------------------------------------------------------

    def payments(self) -> np.ndarray:
        """Every payment so far, in the order made (structured array of :data:`PAYMENT_DTYPE`).

        ``instrument`` is the index in :attr:`instruments`; ``project`` is ``-1`` for lump sums.
        """
        return np.array(self._payments, dtype=PAYMENT_DTYPE)

    def lapses(self) -> np.ndarray:
        """Every lapse so far, in the order made (structured array of :data:`LAPSE_DTYPE`)."""
        return np.array(self._lapses, dtype=LAPSE_DTYPE)

    # -- identities ------------------------------------------------------------------------------

    def outstanding(self) -> np.ndarray:
        """Committed, not yet paid nor lapsed [k, commitment year, s] in yuan."""
        return self.committed - self.paid_by_commit_year - self.lapsed

    def check(self, tolerance: float = 1e-3) -> None:
        """Raise :class:`LedgerError` if any identity fails (tolerance in yuan)."""
        out = self.outstanding()
        if (out < -tolerance).any():
            raise LedgerError("payments or lapses exceed commitments")
        over = self.committed.sum(axis=2) - self.available
        if (over > tolerance).any():
            k, y = np.unravel_index(np.argmax(over), over.shape)
            raise LedgerError(
                f"{self.instruments[k]}: committed more than available in {self.years[y]}"
            )
        budget = np.cumsum(self.allocated.sum(axis=0))
        paid = np.cumsum(self.paid.sum(axis=(0, 2)))
        if (paid > budget + tolerance).any():
            raise LedgerError("cumulative payments exceed the cumulative programme budget")
        for arr in (self.committed, self.paid, self.lapsed):
            if (arr < -tolerance).any() or not np.isfinite(arr).all():
                raise LedgerError("negative or non-finite ledger entry")


def grant_ledger(scenario: Scenario, sample_fraction: float = 1.0) -> GrantLedger:
    """The empty grant ledger of a scenario: every instrument, projected year and sector.

    The allocations are the scenario's times ``sample_fraction`` (the model's share of the
    province's firms), in yuan.
    """
    allocation = {
        name: {year: amount * sample_fraction for year, amount in by_year.items()}
        for name, by_year in scenario.allocation_by_year().items()
    }
    return GrantLedger(
        GRANT_INSTRUMENTS,
        list(scenario.projection_years),
        len(SECTORS),
        allocation,
        scenario.programme.carryover,
    )
