"""``mfgplan run | compare | validate | params``: scenarios run, compared, checked, listed."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from mfgplan.analysis.targets import TARGETS
from mfgplan.cli.console import (
    EXIT_PARTIAL,
    Console,
    command_line,
    language_option,
    parallel_options,
    positive_int,
    seed_value,
)
from mfgplan.inputs.parameters import catalogue
from mfgplan.inputs.scenario import ScenarioError, load_scenario
from mfgplan.report import text
from mfgplan.workflows.compare import CompareOptions, compare_scenarios
from mfgplan.workflows.run import RunOptions, run_scenario

__all__ = ["add_parsers"]


def add_parsers(sub: Any) -> None:
    """The sub-commands of this group."""
    run = sub.add_parser("run", help="run a scenario ensemble and write a run folder")
    run.add_argument("scenario", help="scenario YAML file")
    run.add_argument("--replicates", "-n", type=positive_int, help="override replicates")
    run.add_argument("--seed", type=seed_value, help="override the root seed")
    run.add_argument("--out", type=Path, help="run folder (default outputs/<scenario>/<id>)")
    run.add_argument("--force", action="store_true", help="replace an existing run folder")
    run.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run in --out from its finished replicates",
    )
    run.add_argument("--no-charts", action="store_true", help="skip the charts")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    language_option(run)
    parallel_options(run)
    run.set_defaults(handler=_run)

    cmp_ = sub.add_parser("compare", help="run scenarios on common random numbers and compare")
    cmp_.add_argument("scenarios", nargs="+", help="scenario YAML files (first = reference)")
    cmp_.add_argument("--replicates", "-n", type=positive_int, help="override replicates")
    cmp_.add_argument("--seed", type=seed_value, help="override the root seed")
    cmp_.add_argument("--out", type=Path, help="folder (default outputs/compare/<names>-<time>)")
    cmp_.add_argument("--force", action="store_true", help="replace an existing folder")
    cmp_.add_argument(
        "--resume", action="store_true", help="continue an interrupted comparison in --out"
    )
    cmp_.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    language_option(cmp_)
    parallel_options(cmp_)
    cmp_.set_defaults(handler=_compare)

    val = sub.add_parser("validate", help="check scenario files without running them")
    val.add_argument("files", nargs="+", help="scenario YAML files")
    val.set_defaults(handler=_validate)

    par = sub.add_parser("params", help="print the parameter catalogue")
    par.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help="output format"
    )
    par.set_defaults(handler=_params)


def _run(args: argparse.Namespace) -> int:
    options = RunOptions(
        scenario=Path(args.scenario), replicates=args.replicates, seed=args.seed, out=args.out,
        force=args.force, resume=args.resume, charts=not args.no_charts, workers=args.workers,
        scheduler=args.scheduler, lang=args.lang, command=command_line(args),
    )  # fmt: skip
    with Console(args.quiet) as console:
        result = run_scenario(options, console)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if result.already_complete:
        print(f"{result.folder}: already complete; nothing to resume")
        return 0
    print(f"{result.title}: {result.ran} replicates in {result.seconds:.1f} s -> {result.folder}")
    n = int(result.targets["replicates"].iloc[0])
    print(f"2020 targets, {n} replicates (P(met) and median with 90% intervals):")
    for line in text.target_lines(result.targets):
        print(line)
    for line in [*text.effect_lines(result.effects), *text.budget_lines(result.budget)]:
        print(line)
    table = result.uncertainty
    if table is not None:
        parts = []
        for target in TARGETS:
            row = table[
                (table["indicator"] == target.indicator)
                & (table["year"] == target.year)
                & (table["quantity"] == "programme_effect")
            ]
            if len(row) and np.isfinite(row["parameter_share"].iloc[0]):
                parts.append(f"{target.indicator} {row['parameter_share'].iloc[0]:.0%}")
        if parts:
            print(
                "  share of the spread of the programme's 2020 effect due to the parameters "
                "(uncertainty.csv): " + ", ".join(parts)
            )
    caution = text.caution_line(result.unidentified, "the programme's effect")
    if caution:
        print(f"  {caution}")
    report = result.folder / "report.html"
    if report.is_file():
        print(f"  the report, for a browser: {report}")
    warning = text.few_replicates(n)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    if result.failures:
        first = result.failures[0]
        print(
            f"{len(result.failures)} of {result.requested} replicates failed (listed in "
            f"manifest.json); the first, replicate {first.replicate}: {first.error}",
            file=sys.stderr,
        )
        return EXIT_PARTIAL
    return 0


def _compare(args: argparse.Namespace) -> int:
    options = CompareOptions(
        scenarios=tuple(Path(p) for p in args.scenarios), replicates=args.replicates,
        seed=args.seed, out=args.out, force=args.force, resume=args.resume,
        workers=args.workers, scheduler=args.scheduler, lang=args.lang, command=command_line(args),
    )  # fmt: skip
    with Console(args.quiet) as console:
        result = compare_scenarios(options, console)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if result.already_complete:
        print(f"{result.folder}: already complete; nothing to resume")
    for line in text.compare_lines(result.table):
        print(line)
    print(f"-> {result.folder}")
    if result.datasets:
        warning = text.few_replicates(int(next(iter(result.datasets.values())).sizes["replicate"]))
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
    if result.failed:
        print(
            f"{len(result.failed)} replicate runs failed (listed in manifest.json)",
            file=sys.stderr,
        )
        return EXIT_PARTIAL
    return 0


def _validate(args: argparse.Namespace) -> int:
    status = 0
    for p in args.files:
        try:
            resolved = load_scenario(p)
        except ScenarioError as err:
            for problem in err.problems:
                print(str(problem), file=sys.stderr)
            status = 2
            continue
        print(f"OK {p} ({resolved.scenario.title}, sha256 {resolved.sha256[:12]})")
        for warning in resolved.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    return status


def _params(args: argparse.Namespace) -> int:
    rows = catalogue()
    if args.format == "json":
        print(json.dumps(rows, indent=1, ensure_ascii=False, default=str))
    elif args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    k: json.dumps(v, ensure_ascii=False, default=str)
                    if isinstance(v, (dict, list, tuple))
                    else v
                    for k, v in row.items()
                }
            )
    else:
        for row in rows:
            mark = "" if row["identified"] == "fixed" else f"  [identified: {row['identified']}]"
            print(
                f"{row['name']:<70} {row['default']!s:<14} {row['units']:<28} {row['source']}{mark}"
            )
    return 0
