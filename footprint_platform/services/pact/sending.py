"""Sending what the PACT and Catena-X outbox holds (`PactDelivery` rows made by
services.pact.events and services.pact.catenax_exchange): one attempt at a time, claimed under a
lease, with exponential back-off, abandoned after PACT's 72 hours or when the product is no longer
shared. services.pact.delivery decides when an attempt runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform import background
from footprint_platform.models import (
    Declaration,
    Organization,
    PactDelivery,
    utcnow,
)
from footprint_platform.policy import SYSTEM, PactGrant
from footprint_platform.services.catalogue import audit
from footprint_platform.services.pact import host as pact_host
from footprint_platform.services.pact import outbound as pact_outbound
from footprint_platform.services.pact.outbox import CX_ASK, CX_PUSH, REQUEST_FULFILLED

# Delivery: exponential back-off from 30 s, doubling, at most 4 h apart, abandoned 72 h after
# the delivery was made (PACT 3.0.3: "SHOULD abandon sending the event after 72 hours").
FIRST_DELAY = timedelta(seconds=30)


MAX_DELAY = timedelta(hours=4)


GIVE_UP = timedelta(hours=72)


LEASE = timedelta(minutes=2)  # a claimed attempt is not claimed again for this long


def backoff(attempts: int) -> timedelta:
    """The wait after the n-th failed attempt: 30 s, 1 min, 2 min, … at most 4 h."""
    return min(FIRST_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)


Sender = Callable[[Session, PactDelivery], None]


def send(session: Session, delivery: PactDelivery) -> None:
    """Post the delivery's event (or make its Catena-X call) with the credentials we hold for
    the partner."""
    credential = pact_outbound.usable_credential(
        session, delivery.organization_id, delivery.partner_id
    )
    if credential is None:
        raise pact_outbound.PartnerUnreachable(
            "no credentials for this partner's host system (PACT partners page)"
        )
    if delivery.type in (CX_ASK, CX_PUSH):
        org = session.get(Organization, delivery.organization_id)
        method = "PUT" if delivery.type == CX_PUSH else "GET"
        bpn = org.bpnl if org else None
        pact_outbound.exchange(credential, method, delivery.target_url, delivery.body, bpn)
        return
    pact_outbound.post_event(credential, delivery.target_url, delivery.body)


def attempt(
    session: Session,
    delivery_id: int,
    now: datetime | None = None,
    sender: Sender | None = None,
) -> PactDelivery | None:
    """One attempt at a due delivery; each attempt is an audit record. `now` and `sender` are
    for tests (a fake clock, a fake partner)."""
    delivery = session.get(PactDelivery, delivery_id)
    now = now or utcnow()
    if delivery is None or delivery.status != "pending" or delivery.next_attempt_at > now:
        return delivery
    details = {"delivery": delivery.id, "type": delivery.type, "event_id": delivery.event_id}
    if now - delivery.created_at >= GIVE_UP:
        delivery.status = "abandoned"
        audit.record(
            session,
            SYSTEM,
            "pact.event_abandoned",
            delivery,
            organization_id=delivery.organization_id,
            details=details,
        )
        session.commit()
        return delivery
    if not background.claim_attempt(session, PactDelivery, delivery, now, LEASE):
        return delivery
    if not _still_shared(session, delivery, now):
        delivery.status, delivery.last_error = "cancelled", "a footprint in it is no longer shared"
        audit.record(
            session,
            SYSTEM,
            "pact.event_cancelled",
            delivery,
            organization_id=delivery.organization_id,
            details=details,
        )
        session.commit()
        return delivery
    try:
        (sender or send)(session, delivery)
    except pact_outbound.PartnerUnreachable as exc:
        delivery.last_error = str(exc)[:500]
        following = now + backoff(delivery.attempts)
        delivery.next_attempt_at = following
        if following - delivery.created_at >= GIVE_UP:
            delivery.status = "abandoned"
        audit.record(
            session,
            SYSTEM,
            "pact.event_send_failed",
            delivery,
            organization_id=delivery.organization_id,
            details={**details, "attempt": delivery.attempts, "error": delivery.last_error},
        )
    else:
        delivery.status, delivery.sent_at, delivery.last_error = "sent", now, None
        audit.record(
            session,
            SYSTEM,
            "pact.event_sent",
            delivery,
            organization_id=delivery.organization_id,
            details={**details, "attempt": delivery.attempts, "target": delivery.target_url[:200]},
        )
    session.commit()
    return delivery


def _still_shared(session: Session, delivery: PactDelivery, now: datetime) -> bool:
    """Every footprint in a RequestFulfilledEvent is still published and shared with the
    partner when it leaves (a share revoked after the answer was decided stops it)."""
    if delivery.type not in (REQUEST_FULFILLED, CX_PUSH) or delivery.partner_id is None:
        return True
    grant = PactGrant(0, delivery.organization_id, delivery.partner_id)
    if delivery.type == CX_PUSH:
        info = delivery.body["pcfAssessmentAndMethodology"][0]["pcfAssessmentInformation"][0]
        ids = {info["idAndVersion"][0]["id"]}
    else:
        ids = {pf["id"] for pf in delivery.body["data"]["pfs"]}
    shown = set(
        session.scalars(
            pact_host.visible(grant, now)
            .where(Declaration.public_id.in_(ids))
            .with_only_columns(Declaration.public_id)
        )
    )
    return ids <= shown


def due(session: Session, now: datetime | None = None) -> list[int]:
    """Pending deliveries whose next attempt is due (what `flask pact deliver` sends)."""
    return list(
        session.scalars(
            select(PactDelivery.id)
            .where(
                PactDelivery.status == "pending", PactDelivery.next_attempt_at <= (now or utcnow())
            )
            .order_by(PactDelivery.id)
        )
    )


def deliveries_for_requests(session: Session, request_ids: list[int]) -> dict[int, PactDelivery]:
    """The latest delivery of each request (the inbox shows where its answer stands)."""
    if not request_ids:
        return {}
    rows = session.scalars(
        select(PactDelivery)
        .where(PactDelivery.request_id.in_(request_ids))
        .order_by(PactDelivery.id)
    )
    return {int(d.request_id): d for d in rows if d.request_id is not None}
