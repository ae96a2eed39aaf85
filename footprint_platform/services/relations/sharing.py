"""Which customer may see a supplier's product footprint by name, and what a buyer then sees.

A buyer sees its own results with upstream contributions grouped by stage, tier and category,
and a named upstream supplier's figure only where footprint_platform/visibility.py allows it.
A share is made here explicitly, by answering the buyer's data request for the product, or by
accepting its link request (relations/links.py); it is also the supplier's consent to be linked
(services/relations/consent.py), so making or revoking one changes the buyer's affected results
(services/workflow.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

import supply_graph
from footprint_platform import visibility
from footprint_platform.errors import InvalidInput
from footprint_platform.models import (
    Declaration,
    FootprintShare,
    Organization,
    Product,
    Submission,
    SubmissionInput,
    SubmissionStatus,
    utcnow,
)
from footprint_platform.policy import Action, Actor, authorize
from footprint_platform.services.catalogue import audit, catalog, records
from footprint_platform.services.graph.chain import product_node


def share(session: Session, actor: Actor, product_id: int, buyer_id: int) -> FootprintShare:
    """Let `buyer_id` see this product's footprint by name; sharing twice changes nothing."""
    product = catalog.product_for(session, actor, product_id, Action.SHARE_FOOTPRINTS)
    if buyer_id == product.organization_id or session.get(Organization, buyer_id) is None:
        msg = str(_l("Choose another organization."))
        raise InvalidInput(msg, {"buyer_id": [msg]})
    existing = _active(session, product_id, buyer_id)
    if existing is not None:
        return existing
    made = _create(session, actor, product, buyer_id, "share.create")
    session.commit()  # the buyer's results follow (services/workflow.py `share`)
    return made


def share_on_answer(session: Session, actor: Actor, product: Product, buyer_id: int) -> bool:
    """Answering a buyer's request for a product shares that product with it, in the answer's
    transaction (the caller commits, then the workflow recomputes when this
    made a share: True)."""
    if _active(session, product.id, buyer_id) is None:
        _create(session, actor, product, buyer_id, "share.create_by_answer")
        return True
    return False


def share_in_transaction(
    session: Session, actor: Actor, product: Product, buyer_id: int
) -> FootprintShare:
    """The active share of the product with the buyer, made if missing, in the caller's
    transaction (accepting a link request)."""
    return _active(session, product.id, buyer_id) or _create(
        session, actor, product, buyer_id, "share.create_by_link_request"
    )


def is_shared(session: Session, product_id: int, buyer_id: int) -> bool:
    return _active(session, product_id, buyer_id) is not None


def _create(
    session: Session, actor: Actor, product: Product, buyer_id: int, action: str
) -> FootprintShare:
    made = FootprintShare(
        organization_id=product.organization_id,
        product_id=product.id,
        buyer_id=buyer_id,
        created_by_id=actor.user_id,
    )
    session.add(made)
    session.flush()
    audit.record(
        session,
        actor,
        action,
        made,
        organization_id=product.organization_id,
        details={"product": product.part_number, "buyer_id": buyer_id},
    )
    return made


def revoke(session: Session, actor: Actor, share_id: int) -> FootprintShare:
    """Stop showing the footprint by name; the share stays in the record as revoked."""
    missing = str(_l("No such share."))
    found = records.record_for(
        session,
        actor,
        FootprintShare,
        share_id,
        Action.SHARE_FOOTPRINTS,
        missing,
        parties=lambda s: [s.buyer_id],
    )
    if found.revoked_at is None:
        found.revoked_at = utcnow()
        audit.record(session, actor, "share.revoke", found, organization_id=found.organization_id)
        session.commit()  # the buyer's results follow (services/workflow.py `revoke`)
    return found


def _active(session: Session, product_id: int, buyer_id: int) -> FootprintShare | None:
    return session.scalars(
        select(FootprintShare).where(
            FootprintShare.product_id == product_id,
            FootprintShare.buyer_id == buyer_id,
            FootprintShare.revoked_at.is_(None),
        )
    ).first()


def shares_query(organization_id: int) -> Any:
    """The organization's shares, active first, newest first."""
    return (
        select(FootprintShare)
        .where(FootprintShare.organization_id == organization_id)
        .order_by(FootprintShare.revoked_at.is_not(None), FootprintShare.id.desc())
    )


def shared_with(session: Session, buyer_id: int) -> set[int]:
    """Products whose footprint the buyer may see by name."""
    return set(
        session.scalars(
            select(FootprintShare.product_id).where(
                FootprintShare.buyer_id == buyer_id, FootprintShare.revoked_at.is_(None)
            )
        )
    )


@dataclass(frozen=True)
class SupplierProduct:
    """A product the buyer buys, with what the buyer may know of its footprint."""

    product: Product
    declaration: Declaration | None  # the supplier's newest published declaration
    shared: bool


def direct_supplier_products(
    session: Session, actor: Actor, buyer_id: int
) -> list[SupplierProduct]:
    """Every supplier product linked in the buyer's current submissions, with its newest
    published declaration (a declared total is public anyway) and whether it is shared."""
    authorize(actor, Action.VIEW_PRODUCTS, buyer_id)
    linked = (
        select(SubmissionInput.linked_product_id)
        .join(Submission)
        .where(
            Submission.organization_id == buyer_id,
            Submission.status == SubmissionStatus.SUBMITTED,
            SubmissionInput.linked_product_id.is_not(None),
        )
    )
    products = session.scalars(
        select(Product).where(Product.id.in_(linked)).order_by(Product.part_number)
    ).all()
    shared = shared_with(session, buyer_id)
    return [SupplierProduct(p, newest_published(session, p.id), p.id in shared) for p in products]


def newest_published(session: Session, product_id: int) -> Declaration | None:
    return visibility.newest_published(session, product_id)


@dataclass(frozen=True)
class NamedSupplier:
    """A shared upstream product in a buyer's footprint: how much of it one declared unit
    needs, its own footprint per unit, and what that amount carries."""

    product: Product
    amount: Decimal
    footprint_per_unit: Decimal
    embodied: Decimal


def named_upstream(
    session: Session,
    buyer_id: int,
    parts: supply_graph.Contributions,
    result: supply_graph.RollupResult,
) -> list[NamedSupplier]:
    """The upstream products of a breakdown whose figure the buyer may see (its own, shared
    with it, or the current published figure: footprint_platform/visibility.py)."""
    amounts = {
        int(c.id.split(":", 1)[1]): c.amount
        for c in parts.by_node
        if c.id.startswith("product:") and c.id != parts.product
    }
    rule = visibility.for_organization(session, buyer_id)
    visible = [
        pid for pid in amounts if rule.may_see_figure(pid, _figure(result[product_node(pid)]))
    ]
    products = session.scalars(select(Product).where(Product.id.in_(visible))).all()
    named = []
    for p in products:
        amount = amounts[p.id]
        per_unit = result[product_node(p.id)].total
        named.append(
            NamedSupplier(
                p, Decimal(repr(amount)), Decimal(repr(per_unit)), Decimal(repr(amount * per_unit))
            )
        )
    return sorted(named, key=lambda n: -n.embodied)


def _figure(node: Any) -> tuple[float, dict[str, float]]:
    return float(node.total), {k: float(v) for k, v in node.by_stage.items()}
