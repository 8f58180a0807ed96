#!/usr/bin/env python
"""Fingerprint of every result mfgplan computes, to prove a refactoring changed none of them.

Runs the command line on the shipped scenarios at small sizes (run, compare, forecast,
backtest, attribute, optimize, sensitivity, calibrate) and the classic-Mesa reference, and
records the sha256 of every variable of every netCDF file (values, dimensions and dtype) and of
every CSV table. Attributes are recorded separately (they hold file names and descriptions a
refactoring may legitimately reword).

    .venv/bin/python scripts/fingerprint.py --out before.json          # before the change
    .venv/bin/python scripts/fingerprint.py --out after.json --check before.json

``--check`` exits 1 and lists every value that differs. ``--skip-calibrate`` leaves out the
calibration (about 50 s on 2 cores).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import xarray as xr

ROOT = Path(__file__).resolve().parents[1]
MFGPLAN = [str(ROOT / ".venv" / "bin" / "mfgplan")]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
SEED = "7"
#: what the parameter file must reproduce (provenance and timings differ by design)
CALIBRATION_KEYS = ("as_of", "settings", "data", "data_sha256", "moments", "fit", "parameters",
                    "estimate", "sample")  # fmt: skip


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def array_sha(values: np.ndarray) -> str:
    values = np.asarray(values)
    if values.dtype.kind in "UO":
        return sha("\x1f".join(map(str, values.ravel())).encode())
    head = f"{values.dtype.str}{values.shape}".encode()
    return sha(head + np.ascontiguousarray(values).tobytes())


def netcdf(path: Path, values: dict, attrs: dict, prefix: str) -> None:
    with xr.open_dataset(path) as ds:
        for name in [*ds.coords, *ds.data_vars]:
            var = ds[name]
            values[f"{prefix}:{name}"] = f"{var.dims}:{array_sha(var.values)}"
            attrs[f"{prefix}:{name}"] = json.dumps(dict(var.attrs), sort_keys=True, default=str)
        attrs[f"{prefix}:<global>"] = json.dumps(dict(ds.attrs), sort_keys=True, default=str)


def folder(path: Path, values: dict, attrs: dict, prefix: str) -> None:
    for file in sorted(path.rglob("*")):
        rel = f"{prefix}/{file.relative_to(path)}"
        if file.suffix == ".nc":
            netcdf(file, values, attrs, rel)
        elif file.suffix in (".csv", ".yaml") and file.name != "scenario.resolved.yaml":
            values[rel] = sha(file.read_bytes())
        elif file.suffix == ".png":
            attrs[rel] = sha(file.read_bytes())


def cli(*args: str) -> None:
    done = subprocess.run([*MFGPLAN, *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"fingerprint: mfgplan {' '.join(args)} failed:\n{done.stderr}")


REFERENCE = r"""
import hashlib, json, sys
import numpy as np
sys.path.insert(0, ".")
try:
    from mfgplan.economy.economy import ManufacturingEconomy
    from mfgplan.inputs.scenario import load_scenario
except ImportError:
    from mfgplan.economy.economy import ManufacturingEconomy
    from mfgplan.inputs.scenario import load_scenario
from benchmarks.classic.economy import ClassicEconomy
from tests.conftest import flat_baseline

out = {}
scenario = load_scenario("scenarios/plan-2016.yaml").scenario
for seed in (3, 2016):
    for label, cls in (("production", ManufacturingEconomy), ("classic", ClassicEconomy)):
        model = cls(scenario, flat_baseline(), np.random.SeedSequence(seed), n_firms=600)
        rec = model.run()
        if label == "classic":
            # the classic model's record: the DataCollector's rows and its ledger
            for name, value in rec.items():
                out[f"classic/{seed}/{name}"] = hashlib.sha256(value.tobytes()).hexdigest()
            continue
        for name, value in vars(rec).items():
            if isinstance(value, np.ndarray):
                out[f"{label}/{seed}/{name}"] = hashlib.sha256(value.tobytes()).hexdigest()
        for name in ("committed", "paid", "lapsed", "unspent_lapsed"):
            value = getattr(rec.ledger, name)
            out[f"{label}/{seed}/ledger.{name}"] = hashlib.sha256(value.tobytes()).hexdigest()
print(json.dumps(out))
"""


def fingerprint(skip_calibrate: bool) -> dict:
    values: dict[str, str] = {}
    attrs: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for path in SCENARIOS:
            out = tmp / f"run-{path.stem}"
            cli("run", str(path), "-n", "3", "--seed", SEED, "--out", str(out), "-q")
            folder(out, values, attrs, f"run/{path.stem}")
        out = tmp / "compare"
        cli("compare", *map(str, SCENARIOS[:3]), "-n", "3", "--seed", SEED, "--out", str(out),
            "-q")  # fmt: skip
        folder(out, values, attrs, "compare")
        out = tmp / "forecast"
        cli("forecast", "--paths", "200", "--out", str(out))
        folder(out, values, attrs, "forecast")
        plan = str(ROOT / "scenarios" / "plan-2016.yaml")
        out = tmp / "backtest"
        cli("backtest", plan, "--as-of", "2013,2014", "-n", "4", "--seed", SEED, "--out",
            str(out), "-q")  # fmt: skip
        folder(out, values, attrs, "backtest")
        out = tmp / "attribute"
        cli("attribute", plan, "-n", "4", "--seed", SEED, "--out", str(out), "-q")
        folder(out, values, attrs, "attribute")
        out = tmp / "optimize"
        cli("optimize", plan, "--quick", "--firms", "300", "--final-replicates", "4",
            "--seed", SEED, "--out", str(out), "-q", "--objective", "va:2020")  # fmt: skip
        folder(out, values, attrs, "optimize")
        out = tmp / "sensitivity"
        cli("sensitivity", plan, "--samples", "2", "--firms", "300", "-n", "1",
            "--prim-replicates", "8", "--seed", SEED, "--out", str(out), "-q")  # fmt: skip
        folder(out, values, attrs, "sensitivity")
        if not skip_calibrate:
            out = tmp / "as-of-2015.json"
            cli("calibrate", "--as-of", "2015", "--workers", "2", "--out", str(out), "-q")
            made = json.loads(out.read_text(encoding="utf-8"))
            shipped = json.loads(
                (ROOT / "calibration" / "params" / "as-of-2015.json").read_text(encoding="utf-8")
            )
            for key in CALIBRATION_KEYS:
                same = made.get(key) == shipped.get(key)
                values[f"calibrate/{key}"] = "same as shipped" if same else sha(
                    json.dumps(made.get(key), sort_keys=True).encode())  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", REFERENCE], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"fingerprint: the reference run failed:\n{done.stderr}")
    values.update({f"reference/{k}": v for k, v in json.loads(done.stdout).items()})
    return {"values": values, "attributes": attrs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--check", type=Path, help="an earlier fingerprint to compare with")
    parser.add_argument("--skip-calibrate", action="store_true")
    args = parser.parse_args()
    got = fingerprint(args.skip_calibrate)
    args.out.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(got['values'])} values fingerprinted -> {args.out}")
    if args.check is None:
        return 0
    before = json.loads(args.check.read_text(encoding="utf-8"))
    status = 0
    for part in ("values", "attributes"):
        old, new = before[part], got[part]
        differ = sorted(k for k in old.keys() & new.keys() if old[k] != new[k])
        missing = sorted(old.keys() - new.keys())
        added = sorted(new.keys() - old.keys())
        if args.skip_calibrate:
            missing = [k for k in missing if not k.startswith("calibrate/")]
        for label, keys in (("differs", differ), ("missing", missing), ("new", added)):
            for key in keys:
                print(f"{part} {label}: {key}")
        if part == "values" and (differ or missing or added):
            status = 1
        print(f"{part}: {len(old.keys() & new.keys()) - len(differ)} identical, {len(differ)} "
              f"differ, {len(missing)} missing, {len(added)} new")  # fmt: skip
    return status


if __name__ == "__main__":
    sys.exit(main())
