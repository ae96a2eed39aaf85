"""PACT requests of our own: a buyer asks a partner's host system for the footprints of
products (by their productIds) with a v3 RequestCreatedEvent, sent from the background like
every event we send (a `PactDelivery`, retried with back-off, abandoned after 72 hours) with the
credentials the partner issued to the buyer.

The partner answers on our `/3/events` with the PACT client the buyer issued to it: a
RequestFulfilledEvent whose `requestEventId` is our event's id has its footprints checked and
imported as the buyer's partner footprints (the same checks as a file upload; one that fails
them is named in the request's error and not imported); a RequestRejectedEvent closes the
request with the partner's code and message. An answer from any other partner, or to an event
we did not send, changes nothing of ours.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from footprint_platform.errors import Conflict, InvalidInput
from footprint_platform.models import PactEvent, PactRequestSent, utcnow
from footprint_platform.policy import SYSTEM, Actor, PactGrant
from footprint_platform.services.catalogue import audit
from footprint_platform.services.pact import consume as pact_consume
from footprint_platform.services.pact import outbound as pact_outbound
from footprint_platform.services.pact import outbox as pact_outbox

MAX_PRODUCT_IDS = 20
MAX_COMMENT = 2000


def _refuse(field: str, message: Any) -> InvalidInput:
    msg = str(message)
    return InvalidInput(msg, {field: [msg]})


def _product_ids(text: str) -> list[str]:
    """One URN per line (or separated by spaces or commas), as PACT's productIds are."""
    ids = [part for part in text.replace(",", " ").split() if part]
    if not ids:
        raise _refuse("product_ids", _l("Name at least one product id (a URN)."))
    if len(ids) > MAX_PRODUCT_IDS:
        raise _refuse(
            "product_ids", _l("At most %(n)d product ids in one request.", n=MAX_PRODUCT_IDS)
        )
    for value in ids:
        if not value.lower().startswith("urn:") or len(value) > 500:
            raise _refuse("product_ids", _l("“%(id)s” is not a URN (urn:…).", id=value[:60]))
    return list(dict.fromkeys(ids))


def ask(
    session: Session,
    actor: Actor,
    organization_id: int,
    credential_id: int,
    product_ids: str,
    comment: str | None,
    host: str,
) -> tuple[PactRequestSent, int]:
    """Record the request and queue its event; returns it and the delivery to queue once
    committed. Refused, with nothing written, for a credential not the buyer's own and active,
    one for a host not on Tanlian (its answer could not be told apart), or bad ids."""
    credential = pact_outbound.asking_credential(session, actor, organization_id, credential_id)
    ids = _product_ids(product_ids)
    data: dict[str, Any] = {"productId": ids}
    if comment and comment.strip():
        data["comment"] = comment.strip()[:MAX_COMMENT]
    body = pact_outbox.request_event(host, data)
    target = f"{credential.base_url}{pact_outbound.EVENTS_PATH}"
    delivery = pact_outbox.deliver(
        session, organization_id, credential.partner_id, None, target, body
    )
    sent = PactRequestSent(
        organization_id=organization_id,
        partner_id=credential.partner_id,
        credential_id=credential.id,
        delivery_id=delivery.id,
        event_id=body["id"],
        product_ids=ids,
        comment=data.get("comment"),
        status="waiting",
        imported=[],
        created_by_id=actor.user_id,
    )
    session.add(sent)
    session.flush()
    audit.record(
        session,
        actor,
        "pact.request_sent",
        sent,
        organization_id=organization_id,
        details={"event_id": body["id"], "partner": credential.partner_id, "product_ids": ids},
    )
    session.commit()
    return sent, delivery.id


def sent_query(organization_id: int) -> Select[tuple[PactRequestSent]]:
    return (
        select(PactRequestSent)
        .where(PactRequestSent.organization_id == organization_id)
        .order_by(PactRequestSent.id.desc())
    )


def take_answer(session: Session, grant: PactGrant, row: PactEvent) -> None:
    """A RequestFulfilledEvent or RequestRejectedEvent from `grant`'s partner: close our request
    it answers (in the caller's transaction). Nothing happens for an event id we did not send
    to this partner, or for a request already answered."""
    sent = session.scalar(
        select(PactRequestSent).where(
            PactRequestSent.event_id == str(row.data.get("requestEventId", ""))[:36],
            PactRequestSent.organization_id == grant.owner_id,
            PactRequestSent.partner_id == grant.partner_id,
        )
    )
    if sent is None or sent.catenax or sent.status != "waiting":  # Catena-X: its PUT answers
        return
    sent.answered_at = utcnow()
    if row.type == pact_outbox.REQUEST_REJECTED:
        error = row.data["error"]
        sent.status, sent.error = "rejected", f"{error['code']}: {error['message']}"[:2000]
    else:
        sent.status = "fulfilled"
        problems = []
        for k, pf in enumerate(row.data["pfs"]):
            try:
                kept = pact_consume.keep_footprint(
                    session, SYSTEM, sent.organization_id, pf, "request", row.source
                )
            except (InvalidInput, Conflict) as exc:
                problems.append(f"pfs[{k}]: {exc.message}")
                continue
            sent.imported = [*sent.imported, kept.id]
        sent.error = "; ".join(problems)[:2000] or None
    audit.record(
        session,
        SYSTEM,
        "pact.request_answered",
        sent,
        organization_id=sent.organization_id,
        details={"status": sent.status, "imported": sent.imported, "event_id": row.event_id},
    )
