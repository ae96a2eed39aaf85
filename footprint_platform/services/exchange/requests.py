"""Data requests between buyers and suppliers, and both sides' inboxes. A request may also
come from a partner's system over PACT (services.pact.events): answering or declining it then
also sends the answer back to that system, from a background job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from footprint_platform import visibility
from footprint_platform.errors import Conflict, InvalidInput, NotFound
from footprint_platform.models import (
    DataRequest,
    PactDelivery,
    Product,
    ProductResult,
    RequestStatus,
    Submission,
    SubmissionStatus,
    utcnow,
)
from footprint_platform.policy import Action, Actor, allowed, authorize, refuse
from footprint_platform.security import digest, new_secret
from footprint_platform.services.catalogue import audit
from footprint_platform.services.catalogue.accounts import normalize_email
from footprint_platform.services.graph import periods, results
from footprint_platform.services.intake import submissions
from footprint_platform.services.notify import notifications, webhooks
from footprint_platform.services.pact import catenax_exchange
from footprint_platform.services.pact import delivery as pact_delivery
from footprint_platform.services.pact import events as pact_events
from footprint_platform.services.pact import outbox as pact_outbox
from footprint_platform.services.relations import sharing


def create_request(
    session: Session, actor: Actor, buyer_id: int, data: dict[str, Any]
) -> DataRequest:
    """Ask a supplier for data on a product by part number. The supplier is an organization on
    Tanlian, or an e-mail address: then the request waits, and the returned one-time link lets
    that supplier register its company (the buyer forwards it)."""
    authorize(actor, Action.REQUEST_DATA, buyer_id)
    errors: dict[str, list[str]] = {}
    supplier_id, email = data.get("supplier_id"), data.get("supplier_email")
    if bool(supplier_id) == bool(email):
        errors["supplier_id"] = [
            str(_l("Choose a supplier on Tanlian or give an e-mail address (one of the two)."))
        ]
    if supplier_id == buyer_id:
        errors["supplier_id"] = [str(_l("Ask another organization."))]
    product = None
    if supplier_id:
        product = session.scalar(
            select(Product).where(
                Product.organization_id == supplier_id, Product.part_number == data["part_number"]
            )
        )
        if product is None:
            errors["part_number"] = [str(_l("This supplier has no product with this part number."))]
    if data["period_end"] < data["period_start"]:
        errors["period_end"] = [str(_l("The period ends before it starts."))]
    if data["due_date"] < date.today():
        errors["due_date"] = [str(_l("The due date has passed."))]
    if errors:
        raise InvalidInput(str(_l("Some fields are invalid.")), errors)
    request = DataRequest(
        buyer_id=buyer_id,
        supplier_id=supplier_id,
        supplier_email=normalize_email(email) if email else None,
        product_id=product.id if product else None,
        part_number=data["part_number"],
        period_start=data["period_start"],
        period_end=data["period_end"],
        due_date=data["due_date"],
        message=data.get("message"),
        status=RequestStatus.PENDING,
        created_by_id=actor.user_id,
    )
    token = new_secret() if email else None
    request.join_token_hash = digest(token) if token else None
    session.add(request)
    session.flush()
    audit.record(
        session,
        actor,
        "request.create",
        request,
        organization_id=buyer_id,
        details={"supplier_id": supplier_id, "part_number": data["part_number"]},
    )
    webhooks.request_received(session, request)
    notifications.record(session, notifications.REQUEST_RECEIVED, [supplier_id], request.id)
    session.commit()
    return request, token


def get_request(session: Session, actor: Actor, request_id: int) -> DataRequest:
    """A request for members of either side."""
    missing = NotFound(str(_l("No such request.")))
    request = session.get(DataRequest, request_id)
    if request is None:
        raise missing
    sides = (request.buyer_id, request.supplier_id)
    if not any(allowed(actor, Action.VIEW_REQUESTS, org) for org in sides if org):
        refuse(actor, Action.VIEW_REQUESTS, missing, sides)
    return request


def _pending(request: DataRequest) -> None:
    if request.status is not RequestStatus.PENDING:
        raise Conflict(str(_l("This request is closed.")))


def decline(session: Session, actor: Actor, request_id: int, reason: str) -> DataRequest:
    request = get_request(session, actor, request_id)
    authorize(actor, Action.ANSWER_REQUESTS, request.supplier_id)
    _pending(request)
    if not reason.strip():
        msg = str(_l("Say why you decline."))
        raise InvalidInput(msg, {"reason": [msg]})
    request.status, request.decline_reason = RequestStatus.DECLINED, reason.strip()[:2000]
    pending = _decline_deliveries(session, request) if request.pact_event_id else []
    done = _close(session, actor, request, "request.decline", request.supplier_id)
    pact_delivery.queue([d.id for d in pending])
    return done


def cancel(session: Session, actor: Actor, request_id: int) -> DataRequest:
    request = get_request(session, actor, request_id)
    authorize(actor, Action.REQUEST_DATA, request.buyer_id)
    _pending(request)
    if request.pact_event_id is not None:
        raise Conflict(str(_l("This request came over PACT; its supplier answers or declines it.")))
    request.status = RequestStatus.CANCELLED
    return _close(session, actor, request, "request.cancel", request.buyer_id)


@dataclass(frozen=True)
class Answered:
    request: DataRequest
    shared: bool  # a share was made by answering
    delivery_ids: list[int]  # the PACT answer's pending deliveries, committed


def answer(
    session: Session,
    actor: Actor,
    request_id: int,
    submission_id: int,
    substitute_reason: str | None = None,
    confirmed: bool = False,
) -> Answered:
    """Answer with a submitted version of the requested product for the requested period; a
    version of another period only as an explicit substitute, confirmed with a reason that is
    stored and shown to the buyer. The buyer learns that it was answered and may from then on
    see the product's footprint by name (a share), never the submission's inputs."""
    request = get_request(session, actor, request_id)
    authorize(actor, Action.ANSWER_REQUESTS, request.supplier_id)
    _pending(request)
    sub = session.get(Submission, submission_id)
    if (
        sub is None
        or sub.organization_id != request.supplier_id
        or sub.status is not SubmissionStatus.SUBMITTED
        or (request.product_id and sub.product_id != request.product_id)
    ):
        msg = str(_l("Choose a submitted version of the requested product."))
        raise InvalidInput(msg, {"submission_id": [msg]})
    reason = _substitute_reason(request, sub, substitute_reason, confirmed)
    request.status, request.submission_id = RequestStatus.ANSWERED, sub.id
    request.product_id, request.substitute_reason = sub.product_id, reason
    shared = sharing.share_on_answer(session, actor, sub.product, request.buyer_id)
    pending = _answer_deliveries(session, request) if request.pact_event_id else []
    done = _close(session, actor, request, "request.answer", request.supplier_id)
    # what follows (services/workflow.py `answer_request`): the deliveries are sent from the
    # background, and with a new share the buyer's links to the product count from now on
    return Answered(done, shared, [d.id for d in pending])


def _over_catenax(request: DataRequest) -> bool:
    return request.pact_event is not None and request.pact_event.type == pact_outbox.CX_REQUEST


def _answer_deliveries(session: Session, request: DataRequest) -> list[PactDelivery]:
    """The answer a request from a partner's system gets: a RequestFulfilledEvent over PACT,
    a PUT of the PCF over Catena-X."""
    if _over_catenax(request):
        return catenax_exchange.answer_deliveries(session, request)
    return pact_events.answer_deliveries(session, request)


def _decline_deliveries(session: Session, request: DataRequest) -> list[PactDelivery]:
    """PACT sends a RequestRejectedEvent; Catena-X's PCF Exchange API has no rejection
    message, so a declined Catena-X request is only recorded (services.pact.catenax_exchange)."""
    if _over_catenax(request):
        return []
    return pact_events.decline_deliveries(session, request)


def _substitute_reason(
    request: DataRequest, sub: Submission, reason: str | None, confirmed: bool
) -> str | None:
    """None for a version of the requested period; for another period's version the reason,
    which must be given and confirmed (a substitute is never the default answer)."""
    if (sub.period_start, sub.period_end) == request.period:
        return None
    errors: dict[str, list[str]] = {}
    text = (reason or "").strip()
    if not text:
        errors["substitute_reason"] = [
            str(
                _l(
                    "This version is for %(start)s – %(end)s, not the requested period: "
                    "say why it stands in for it.",
                    start=sub.period_start,
                    end=sub.period_end,
                )
            )
        ]
    if not confirmed:
        errors["confirm_substitute"] = [
            str(_l("Confirm that you answer with another period's data."))
        ]
    if errors:
        raise InvalidInput(str(_l("Some fields are invalid.")), errors)
    return text[:2000]


@dataclass(frozen=True)
class Provided:
    """What an answered request provided, as the buyer may see it: the answered version's
    period and the product's figure in that period with its basis."""

    request: DataRequest
    submission: Submission
    substitute: bool  # another period than the one asked for (`request.substitute_reason`)
    result: ProductResult | None  # None: not computed, or no longer shared with the buyer
    shared: bool  # the reader may see the figure (the supplier's side always may)

    @property
    def primary(self) -> bool:
        """The figure rests on the supplier's own submitted data (else a fallback dataset)."""
        return self.result is not None and self.result.basis == "submitted"

    @property
    def complete(self) -> bool:
        return self.result is not None and periods.declarable(
            self.result.basis, self.result.upstream_missing
        )


def provided(session: Session, actor: Actor, request_id: int) -> Provided | None:
    """The answer of a request, for members of either side; None while it is unanswered."""
    request = get_request(session, actor, request_id)
    sub = request.submission
    if sub is None:
        return None
    period = (sub.period_start, sub.period_end)
    supplier_side = allowed(actor, Action.VIEW_REQUESTS, request.supplier_id)
    shared = supplier_side or visibility.for_organization(session, request.buyer_id).may_see_figure(
        sub.product_id
    )
    latest = results.latest_results(session, sub.organization_id, period).get(sub.product_id)
    result = latest.result if latest is not None and shared else None
    return Provided(request, sub, period != request.period, result, shared)


def _close(
    session: Session, actor: Actor, request: DataRequest, action: str, organization_id: int | None
) -> DataRequest:
    request.closed_at = utcnow()
    if request.status in (RequestStatus.ANSWERED, RequestStatus.DECLINED):
        webhooks.request_answered(session, request)
    audit.record(
        session,
        actor,
        action,
        request,
        organization_id=organization_id,
        details={"status": request.status.value},
    )
    session.commit()
    return request


def start_answer(session: Session, actor: Actor, request_id: int) -> Submission:
    """The supplier's draft for the requested product and period, to answer the request with:
    its open draft if there is one, else a new one (pre-filled from the latest version)."""
    request = get_request(session, actor, request_id)
    authorize(actor, Action.ANSWER_REQUESTS, request.supplier_id)
    _pending(request)
    if request.product_id is None:
        raise Conflict(str(_l("This request names no product on Tanlian.")))
    draft = session.scalar(
        select(Submission).where(
            Submission.product_id == request.product_id,
            Submission.period_start == request.period_start,
            Submission.period_end == request.period_end,
            Submission.status == SubmissionStatus.DRAFT,
        )
    )
    if draft is not None:
        return draft
    return submissions.start_draft(
        session, actor, request.product_id, request.period_start, request.period_end
    )


def inbox_query(organization_id: int, direction: str) -> Any:
    """Requests the organization received (`incoming`) or sent (`outgoing`), newest first."""
    side = DataRequest.supplier_id if direction == "incoming" else DataRequest.buyer_id
    return select(DataRequest).where(side == organization_id).order_by(DataRequest.id.desc())


def attach_invited_supplier(session: Session, organization_id: int, email: str) -> int:
    """When the operator registers a supplier invited by e-mail, its waiting requests find it."""
    waiting = session.scalars(
        select(DataRequest).where(
            DataRequest.supplier_id.is_(None),
            DataRequest.supplier_email == email.lower(),
            or_(DataRequest.status == RequestStatus.PENDING),
        )
    ).all()
    for request in waiting:
        request.supplier_id = organization_id
    return len(waiting)


def open_join_link(session: Session, token: str) -> DataRequest:
    """The pending request behind a supplier's registration link."""
    request = session.scalar(
        select(DataRequest).where(DataRequest.join_token_hash == digest(token))
    )
    if (
        request is None
        or request.supplier_id is not None
        or request.status is not RequestStatus.PENDING
    ):
        raise NotFound(str(_l("This link is invalid or already used.")))
    return request
