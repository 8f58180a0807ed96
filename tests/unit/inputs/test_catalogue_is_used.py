"""`mfgplan params` lists exactly what the model uses, each entry with units and a source.

A parameter the code never reads is a promise the model does not keep (a scenario could set
it and nothing would change); this test reads the code outside the catalogue itself and fails
on any catalogue entry no module reads as an attribute.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mfgplan.inputs.parameters import catalogue

ROOT = Path(__file__).resolve().parents[3]
#: the code that can use a parameter: everything but the catalogue's own modules
USERS = [
    p
    for p in (ROOT / "model").rglob("*.py")
    if p.parent.name != "inputs" or p.name in ("scenario.py", "sample.py")
]
CODE = "\n".join(p.read_text(encoding="utf-8") for p in USERS)
#: run settings read through the scenario object or the job, not a model rule
SETTINGS = {"seed", "replicates", "base_year", "horizon", "n_firms", "calibration"}
ROWS = catalogue()


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["name"])
def test_every_parameter_is_read_by_the_model(row):
    leaf = row["name"].split(".")[-1]
    if leaf in SETTINGS:
        return
    # an attribute read, or a name the code reads by getattr (the counts: COUNT_FIELDS)
    pattern = rf"\.{re.escape(leaf)}\b|\"{re.escape(leaf)}\""
    assert re.search(pattern, CODE), f"{row['name']} is never read"


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["name"])
def test_every_parameter_has_units_and_a_source(row):
    assert str(row["units"]).strip(), row["name"]
    assert str(row["source"]).strip(), row["name"]


def test_the_check_catches_an_unread_parameter():
    """The pattern would miss a name no module reads (a made-up one)."""
    assert not re.search(r"\.revenue_threshold\b", CODE)
    assert not re.search(r"\.hnte_tax_rate\b", CODE)
