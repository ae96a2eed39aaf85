"""Saved what-if scenarios: named change specs of one product and period, kept to be evaluated
again (always on the period's current data) and compared side by side. Saving checks the
scenario with the engine first, so a saved scenario was valid when saved; one that no longer
is (a share revoked, say) shows its refusal when compared."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.models import Product, WhatIfScenario
from footprint_platform.policy import Action, Actor
from footprint_platform.services.catalogue import audit, catalog
from footprint_platform.services.insight import whatif, whatif_specs

NAME_LENGTH = 120
# A comparison evaluates every scenario on one graph build; more columns stop being readable.
MAX_COMPARED = 6


def save(
    session: Session,
    actor: Actor,
    product_id: int,
    name: str,
    specs: Sequence[Mapping[str, Any]],
    period: tuple[date, date] | None = None,
) -> WhatIfScenario:
    """Check the scenario with the engine, then keep it under its name (audited)."""
    product = _product(session, actor, product_id)
    name = name.strip()
    if not name or len(name) > NAME_LENGTH:
        raise whatif_specs.refuse("name", _l("Name the scenario (at most 120 characters)."))
    if not specs:
        raise whatif_specs.refuse("changes", _l("Add at least one change before saving."))
    outcome = whatif.evaluate(session, actor, product_id, specs, period)
    made = WhatIfScenario(
        organization_id=product.organization_id,
        product_id=product.id,
        period_start=outcome.period[0],
        period_end=outcome.period[1],
        name=name,
        changes=list(outcome.specs),
        created_by_id=actor.user_id,
    )
    session.add(made)
    session.flush()
    audit.record(
        session,
        actor,
        "whatif.save",
        made,
        organization_id=product.organization_id,
        details={"product": product.part_number, "name": name, "changes": made.changes},
    )
    session.commit()
    return made


def find(
    session: Session, actor: Actor, product_id: int, scenario_id: int
) -> WhatIfScenario | None:
    """A saved scenario of the product, for whoever may delete it (to confirm first); None if
    it is gone."""
    product = _product(session, actor, product_id)
    return session.scalars(
        select(WhatIfScenario).where(
            WhatIfScenario.id == scenario_id, WhatIfScenario.product_id == product.id
        )
    ).first()


def delete(
    session: Session, actor: Actor, product_id: int, scenario_id: int
) -> WhatIfScenario | None:
    """Delete a saved scenario of the product (audited with what it held); None if it is
    already gone."""
    product = _product(session, actor, product_id)
    found = session.scalars(
        select(WhatIfScenario).where(
            WhatIfScenario.id == scenario_id, WhatIfScenario.product_id == product.id
        )
    ).first()
    if found is None:
        return None
    audit.record(
        session,
        actor,
        "whatif.delete",
        found,
        organization_id=product.organization_id,
        details={"product": product.part_number, "name": found.name, "changes": found.changes},
    )
    session.delete(found)
    session.commit()
    return found


def saved(
    session: Session, actor: Actor | None, product_id: int, period: tuple[date, date]
) -> list[WhatIfScenario]:
    """The product's saved scenarios for the period, newest first."""
    catalog.product_for(session, actor, product_id, Action.VIEW_RESULTS)
    return list(
        session.scalars(
            select(WhatIfScenario)
            .where(
                WhatIfScenario.product_id == product_id,
                WhatIfScenario.period_start == period[0],
                WhatIfScenario.period_end == period[1],
            )
            .order_by(WhatIfScenario.id.desc())
        )
    )


@dataclass(frozen=True)
class Compared:
    scenario: WhatIfScenario
    outcome: whatif.Outcome | None
    refusal: str | None  # why the scenario no longer evaluates


def compare(
    session: Session,
    actor: Actor | None,
    product_id: int,
    period: tuple[date, date] | None,
    scenario_ids: Sequence[int],
) -> tuple[whatif.Outcome, list[Compared]]:
    """The base (as an outcome without changes: its product, period and figures) and each
    chosen saved scenario of the product and period, from one graph build and one solve. No
    period: the newest with the product's own submitted data, as `whatif.evaluate` takes."""
    if period is None:
        own = whatif.periods(session, product_id)
        period = own[0] if own else None
    found = saved(session, actor, product_id, period) if period is not None else []
    chosen = sorted((s for s in found if s.id in set(scenario_ids)), key=lambda s: s.id)
    chosen = chosen[:MAX_COMPARED]
    outcomes = whatif.evaluate_many(
        session, actor, product_id, [[]] + [s.changes for s in chosen], period
    )
    base = outcomes[0]
    assert isinstance(base, whatif.Outcome)  # no changes: nothing to refuse
    return base, [
        Compared(s, o, None) if isinstance(o, whatif.Outcome) else Compared(s, None, o.message)
        for s, o in zip(chosen, outcomes[1:], strict=True)
    ]


def _product(session: Session, actor: Actor, product_id: int) -> Product:
    product = catalog.product_for(session, actor, product_id, Action.SAVE_SCENARIOS)
    return product
