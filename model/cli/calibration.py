"""``mfgplan forecast | calibrate | backtest``: the statistical baseline and the calibration.

The statistical baseline (forecast), the estimated parameters (calibrate), and projections
from earlier years scored against later statistics (backtest).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from mfgplan.cli.console import (
    Console,
    command_line,
    language_option,
    positive_int,
    seed_value,
)
from mfgplan.errors import InputError
from mfgplan.report import text
from mfgplan.workflows.backtest import BacktestOptions, backtest
from mfgplan.workflows.calibrate import (
    CalibrateOptions,
    ForecastOptions,
    calibrate_parameters,
    write_forecast,
)

__all__ = ["add_parsers"]


def add_parsers(sub: Any) -> None:
    """The sub-commands of this group."""
    fc = sub.add_parser("forecast", help="statistical baseline forecasts (netCDF + fan charts)")
    fc.add_argument("--as-of", type=int, default=2015, dest="as_of", help="last year of data")
    fc.add_argument("--horizon", type=int, default=2025, help="last projected year")
    fc.add_argument("--paths", type=positive_int, default=1000, help="sample paths")
    fc.add_argument("--seed", type=seed_value, default=20160114, help="root seed")
    fc.add_argument("--out", type=Path, default=Path("outputs/forecast"), help="output folder")
    fc.add_argument("--force", action="store_true", help="replace an existing folder")
    language_option(fc)
    fc.set_defaults(handler=_forecast)

    cal = sub.add_parser(
        "calibrate", help="estimate the behavioural parameters from the data up to a year"
    )
    cal.add_argument("--as-of", type=int, default=2015, dest="as_of", help="last year of data")
    cal.add_argument(
        "--draws", type=positive_int, default=2048, help="prior draws (a power of two)"
    )
    cal.add_argument(
        "--replicates", type=positive_int, default=2, help="model runs per draw (common seeds)"
    )
    cal.add_argument(
        "--sample", type=positive_int, default=200, help="parameter sets in the posterior sample"
    )
    cal.add_argument("--seed", type=seed_value, default=20151231, help="root seed")
    cal.add_argument(
        "--out",
        type=Path,
        help="parameter file (default calibration/params/as-of-YEAR.json if there is none yet, "
        "else outputs/calibration/as-of-YEAR-<time>.json)",
    )
    cal.add_argument(
        "--force",
        action="store_true",
        help="replace an existing parameter file (without --out: the one the scenarios use)",
    )
    cal.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    cal.add_argument("--workers", "-j", type=positive_int, default=1, help="local worker processes")
    cal.set_defaults(handler=_calibrate)

    bt = sub.add_parser(
        "backtest", help="project from an earlier year and score against later statistics"
    )
    bt.add_argument("scenario", help="scenario YAML file (moved to each as-of year)")
    bt.add_argument(
        "--as-of", required=True, dest="as_of", help="as-of year(s), e.g. 2012 or 2012,2013,2014"
    )
    bt.add_argument(
        "--observed",
        type=Path,
        help="CSV of observations (indicator, year, value, unit[, period, source]); default: "
        "the shipped data after each as-of year",
    )
    bt.add_argument(
        "--calibration",
        type=Path,
        help="parameter file to use (default calibration/params/as-of-YEAR.json, calibrated "
        "afresh if missing)",
    )
    bt.add_argument("--replicates", "-n", type=positive_int, help="override replicates")
    bt.add_argument("--seed", type=seed_value, help="override the root seed")
    bt.add_argument("--out", type=Path, help="output folder (default outputs/backtest/<id>)")
    bt.add_argument("--force", action="store_true", help="replace an existing folder")
    bt.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    bt.add_argument("--workers", "-j", type=positive_int, default=1, help="local worker processes")
    language_option(bt)
    bt.set_defaults(handler=_backtest)


def _forecast(args: argparse.Namespace) -> int:
    result = write_forecast(
        ForecastOptions(
            as_of=args.as_of, horizon=args.horizon, paths=args.paths, seed=args.seed,
            out=args.out, force=args.force, lang=args.lang, command=command_line(args),
        )
    )  # fmt: skip
    print(f"baseline forecast as of {args.as_of} (no provincial programme) -> {result.folder}")
    if len(result.targets):
        n = int(result.targets["replicates"].iloc[0])
        print(f"targets as the statistical baseline alone projects them ({n} paths):")
        for line in text.target_lines(result.targets):
            print(line)
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    options = CalibrateOptions(
        as_of=args.as_of, draws=args.draws, replicates=args.replicates, sample=args.sample,
        seed=args.seed, out=args.out, force=args.force, workers=args.workers,
        command=command_line(args),
    )  # fmt: skip
    with Console(args.quiet) as console:
        result = calibrate_parameters(options, console)
    calibration, document = result.calibration, result.document
    print(
        f"calibrated as of {args.as_of}: {args.draws} draws x {args.replicates} runs in "
        f"{calibration.seconds:.0f} s, effective sample size {calibration.ess:.0f} -> "
        f"{result.path}"
    )
    for m in document["moments"]:
        print(
            f"  {m['name']:<15} data {m['data']:+.4f} (se {m['data_se']:.4f}); model prior "
            f"{m['simulated_prior_mean']:+.4f}, posterior {m['simulated_posterior_mean']:+.4f} "
            f"(z {m['z_posterior']:+.2f})"
        )
    for m in document.get("evidence_moments", []):
        if m["kind"] == "sign":
            print(
                f"  {m['name']:<15} published: significant +; the model's re-run finds it in "
                f"{m['finds_sign_history']:.0%} of sets before the evidence, "
                f"{m['finds_sign_posterior']:.0%} after"
            )
        else:
            print(
                f"  {m['name']:<15} published {m['published']:.3g} (se {m['se']:.3g}); model "
                f"{m['simulated_history_mean']:.3g} -> {m['simulated_posterior_mean']:.3g} "
                f"(z {m['z_posterior']:+.2f})"
            )
    moved = sorted(document["parameters"], key=lambda p: -abs(p["shift_in_prior_sd"]))[:6]
    for p in moved:
        print(
            f"  {p['name']:<28} prior mean {p['prior_mean']:.4g} -> posterior "
            f"{p['posterior_mean']:.4g} ({p['shift_in_prior_sd']:+.2f} prior sd; sd ratio "
            f"{p['sd_ratio']:.2f})"
        )
    if result.path.resolve() != result.shipped.resolve() and result.shipped.exists():
        print(
            f"  the scenarios use {result.shipped}; to replace it with this calibration: "
            f"mfgplan calibrate --as-of {args.as_of} --force (or copy the file)"
        )
    if calibration.ess < 50:
        print(
            f"warning: effective sample size {calibration.ess:.0f} is small; use more --draws",
            file=sys.stderr,
        )
    return 0


def _as_of_list(text: str) -> tuple[int, ...]:
    years = []
    for part in text.split(","):
        try:
            years.append(int(part.strip()))
        except ValueError:
            raise InputError(
                f"--as-of: {part.strip()!r} is not a year (give e.g. 2012 or 2012,2013)"
            ) from None
    return tuple(years)


def _backtest(args: argparse.Namespace) -> int:
    options = BacktestOptions(
        scenario=Path(args.scenario), as_of=_as_of_list(args.as_of), observed=args.observed,
        calibration=args.calibration, replicates=args.replicates, seed=args.seed, out=args.out,
        force=args.force, workers=args.workers, lang=args.lang, command=command_line(args),
    )  # fmt: skip
    with Console(args.quiet) as console:
        result = backtest(options, console)
    for year in result.skipped:
        print(f"as of {year}: no observations after {year} to score; skipped", file=sys.stderr)
    _print_backtest(result.summary, result.verdicts)
    print(f"-> {result.folder}")
    return 0


def _print_backtest(summary: pd.DataFrame, verdicts: pd.DataFrame) -> None:
    origins = list(dict.fromkeys(summary["as_of"]))
    for as_of in origins if len(origins) > 2 else origins[:1]:
        mine = summary[summary["as_of"] == as_of]
        own = mine[(mine["rows"] == "all") & (mine["forecaster"] == "mfgplan")].iloc[0]
        common = mine[mine["rows"] == "common"].set_index("forecaster")
        line = (
            f"as of {as_of}: model coverage of the 90% band {own['coverage90']:.2f} over "
            f"{int(own['n_scored'])} observations ({int(own['n_approximate'])} partial-year)"
        )
        if "ets" in common.index and common.loc["ets", "n_scored"] > 0:
            line += (
                f"; on the {int(common.loc['ets', 'n_scored'])} both forecast: mean relative "
                f"CRPS model {common.loc['mfgplan', 'mean_crps_relative']:.4f} vs ETS "
                f"{common.loc['ets', 'mean_crps_relative']:.4f}, coverage model "
                f"{common.loc['mfgplan', 'coverage90']:.2f} vs ETS "
                f"{common.loc['ets', 'coverage90']:.2f}"
            )
        print(line)
    if verdicts.empty:
        print("target verdicts: no target year among the observations")
    for _, row in verdicts.iterrows():
        print(
            f"target {row['target']} {row['year']}: P(met) {row['probability']:.2f}, observed "
            f"{'met' if row['observed_met'] else 'missed'}; verdict "
            f"{'matched' if row['verdict_matched'] else 'did NOT match'}"
        )
