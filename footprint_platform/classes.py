"""Performance classes from versioned thresholds in config/classes: computed, never typed in."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from footprint_platform.battery import per_unit_to_per_kwh
from footprint_platform.models import Product
from footprint_platform.reference import CONFIG_DIR
from supply_graph.units import conversion_factor


@dataclass(frozen=True)
class PerformanceClass:
    grade: str
    upper_bound: Decimal | None  # kg CO2e per scale unit, inclusive; None for the last class
    scale_version: str
    illustrative: bool
    source: str
    source_zh: str = ""  # the same text for Chinese readers (the scale's `source_zh`)

    def source_text(self, locale: str) -> str:
        """The scale's source in the reader's language (English when no Chinese is given)."""
        return self.source_zh if locale.startswith("zh") and self.source_zh else self.source


@functools.cache
def _scales(config_dir: Path = CONFIG_DIR) -> tuple[str, list[dict[str, object]]]:
    data = tomllib.loads((config_dir / "classes" / "performance_classes.toml").read_text("utf-8"))
    return data["version"], data["scale"]


def classify(category: str, declared_unit: str, total: Decimal) -> PerformanceClass | None:
    """The class of a footprint per declared unit, or None when its category has no scale or
    its unit does not convert to the scale's."""
    version, scales = _scales()
    for scale in scales:
        if category not in scale["categories"]:  # type: ignore[operator]
            continue
        k = conversion_factor(str(scale["unit"]), declared_unit)
        if k is None:
            return None
        per_scale_unit = total * Decimal(str(k))  # kg per declared unit × declared units
        for c in scale["classes"]:  # type: ignore[attr-defined]
            bound = Decimal(str(c["max"])) if "max" in c else None
            if bound is None or per_scale_unit <= bound:
                return PerformanceClass(
                    c["class"],
                    bound,
                    version,
                    bool(scale["illustrative"]),
                    str(scale["source"]),
                    str(scale.get("source_zh", "")),
                )
    return None


def classify_product(product: Product, total: Decimal) -> PerformanceClass | None:
    """The class of a product's footprint per declared unit; a battery declared per piece or
    per kg is graded on its footprint per kWh of rated capacity, the unit battery scales use."""
    grade = classify(product.category, product.declared_unit, total)
    if grade is None and product.declared_unit != "kWh":
        per_kwh = per_unit_to_per_kwh(product, total)
        if per_kwh is not None:
            grade = classify(product.category, "kWh", per_kwh)
    return grade


def pinned_class(
    category: str, grade: str | None, scale_version: str | None
) -> PerformanceClass | None:
    """The class a declaration was given, as it was given: pages show the stored grade, never a
    live reclassification (a new scale must not change what a published declaration says).
    Bound and source come from the scale when it is still the pinned version."""
    if grade is None or scale_version is None:
        return None
    version, scales = _scales()
    if version == scale_version:
        for scale in scales:
            if category not in scale["categories"]:  # type: ignore[operator]
                continue
            for c in scale["classes"]:  # type: ignore[attr-defined]
                if c["class"] == grade:
                    bound = Decimal(str(c["max"])) if "max" in c else None
                    illustrative = bool(scale["illustrative"])
                    return PerformanceClass(
                        grade,
                        bound,
                        version,
                        illustrative,
                        str(scale["source"]),
                        str(scale.get("source_zh", "")),
                    )
    # A scale replaced since: the grade and its version stand; scales so far were illustrative.
    return PerformanceClass(grade, None, scale_version, "illustrative" in scale_version, "")
