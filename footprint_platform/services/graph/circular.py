"""End of life and recycled content in the period graph: the rule's treatment (cut-off or the
Circular Footprint Formula) for each product's category, as parameters of the engine's circular
module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from footprint_platform.rules import DECLARED_UNDER, NO_END_OF_LIFE, EndOfLife, rule_for_category
from footprint_platform.services.graph.parties import Consent
from supply_graph.circular import cff, cut_off


@cache
def _end_of_life_for(category: str | None) -> EndOfLife:
    return rule_for_category(category).end_of_life if category else NO_END_OF_LIFE


def end_of_life_of(consent: Consent, product_id: int) -> EndOfLife:
    """How the rule of a consumer's category treats recycled content and end of life."""
    described = consent.described.get(product_id)
    return _end_of_life_for(described[0] if described else None)


def end_of_life_declared(consent: Consent, product_id: int) -> EndOfLife:
    """`end_of_life_of` inside `rules.declared_under`: the declaring rule's approach for the
    categories it applies to (a declaration under a rule other than the category default)."""
    described = consent.described.get(product_id)
    category = described[0] if described else None
    chosen = DECLARED_UNDER.get()
    if chosen is not None and category in chosen.applies_to:
        return chosen.end_of_life
    return _end_of_life_for(category)


@dataclass(frozen=True)
class Circular:
    """A row's recycled content or end of life as the graph reads it: the share (R1 of a
    material, R2 of waste), the row's own dataset code (Ev, or ED), the recycled dataset
    (Erec, or ErecEoL) and the virgin dataset E*v, each with unit and value."""

    share: float | None
    factor_code: str | None
    recycled_code: str | None
    r_unit: str | None
    r_value: float | None
    v_unit: str | None
    v_value: float | None

    def is_scrap(self, linked: Any, external: Any) -> bool:
        """Scrap fed to a recycler (share 1, no dataset, no link): burden-free."""
        return (
            self.share == 1.0
            and self.factor_code is None
            and self.recycled_code is None
            and linked is None
            and external is None
        )

    def waste_value(
        self,
        eol: EndOfLife,
        qty: float,
        unit: str,
        ed_amount: float,
        ed_value: float,
        convert: Callable[[str, str], float],
    ) -> float:
        """kg CO2e per declared unit from a waste or end-of-life row with a share recycled:
        the rule's formula over the row's quantity (linear in each dataset, so the datasets
        times the row's amount in their units stand in for the per-unit values). CFF:
        (1 − A) R2 (ErecEoL − E*v Qsout/Qp) + (1 − R2 − R3) ED; cut-off: (1 − R2) ED."""
        r2 = float(self.share or 0.0)
        ed = ed_amount * ed_value
        params = eol.for_dataset(self.recycled_code)
        if not eol.is_cff or params is None or self.r_unit is None or self.v_unit is None:
            return cut_off(r2=r2, ed=ed).end_of_life
        erec_eol = qty * convert(unit, self.r_unit) * float(self.r_value or 0.0)
        ev_star = qty * convert(unit, self.v_unit) * float(self.v_value or 0.0)
        return cff(
            params.parameters, r2=r2, erec_eol=erec_eol, ev_star=ev_star, r3=params.r3, ed=ed
        ).end_of_life
