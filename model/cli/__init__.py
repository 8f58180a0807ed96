"""The ``mfgplan`` command: it parses, calls a workflow (:mod:`mfgplan.workflows`) and prints.

Command groups: :mod:`~mfgplan.cli.runs` (run, compare, validate, params),
:mod:`~mfgplan.cli.calibration` (forecast, calibrate, backtest), :mod:`~mfgplan.cli.evidence`
(evidence) and
:mod:`~mfgplan.cli.planning` (attribute, optimize, sensitivity).

Exit codes: 0 done; 1 the work failed (every replicate failed, a worker died, the disk is
full: a partial folder that can be resumed is named); 2 bad input (a scenario file, an option,
an output folder), one line per problem naming the file, the field and the problem, nothing run
or written, never a traceback; 3 done, but some replicates failed (listed in the manifest);
130 interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from mfgplan.cli import calibration, evidence, planning, runs
from mfgplan.cli.console import EXIT_PARTIAL
from mfgplan.errors import InputError, RunFailedError, RunInterruptedError
from mfgplan.provenance import __version__

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_PARTIAL", "EXIT_USAGE", "main", "parser"]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class DefaultsFormatter(argparse.HelpFormatter):
    """Help that shows each option's default, where it has one worth showing."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        shown = default not in (None, False, [], argparse.SUPPRESS)
        if shown and action.option_strings and "%(default)" not in text and "default" not in text:
            text += " (default: %(default)s)"
        return text


def parser() -> argparse.ArgumentParser:
    """The command line's parser: every command group's sub-commands."""
    top = argparse.ArgumentParser(
        prog="mfgplan",
        description="Scenario simulation of provincial manufacturing plans.",
        formatter_class=DefaultsFormatter,
    )
    top.add_argument("--version", action="version", version=f"mfgplan {__version__}")
    sub = top.add_subparsers(dest="command", required=True)
    for group in (runs, calibration, evidence, planning):
        group.add_parsers(sub)
    comp = sub.add_parser(
        "completion", help='print a shell completion script (e.g. eval "$(mfgplan completion)")'
    )
    comp.add_argument(
        "shell", nargs="?", choices=("bash", "zsh", "tcsh"), default="bash", help="the shell"
    )
    comp.set_defaults(handler=_completion)
    for command in sub.choices.values():
        command.formatter_class = DefaultsFormatter
    return top


def _completion(args: argparse.Namespace) -> int:
    import shtab

    print(shtab.complete(parser(), shell=args.shell))
    return 0


def _terminated(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends a command as Ctrl-C does: the workers stop, the partial folder is kept."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mfgplan`` command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    args.argv = argv
    if threading.current_thread() is not threading.main_thread():
        return _run(args)  # only the main thread may handle signals
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return _run(args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:
    """Call the command's handler; each kind of failure becomes its exit code and one line."""
    try:
        return args.handler(args)
    except InputError as err:
        print(str(err), file=sys.stderr)
        return EXIT_USAGE
    except RunInterruptedError as err:
        print(str(err), file=sys.stderr)
        return EXIT_INTERRUPTED
    except RunFailedError as err:
        print(str(err), file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted: no output folder was completed", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as err:
        # the environment failed under us (disk full, folder removed): say so in one line
        where = f"{err.filename}: " if err.filename else ""
        print(f"{where}{err.strerror or err}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
