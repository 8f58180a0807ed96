"""``mfgplan evidence``: the virtual experiments against the published studies."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from mfgplan.calibration.evidence import coverage, studies
from mfgplan.cli.console import (
    Console,
    command_line,
    execution,
    language_option,
    parallel_options,
    positive_int,
    seed_value,
)
from mfgplan.workflows.evidence import EvidenceOptions, evidence

__all__ = ["add_parsers"]


def add_parsers(sub: Any) -> None:
    """The sub-commands of this group."""
    ev = sub.add_parser(
        "evidence", help="re-run published studies on the model's firms and compare the estimates"
    )
    ev.add_argument(
        "--replicates", "-n", type=positive_int, default=40, help="replicates per experiment"
    )
    ev.add_argument("--seed", type=seed_value, default=20160114, help="root seed")
    ev.add_argument("--out", type=Path, help="output folder (default outputs/evidence/<id>)")
    ev.add_argument("--force", action="store_true", help="replace an existing folder")
    ev.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    language_option(ev)
    parallel_options(ev)
    ev.set_defaults(handler=_evidence)


def _evidence(args: argparse.Namespace) -> int:
    options = EvidenceOptions(
        replicates=args.replicates, seed=args.seed, out=args.out, force=args.force,
        lang=args.lang, command=command_line(args),
    )  # fmt: skip
    with Console(args.quiet) as console:
        result = evidence(options, execution(args, console))
    table = result.table
    print(
        f"{len(studies(table))} studies re-run on the model's firms, {args.replicates} replicates "
        f"each, in {result.seconds:.0f} s -> {result.folder}"
    )
    for r in table.itertuples(index=False):
        print(f"  {_line(r)}")
    agents = result.mode_b
    print(
        "Mode B (the agents alone from 2012, no anchoring, 2012 calibration): "
        f"{int(agents['inside90'].sum())} of {len(agents)} later figures inside the 90% range"
    )
    for r in agents.itertuples(index=False):
        print(
            f"  {r.series} {r.year}: observed {r.observed:.4g}, model {r.model_median:.4g} "
            f"[{r.model_p5:.4g}, {r.model_p95:.4g}]; change since 2012: data "
            f"{r.observed_change:+.3g}, model {r.model_change:+.3g}"
        )
    inside, total = coverage(table)
    if total:
        print(
            f"published value inside the simulated 5-95% range: {inside} of {total} quantities "
            "with a published interval"
        )
    return 0


def _line(r: Any) -> str:
    name = f"{r.study}: {r.quantity}"
    if r.verdict in ("not modelled", "not read"):
        return f"{name}: {r.verdict} ({r.modelled if r.verdict == 'not modelled' else r.status})"
    if pd.notna(getattr(r, "sign_agreement", float("nan"))):
        return (
            f"{name}: published sign {r.sign}; {r.sign_agreement:.0%} of replicates agree "
            f"(median t {r.simulated_median:+.1f}) -> {r.verdict}"
        )
    band = f"[{r.simulated_p5:.3g}, {r.simulated_p95:.3g}]"
    return (
        f"{name}: published {r.published_value:g}, simulated median {r.simulated_median:.3g} "
        f"{band} -> {r.verdict}"
    )
