"""Money amounts as planners write them: numbers in yuan or Chinese units.

``3亿元`` = 3e8 yuan, ``300万元`` = 3e6 yuan, ``1万亿元`` = 1e12 yuan, ``1.5e9`` = 1.5e9 yuan.
The units are 元, 千元, 万元, 十万元, 百万元, 千万元, 亿元, 十亿元, 百亿元, 千亿元 and 万亿元, each
with or without 元 (``3亿`` = ``3亿元``), and ``yuan``, ``CNY``, ``RMB`` or ``人民币`` after a
number. Only renminbi is accepted: ``3亿美元`` (US dollars) is rejected rather than silently
converted. A scenario's amounts below 1万元 are refused (:func:`plausible_yuan`): no line of the
plan is that small, and ``0.47`` is a share of the budget written where yuan are meant.
"""

from __future__ import annotations

import math
import re

__all__ = ["SMALLEST_AMOUNT", "MoneyError", "format_yuan", "parse_money", "plausible_yuan"]

#: the smallest non-zero amount a scenario may give [yuan]: 1万元
SMALLEST_AMOUNT = 1e4

#: Multipliers of the Chinese number units, in yuan.
UNIT_MULTIPLIERS: dict[str, float] = {
    "": 1.0,
    "千": 1e3,
    "万": 1e4,
    "十万": 1e5,
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
    (?P<unit>万亿|千亿|百亿|十亿|千万|百万|十万|亿|万|千)?
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


def plausible_yuan(amount: float) -> float:
    """The amount if a scenario can mean it as yuan: zero, or at least 1万元.

    Raises
    ------
    MoneyError
        For ``0 < amount < 1万元``, with what was probably meant: a share of the budget
        (below 1) or an amount in 万元 or 亿元 without its unit.
    """
    if 0.0 < amount < SMALLEST_AMOUNT:
        if amount <= 1.0:
            hint = (
                f"a share of the budget is written as its amount ({amount:g} of 10亿元 is "
                f"{amount * 10:g}亿元)"
            )
        else:
            hint = f"did you mean {amount:g}万元 or {amount:g}亿元?"
        raise MoneyError(
            f"{amount:g} yuan is less than 1万元 and cannot be meant as yuan; write the amount "
            f"with its unit: {hint}"
        )
    return amount


def format_yuan(amount: float) -> str:
    """Format yuan in the largest convenient Chinese unit, e.g. ``3e8 -> '3亿元'``."""
    for unit, mult in (("万亿", 1e12), ("亿", 1e8), ("万", 1e4)):
        if abs(amount) >= mult:
            return f"{amount / mult:.4g}{unit}元"
    return f"{amount:.4g}元"
