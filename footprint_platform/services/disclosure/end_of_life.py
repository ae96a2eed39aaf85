"""What a declaration's end-of-life stage is made of, said wherever the stage is exported.

The end-of-life value comes from the pinned inputs by the rule's approach (`[end_of_life]` in
config/rules: the Circular Footprint Formula or the cut-off; supply_graph/circular.py). A
declaration whose inputs hold no end-of-life data shows 0 for the stage; every export then says
that the stage was not modelled, so a gap never reads as a computed zero (or a saving).
"""

from __future__ import annotations

from decimal import Decimal

from footprint_platform.models import Declaration
from footprint_platform.rules import AccountingRule

STAGE = "end_of_life"
NOT_MODELLED = "not modelled: no end-of-life data in the pinned inputs (0 is not a computed value)"


def value(d: Declaration) -> Decimal:
    return Decimal(str(d.by_stage.get(STAGE, "0")))


def modelled(d: Declaration) -> bool:
    """Whether the declaration carries a computed end-of-life value (exactly 0 only without
    end-of-life data: disposal and recycling terms never cancel to the last digit)."""
    return value(d) != 0


def method_text(rule: AccountingRule) -> str:
    if rule.end_of_life.is_cff:
        return (
            "Circular Footprint Formula (Commission Recommendation (EU) 2021/2279, Annex I 4.4.8.1)"
        )
    return "cut-off (recycled-content approach)"


def stage_note(d: Declaration, rule: AccountingRule, stage: str) -> str:
    """The note beside a stage's value in an export: for the end-of-life stage its approach, or
    that it was not modelled; empty for the other stages."""
    if stage != STAGE:
        return ""
    return method_text(rule) if modelled(d) else NOT_MODELLED


def comment(d: Declaration, rule: AccountingRule) -> str | None:
    """One sentence for an export's comment; None where the rule has no end-of-life stage."""
    if STAGE not in rule.stage_codes:
        return None
    if not modelled(d):
        return f"End of life and recycling: {NOT_MODELLED}."
    return (
        f"End of life and recycling: {value(d)} kg CO2e per declared unit by the "
        f"{method_text(rule)}."
    )
