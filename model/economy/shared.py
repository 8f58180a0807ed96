"""What the parts of a replicate share: scenario, random streams, firms, projects and record.

:class:`~mfgplan.economy.economy.ManufacturingEconomy` builds one :class:`Shared` and hands it
to the province (:class:`~mfgplan.economy.programme.ProvincialProgramme`) and to the firm
dynamics (:class:`~mfgplan.economy.firm_dynamics.FirmDynamics`), so neither needs the economy
itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import mesa
import numpy as np

from mfgplan.economy.firms import FirmTable
from mfgplan.economy.population import Population
from mfgplan.economy.projects import ProjectBook
from mfgplan.economy.record import Recorder
from mfgplan.inputs.parameters import Scenario

__all__ = ["Shared"]


@dataclass(frozen=True)
class Shared:
    """The state and inputs the firm phases and the province's phases both use."""

    #: the Mesa model the replicate is (agent-based renderings register their agents with it)
    model: mesa.Model
    scenario: Scenario
    #: :func:`mfgplan.inputs.sectors.sector_arrays` and :func:`~mfgplan.inputs.sectors.city_shares`
    sectors: Mapping[str, np.ndarray]
    city_shares: np.ndarray
    #: the replicate's named random streams (:data:`mfgplan.economy.economy.STREAMS`)
    streams: Mapping[str, np.random.Generator]
    #: base year to horizon
    years: np.ndarray
    #: one draw of the statistical baseline, ``{indicator: array over years}``
    baseline_path: Mapping[str, np.ndarray]
    population: Population
    projects: ProjectBook
    recorder: Recorder
    #: the model's firms as a fraction of the province's (``n_firms / province_firms``): the
    #: province's budgets, firm-level award counts and first-of-a-kind sets are scaled by it,
    #: so that a smaller population is a smaller sample of the same province (ODD 5)
    sample_fraction: float = 1.0
    #: the firm table of this programme world when it is not the population's (a further
    #: programme world of the replicate, :class:`~mfgplan.economy.firms.ProgrammeWorldTable`)
    world_firms: FirmTable | None = None

    @property
    def firms(self) -> FirmTable:
        """The firm table of this programme world (by default the population's)."""
        return self.population.firms if self.world_firms is None else self.world_firms
