"""A supply link is a relationship both sides agree to.

An input row of organization B linking a product of organization A counts in the roll-up only
once A agreed: an active share of that product with B (made explicitly, by answering B's data
request, or by accepting B's link request, services/relations/links.py). Links between one
organization's own products always count. Until then the roll-up values the input with the
product category's secondary dataset (services/graph/parties.py `Consent`), so nothing of A's own
data reaches B's figures.

A consent made or revoked changes the buyer's results: the period's snapshot no longer matches
(services/graph/snapshots.py compares the shares), and `recompute_for` recomputes each affected
period the way a new submission does, for each of the buyer's products linking the product.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.models import Product, Submission
from footprint_platform.services.graph import jobs
from footprint_platform.services.graph.parties import active_shares, affected


@dataclass(frozen=True)
class Link:
    """A linked input of another organization's product, and whether its maker agreed."""

    product: Product
    consented: bool


def links_of(session: Session, submission: Submission) -> list[Link]:
    """The submission's links to other organizations' products, each once, with their state."""
    linked = {i.linked_product_id for i in submission.inputs if i.linked_product_id is not None}
    if not linked:
        return []
    products = session.scalars(
        select(Product)
        .where(Product.id.in_(linked), Product.organization_id != submission.organization_id)
        .order_by(Product.part_number)
    ).all()
    shares = active_shares(session, products=[p.id for p in products])
    return [Link(p, (p.id, submission.organization_id) in shares) for p in products]


def request_recomputes(session: Session, product_id: int, buyer_id: int) -> int:
    """After a consent was given or revoked (and committed): request a recompute of each
    affected period for each buyer product linking the product, as a submission of that product
    would, and commit the requests (the workflow runs them). Returns how many."""
    made = 0
    for start, end, consumer in affected(session, product_id, buyer_id):
        jobs.request(session, start, end, "consent", consumer)
        made += 1
    if made:
        session.commit()
    return made
