"""CSV cells safe to open in a spreadsheet: text a spreadsheet would run as a formula (starting
with = + - @, a tab or a carriage return) gets a leading ' so it shows as text; numbers, negative
ones included, stay numbers. The CSV exports people open (a declaration, a period's results,
the public list, the factor list) pass their cells through `safe_cell`, so an export never
becomes an attack on its reader."""

from __future__ import annotations

from typing import Any

BOM = "\ufeff"


def for_spreadsheets(text: str) -> bytes:
    """A CSV file people open in a spreadsheet: UTF-8 with a byte-order mark. Without the mark
    Excel reads a CSV in the system's code page (GBK on a Chinese Windows) and the Chinese comes
    out garbled; programs read it as `utf-8-sig`. Not for files that must stay byte for byte
    (a signed declaration, a release that uploads back)."""
    return (BOM + text).encode("utf-8")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
