"""What-if change specs as a form, the API or a saved scenario gives them: the four kinds and
their fields, parsed into plain values or refused naming the field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l

from footprint_platform.errors import InvalidInput

SWAP, GRID_REGION, GREEN_SHARE, RECYCLED = "swap", "grid_region", "green_share", "recycled"


KINDS = (SWAP, GRID_REGION, GREEN_SHARE, RECYCLED)
# Renewable sources a green share may name: the code segment of their electricity factors in
# the factor release (elec.<country>.<source>.cfp.<year>: MEE/NBS/NEA 2023 factors, see the
# seed release's sources).
GREEN_SOURCES = ("wind", "pv")


def refuse(name: str, reason: Any) -> InvalidInput:
    return InvalidInput(str(reason), {name: [str(reason)]})


def parse_spec(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A change spec checked for its shape (kind, fields, numbers in range); what the fields
    refer to is checked against the data when the spec is translated."""
    kind = str(raw.get("kind") or "")
    if kind not in KINDS:
        raise refuse("kind", _l("Unknown kind of change."))
    if kind == SWAP:
        return {
            "kind": kind,
            "supplier": _int(raw, "supplier", _l("Choose the supplier's product to replace.")),
            "competitor": _int(raw, "competitor", _l("Choose the product to buy instead.")),
        }
    if kind == GRID_REGION:
        region = str(raw.get("region") or "").strip().upper()
        if not re.fullmatch(r"[A-Z]{2}(-[A-Z]{1,3})?", region):
            raise refuse("region", _l("Choose a grid region or a country."))
        return {"kind": kind, "region": region}
    if kind == GREEN_SHARE:
        source = str(raw.get("source") or "")
        if source not in GREEN_SOURCES:
            raise refuse("source", _l("Choose wind or solar power."))
        return {"kind": kind, "source": source, "share": _percent(raw, exclusive_zero=True)}
    material = str(raw.get("material") or "")
    if "@" not in material:
        raise refuse("material", _l("Choose one of the materials in your data."))
    return {"kind": kind, "material": material, "share": _percent(raw, exclusive_zero=False)}


def _int(raw: Mapping[str, Any], name: str, reason: Any) -> int:
    value = str(raw.get(name) or "").strip()
    if not value.isdigit():
        raise refuse(name, reason)
    return int(value)


def _percent(raw: Mapping[str, Any], exclusive_zero: bool) -> str:
    """A percentage 0–100 (kept as its decimal text, so a saved spec reads as it was typed)."""
    try:
        value = Decimal(str(raw.get("share") or "").strip().replace(",", "."))
    except InvalidOperation:
        value = Decimal("NaN")
    in_range = value.is_finite() and (value > 0 if exclusive_zero else value >= 0) and value <= 100
    if not in_range:
        reason = (
            _l("Enter a percentage above 0 and at most 100.")
            if exclusive_zero
            else _l("Enter a percentage from 0 to 100.")
        )
        raise refuse("share", reason)
    return format(value.normalize(), "f")


def fraction(spec: Mapping[str, Any]) -> float:
    return float(Decimal(spec["share"]) / 100)
