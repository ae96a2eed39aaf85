"""Numbers as people read them. Stored figures keep ten decimals (NUMERIC(24, 10)), so a
stored 0.05 comes back as 0.0500000000: a form or a file shows it exactly but without the
trailing zeros, and a page shows it to a sensible number of significant digits. Neither ever
changes what is stored (a form field keeps the exact value, so saving it again changes
nothing)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import format_decimal


def _as_decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def exact_text(value: Any) -> str:
    """The exact value without trailing zeros and never in exponent form (0.0500000000 ->
    0.05, 1E+1 -> 10); text (what a person typed) is returned as it is."""
    if isinstance(value, str):
        return value
    number = _as_decimal(value)
    if number is None:
        return "" if value is None else str(value)
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def significant(value: Any, digits: int = 4) -> Decimal | None:
    """The value rounded to `digits` significant digits, but never to fewer than its whole
    units (130.4212 -> 130.4, 0.004615 -> 0.004615, 12345.6 -> 12346)."""
    number = _as_decimal(value)
    if number is None:
        return None
    if number == 0:
        return Decimal(0)
    places = max(digits - 1 - number.adjusted(), 0)
    return number.quantize(Decimal(1).scaleb(-places)).normalize()


def significant_text(value: Any, digits: int = 4) -> str:
    """`significant` in the reader's locale (grouping and decimal sign), for a page."""
    number = significant(value, digits)
    if number is None:
        return "" if value is None else str(value)
    places = max(-number.as_tuple().exponent, 0)  # type: ignore[operator]
    return str(format_decimal(number, format="#,##0." + "#" * places if places else "#,##0"))


FILTERS = {"exact": exact_text, "sig": significant_text}
