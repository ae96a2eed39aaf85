"""Webhooks: an organization's HTTPS endpoints called when something its integration waits
for happens — a data request received or answered, a result changed, a declaration verified
or published.

An event is recorded in the transaction of the change itself (`emit`, one delivery row per
endpoint that wants it), so a change that rolls back sends nothing and a committed change
always has its deliveries; they leave after the commit, from the background
(services/notify/webhook_delivery.py). Each body is signed with the endpoint's secret: the header
`Tanlian-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The secret is stored
encrypted (the HMAC needs it) and shown once. Addresses follow the partner connections' rules
(footprint_platform/outbound.py): HTTPS, public addresses only, checked when saved and at
every connection. An event carries ids and the receiving organization's own figures only,
nothing another organization could not already see.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.parse
import uuid
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform import outbound, sealed
from footprint_platform.errors import InvalidInput
from footprint_platform.models import (
    DataRequest,
    Declaration,
    Product,
    ProductResult,
    RollupRun,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from footprint_platform.policy import Action, Actor, authorize
from footprint_platform.services.catalogue import audit, records

REQUEST_RECEIVED = "request.received"
REQUEST_ANSWERED = "request.answered"
RESULT_CHANGED = "result.changed"
DECLARATION_VERIFIED = "declaration.verified"
DECLARATION_PUBLISHED = "declaration.published"
EVENTS = (
    REQUEST_RECEIVED,
    REQUEST_ANSWERED,
    RESULT_CHANGED,
    DECLARATION_VERIFIED,
    DECLARATION_PUBLISHED,
)
SIGNATURE_HEADER = "Tanlian-Signature"
MAX_ENDPOINTS = 10  # per organization
QUEUED = "webhook_deliveries"  # session.info key: ids to hand to the background on commit


# -- endpoints ---------------------------------------------------------------------------------


def _check_url(url: str) -> str:
    url = url.strip()
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        host, parts = "", urllib.parse.urlsplit("")
    if parts.scheme.lower() != "https" or not host or len(url) > 300:
        msg = str(
            _l("Give your endpoint's address starting with https:// (at most 300 characters).")
        )
        raise InvalidInput(msg, {"url": [msg]})
    try:
        outbound.check_url(url, outbound.allow_private())
    except outbound.AddressRefused as refused:
        msg = refused.label()
        raise InvalidInput(msg, {"url": [msg]}) from None
    return url


def _check_events(events: list[str]) -> list[str]:
    chosen = [e for e in EVENTS if e in set(events)]
    unknown = set(events) - set(EVENTS)
    if unknown or not chosen:
        msg = str(_l("Choose one or more events: %(events)s.", events=", ".join(EVENTS)))
        raise InvalidInput(msg, {"events": [msg]})
    return chosen


def create_endpoint(
    session: Session, actor: Actor, organization_id: int, url: str, events: list[str]
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its signing secret, which is never shown again."""
    authorize(actor, Action.MANAGE_WEBHOOKS, organization_id)
    errors: dict[str, list[str]] = {}
    for check, value in ((_check_url, url), (_check_events, events)):
        try:
            check(value)  # type: ignore[operator]
        except InvalidInput as exc:
            errors.update(exc.errors)
    if len(session.scalars(active_query(organization_id)).all()) >= MAX_ENDPOINTS:
        errors.setdefault("url", []).append(
            str(_l("At most %(n)s endpoints per organization.", n=MAX_ENDPOINTS))
        )
    if errors:
        raise InvalidInput(str(_l("Some fields are invalid.")), errors)
    secret = "whsec_" + secrets.token_urlsafe(32)
    made = WebhookEndpoint(
        organization_id=organization_id,
        url=url.strip(),
        events=_check_events(events),
        secret_sealed=sealed.seal(secret),
        created_by_id=actor.user_id,
    )
    session.add(made)
    session.flush()
    audit.record(
        session,
        actor,
        "webhook.create",
        made,
        organization_id=organization_id,
        details={"url": made.url[:200], "events": made.events},
    )
    session.commit()
    return made, secret


def get_endpoint(session: Session, actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    missing = str(_l("No such webhook endpoint."))
    return records.record_for(
        session, actor, WebhookEndpoint, endpoint_id, Action.MANAGE_WEBHOOKS, missing
    )


def disable_endpoint(session: Session, actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    """Stop calling the endpoint; its deliveries still pending fail, its log stays."""
    found = get_endpoint(session, actor, endpoint_id)
    if found.disabled_at is None:
        found.disabled_at = utcnow()
        audit.record(session, actor, "webhook.delete", found, organization_id=found.organization_id)
        session.commit()
    return found


def endpoints(session: Session, actor: Actor, organization_id: int) -> list[WebhookEndpoint]:
    authorize(actor, Action.MANAGE_WEBHOOKS, organization_id)
    return list(session.scalars(active_query(organization_id)))


def active_query(organization_id: int) -> Any:
    return (
        select(WebhookEndpoint)
        .where(
            WebhookEndpoint.organization_id == organization_id,
            WebhookEndpoint.disabled_at.is_(None),
        )
        .order_by(WebhookEndpoint.id)
    )


def deliveries_query(
    session: Session, actor: Actor, organization_id: int, limit: int = 50
) -> list[WebhookDelivery]:
    """The organization's newest deliveries: the delivery log."""
    authorize(actor, Action.MANAGE_WEBHOOKS, organization_id)
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.organization_id == organization_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


# -- signing -----------------------------------------------------------------------------------


def body_bytes(delivery: WebhookDelivery) -> bytes:
    """The exact bytes sent (and signed)."""
    return json.dumps(delivery.body, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: `t=<timestamp>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
    The timestamp is signed too, so a receiver can refuse an old body replayed."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


# -- events ------------------------------------------------------------------------------------


def _subscribed(session: Session, organization_ids: set[int], kind: str) -> list[WebhookEndpoint]:
    if not organization_ids:
        return []
    found = session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.organization_id.in_(organization_ids),
            WebhookEndpoint.disabled_at.is_(None),
        )
    )
    return [e for e in found if kind in e.events]


def emit(session: Session, organization_id: int | None, kind: str, data: dict[str, Any]) -> int:
    """Record the event for each of the organization's endpoints that wants it, in the caller's
    transaction; the deliveries leave once it commits. Returns how many were made."""
    if organization_id is None:
        return 0
    endpoints = _subscribed(session, {organization_id}, kind)
    for endpoint in endpoints:
        event_id = str(uuid.uuid4())
        body = {
            "id": event_id,
            "type": kind,
            "created": utcnow().isoformat(),
            "organization_id": organization_id,
            "data": data,
        }
        made = WebhookDelivery(
            endpoint_id=endpoint.id,
            organization_id=organization_id,
            event=kind,
            event_id=event_id,
            body=body,
            status="pending",
            attempts=0,
            next_attempt_at=utcnow(),
        )
        session.add(made)
        session.flush()
        session.info.setdefault(QUEUED, []).append(made.id)
    return len(endpoints)


def request_received(session: Session, request: DataRequest) -> None:
    emit(session, request.supplier_id, REQUEST_RECEIVED, _request_data(request))


def request_answered(session: Session, request: DataRequest) -> None:
    emit(session, request.buyer_id, REQUEST_ANSWERED, _request_data(request))


def _request_data(request: DataRequest) -> dict[str, Any]:
    return {
        "request_id": request.id,
        "buyer_id": request.buyer_id,
        "supplier_id": request.supplier_id,
        "product_id": request.product_id,
        "part_number": request.part_number,
        "period_start": request.period_start.isoformat(),
        "period_end": request.period_end.isoformat(),
        "status": request.status.value,
    }


def declaration_event(session: Session, d: Declaration, kind: str) -> None:
    emit(
        session,
        d.organization_id,
        kind,
        {
            "declaration_id": d.id,
            "public_id": d.public_id,
            "product_id": d.product_id,
            "period_start": d.period_start.isoformat(),
            "period_end": d.period_end.isoformat(),
            "version": d.version,
            "status": d.status.value,
            "content_hash": d.content_hash,
        },
    )


def results_changed(session: Session, run: RollupRun) -> None:
    """After a recompute stored `run`: one event per subscribed organization whose products'
    totals in the run differ from their previous result of the period. Only subscribers'
    products are compared, so a recompute with no subscriber costs one query."""
    kind = RESULT_CHANGED
    subscribers = {
        e.organization_id
        for e in session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.disabled_at.is_(None))
        )
        if kind in e.events
    }
    if not subscribers:
        return
    rows = session.execute(
        select(ProductResult, Product.organization_id)
        .join(Product, Product.id == ProductResult.product_id)
        .where(ProductResult.run_id == run.id, Product.organization_id.in_(subscribers))
        .order_by(ProductResult.product_id)
    ).all()
    changed: dict[int, list[dict[str, Any]]] = {}
    for result, organization_id in rows:
        before = _previous_total(session, result, run.period_start, run.period_end)
        if before is None or before != result.total:
            changed.setdefault(organization_id, []).append(
                {
                    "product_id": result.product_id,
                    "total": str(result.total),
                    "previous_total": None if before is None else str(before),
                }
            )
    for organization_id, products in changed.items():
        emit(session, organization_id, kind, _period_data(run, products))


def _period_data(run: RollupRun, products: list[dict[str, Any]]) -> dict[str, Any]:
    start, end = run.period_start, run.period_end
    return {"period": _period(start, end), "run_id": run.id, "products": products}


def _period(start: date, end: date) -> str:
    return f"{start.isoformat()}/{end.isoformat()}"


def _previous_total(session: Session, result: ProductResult, start: date, end: date) -> Any:
    return session.scalar(
        select(ProductResult.total)
        .join(RollupRun, RollupRun.id == ProductResult.run_id)
        .where(
            ProductResult.product_id == result.product_id,
            ProductResult.id < result.id,
            RollupRun.period_start == start,
            RollupRun.period_end == end,
        )
        .order_by(ProductResult.id.desc())
        .limit(1)
    )
