"""Performance classes from versioned thresholds in config/classes: computed, never typed in.

Battery scales are on the EU Regulation's unit, kg CO2e per kWh of total lifetime energy
("kWh_lifetime"), per product level and chemistry where a publication supports one; their bounds
are stated per kWh of capacity in the publication's terms and divided by the scale's reference
lifetime (cycles a year × years). Every scale so far is illustrative and shown as such.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from footprint_platform.battery import FunctionalUnit, functional_unit, needs_functional_unit
from footprint_platform.errors import InvalidInput
from footprint_platform.models import Product
from footprint_platform.reference import CONFIG_DIR
from footprint_platform.rules import rule_for_category
from supply_graph.units import conversion_factor

LIFETIME_UNIT = "kWh_lifetime"  # kg CO2e per kWh of total lifetime energy


@dataclass(frozen=True)
class PerformanceClass:
    grade: str
    upper_bound: Decimal | None  # kg CO2e per scale unit, inclusive; None for the last class
    scale_version: str
    illustrative: bool
    source: str
    unit: str = ""  # the scale's unit ("kWh_lifetime", "piece" …); "" when no longer known
    source_zh: str = ""  # the same text for Chinese readers (the scale's `source_zh`)

    def source_text(self, locale: str) -> str:
        """The scale's source in the reader's language (English when no Chinese is given)."""
        return self.source_zh if locale.startswith("zh") and self.source_zh else self.source


@functools.cache
def _scales(config_dir: Path = CONFIG_DIR) -> tuple[str, list[dict[str, Any]]]:
    data = tomllib.loads((config_dir / "classes" / "performance_classes.toml").read_text("utf-8"))
    return data["version"], data["scale"]


def _scale_for(category: str, chemistry: str | None) -> dict[str, Any] | None:
    """The first scale naming the category (and the chemistry, where the scale names some)."""
    for scale in _scales()[1]:
        if category not in scale["categories"]:
            continue
        chemistries = scale.get("chemistries")
        if chemistries is not None and chemistry not in chemistries:
            continue
        return scale
    return None


def _bounds(scale: dict[str, Any]) -> list[tuple[str, Decimal | None]]:
    """Each class and its upper bound in the scale's unit: `max` as stated, or `capacity_max`
    (per kWh of capacity) divided by the reference lifetime's cycles × years."""
    life = scale.get("reference_lifetime")
    per = Decimal(str(life["cycles_per_year"])) * Decimal(str(life["years"])) if life else None
    out: list[tuple[str, Decimal | None]] = []
    for c in scale["classes"]:
        if "max" in c:
            out.append((c["class"], Decimal(str(c["max"]))))
        elif "capacity_max" in c and per:
            out.append((c["class"], Decimal(str(c["capacity_max"])) / per))
        else:
            out.append((c["class"], None))
    return out


def _grade(scale: dict[str, Any], value: Decimal) -> PerformanceClass:
    for grade, bound in _bounds(scale):
        if bound is None or value <= bound:
            return PerformanceClass(
                grade,
                bound,
                _scales()[0],
                bool(scale["illustrative"]),
                str(scale["source"]),
                str(scale["unit"]),
                str(scale.get("source_zh", "")),
            )
    raise ValueError("a scale must end with an unbounded class")


def classify(
    category: str, declared_unit: str, total: Decimal, chemistry: str | None = None
) -> PerformanceClass | None:
    """The class of a footprint per declared unit (or per kWh of lifetime energy when
    `declared_unit` is "kWh_lifetime"), or None when no scale covers the category (and
    chemistry) or the unit does not convert to the scale's."""
    scale = _scale_for(category, chemistry)
    if scale is None:
        return None
    unit = str(scale["unit"])
    if unit == LIFETIME_UNIT or declared_unit == LIFETIME_UNIT:
        return _grade(scale, total) if unit == declared_unit else None
    k = conversion_factor(unit, declared_unit)
    if k is None:
        return None
    return _grade(scale, total * Decimal(str(k)))  # kg per declared unit × declared units


def classify_declared(
    product: Product, total: Decimal, unit: FunctionalUnit | None
) -> PerformanceClass | None:
    """The class of a footprint per declared unit of the product: a battery with its
    functional unit on its lifetime-energy figure, anything else per declared unit."""
    if unit is not None:
        per_lifetime = total / unit.energy_per_declared_unit
        return classify(product.category, LIFETIME_UNIT, per_lifetime, product.chemistry)
    return classify(product.category, product.declared_unit, total, product.chemistry)


def classify_product(product: Product, total: Decimal) -> PerformanceClass | None:
    """The class of a product's current footprint per declared unit (portfolio): a battery is
    graded per kWh of lifetime energy from the product's own data, None while it lacks them."""
    rule = rule_for_category(product.category)
    if needs_functional_unit(product, rule):
        try:
            unit = functional_unit(product, rule)
        except InvalidInput:
            return None
        return classify_declared(product, total, unit)
    return classify_declared(product, total, None)


def pinned_class(
    category: str, grade: str | None, scale_version: str | None, chemistry: str | None = None
) -> PerformanceClass | None:
    """The class a declaration was given, as it was given: pages show the stored grade, never a
    live reclassification (a new scale must not change what a published declaration says).
    Bound, unit and source come from the scale when it is still the pinned version."""
    if grade is None or scale_version is None:
        return None
    version, _ = _scales()
    if version == scale_version:
        scale = _scale_for(category, chemistry)
        if scale is not None:
            for g, bound in _bounds(scale):
                if g == grade:
                    return PerformanceClass(
                        grade,
                        bound,
                        version,
                        bool(scale["illustrative"]),
                        str(scale["source"]),
                        str(scale["unit"]),
                        str(scale.get("source_zh", "")),
                    )
    # A scale replaced since: the grade and its version stand; scales so far were illustrative.
    return PerformanceClass(grade, None, scale_version, "illustrative" in scale_version, "")


@dataclass(frozen=True)
class ScaleView:
    """A scale as the methodology page states it: what it covers, its bounds and source."""

    categories: tuple[str, ...]
    chemistries: tuple[str, ...] | None
    unit: str
    bounds: list[tuple[str, Decimal | None]]
    capacity_bounds: list[tuple[str, Decimal | None]]  # as the publication states them
    reference_lifetime: dict[str, Any] | None
    illustrative: bool
    source: str
    version: str


def scales_for(categories: tuple[str, ...]) -> list[ScaleView]:
    """The scales that grade any of `categories` (the rule's), for the methodology page."""
    version, scales = _scales()
    out = []
    for scale in scales:
        if not set(scale["categories"]) & set(categories):
            continue
        chemistries = scale.get("chemistries")
        out.append(
            ScaleView(
                tuple(scale["categories"]),
                None if chemistries is None else tuple(chemistries),
                str(scale["unit"]),
                _bounds(scale),
                [
                    (c["class"], Decimal(str(c["capacity_max"])) if "capacity_max" in c else None)
                    for c in scale["classes"]
                ],
                scale.get("reference_lifetime"),
                bool(scale["illustrative"]),
                str(scale["source"]),
                version,
            )
        )
    return out
