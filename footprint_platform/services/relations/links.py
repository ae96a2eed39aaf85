"""Link requests: a buyer asks a supplier to agree that its submissions link the supplier's
product (services/relations/consent.py says why it must). Saving or submitting a draft that links a
product without consent asks for it; the supplier accepts (a share, in the same transaction,
then the buyer's affected periods are recomputed) or declines; the buyer may cancel."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.errors import Conflict, InvalidInput, NotFound
from footprint_platform.models import LinkRequest, LinkStatus, Product, Submission, utcnow
from footprint_platform.policy import Action, Actor, allowed, authorize
from footprint_platform.services.catalogue import audit
from footprint_platform.services.notify import notifications
from footprint_platform.services.relations import consent, sharing


def ask(session: Session, actor: Actor, buyer_id: int, product_id: int) -> LinkRequest:
    """Ask the maker of the product for consent to link it; an open request is reused, and a
    link already consented needs none (Conflict)."""
    authorize(actor, Action.EDIT_SUBMISSIONS, buyer_id)
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(str(_l("No such product.")))
    if product.organization_id == buyer_id:
        msg = str(_l("Your own products need no consent."))
        raise InvalidInput(msg, {"product_id": [msg]})
    if sharing.is_shared(session, product_id, buyer_id):
        raise Conflict(str(_l("This supplier already agreed to the link.")))
    made = _ask(session, actor, buyer_id, product)
    session.commit()
    return made


def ask_for_submission(session: Session, actor: Actor, submission: Submission) -> list[int]:
    """Ask for every link of the draft without consent, in the caller's transaction (a save or
    submit commits it), unless one is open or the supplier declined or the buyer cancelled
    (asking again is then the buyer's explicit choice, `ask`). Returns the requests' ids."""
    waiting = [link.product for link in consent.links_of(session, submission) if not link.consented]
    newest = newest_for(session, submission.organization_id, [p.id for p in waiting])
    return [
        _ask(session, actor, submission.organization_id, p).id
        for p in waiting
        if p.id not in newest or newest[p.id].status is LinkStatus.ACCEPTED
    ]


def _ask(session: Session, actor: Actor, buyer_id: int, product: Product) -> LinkRequest:
    open_one = session.scalars(
        select(LinkRequest).where(
            LinkRequest.buyer_id == buyer_id,
            LinkRequest.product_id == product.id,
            LinkRequest.status == LinkStatus.PENDING,
        )
    ).first()
    if open_one is not None:
        return open_one
    made = LinkRequest(
        buyer_id=buyer_id,
        supplier_id=product.organization_id,
        product_id=product.id,
        status=LinkStatus.PENDING,
        created_by_id=actor.user_id,
    )
    session.add(made)
    session.flush()
    audit.record(
        session,
        actor,
        "link_request.create",
        made,
        organization_id=buyer_id,
        details={"product": product.part_number, "supplier_id": product.organization_id},
    )
    notifications.record(
        session, notifications.LINK_REQUEST_RECEIVED, [product.organization_id], made.id
    )
    return made


def get(session: Session, actor: Actor, request_id: int) -> LinkRequest:
    """A link request, for members of either side."""
    found = session.get(LinkRequest, request_id)
    if found is None:
        raise NotFound(str(_l("No such request.")))
    if not allowed(actor, Action.VIEW_REQUESTS, found.supplier_id):
        authorize(actor, Action.VIEW_REQUESTS, found.buyer_id)
    return found


def _pending(found: LinkRequest) -> None:
    if found.status is not LinkStatus.PENDING:
        raise Conflict(str(_l("This request is closed.")))


def accept(session: Session, actor: Actor, request_id: int) -> LinkRequest:
    """The supplier agrees: the product is shared with the buyer (in the same transaction);
    the workflow then recomputes the buyer's products linking it."""
    found = get(session, actor, request_id)
    authorize(actor, Action.SHARE_FOOTPRINTS, found.supplier_id)
    _pending(found)
    made = sharing.share_in_transaction(session, actor, found.product, found.buyer_id)
    found.status, found.share_id = LinkStatus.ACCEPTED, made.id
    _close(session, actor, found, "link_request.accept", found.supplier_id)
    return found  # the buyer's results follow (services/workflow.py `accept_link`)


def decline(session: Session, actor: Actor, request_id: int, reason: str) -> LinkRequest:
    found = get(session, actor, request_id)
    authorize(actor, Action.SHARE_FOOTPRINTS, found.supplier_id)
    _pending(found)
    found.status, found.decline_reason = LinkStatus.DECLINED, reason.strip()[:2000] or None
    return _close(session, actor, found, "link_request.decline", found.supplier_id)


def cancel(session: Session, actor: Actor, request_id: int) -> LinkRequest:
    found = get(session, actor, request_id)
    authorize(actor, Action.EDIT_SUBMISSIONS, found.buyer_id)
    _pending(found)
    found.status = LinkStatus.CANCELLED
    return _close(session, actor, found, "link_request.cancel", found.buyer_id)


def _close(
    session: Session, actor: Actor, found: LinkRequest, action: str, organization_id: int
) -> LinkRequest:
    found.closed_at = utcnow()
    if found.status in (LinkStatus.ACCEPTED, LinkStatus.DECLINED):
        notifications.record(
            session, notifications.LINK_REQUEST_DECIDED, [found.buyer_id], found.id
        )
    audit.record(
        session,
        actor,
        action,
        found,
        organization_id=organization_id,
        details={"status": found.status.value, "product_id": found.product_id},
    )
    session.commit()
    return found


def inbox_query(organization_id: int, direction: str) -> Any:
    """Link requests the organization received (`incoming`) or sent (`outgoing`), newest first."""
    side = LinkRequest.supplier_id if direction == "incoming" else LinkRequest.buyer_id
    return select(LinkRequest).where(side == organization_id).order_by(LinkRequest.id.desc())


def newest_for(session: Session, buyer_id: int, product_ids: list[int]) -> dict[int, LinkRequest]:
    """The buyer's newest link request per product (the form's and review's status)."""
    if not product_ids:
        return {}
    found = session.scalars(
        select(LinkRequest)
        .where(LinkRequest.buyer_id == buyer_id, LinkRequest.product_id.in_(product_ids))
        .order_by(LinkRequest.id)
    )
    return {r.product_id: r for r in found}


def states_for(
    session: Session, submission: Submission
) -> list[tuple[consent.Link, LinkRequest | None]]:
    """The submission's links to other organizations' products, whether each counts, and
    the newest link request for each (the form's and review's status)."""
    found = consent.links_of(session, submission)
    newest = newest_for(session, submission.organization_id, [k.product.id for k in found])
    return [(k, newest.get(k.product.id)) for k in found]
