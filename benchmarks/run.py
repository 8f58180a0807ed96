"""Benchmark: the production model against the classic-Mesa reference, and ensemble throughput.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/run.py [--quick]``). It prints, from
one run:

1. **Per-agent-step cost** of the production model with its firm phases in NumPy (firm state
   in arrays, vectorised rules, :class:`mfgplan.economy.firm_dynamics.FirmDynamics`), of the
   same model with its firm phases on the compiled kernels (the default rendering,
   :class:`mfgplan.economy.compiled.CompiledFirmDynamics`; the kernels are loaded before
   anything is timed) and of the classic-Mesa model of the same rules written from the ODD
   (:mod:`benchmarks.classic`), and the ratios, for 1k, 10k and 100k firms. One agent-step is
   one firm in one quarter (both worlds). The reference runs the full horizon at 1k and 10k
   firms and its first year at 100k (its cost per agent-step grows a little with the horizon, as
   its list of projects does, so the 100k ratio is on the low side);
   model construction is timed separately.
2. **Ensemble throughput and peak memory**: ``mfgplan run`` of the plan scenario with
   ``--workers 2`` end to end (baseline fit, replicates, writing ``results.nc``), for 1k firms x
   1000 replicates, 10k x 1000 and 100k x 100. Peak memory is the largest sum of the resident
   memory of the run's processes, sampled every 0.1 s.

3. **Scale** (``--scale`` alone, about 20 minutes; ``make bench-scale``): the plan as shipped
   (the data's 9,226 firms) on 200 replicates with 1 and 2 workers (the speed-up, and whether
   the two ``results.nc`` are the same bytes) and on 1,000 with 2; 500,000 firms x 100
   replicates; ``mfgplan calibrate --as-of 2015``. Written to ``outputs/bench/scale.json``.

Everything printed is also written to ``outputs/bench/bench.json`` (``--json PATH`` for
another file): per size, the production, compiled and classic ns per agent-step and the
ratios; per ensemble, firms, replicates, workers, wall seconds, replicates per second and peak
memory; the machine, the package versions and the git commit.

Timings are wall-clock and noisy; the ratios are the more stable numbers. Nothing here is a
test: the equivalence of the two renderings is tested in ``tests/integration/test_reference.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.classic.economy import ClassicEconomy  # noqa: E402
from mfgplan.calibration.forecast import fit_baseline  # noqa: E402
from mfgplan.economy.compiled import CompiledFirmDynamics  # noqa: E402
from mfgplan.economy.economy import ManufacturingEconomy  # noqa: E402
from mfgplan.economy.firm_dynamics import FirmDynamics  # noqa: E402
from mfgplan.economy.replicate import replicate_seed  # noqa: E402
from mfgplan.inputs.scenario import load_scenario  # noqa: E402
from mfgplan.provenance import git_commit, utc_now, versions  # noqa: E402

PLAN = ROOT / "scenarios" / "plan-2016.yaml"
#: where ``main`` writes what it printed
BENCH_JSON = ROOT / "outputs" / "bench" / "bench.json"
#: where ``--scale`` writes its runs
SCALE_JSON = ROOT / "outputs" / "bench" / "scale.json"


def baseline_path(seed: int = 0) -> dict[str, np.ndarray]:
    """One draw of the statistical baseline for the plan's years (as a replicate would get)."""
    scenario = load_scenario(PLAN).scenario
    fit = fit_baseline(as_of=scenario.base_year)
    years = np.arange(scenario.base_year, scenario.horizon + 1)
    path_seed, _ = replicate_seed(seed, 0).spawn(2)
    paths = fit.simulate_paths(years, 1, np.random.Generator(np.random.PCG64(path_seed)))
    return {k: np.asarray(v)[0] for k, v in paths.items()}


def time_model(
    cls: type, n_firms: int, quarters: int | None, seed: int = 1, **kwargs: object
) -> dict[str, float]:
    """Build and step one model; seconds to build, seconds per agent-step of the steps."""
    scenario = load_scenario(PLAN).scenario
    base = baseline_path()
    t0 = time.perf_counter()
    model = cls(scenario, base, replicate_seed(seed, 0), n_firms, **kwargs)
    t1 = time.perf_counter()
    steps = model.n_quarters if quarters is None else quarters
    agent_steps = 0
    classic = isinstance(model, ClassicEconomy)
    for _ in range(steps):
        agent_steps += len(model.agents) if classic else model.firms.n_alive
        model.step()
    t2 = time.perf_counter()
    return {
        "build_s": t1 - t0,
        "steps": steps,
        "agent_steps": agent_steps,
        "ns_per_agent_step": (t2 - t1) / agent_steps * 1e9,
    }


class MemorySampler(threading.Thread):
    """Largest total resident memory of a process and its descendants (Linux /proc)."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_bytes = 0
        self._stop = threading.Event()

    @staticmethod
    def _tree_rss(root: int) -> int:
        parents: dict[int, int] = {}
        rss: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
                rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, IndexError, ValueError):
                continue
        tree = {root}
        changed = True
        while changed:
            changed = False
            for pid, ppid in parents.items():
                if ppid in tree and pid not in tree:
                    tree.add(pid)
                    changed = True
        return sum(rss.get(pid, 0) for pid in tree)

    def run(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, self._tree_rss(self.pid))
            time.sleep(self.interval)

    def stop(self) -> None:
        self._stop.set()


def run_command(args: list[str]) -> tuple[float, float]:
    """``mfgplan ARGS`` in a fresh process: wall seconds and peak memory of its processes [GiB]."""
    cmd = [sys.executable, "-m", "mfgplan.cli", *args]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = MemorySampler(proc.pid)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    sampler.stop()
    if proc.returncode != 0:
        raise SystemExit(f"benchmark run failed: {err.decode()[-2000:]}")
    return wall, sampler.peak_bytes / 2**30


def time_ensemble(
    n_firms: int | None, replicates: int, workers: int, keep: Path | None = None
) -> dict[str, float]:
    """``mfgplan run`` of the plan end to end in a fresh process; wall time and peak memory.

    ``n_firms`` None runs the shipped plan scenario itself (the data's 9,226 firms); ``keep``
    copies its ``results.nc`` there.
    """
    with tempfile.TemporaryDirectory() as tmp:
        scenario = PLAN
        if n_firms is not None:
            scenario = Path(tmp) / "bench.yaml"
            scenario.write_text(
                f"baseline: {PLAN}\ntitle: benchmark {n_firms} firms\nn_firms: {n_firms}\n",
                encoding="utf-8",
            )
        out = Path(tmp) / "run"
        wall, peak = run_command([
            "run", str(scenario), "--replicates", str(replicates), "--workers", str(workers),
            "--out", str(out), "-q", "--no-charts",
        ])  # fmt: skip
        manifest = json.loads((out / "manifest.json").read_text())
        timings = manifest["timings_seconds"]
        if keep is not None:
            shutil.copyfile(out / "results.nc", keep)
    return {
        "firms": int(manifest["n_firms"]),
        "replicates": replicates,
        "workers": workers,
        "wall_s": wall,
        "ensemble_s": timings["ensemble"],
        "replicates_per_s": replicates / timings["ensemble"],
        "peak_gib": peak,
    }


def scale(args: argparse.Namespace, report: dict[str, object]) -> None:
    """Section 3 (``--scale``): the issue-sized runs (about 20 minutes).

    The plan as shipped (the data's 9,226 firms) with 1 and 2 workers on 200 replicates (the
    speed-up, and whether the two results files are the same bytes) and with 2 workers on
    1,000; 500,000 firms x 100 replicates; the calibration as of 2015.
    """
    print("\n3. scale: the plan as shipped, 500,000 firms, the calibration")
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        one = time_ensemble(None, 200, 1, keep=Path(tmp) / "one.nc")
        two = time_ensemble(None, 200, args.workers, keep=Path(tmp) / "two.nc")
        same = (Path(tmp) / "one.nc").read_bytes() == (Path(tmp) / "two.nc").read_bytes()
    out["workers_1_vs_2"] = {
        "one": one, "two": two, "speedup": one["ensemble_s"] / two["ensemble_s"],
        "results_identical": same,
    }  # fmt: skip
    print(f"  9,226 firms x 200: 1 worker {one['ensemble_s']:.1f} s, {args.workers} workers "
          f"{two['ensemble_s']:.1f} s ({out['workers_1_vs_2']['speedup']:.2f}x); results "
          f"{'identical' if same else 'DIFFER'}")  # type: ignore[index]  # fmt: skip
    plan = time_ensemble(None, 1000, args.workers)
    out["plan_1000"] = plan
    print(f"  9,226 firms x 1,000: wall {plan['wall_s']:.1f} s, ensemble "
          f"{plan['ensemble_s']:.1f} s, peak {plan['peak_gib']:.2f} GiB")  # fmt: skip
    big = time_ensemble(500_000, 100, args.workers)
    out["firms_500k_100"] = big
    print(f"  500,000 firms x 100: wall {big['wall_s']:.1f} s, ensemble {big['ensemble_s']:.1f} s,"
          f" peak {big['peak_gib']:.2f} GiB")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        wall, peak = run_command([
            "calibrate", "--as-of", "2015", "--workers", str(args.workers), "--out",
            str(Path(tmp) / "as-of-2015.json"), "--quiet",
        ])  # fmt: skip
    out["calibration_2015"] = {"wall_s": wall, "peak_gib": peak, "workers": args.workers}
    print(f"  calibrate --as-of 2015: {wall:.1f} s, peak {peak:.2f} GiB")
    report["scale"] = out
    write_json(args.json, report)


def machine() -> dict[str, object]:
    """The machine and software a benchmark ran on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            names = [line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return {
        "host": platform.node(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions(),
        "git_commit": git_commit(),
        "created": utc_now(),
    }


def write_json(path: Path, report: dict[str, object]) -> None:
    """Write the benchmark's report (whole file or nothing: temporary name, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer replicates, smaller sizes")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, default=BENCH_JSON, help="where to write the report")
    parser.add_argument(
        "--scale", action="store_true",
        help="only the issue-sized runs: the shipped plan, 500,000 firms, the calibration",
    )  # fmt: skip
    args = parser.parse_args(argv)
    sizes = (1_000, 10_000) if args.quick else (1_000, 10_000, 100_000)
    host = machine()
    report: dict[str, object] = {
        "quick": args.quick, "machine": host, "agent_steps": [], "ensembles": []
    }  # fmt: skip
    print(f"mfgplan benchmark on {host['host']}: {host['cpu']}, {host['cores']} cores, "
          f"Python {host['python']}")  # fmt: skip
    if args.scale:
        if args.json == BENCH_JSON:
            args.json = SCALE_JSON
        scale(args, report)
        print(f"\nwritten: {args.json}")
        return 0
    print("\n1. cost per agent-step (one firm, one quarter, both worlds), plan scenario")
    print(f"{'firms':>8} {'NumPy ns':>14} {'compiled ns':>12} {'classic ns':>11} "
          f"{'ratio':>7} {'compiled ratio':>15} {'classic steps':>13} "
          f"{'build prod/classic s':>21}")  # fmt: skip
    # load (or compile, on a fresh checkout) the kernels before anything is timed
    time_model(ManufacturingEconomy, 50, 4, firm_dynamics=CompiledFirmDynamics)
    for n in sizes:
        # the NumPy rendering of the firm phases (the default is the compiled one)
        fast = time_model(ManufacturingEconomy, n, None, firm_dynamics=FirmDynamics)
        compiled = time_model(ManufacturingEconomy, n, None, firm_dynamics=CompiledFirmDynamics)
        classic_quarters = None if n <= 10_000 else 4
        if args.quick:
            classic_quarters = 8
        slow = time_model(ClassicEconomy, n, classic_quarters)
        ratio = slow["ns_per_agent_step"] / fast["ns_per_agent_step"]
        compiled_ratio = slow["ns_per_agent_step"] / compiled["ns_per_agent_step"]
        report["agent_steps"].append(  # type: ignore[union-attr]
            {
                "firms": n,
                "production_ns_per_agent_step": fast["ns_per_agent_step"],
                "compiled_ns_per_agent_step": compiled["ns_per_agent_step"],
                "classic_ns_per_agent_step": slow["ns_per_agent_step"],
                "ratio": ratio,
                "compiled_ratio": compiled_ratio,
                "production_quarters": fast["steps"],
                "classic_quarters": slow["steps"],
                "production_build_s": fast["build_s"],
                "classic_build_s": slow["build_s"],
            }
        )
        write_json(args.json, report)
        print(
            f"{n:>8,} {fast['ns_per_agent_step']:>14,.0f} "
            f"{compiled['ns_per_agent_step']:>12,.0f} {slow['ns_per_agent_step']:>11,.0f} "
            f"{ratio:>6.0f}x {compiled_ratio:>14.0f}x {slow['steps']:>13} "
            f"{fast['build_s']:>10.2f}/{slow['build_s']:<10.2f}"
        )
    print(f"\n2. ensembles: mfgplan run, plan scenario, 40 quarters, --workers {args.workers}")
    print(f"{'firms':>8} {'replicates':>10} {'wall s':>8} {'ensemble s':>11} "
          f"{'replicates/s':>13} {'peak GiB':>9}")  # fmt: skip
    runs = (
        ((1_000, 100), (10_000, 100))
        if args.quick
        else ((1_000, 1_000), (10_000, 1_000), (100_000, 100))
    )
    for n, reps in runs:
        r = time_ensemble(n, reps, args.workers)
        report["ensembles"].append(r)  # type: ignore[union-attr]
        write_json(args.json, report)
        print(
            f"{n:>8,} {reps:>10,} {r['wall_s']:>8.1f} {r['ensemble_s']:>11.1f} "
            f"{r['replicates_per_s']:>13.1f} {r['peak_gib']:>9.2f}"
        )
    print(f"\nwritten: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
