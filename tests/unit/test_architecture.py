"""The layout keeps its shape: modules small enough to read, the command line thin, every
package installed and in a layer of the import contract."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "model"
#: the longest module (lines) and the longest command-line module
MAX_LINES, MAX_CLI_LINES = 600, 250


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_is_longer_than_600_lines_and_no_cli_module_than_250():
    long = {str(p.relative_to(ROOT)): _lines(p) for p in PACKAGE.rglob("*.py")}
    assert {k: v for k, v in long.items() if v > MAX_LINES} == {}
    cli = {k: v for k, v in long.items() if k.startswith("model/cli/")}
    assert len(cli) >= 4
    assert {k: v for k, v in cli.items() if v > MAX_CLI_LINES} == {}


def test_every_package_folder_is_installed_and_in_a_layer():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    installed = set(config["tool"]["setuptools"]["packages"])
    folders = {
        "mfgplan" + "".join(f".{part}" for part in p.parent.relative_to(PACKAGE).parts)
        for p in PACKAGE.rglob("__init__.py")
    }
    assert folders == installed
    (layers,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    named = {name.strip() for layer in layers["layers"] for name in layer.split("|")}
    subpackages = {name.split(".")[1] for name in installed if name.count(".") == 1}
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__")}
    assert named == subpackages | modules
