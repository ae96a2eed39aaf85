"""Unit conversion with one lazily created pint registry and a per-pair factor cache."""

from __future__ import annotations

import math
from functools import cache
from typing import Any

# Units a supply chain needs that pint does not define; `piece` gets its own dimension so that it
# never silently converts to a dimensionless ratio.
_EXTRA_DEFINITIONS = (
    "piece = [piece] = pcs = unit_piece",  # not `pc`: pint has it as parsec
    "vehicle = piece",
)


@cache
def registry() -> Any:
    """The one shared pint UnitRegistry, created on first use (importing pint costs ~0.3 s)."""
    import pint

    reg: Any = pint.UnitRegistry()
    for line in _EXTRA_DEFINITIONS:
        reg.define(line)
    return reg


@cache
def conversion_factor(unit: str, target: str) -> float | None:
    """Factor k with 1 `unit` = k `target` (e.g. g -> kg: 0.001), or None if they do not convert.

    Cached per (unit, target) pair: a graph with a million edges uses a handful of pairs, so pint
    is called a handful of times.
    """
    if unit == target:
        return 1.0
    reg = registry()
    try:
        factor = float(reg.Quantity(1.0, unit).to(target).magnitude)
    except Exception:  # pint raises several unrelated types for undefined or mismatched units
        return None
    return factor if math.isfinite(factor) and factor > 0 else None


@cache
def is_unit(unit: str) -> bool:
    """Whether pint understands `unit` at all (a node's declared unit must be one)."""
    try:
        registry().Unit(unit)
    except Exception:
        return False
    return True
