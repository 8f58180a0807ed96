"""Writing the versioned parameter file of ``mfgplan calibrate``.

The file is read by :mod:`mfgplan.inputs.sample`. It holds provenance, settings, the data rows
used, the moments, per-parameter prior and posterior summaries, the point estimate and the
sample (one line per parameter set, so that diffs read well). Its format is
``calibration/METHOD.md``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mfgplan.files import atomic_write_text

__all__ = ["write_parameter_file"]


def _dumps(document: dict[str, Any]) -> str:
    """JSON with one line per parameter set in ``sample.values`` (readable diffs)."""
    head = {k: v for k, v in document.items() if k != "sample"}
    text = json.dumps(head, indent=1, ensure_ascii=False)
    if "sample" not in document:
        return text + "\n"
    sample = document["sample"]
    rows = ",\n".join("   " + json.dumps(row) for row in sample["values"])
    block = (
        ',\n "sample": {\n  "names": '
        + json.dumps(sample["names"])
        + ',\n  "values": [\n'
        + rows
        + "\n  ]\n }\n}\n"
    )
    return text[: text.rstrip().rfind("}")].rstrip() + block


def write_parameter_file(document: dict[str, Any], path: str | Path) -> Path:
    """Write ``document`` as JSON atomically (a temporary file renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, _dumps(document))
    return path
