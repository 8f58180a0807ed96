"""Where the project's own files are (leaf module: no imports from the package).

mfgplan runs from its checkout: ``make setup`` installs the package in editable mode, and the
data, the shipped calibrations and the default output folder are the checkout's folders.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["CALIBRATION", "DATA_FILE", "OUTPUTS", "PROJECT", "SCENARIOS", "parameter_file"]

#: the checkout: the folder holding ``model/`` (the package), ``calibration/`` and ``scenarios/``
PROJECT = Path(__file__).resolve().parent.parent
#: data, shipped parameter files and the calibration's method and validation notes
CALIBRATION = PROJECT / "calibration"
#: the province's statistics up to 2015, one row per figure (``calibration/data/SOURCES.md``)
DATA_FILE = CALIBRATION / "data" / "jiangxi_history.csv"
#: shipped scenarios
SCENARIOS = PROJECT / "scenarios"
#: default parent of run folders (relative: beside where the command runs)
OUTPUTS = Path("outputs")


def parameter_file(as_of: int) -> Path:
    """The shipped parameter file calibrated on the data up to ``as_of``.

    The file is ``calibration/params/as-of-YEAR.json``.
    """
    return CALIBRATION / "params" / f"as-of-{as_of}.json"
