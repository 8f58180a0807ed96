"""Enterprise state as a struct of arrays.

All firm state lives in :class:`FirmTable`: one NumPy array per variable, one slot per firm,
slots of exited firms reused by entrants (a ``firm_id`` keeps identities apart). The step never
builds agent objects.

State comes in pairs where the programme can change it: ``cnc`` / ``cnc_base``,
``sei`` / ``sei_base``, ``hightech`` / ``hightech_base``, ``rd`` / ``rd_base``. The ``_base``
member is the same firm in the no-programme world (ODD section 7.1): it is advanced with the same
random draws, but without programme-induced projects, awards or spillovers. Value added is
``va_base * exp(uplift_capital + uplift_tfp)``: ``va_base`` is the counterfactual and the
uplifts are what programme-induced projects added.

A replicate may carry several programme worlds on one no-programme world (a scenario and its
counterfactual, ODD 7.1): the first world's table is the :class:`FirmTable`, each further one a
:class:`ProgrammeWorldTable` with its own :data:`WORLD_FIELDS` (what a programme can change)
and the first table's arrays for everything else.
"""

from __future__ import annotations

import weakref

import numpy as np

__all__ = ["FIELDS", "WORLD_FIELDS", "FirmTable", "ProgrammeWorldTable", "ProjectType"]


class ProjectType:
    """Codes of investment project types."""

    RETROFIT = 0  # technical retrofit with CNC, intelligent or green technology
    INTELLIGENT = 1  # intelligent equipment (advanced, often imported)
    CAPACITY = 2  # new capacity
    RD_EQUIPMENT = 3  # R&D instruments and equipment
    NAMES = ("retrofit", "intelligent_equipment", "capacity", "rd_equipment")


#: name -> (dtype, units, description)
FIELDS: dict[str, tuple[str, str, str]] = {
    "alive": ("bool", "-", "slot holds a live above-scale firm"),
    "firm_id": ("int64", "-", "identity, unique over the run"),
    "sector": ("int8", "-", "sector group code (index of mfgplan.inputs.sectors.SECTORS)"),
    "city": ("int8", "-", "prefecture-level city code (index of mfgplan.inputs.sectors.CITIES)"),
    "ownership": ("int8", "-", "0 state-owned, 1 other (private and foreign-invested alike)"),
    "va_base": ("float64", "yuan/year, 2015 prices", "value added without the programme"),
    "uplift_capital": ("float64", "log points", "programme-induced capital deepening"),
    "uplift_tfp": ("float64", "log points", "programme-induced productivity"),
    "pending_capital": ("float64", "log points", "completed, not yet effective (ramp)"),
    "pending_tfp": ("float64", "log points", "completed, not yet effective (ramp)"),
    "capital_gap": ("float64", "log points", "ln K/K0 after a user-cost change"),
    "investment_routine": ("float64", "yuan, year to date", "routine investment, no programme"),
    "investment_routine_extra": ("float64", "yuan, year to date", "routine investment added"),
    "hurdle": ("float64", "1/year", "required real return"),
    "liquidity": ("float64", "log", "log liquidity multiplier on borrowing capacity"),
    "taxable": ("bool", "-", "has taxable profit"),
    "rd_performer": ("bool", "-", "performs R&D"),
    "claims_deduction": ("bool", "-", "claims the R&D super-deduction"),
    "rd_intensity_ref": ("float64", "fraction of revenue", "R&D intensity at 2015 tax rules"),
    "rd": ("float64", "yuan/year", "R&D spending"),
    "rd_base": ("float64", "yuan/year", "R&D spending without the programme"),
    "cnc": ("float64", "fraction", "key-process CNC share"),
    "cnc_base": ("float64", "fraction", "key-process CNC share without the programme"),
    "sei": ("float64", "fraction", "VA share of SEI products"),
    "sei_base": ("float64", "fraction", "SEI share without the programme"),
    "hightech": ("float64", "fraction", "VA share of high-tech products"),
    "hightech_base": ("float64", "fraction", "high-tech share without the programme"),
    "prior_support": ("bool", "-", "has received a provincial award"),
    "im_demo": ("bool", "-", "is an intelligent-manufacturing demonstration firm"),
    "it_demo": ("bool", "-", "is an IT-integration demonstration firm"),
    "sei_logit": ("float64", "log-odds", "latent SEI share before the province-wide offset"),
    "hightech_logit": ("float64", "log-odds", "latent high-tech share before the offset"),
    "cnc_logit": ("float64", "log-odds", "latent CNC share before the offset"),
}

#: the fields a provincial programme can change (its world's own); every other field is the
#: no-programme world's, the same in every programme world of a replicate
WORLD_FIELDS: tuple[str, ...] = (
    "uplift_capital",
    "uplift_tfp",
    "pending_capital",
    "pending_tfp",
    "capital_gap",
    "investment_routine_extra",
    "rd",
    "cnc",
    "sei",
    "hightech",
    "prior_support",
    "im_demo",
    "it_demo",
)


class FirmTable:
    """Firm state arrays with slot reuse.

    Parameters
    ----------
    capacity
        Initial number of slots; the table grows (doubling) if entry needs more.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = int(capacity)
        for name, (dtype, _, _) in FIELDS.items():
            setattr(self, name, np.zeros(self.capacity, dtype=dtype))
        self.high_water = 0
        self.next_id = 0
        #: further programme worlds on this table's no-programme state (weak references: a
        #: world's table holds this one, and a cycle of firm arrays would wait for the
        #: cyclic garbage collector after the replicate)
        self.worlds: list[weakref.ref[ProgrammeWorldTable]] = []

    # type hints for the dynamic attributes
    alive: np.ndarray
    firm_id: np.ndarray
    sector: np.ndarray
    city: np.ndarray
    va_base: np.ndarray
    uplift_capital: np.ndarray
    uplift_tfp: np.ndarray
    cnc: np.ndarray
    cnc_base: np.ndarray
    sei_logit: np.ndarray
    hightech_logit: np.ndarray
    cnc_logit: np.ndarray

    def _grow(self, needed: int) -> None:
        new_cap = max(self.capacity * 2, needed)
        for name in FIELDS:
            old = getattr(self, name)
            new = np.zeros(new_cap, dtype=old.dtype)
            new[: self.capacity] = old
            setattr(self, name, new)
        self.capacity = new_cap
        for world in self.live_worlds():
            world.grow(new_cap)

    def allocate(self, n: int) -> np.ndarray:
        """Slots for ``n`` new firms: free slots first (lowest index), then new ones.

        The slots are cleared and given fresh ``firm_id`` values; the caller fills the state.
        Slots at and above the high-water mark have never held a firm (nothing writes there),
        so they are zero already: only the reused ones are cleared.
        """
        free = np.flatnonzero(~self.alive[: self.high_water])[:n]
        extra = n - free.size
        if self.high_water + extra > self.capacity:
            self._grow(self.high_water + extra)
        new = np.arange(self.high_water, self.high_water + extra)
        self.high_water += extra
        slots = np.concatenate([free, new]).astype(np.intp)
        if free.size:
            for name in FIELDS:
                getattr(self, name)[free] = 0
        self.alive[slots] = True
        self.firm_id[slots] = np.arange(self.next_id, self.next_id + n)
        self.next_id += n
        return slots

    def programme_world(self) -> ProgrammeWorldTable:
        """A further programme world on this table's firms (:class:`ProgrammeWorldTable`).

        It gets its own :data:`WORLD_FIELDS`, the current values copied, and reads every other
        field from this table.
        """
        world = ProgrammeWorldTable(self)
        self.worlds.append(weakref.ref(world))
        return world

    def live_worlds(self) -> list[ProgrammeWorldTable]:
        """The further programme worlds' tables still in use."""
        return [world for ref in self.worlds if (world := ref()) is not None]

    def sync_worlds(self, slots: np.ndarray) -> None:
        """Copy the :data:`WORLD_FIELDS` of ``slots`` (new firms) to the further worlds.

        An entrant starts alike in every world (the programme has not touched it yet).
        """
        for world in self.live_worlds():
            for name in WORLD_FIELDS:
                getattr(world, name)[slots] = getattr(self, name)[slots]

    def live_slots(self) -> np.ndarray:
        """Indices of slots holding live firms."""
        return np.flatnonzero(self.alive[: self.high_water])

    @property
    def n_alive(self) -> int:
        """Number of live firms."""
        return int(self.alive[: self.high_water].sum())

    def va(self, slots: np.ndarray | slice = slice(None)) -> np.ndarray:
        r"""Value added with the programme [yuan/year, 2015 prices].

        .. math:: Y_i = Y^0_i \exp(u^K_i + u^A_i)

        ``Y^0`` the no-programme value added, ``u^K``/``u^A`` the capital and productivity
        uplifts of programme-induced projects (ODD 7.2). The extra CNC share those projects
        bring is not a second productivity channel: the projects' productivity effect
        (Liu & Mao 2019) is measured on the whole investment, automation included.
        """
        return self.va_base[slots] * np.exp(self.uplift_capital[slots] + self.uplift_tfp[slots])


class ProgrammeWorldTable(FirmTable):
    """The firms of a further programme world of a replicate (ODD 7.1).

    It owns the :data:`WORLD_FIELDS`; every other field, the slot count and the high-water mark
    are read from the first world's table (``lead``), so the no-programme state exists once and
    is advanced once. Firms enter only through the lead table
    (:meth:`FirmTable.sync_worlds` starts them here), which also grows this table with it.
    """

    def __init__(self, lead: FirmTable) -> None:
        self.lead = lead
        for name in WORLD_FIELDS:
            setattr(self, name, getattr(lead, name).copy())

    def grow(self, capacity: int) -> None:
        """Grow the world's own fields to ``capacity`` slots (the lead table has grown)."""
        for name in WORLD_FIELDS:
            old = getattr(self, name)
            new = np.zeros(capacity, dtype=old.dtype)
            new[: old.size] = old
            setattr(self, name, new)

    def allocate(self, n: int) -> np.ndarray:
        """Firms enter through the lead table only."""
        raise TypeError("a programme world's firms enter through the lead FirmTable")

    def programme_world(self) -> ProgrammeWorldTable:
        """Further worlds hang on the lead table."""
        raise TypeError("further programme worlds hang on the lead FirmTable")


def _lead_field(name: str) -> property:
    """A no-programme field of a :class:`ProgrammeWorldTable`: the lead table's array."""
    return property(lambda self: getattr(self.lead, name), doc=f"the lead table's ``{name}``")


for _name in (*(n for n in FIELDS if n not in WORLD_FIELDS), "capacity", "high_water", "next_id"):
    setattr(ProgrammeWorldTable, _name, _lead_field(_name))
