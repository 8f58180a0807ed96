"""Money amounts as planners write them: numbers in yuan or Chinese units.

``3亿元`` = 3e8 yuan, ``300万元`` = 3e6 yuan, ``1万亿元`` = 1e12 yuan, ``1.5e9`` = 1.5e9 yuan.
Only renminbi is accepted: ``3亿美元`` (US dollars) is rejected rather than silently converted.
"""

from __future__ import annotations

import math
import re

__all__ = ["MoneyError", "format_yuan", "parse_money"]

#: Multipliers of the Chinese number units, in yuan.
UNIT_MULTIPLIERS: dict[str, float] = {
    "": 1.0,
    "万": 1e4,
    "百万": 1e6,
    "千万": 1e7,
    "亿": 1e8,
    "十亿": 1e9,
    "百亿": 1e10,
    "千亿": 1e11,
    "万亿": 1e12,
}

_MONEY_RE = re.compile(
    r"""^\s*
    (?P<number>[+-]?(?:\d[\d_,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
    \s*
    (?P<unit>万亿|千亿|百亿|十亿|千万|百万|亿|万)?
    \s*
    (?P<currency>元|yuan|CNY|RMB|人民币)?
    \s*$""",
    re.VERBOSE | re.IGNORECASE,
)


class MoneyError(ValueError):
    """A money value that cannot be read as a finite, non-negative amount of yuan."""


def parse_money(value: object) -> float:
    """Read an amount of money and return it in yuan.

    Parameters
    ----------
    value
        A number (yuan) or a string such as ``"3亿元"``, ``"300万元"``, ``"1万亿元"``,
        ``"1_000_000"``, ``"2.5e9 yuan"``.

    Returns
    -------
    float
        The amount in yuan [yuan].

    Raises
    ------
    MoneyError
        For booleans, non-finite or negative amounts, other currencies (``3亿美元``) and text
        that is not an amount.
    """
    if isinstance(value, bool):
        raise MoneyError(f"expected an amount of money, got a boolean ({value})")
    if isinstance(value, int | float):
        amount = float(value)
    elif isinstance(value, str):
        if len(value) > 64:
            raise MoneyError("money text longer than 64 characters")
        match = _MONEY_RE.match(value)
        if match is None:
            raise MoneyError(
                f"cannot read {value!r} as yuan (write e.g. 300万元, 3亿元, 1万亿元 or a number)"
            )
        number = match.group("number").replace("_", "").replace(",", "")
        amount = float(number) * UNIT_MULTIPLIERS[match.group("unit") or ""]
    else:
        raise MoneyError(f"expected an amount of money, got {type(value).__name__}")
    if not math.isfinite(amount):
        raise MoneyError(f"amount must be finite, got {value!r}")
    if amount < 0:
        raise MoneyError(f"amount must not be negative, got {value!r}")
    return amount


def format_yuan(amount: float) -> str:
    """Format yuan in the largest convenient Chinese unit, e.g. ``3e8 -> '3亿元'``."""
    for unit, mult in (("万亿", 1e12), ("亿", 1e8), ("万", 1e4)):
        if abs(amount) >= mult:
            return f"{amount / mult:.4g}{unit}元"
    return f"{amount:.4g}元"
