"""``mfgplan attribute | optimize | sensitivity | frontier``: the planning questions."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mfgplan.cli.console import (
    EXIT_PARTIAL,
    Console,
    analysis_options,
    command_line,
    execution,
    folder_options,
    positive_int,
    scale_list,
)
from mfgplan.errors import InputError
from mfgplan.report import text
from mfgplan.workflows.attribute import AttributeOptions, attribute
from mfgplan.workflows.frontier import FrontierOptions, frontier
from mfgplan.workflows.optimize import OptimizeOptions, optimize
from mfgplan.workflows.sensitivity import SensitivityOptions, sensitivity

__all__ = ["add_parsers"]


def add_parsers(sub: Any) -> None:
    """The sub-commands of this group."""
    att = sub.add_parser(
        "attribute", help="what each instrument buys: effects, money, deadweight, per yuan"
    )
    att.add_argument("scenario", help="scenario YAML file")
    att.add_argument(
        "--replicates", "-n", type=positive_int, default=100, help="replicates per ensemble"
    )
    folder_options(att, "attribute")
    att.set_defaults(handler=_attribute)

    fro = sub.add_parser("frontier", help="what would it take: P(met) as the money is scaled")
    fro.add_argument("scenario", help="scenario YAML file")
    fro.add_argument(
        "--scales", type=scale_list, default="0,0.5,1,2,4,8,16",
        help="multiples of the programme's money, comma-separated",
    )  # fmt: skip
    fro.add_argument("--replicates", "-n", type=positive_int, default=200, help="per scale")
    folder_options(fro, "frontier")
    fro.set_defaults(handler=_frontier)

    opt = sub.add_parser(
        "optimize", help="search allocations of the grant budget for the best objective"
    )
    opt.add_argument("scenario", help="scenario YAML file (its budget and rules are kept)")
    opt.add_argument(
        "--objective",
        default="all",
        help="all (probability of meeting all 2020 targets; default), a target name "
        "(e.g. hightech_share_30), or va:YEAR (expected manufacturing VA)",
    )
    opt.add_argument(
        "--min-share",
        action="append",
        default=[],
        metavar="INSTRUMENT=SHARE",
        help="fix a minimum share of the grant budget for an instrument (repeatable)",
    )
    opt.add_argument(
        "--by-year",
        action="store_true",
        help="then also search how the programme's grant money is spread over its years "
        "(the annual budget follows; the instruments' split stays the chosen one)",
    )
    opt.add_argument(
        "--quick", action="store_true", help="fewer candidates and replicates (a first look)"
    )
    opt.add_argument(
        "--final-replicates", type=positive_int, help="replicates to re-evaluate the finalists"
    )
    opt.add_argument(
        "--write-tied", action="store_true",
        help="write optimized.yaml even when the objective is the same for every allocation",
    )  # fmt: skip
    analysis_options(opt, "optimize")
    opt.set_defaults(handler=_optimize)

    sen = sub.add_parser(
        "sensitivity", help="which uncertain parameters the targets hinge on (Morris/Sobol, PRIM)"
    )
    sen.add_argument("scenario", help="scenario YAML file")
    sen.add_argument(
        "--method", choices=("morris", "sobol"), default="morris", help="sensitivity method"
    )
    sen.add_argument(
        "--samples",
        type=positive_int,
        help="Morris trajectories (default 10) or Sobol base samples (a power of two; 64)",
    )
    sen.add_argument(
        "--replicates", "-n", type=positive_int, default=2,
        help="replicates per design point (common seeds; default 2)",
    )  # fmt: skip
    sen.add_argument(
        "--parameters-only",
        action="store_true",
        help="vary only the behavioural parameters, not the scenario's assumed instrument inputs",
    )
    sen.add_argument(
        "--prim-replicates", type=positive_int, default=200,
        help="replicates of the ensemble scenario discovery works on (default 200)",
    )  # fmt: skip
    analysis_options(sen, "sensitivity")
    sen.set_defaults(handler=_sensitivity)


def _attribute(args: argparse.Namespace) -> int:
    options = AttributeOptions(
        scenario=Path(args.scenario), replicates=args.replicates, seed=args.seed, out=args.out,
        force=args.force, lang=args.lang, command=command_line(args),
    )  # fmt: skip
    with Console(args.quiet) as console:
        result = attribute(options, execution(args, console))
    for line in text.attribution_lines(result.table):
        print(line)
    for note in result.notes:
        print(f"note: {note}")
    caution = text.caution_line(result.unidentified, "every effect and ranking above")
    if caution:
        print(caution)
    print(f"-> {result.folder}")
    replicates = int(result.table["replicates"].max()) if "replicates" in result.table else None
    warning = text.few_replicates(replicates) if replicates else None
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    return EXIT_PARTIAL if result.failures else 0


def _frontier(args: argparse.Namespace) -> int:
    options = FrontierOptions(
        scenario=Path(args.scenario), scales=args.scales, replicates=args.replicates,
        seed=args.seed, out=args.out, force=args.force, lang=args.lang, command=command_line(args),
    )  # fmt: skip
    with Console(args.quiet) as console:
        result = frontier(options, execution(args, console))
    for line in text.frontier_lines(result.table, result.summary):
        print(line)
    caution = text.caution_line(result.unidentified, "how the chances move with the money")
    if caution:
        print(caution)
    print(f"-> {result.folder}")
    warning = text.few_replicates(int(result.table["replicates"].min()))
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    return EXIT_PARTIAL if result.failures else 0


def _min_shares(items: Sequence[str]) -> dict[str, float]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise InputError(
                f"--min-share: {item!r}: write INSTRUMENT=SHARE, e.g. tech_retrofit_grant=0.3"
            )
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise InputError(f"--min-share: {item!r}: {value!r} is not a number") from None
    return out


def _optimize(args: argparse.Namespace) -> int:
    options = OptimizeOptions(
        scenario=Path(args.scenario), objective=args.objective,
        min_shares=_min_shares(args.min_share), by_year=args.by_year, quick=args.quick,
        final_replicates=args.final_replicates, firms=args.firms, seed=args.seed, out=args.out,
        force=args.force, write_tied=args.write_tied, lang=args.lang, command=command_line(args),
    )  # fmt: skip
    with Console(args.quiet) as console:
        out = optimize(options, execution(args, console))
    lines = text.optimise_lines(out.goal, out.result, out.allocation, out.years, out.year_result)
    for line in lines:
        print(line)
    caution = text.caution_line(out.unidentified, "the chosen allocation")
    if caution:
        print(caution)
    if out.written is not None:
        print(f"optimised scenario: {out.written}")
    print(f"-> {out.folder}")
    return 0


def _sensitivity(args: argparse.Namespace) -> int:
    options = SensitivityOptions(
        scenario=Path(args.scenario), method=args.method, samples=args.samples,
        replicates=args.replicates, parameters_only=args.parameters_only,
        prim_replicates=args.prim_replicates, firms=args.firms, seed=args.seed, out=args.out,
        force=args.force, lang=args.lang, command=command_line(args),
    )  # fmt: skip
    with Console(args.quiet) as console:
        result = sensitivity(options, execution(args, console))
    print(f"{result.method}: {result.design_points} design points x {args.replicates} replicates")
    for name in result.outputs:
        part = result.table[result.table["output"] == name].sort_values("rank").head(3)
        print(f"  {name}: hinges most on " + ", ".join(part["factor"]))
    for row in result.discovery:
        print(f"  {row['target']} missed in {row['missed_share']:.0%}: {row['conditions']}; "
              f"{row['summary']}")  # fmt: skip
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"-> {result.folder}")
    return 0
