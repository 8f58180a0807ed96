"""The annual record of a replicate: aggregates of both worlds, counts and money flows.

:class:`Recorder` holds the :class:`ReplicateRecord` and the running sums of the year (tax
expenditure, equity invested) that the phases of a step add to; :meth:`Recorder.record`
writes the year's aggregates at the end of Q4 (and of the base year at start-up).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mfgplan.economy.aggregate import record_sums
from mfgplan.economy.firms import FirmTable
from mfgplan.economy.ledger import GrantLedger
from mfgplan.inputs.programme import GRANT_INSTRUMENTS
from mfgplan.inputs.sectors import SECTORS

__all__ = ["Recorder", "ReplicateRecord"]

N_SECTORS = len(SECTORS)


@dataclass
class ReplicateRecord:
    """Annual aggregates of one replicate, both worlds (index 0 is the base year)."""

    years: np.ndarray
    #: sector value added [year, sector], yuan/year at base-year prices
    va_actual: np.ndarray
    va_baseline: np.ndarray
    #: VA-weighted shares [year] (fractions) and key-area CNC rate
    sei_actual: np.ndarray
    sei_baseline: np.ndarray
    hightech_actual: np.ndarray
    hightech_baseline: np.ndarray
    cnc_actual: np.ndarray
    cnc_baseline: np.ndarray
    #: business R&D [year], yuan/year
    rd_actual: np.ndarray
    rd_baseline: np.ndarray
    #: enterprises [year]
    firms_actual: np.ndarray
    firms_baseline: np.ndarray
    #: R&D super-deduction tax expenditure [year], yuan
    tax_expenditure_actual: np.ndarray
    tax_expenditure_baseline: np.ndarray
    #: equity invested [year], yuan: the investment fund and the cluster funds
    fund_equity: np.ndarray
    cluster_equity: np.ndarray
    #: per instrument [instrument, year]: awards made, additional and deadweight awarded projects
    awards: np.ndarray
    additional_projects: np.ndarray
    deadweight_projects: np.ndarray
    #: the grant ledger (committed, paid, lapsed per instrument, year, sector)
    ledger: GrantLedger
    #: the model's firms as a fraction of the province's: money, counts and R&D above are in
    #: model units (divide by this for the province)
    sample_fraction: float = 1.0
    extra: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Cohorts:
    """Entrants the cluster funds draw into each sector, one cohort per sector (actual world only).

    Each cohort keeps the count, value added [yuan/year] and the VA-weighted SEI and high-tech
    numerators [yuan/year].
    """

    count: np.ndarray
    va: np.ndarray
    sei: np.ndarray
    hightech: np.ndarray

    @classmethod
    def empty(cls) -> Cohorts:
        """No entrants yet."""
        z = np.zeros
        return cls(z(N_SECTORS), z(N_SECTORS), z(N_SECTORS), z(N_SECTORS))


class Recorder:
    """The record of a replicate and the running sums of the current year.

    Parameters
    ----------
    years
        Base year to horizon.
    ledger
        The grant ledger (recorded as it is at the end of the run).
    key_area
        Sectors that count in the key-area CNC rate [sector] (bool).
    sample_fraction
        The model's firms as a fraction of the province's (kept with the record).
    """

    def __init__(
        self,
        years: np.ndarray,
        ledger: GrantLedger,
        key_area: np.ndarray,
        sample_fraction: float = 1.0,
    ) -> None:
        n_years = len(years)
        n_k = len(GRANT_INSTRUMENTS)
        z = np.zeros
        self.record = ReplicateRecord(
            years=years.copy(),
            va_actual=z((n_years, N_SECTORS)),
            va_baseline=z((n_years, N_SECTORS)),
            sei_actual=z(n_years),
            sei_baseline=z(n_years),
            hightech_actual=z(n_years),
            hightech_baseline=z(n_years),
            cnc_actual=z(n_years),
            cnc_baseline=z(n_years),
            rd_actual=z(n_years),
            rd_baseline=z(n_years),
            firms_actual=z(n_years),
            firms_baseline=z(n_years),
            tax_expenditure_actual=z(n_years),
            tax_expenditure_baseline=z(n_years),
            fund_equity=z(n_years),
            cluster_equity=z(n_years),
            awards=z((n_k, n_years)),
            additional_projects=z((n_k, n_years)),
            deadweight_projects=z((n_k, n_years)),
            ledger=ledger,
            sample_fraction=float(sample_fraction),
        )
        self.key_area = key_area
        #: awards made, additional and deadweight awarded projects [instrument, year]
        self.awards = self.record.awards
        self.additional = self.record.additional_projects
        self.deadweight = self.record.deadweight_projects
        #: R&D super-deduction tax expenditure of the year so far, [actual, no programme] yuan
        self.tax_year = np.zeros(2)
        #: equity invested this year so far by the investment fund and the cluster funds, yuan
        self.fund_year = 0.0
        self.cluster_year = 0.0
        #: value added of one-off sales this year in the actual world [sector], yuan: the
        #: additional first-of-a-kind sets (a sale adds to the year's VA once, not for ever)
        self.one_off_va = np.zeros(N_SECTORS)

    def record_year(self, yi: int, firms: FirmTable, cohorts: Cohorts) -> None:
        """Annual aggregates of both worlds at the end of year index ``yi``."""
        rec = self.record
        f = firms
        live = f.live_slots()
        va1 = f.va(live)
        by_sector1, by_sector0, s = record_sums(
            live, f.sector, va1, f.va_base, f.sei, f.sei_base, f.hightech, f.hightech_base,
            f.cnc, f.cnc_base, f.rd, f.rd_base, self.key_area, N_SECTORS,
        )  # fmt: skip
        one_off = self.one_off_va
        rec.va_actual[yi] = by_sector1 + cohorts.va + one_off
        rec.va_baseline[yi] = by_sector0
        total1 = s[0] + cohorts.va.sum() + one_off.sum()
        total0 = s[1]
        rec.sei_actual[yi] = (s[2] + cohorts.sei.sum()) / total1
        rec.sei_baseline[yi] = s[3] / total0
        rec.hightech_actual[yi] = (s[4] + cohorts.hightech.sum()) / total1
        rec.hightech_baseline[yi] = s[5] / total0
        # the key-area CNC rate: sum Y cnc / sum Y over the key-area firms
        rec.cnc_actual[yi] = s[8] / s[6]
        rec.cnc_baseline[yi] = s[9] / s[7]
        rec.rd_actual[yi] = s[10]
        rec.rd_baseline[yi] = s[11]
        rec.firms_actual[yi] = live.size + cohorts.count.sum()
        rec.firms_baseline[yi] = live.size
        rec.tax_expenditure_actual[yi] = self.tax_year[0]
        rec.tax_expenditure_baseline[yi] = self.tax_year[1]
        rec.fund_equity[yi] = self.fund_year
        rec.cluster_equity[yi] = self.cluster_year
        self.fund_year = 0.0
        self.cluster_year = 0.0
        self.one_off_va = np.zeros(N_SECTORS)
