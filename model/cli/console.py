"""What the command line shares: option types, common options, progress on the terminal.

:class:`Console` is the :class:`mfgplan.workflows.common.Reporter` of the command line: rich
progress bars (none with ``--quiet`` or for a single step) and notes on standard output.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from mfgplan.report.words import LANGUAGES
from mfgplan.workflows.variants import Execution

#: the work completed but some replicates failed (listed in the manifest)
EXIT_PARTIAL = 3

__all__ = [
    "EXIT_PARTIAL",
    "Console",
    "analysis_options",
    "command_line",
    "execution",
    "folder_options",
    "parallel_options",
    "positive_int",
    "scale_list",
    "seed_value",
]


def positive_int(text: str) -> int:
    """An option's whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def scale_list(text: str) -> list[float]:
    """Comma-separated non-negative numbers, at most 16 of them (``0,0.5,1,2``)."""
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    if not parts:
        raise argparse.ArgumentTypeError("give at least one scale, e.g. 0,1,2,4")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"scales must be numbers (got {text!r})") from None
    bad = [v for v in values if not (v >= 0 and v < 1e3)]
    if bad:
        raise argparse.ArgumentTypeError(f"a scale must be between 0 and 1000 (got {bad[0]:g})")
    if len(values) > 16:
        raise argparse.ArgumentTypeError(f"at most 16 scales (got {len(values)})")
    return values


def seed_value(text: str) -> int:
    """A root seed: a whole number in [0, 2**63)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**63-1 (got {value})")
    return value


def parallel_options(parser: argparse.ArgumentParser) -> None:
    """``--workers`` or ``--scheduler`` (one of them)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--workers",
        "-j",
        type=positive_int,
        default=1,
        help="local worker processes for the replicates (results do not depend on it)",
    )
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="address of a running dask.distributed scheduler (e.g. tcp://10.0.0.5:8786)",
    )


def analysis_options(parser: argparse.ArgumentParser, command: str) -> None:
    """Options shared by optimize and sensitivity: ``--firms`` and :func:`folder_options`."""
    parser.add_argument(
        "--firms",
        type=positive_int,
        help="override the firm population for speed (a sample of the province: budgets and "
        "counts scale with it; a small sample keeps a small-sample bias, ODD 5)",
    )
    folder_options(parser, command)


def language_option(parser: argparse.ArgumentParser) -> None:
    """``--lang``: the language of the charts and the report."""
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default="both",
        help="language of the charts and the report: Chinese, English or both",
    )


def folder_options(parser: argparse.ArgumentParser, command: str) -> None:
    """Options of every planning command that writes a folder: seed, out, force, quiet, workers.

    With :func:`language_option` (every such command draws charts).
    """
    parser.add_argument("--seed", type=seed_value, help="override the root seed")
    parser.add_argument("--out", type=Path, help=f"output folder (default outputs/{command}/<id>)")
    parser.add_argument("--force", action="store_true", help="replace an existing folder")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    language_option(parser)
    parallel_options(parser)


def command_line(args: argparse.Namespace) -> str:
    """The command as typed, for the manifest."""
    return " ".join(["mfgplan", *getattr(args, "argv", sys.argv[1:])])


class Console:
    """Progress bars and notes on the terminal (a workflow reporter); use as a context."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self._progress: Any = None

    def task(self, label: str, total: int, done: int = 0) -> Callable[[int], None]:
        """A progress bar of ``total`` steps (none when quiet or for one step)."""
        if self.quiet or total <= 1:
            return lambda _k: None
        if self._progress is None:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                transient=False,
            )
            self._progress.start()
        progress = self._progress
        task = progress.add_task(label, total=total, completed=done)
        return lambda k: progress.advance(task, k)

    def say(self, message: str) -> None:
        """A note on standard output (not when quiet)."""
        if not self.quiet:
            print(message, flush=True)

    def close(self) -> None:
        """Stop the progress display."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __enter__(self) -> Console:
        """The console itself."""
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the progress display."""
        self.close()


def execution(args: argparse.Namespace, console: Console) -> Execution:
    """Where the replicates of a planning command run, from its options."""
    return Execution(args.workers, args.scheduler, console)
