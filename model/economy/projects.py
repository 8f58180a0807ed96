"""Investment projects as a growable struct of arrays (one row per project).

A project is recorded when it goes ahead in at least one of the two worlds a replicate carries
(ODD section 7.1): ``in_actual`` (with the programme) and ``in_baseline`` (the same firm, the
same draw, without the programme). Projects with ``in_actual & ~in_baseline`` are *additional*
(programme-induced); awards to projects with ``in_baseline`` are *deadweight*.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PROJECT_FIELDS", "ProjectBook"]

#: name -> (dtype, units, description)
PROJECT_FIELDS: dict[str, tuple[str, str, str]] = {
    "firm": ("int64", "-", "slot of the firm in the FirmTable"),
    "firm_id": ("int64", "-", "identity of the firm"),
    "sector": ("int8", "-", "sector code of the firm"),
    "kind": ("int8", "-", "ProjectType code"),
    "investment": ("float64", "yuan", "investment I"),
    "investment_to_capital": ("float64", "-", "I/K at the start"),
    "npv_per_yuan": ("float64", "-", "NPV per yuan without support (baseline world)"),
    "start": ("int32", "quarter", "quarter the project started"),
    "done": ("int32", "quarter", "quarter the project completes"),
    "abandon": ("bool", "-", "is abandoned at its completion date"),
    "in_actual": ("bool", "-", "goes ahead with the programme"),
    "in_baseline": ("bool", "-", "goes ahead without the programme"),
    "completed": ("bool", "-", "completion has been processed"),
    "instrument": ("int8", "-", "grant instrument applied to (-1 none)"),
    "apply_year": ("int16", "year", "year of the application (0 none)"),
    "award": ("float64", "yuan", "grant committed (0 none)"),
    "award_year": ("int16", "year", "year the grant was committed (0 none)"),
    "award_quarter": ("int32", "quarter", "quarter the grant was committed"),
    "paid": ("float64", "yuan", "grant paid so far"),
    "closed": ("bool", "-", "award paid in full or lapsed; nothing more to do"),
    "equity": ("float64", "yuan", "equity from the investment fund or a cluster fund"),
    "guarantee_subsidy": ("float64", "yuan", "guarantee-fee subsidy paid"),
}


class ProjectBook:
    """Append-only table of projects.

    Parameters
    ----------
    capacity
        Initial number of rows; doubles when full.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self.capacity = int(capacity)
        self.n = 0
        for name, (dtype, _, _) in PROJECT_FIELDS.items():
            setattr(self, name, np.zeros(self.capacity, dtype=dtype))
        self.instrument[:] = -1

    # dynamic attributes, for type checkers
    firm: np.ndarray
    instrument: np.ndarray

    def add(self, n: int) -> np.ndarray:
        """Rows for ``n`` new projects (zeroed, ``instrument = -1``)."""
        if self.n + n > self.capacity:
            new_cap = max(2 * self.capacity, self.n + n)
            for name in PROJECT_FIELDS:
                old = getattr(self, name)
                new = np.zeros(new_cap, dtype=old.dtype)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
            self.instrument[self.n :] = -1
            self.capacity = new_cap
        rows = np.arange(self.n, self.n + n)
        self.n += n
        return rows

    def view(self, name: str) -> np.ndarray:
        """The filled part of one column."""
        return getattr(self, name)[: self.n]
