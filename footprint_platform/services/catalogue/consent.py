"""A supply link is a relationship both sides agree to.

An input row of organization B linking a product of organization A counts in the roll-up only
once A agreed: an active share of that product with B (made explicitly, by answering B's data
request, or by accepting B's link request, services/catalogue/links.py). Links between one
organization's own products always count. Until then the roll-up values the input with the
product category's secondary dataset (services/graph/parties.py `Consent`), so nothing of A's own
data reaches B's figures.

A consent made or revoked changes the buyer's results: the period's snapshot no longer matches
(services/graph/snapshots.py compares the shares), and `recompute_for` recomputes each affected
period the way a new submission does, for each of the buyer's products linking the product.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from footprint_platform.models import (
    FootprintShare,
    Product,
    Submission,
    SubmissionInput,
    SubmissionStatus,
)
from footprint_platform.services.graph import jobs
from footprint_platform.services.graph.parties import active_shares


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


def changed_since(session: Session, moment: datetime) -> set[int]:
    """The products whose links' consent changed after `moment` (a run's start): each buyer
    product currently linking a product whose share with that buyer was made or revoked since."""
    pairs = session.execute(
        select(FootprintShare.product_id, FootprintShare.buyer_id)
        .where(or_(FootprintShare.created_at > moment, FootprintShare.revoked_at > moment))
        .distinct()
    ).all()
    return {p for product, buyer in pairs for _s, _e, p in affected(session, product, buyer)}


def affected(session: Session, product_id: int, buyer_id: int) -> list[tuple[date, date, int]]:
    """(period start, period end, buyer's product) of the buyer's current submissions that
    link the product: what a consent given or taken back changes."""
    rows = session.execute(
        select(Submission.period_start, Submission.period_end, Submission.product_id)
        .join(SubmissionInput, SubmissionInput.submission_id == Submission.id)
        .where(
            Submission.organization_id == buyer_id,
            Submission.status == SubmissionStatus.SUBMITTED,
            SubmissionInput.linked_product_id == product_id,
        )
        .distinct()
        .order_by(Submission.period_start, Submission.product_id)
    ).all()
    return [(s, e, int(p)) for s, e, p in rows]


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
