"""What Tanlian sends to partners over PACT and Catena-X, as rows of the delivery outbox: the
event types, a CloudEvent of ours, and the pending `PactDelivery` that services.pact.sending
later posts. Below both the events we receive and the requests we make, so neither imports
the other to send."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from footprint_platform.models import (
    DataRequest,
    PactDelivery,
    utcnow,
)
from footprint_platform.policy import SYSTEM
from footprint_platform.services.catalogue import audit
from footprint_platform.services.pact import footprint as pact

PREFIX = "org.wbcsd.pact.ProductFootprint."


REQUEST_CREATED = PREFIX + "RequestCreatedEvent.3"


REQUEST_FULFILLED = PREFIX + "RequestFulfilledEvent.3"


REQUEST_REJECTED = PREFIX + "RequestRejectedEvent.3"


PUBLISHED = PREFIX + "PublishedEvent.3"


TYPES = (REQUEST_CREATED, REQUEST_FULFILLED, REQUEST_REJECTED, PUBLISHED)


# Catena-X PCF Exchange API 1.3.0 (services.pact.catenax_exchange): a partner's
# `GET /footprintExchange/{requestId}` kept as a PactEvent of this type, and the calls we make
# through the same delivery outbox (a GET of ours asking, a PUT pushing a PCF).
CX_REQUEST = "io.catenax.pcf.FootprintExchangeRequest"


CX_ASK = "io.catenax.pcf.FootprintExchange.GET"


CX_PUSH = "io.catenax.pcf.FootprintExchange.PUT"


def request_event(host: str, data: dict[str, Any]) -> dict[str, Any]:
    """A RequestCreatedEvent of ours, its answer to come to `host`'s /3/events."""
    return cloud_event(REQUEST_CREATED, host, data)


def cloud_event(kind: str, host: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": kind,
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": f"{host}/3/events",
        "time": pact.timestamp(utcnow()),
        "data": data,
    }


def deliver(
    session: Session,
    organization_id: int,
    partner_id: int | None,
    req: DataRequest | None,
    target: str,
    body: dict[str, Any],
    kind: str | None = None,
) -> PactDelivery:
    """A pending delivery of `body` to `target`. A CloudEvent names its type and id; a
    Catena-X call (`kind` CX_ASK or CX_PUSH, its body a PCF or nothing) gets a fresh id."""
    kind = kind or body["type"]
    event_id = body["id"] if kind in TYPES else str(uuid.uuid4())
    delivery = PactDelivery(
        organization_id=organization_id,
        partner_id=partner_id,
        request_id=req.id if req else None,
        type=kind,
        event_id=event_id,
        target_url=target[:500],
        body=body,
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
    )
    session.add(delivery)
    session.flush()
    audit.record(
        session,
        SYSTEM,
        "pact.event_queued",
        delivery,
        organization_id=organization_id,
        details={"type": kind, "event_id": event_id, "target": target[:200]},
    )
    return delivery
