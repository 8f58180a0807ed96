"""The grant ledger and the calls of the classic reference, written from ``model/ODD.md`` 7.5.

Nothing here is shared with the production economy: the ledger keeps its movements as Python
dictionaries keyed by (instrument, year, sector) and the calls rank and ration applications
with ``sorted`` and a loop. What the two have in common is the rule: an instrument commits only
what its allocation (plus carry-over) has left; money uncommitted at the end of a year lapses or
rolls over by the scenario's carry-over rule; after the last programme year it lapses; a lapse
(an abandoned project, an exit) returns the money to the instrument while its year is open.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

__all__ = ["ClassicLedger", "merit_scores", "select"]


class ClassicLedger:
    """Commitments, payments and lapses per (instrument, year, sector), in yuan.

    Parameters
    ----------
    instruments
        Names of the grant instruments, in the order of the production ledger's axis.
    allocation
        ``{instrument: {year: yuan}}`` of the programme years (already scaled to the sample).
    carryover
        ``lapse``, ``roll_same_instrument`` or ``roll_pool``.
    """

    def __init__(
        self,
        instruments: Sequence[str],
        allocation: Mapping[str, Mapping[int, float]],
        carryover: str,
    ) -> None:
        self.instruments = tuple(instruments)
        self.allocation = {k: dict(v) for k, v in allocation.items()}
        self.programme_years = sorted({y for by_year in allocation.values() for y in by_year})
        self.carryover = carryover
        self.left = dict.fromkeys(self.instruments, 0.0)
        self.open: int | None = None  # the budget year open now
        self.committed: dict[tuple[str, int, int], float] = defaultdict(float)
        self.paid: dict[tuple[str, int, int], float] = defaultdict(float)
        self.lapsed: dict[tuple[str, int, int], float] = defaultdict(float)
        #: every payment: (instrument, commitment year, payment year, sector, yuan, project)
        self.payments: list[tuple[str, int, int, int, float, int]] = []
        #: every lapse: (instrument, commitment year, year of the lapse, sector, yuan, project)
        self.lapses: list[tuple[str, int, int, int, float, int]] = []

    def open_year(self, year: int) -> None:
        """Q1: this year's allocation joins what each instrument has left."""
        self.open = year
        for name in self.instruments:
            self.left[name] += self.allocation[name].get(year, 0.0)

    def close_year(self, year: int) -> None:
        """Q4: money not committed lapses or rolls over (always lapses after the programme)."""
        last = not self.programme_years or year >= self.programme_years[-1]
        if self.carryover == "lapse" or last:
            self.left = dict.fromkeys(self.instruments, 0.0)
        elif self.carryover == "roll_pool":
            pool = sum(self.left.values())
            self.left = dict.fromkeys(self.instruments, 0.0)
            nxt = {k: self.allocation[k].get(year + 1, 0.0) for k in self.instruments}
            total = sum(nxt.values())
            if total > 0:
                for k in self.instruments:
                    self.left[k] = pool * nxt[k] / total

    def commit(self, name: str, year: int, sector: int, amount: float) -> None:
        """Commit ``amount`` of ``name``'s money to a recipient of ``sector``."""
        if amount > self.left[name] + 1e-6:
            raise AssertionError(f"{name}: {amount} committed with {self.left[name]} left")
        self.left[name] -= amount
        self.committed[name, year, sector] += amount

    def pay(
        self, name: str, commit_year: int, year: int, sector: int, amount: float, project: int
    ) -> None:
        """Pay ``amount`` in ``year`` against a commitment of ``commit_year``."""
        self.paid[name, year, sector] += amount
        self.payments.append((name, commit_year, year, sector, amount, project))

    def lapse(
        self, name: str, commit_year: int, year: int, sector: int, amount: float, project: int
    ) -> None:
        """Release a commitment; while the programme's year is open the money can be used again."""
        self.lapsed[name, commit_year, sector] += amount
        self.lapses.append((name, commit_year, year, sector, amount, project))
        if year in self.programme_years and self.open == year:
            self.left[name] += amount


def merit_scores(
    returns: Sequence[float],
    log_sizes: Sequence[float],
    prior: Sequence[bool],
    noise: Sequence[float],
    weight_size: float,
    weight_prior: float,
    noise_sd: float,
) -> list[float]:
    """Reviewers' score ``z(return) + w_s z(ln size) + w_p prior + sd noise`` (ODD 7.5).

    ``z`` standardises over the call's applications (population standard deviation; an
    all-equal column standardises to zero).
    """

    def z(x: Sequence[float]) -> list[float]:
        n = len(x)
        mean = sum(x) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in x) / n)
        return [(v - mean) / sd if sd > 0 else 0.0 for v in x]

    zr, zs = z(returns), z(log_sizes)
    return [
        zr[i] + weight_size * zs[i] + weight_prior * float(prior[i]) + noise_sd * noise[i]
        for i in range(len(returns))
    ]


def select(
    amounts: Sequence[float],
    budget: float,
    max_count: int,
    selection: str,
    rationing: str,
    score: Sequence[float],
    arrival: Sequence[int],
    tiebreak: Sequence[float],
    city: Sequence[int],
    city_shares: Sequence[float],
) -> list[bool]:
    """Which applications a call accepts (ODD 7.5).

    Applications are taken in the selection rule's order (``merit`` best score first, ties by
    the uniform draw; ``lottery`` by the draw; ``first_come`` by quarter, ties by the draw;
    ``city_quota`` merit within each city on its share of the budget, then what is left
    province-wide) and accepted while the money (to a millionth of a yuan) and the count allow;
    ``greedy`` skips an application that does not fit, ``strict_prefix`` stops there.
    """
    n = len(amounts)
    accepted = [False] * n
    if n == 0 or budget <= 0 or max_count <= 0:
        return accepted
    if selection in ("merit", "city_quota"):
        order = sorted(range(n), key=lambda i: (-score[i], tiebreak[i]))
    elif selection == "lottery":
        order = sorted(range(n), key=lambda i: tiebreak[i])
    elif selection == "first_come":
        order = sorted(range(n), key=lambda i: (arrival[i], tiebreak[i]))
    else:
        raise ValueError(selection)

    def ration(queue: list[int], money: float) -> float:
        spent = 0.0
        count = sum(accepted)
        for i in queue:
            if count >= max_count:
                break
            if accepted[i]:
                continue
            if spent + amounts[i] <= money + 1e-6:
                accepted[i] = True
                spent += amounts[i]
                count += 1
            elif rationing == "strict_prefix":
                break
        return spent

    spent = 0.0
    if selection == "city_quota":
        for c, share in enumerate(city_shares):
            spent += ration([i for i in order if city[i] == c], budget * share)
    ration(order, budget - spent)
    return accepted
