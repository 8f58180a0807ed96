"""The worlds the calibration simulates: the pre-plan policy world from an as-of year.

Shared by the history's moments (:mod:`mfgplan.calibration.estimate`), the virtual
experiments (:mod:`mfgplan.calibration.experiments`) and the Mode B check
(:mod:`mfgplan.calibration.modeb`).
"""

from __future__ import annotations

from mfgplan.inputs.parameters import Scenario
from mfgplan.inputs.programme import GRANT_INSTRUMENTS

__all__ = ["TREND_YEARS", "calibration_scenario"]

#: years of no-programme simulation whose trend is compared with the past trend
TREND_YEARS = 5


def calibration_scenario(as_of: int) -> Scenario:
    """The pre-plan policy world from ``as_of``.

    No provincial programme, national tax rules of 2015, ``TREND_YEARS`` projected years.
    """
    zero = dict.fromkeys(GRANT_INSTRUMENTS, 0)
    return Scenario.model_validate(
        {
            "title": f"calibration, as of {as_of}",
            "base_year": as_of,
            "horizon": as_of + TREND_YEARS,
            "programme": {
                "first_year": as_of + 1,
                "last_year": as_of + 1,
                "annual_budget": 0,
                "allocation": zero,
                "investment_fund": {"size": 0, "annual_investment": 0},
            },
        }
    )
