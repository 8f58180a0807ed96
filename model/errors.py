"""The errors a command ends with (a leaf module): each prints as one line, never a traceback.

The command line maps them to exit codes: :class:`InputError` 2 (nothing was run or written),
:class:`RunFailedError` 1 (the work could not be done; a partial folder that can be resumed is
named in the message).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["InputError", "RunFailedError", "RunInterruptedError", "did_you_mean"]


class InputError(Exception):
    """Bad input: a scenario or data file, an option, an output folder, a silent scheduler.

    A silent scheduler is one that does not answer. The message is one line per problem, naming
    the file, field or option.
    """


class RunFailedError(Exception):
    """The work could not be done (every replicate failed, a worker died, the disk is full)."""


class RunInterruptedError(RunFailedError):
    """The user interrupted the work (Ctrl-C); what was saved can be resumed."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """What to tell someone who wrote an unknown name: the closest choice, or all of them.

    ``"; did you mean 'tech_retrofit_grant'?"`` or ``" (choose from a, b, c)"``, to append to
    the message that names ``word``.
    """
    options = sorted(choices)
    close = difflib.get_close_matches(word, options, n=1)
    return f"; did you mean {close[0]!r}?" if close else f" (choose from {', '.join(options)})"
