"""What stands in for a product without data: its category's representative generic dataset
for the product's geography (never simply the lowest), rated with the rule's worst data quality
so that a gap never improves a result."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Float, cast, select
from sqlalchemy.orm import Session

from footprint_platform.models import (
    EmissionFactor,
)
from footprint_platform.reference import load_reference
from footprint_platform.rules import rule_for_category
from supply_graph.units import conversion_factor

# Secondary generic datasets carry no supplier rating; PACT v3.0.3's dqi and ours both run
# 1 (best) to 5: a generic literature value entered as an input is rated 3 on each of the three
# indicators unless its row rates it ("fair"). A product
# standing in for missing data (a fallback dataset, or nothing) carries its rule's worst rating
# (`[missing_data] worst_dqr`), so a gap never improves a result's rating.
GENERIC_DQR = 3.0


MISSING_DQR = 5.0


Generic = tuple[str, str, float, str]  # a release's dataset: code, unit, value, geography


def generic_factors(session: Session, release_id: int) -> list[Generic]:
    """(code, unit, value, geography) of the fallback release, sorted by code (a stable
    order; which one stands in is `fallback_dataset`'s choice)."""
    rows = session.execute(
        select(
            EmissionFactor.code,
            EmissionFactor.unit,
            cast(EmissionFactor.value, Float),
            EmissionFactor.geography,
        ).where(EmissionFactor.release_id == release_id)
    ).all()
    return sorted(tuple(r) for r in rows)  # type: ignore[misc]  # code order, not collation


def worst_dqr(category: str) -> float:
    """The rating a gap or a fallback of the category carries: its rule's worst."""
    return rule_for_category(category).missing_data.worst_dqr


def fallback_dataset(
    category: str, unit: str, generic: Sequence[Generic], country: str = ""
) -> tuple[str, float] | None:
    """The secondary dataset standing in for a product of the category without data, as its
    rule says: (code, value per declared unit) of the dataset the rule names for the
    category (and the site's country), else of the highest applicable one among the most
    representative geography (`MissingData.geography`: the site's country first, so a
    Chinese chain's gap takes the Chinese dataset, not a lower one of another route; then
    the rule's listed geographies, then any): conservative within the representative
    datasets, a gap never lowers a footprint by an accident of code order. None where the
    rule allows no secondary fallback or the release has none."""
    rule = rule_for_category(category).missing_data
    prefix = load_reference().categories[category].generic_factor
    if "secondary" not in rule.order or not prefix:
        return None
    named = rule.named(category, country)
    found: list[tuple[int, float, str]] = []
    for code, factor_unit, value, geography in generic:
        k = conversion_factor(unit, factor_unit)
        if code.startswith(prefix + ".") and k is not None:
            if code == named:
                return code, value * k
            found.append((-_representative(geography, country, rule.geography), value * k, code))
    if not found:
        return None
    _, value, code = max(found)
    return code, value


def _representative(geography: str, country: str, order: Sequence[str]) -> int:
    """A dataset's place in the rule's geography order (0 = most representative): "site"
    matches the site's country and its regions (CN-E for CN), a listed code itself; a
    geography the order does not list comes last."""
    for rank, wanted in enumerate(order):
        target = country if wanted == "site" else wanted
        if target and (geography == target or geography.startswith(target + "-")):
            return rank
    return len(order)


def generic_value(
    category: str, unit: str, generic: Sequence[Generic], country: str = ""
) -> float | None:
    """The value of `fallback_dataset`, else None for a product left missing."""
    chosen = fallback_dataset(category, unit, generic, country)
    return None if chosen is None else chosen[1]
