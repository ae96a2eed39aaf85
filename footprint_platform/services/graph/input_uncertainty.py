"""A row's stated uncertainty: the text a supplier types (form, workbook, API) and what it means.

Two forms, as ISO 14067 and GB/T 24067 leave the choice of distribution to the study:
    "1.2"        a geometric standard deviation (lognormal around the row's value, its median)
    "-10/+20"    a range in percent below and above the row's value (uniform over it);
                 "±10" / "+-10" is the symmetric range "-10/+10"
Stored normalized (`normalized`), read back as engine parameters by `distribution`.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

MAX_GSD = Decimal(10)  # a wider spread is not a stated uncertainty but an unknown value
_RANGE = re.compile(r"^-\s*(\d+(?:\.\d+)?)\s*%?\s*/\s*\+\s*(\d+(?:\.\d+)?)\s*%?$")
_SYMMETRIC = re.compile(r"^(?:±|\+/?-)\s*(\d+(?:\.\d+)?)\s*%?$")


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def normalized(text: str) -> str:
    """The canonical text of a stated uncertainty; ValueError when it is neither form (a GSD
    in 1..10, or a range whose low side stays at or above -100 %)."""
    text = text.strip().replace("％", "%").replace("／", "/")
    symmetric = _SYMMETRIC.match(text)
    if symmetric:
        text = f"-{symmetric.group(1)}/+{symmetric.group(1)}"
    found = _RANGE.match(text)
    if found:
        low, high = Decimal(found.group(1)), Decimal(found.group(2))
        if low > 100 or (low == 0 and high == 0):
            raise ValueError(text)
        return f"-{_plain(low)}/+{_plain(high)}"
    try:
        gsd = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not gsd.is_finite() or not Decimal(1) <= gsd <= MAX_GSD:
        raise ValueError(text)
    return _plain(gsd)


def distribution(stored: str) -> tuple[str, float, float]:
    """("lognormal", σ = ln GSD, 0) or ("uniform", low, high) as fractions of the value."""
    if "/" in stored:
        low, high = stored.split("/")
        return "uniform", float(low.lstrip("-")) / 100, float(high.lstrip("+")) / 100
    return "lognormal", math.log(float(stored)), 0.0
