"""Catena-X PCF Exchange API 1.3.0 (CX-0136 3.0.0), provider side: a partner asks with
`GET /catenax/footprintExchange/{requestId}` (answered 202) and we push the PCF later with
`PUT {its callback}/footprintExchange/{requestId}` (docs/specs/catena-x.md).

Nothing here is new machinery. The partner is the PACT client its data owner issued (same
tokens, same shares, same audit); its PCF Exchange address is configured on that client by the
owner (`PactClient.catenax_callback_url`, checked by footprint_platform.outbound's rules). A
request is kept as a PactEvent (type CX_REQUEST, `event_id` the requestId, unique per partner,
so asking twice changes nothing) and becomes a data request in the owner's inbox exactly like a
PACT RequestCreatedEvent: answered at once when the owner already shares a published footprint
of the product with the partner, else left for a person. The answer is a PactDelivery of type
CX_PUSH, sent from the background with PACT's back-off and 72-hour give-up, cancelled if the
footprint is no longer shared when it is due; its body is the PCF in the version negotiated
when the request came, checked against that version's schema before it is queued.

The API has no rejection message: a declined request stays unanswered at the partner's side;
the owner's decline and its reason are recorded in the inbox and the audit log only.
A declaration published later for a product a partner asked about is pushed to it again, as an
update (`?update=true`, same requestId), without a new request.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.errors import DomainError, InvalidInput
from footprint_platform.models import (
    DataRequest,
    Declaration,
    Organization,
    PactClient,
    PactDelivery,
    PactEvent,
    Product,
    RequestStatus,
    utcnow,
)
from footprint_platform.policy import Action, Actor, PactGrant, authorize
from footprint_platform.services.catalogue import audit
from footprint_platform.services.notify import notifications
from footprint_platform.services.pact import catenax
from footprint_platform.services.pact import clients as pact_clients
from footprint_platform.services.pact import events as pact_events
from footprint_platform.services.pact import footprint as pact
from footprint_platform.services.pact import host as pact_host
from footprint_platform.services.pact import outbound as pact_outbound
from footprint_platform.services.pact import outbox as pact_outbox
from footprint_platform.services.pact.host import Criteria

PATH = "/footprintExchange/"
# A requestId goes into our answer's URL path: a UUID in CX-0136's examples; we take any
# token of letters, digits and . _ : - up to 100 characters, nothing that changes the path.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
MAX_PART_ID = 200
MAX_MESSAGE = 2000
PART_PARAMS = ("manufacturerPartId", "customerPartId")


class NoCallback(DomainError):
    """The partner's PCF Exchange address is not configured: an answer could never reach it."""

    status = 400
    code = "bad_request"


@dataclass(frozen=True)
class Query:
    request_id: str
    manufacturer_part_id: str | None
    customer_part_id: str | None
    message: str | None
    asked_version: str | None
    version: str  # negotiated: 9.0.0 for a legacy request


def _bad(field: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{field}: {reason}", {field: [reason]})


def parse_query(request_id: str, args: Any) -> Query:
    """The request's parameters, checked; InvalidInput (400) naming the first one that is
    wrong, Unservable (422) for a data model version we cannot serve."""
    if not REQUEST_ID.match(request_id):
        raise _bad("requestId", "must be 1 to 100 letters, digits or . _ : - (a UUID, say)")
    parts: dict[str, str | None] = {}
    for name in PART_PARAMS:
        value = (args.get(name) or "").strip()
        if len(value) > MAX_PART_ID:
            raise _bad(name, f"is longer than {MAX_PART_ID} characters")
        parts[name] = value or None
    if not any(parts.values()):
        raise _bad("manufacturerPartId", "give manufacturerPartId or customerPartId (or both)")
    message = (args.get("message") or "").strip()
    if len(message) > MAX_MESSAGE:
        raise _bad("message", f"is longer than {MAX_MESSAGE} characters")
    asked = args.get("dataModelVersion")
    return Query(
        request_id=request_id,
        manufacturer_part_id=parts["manufacturerPartId"],
        customer_part_id=parts["customerPartId"],
        message=message or None,
        asked_version=asked.strip()[:100] if asked and asked.strip() else None,
        version=catenax.negotiate(asked),
    )


def receive(session: Session, actor: Actor, query: Query, host: str) -> list[int]:
    """Keep the partner's request and put it in the owner's inbox; returns the deliveries to
    queue once committed. The same requestId from the same partner again changes nothing."""
    grant = actor.pact
    if grant is None:
        raise InvalidInput("not a PACT client")
    authorize(actor, Action.SEND_PACT_EVENTS, grant.owner_id)
    client = session.get(PactClient, grant.client_pk)
    assert client is not None
    if not client.catenax_callback_url:
        raise NoCallback(  # to a partner's system: in English, as PACT's error messages
            "The data owner has not configured your PCF Exchange address, so no answer could "
            "reach you; ask it to add the address to your PACT client."
        )
    seen = session.scalar(
        select(PactEvent.id).where(
            PactEvent.owner_id == grant.owner_id,
            PactEvent.partner_id == grant.partner_id,
            PactEvent.type == pact_outbox.CX_REQUEST,
            PactEvent.event_id == query.request_id,
        )
    )
    if seen is not None:
        return []
    owner = session.get(Organization, grant.owner_id)
    assert owner is not None
    catenax.check_servable(owner.bpnl, query.version, owner.display_name("en"))
    product = _product(session, grant, query)
    asked = pact_events.Event(
        type=pact_outbox.CX_REQUEST,
        id=query.request_id,
        source=client.catenax_callback_url,
        time=utcnow(),
        data=_data(query),
    )
    row = pact_events.keep_received(session, actor, grant, asked, host)
    made = _take_request(session, actor, grant, row, product)
    session.commit()
    return [d.id for d in made]


def _data(query: Query) -> dict[str, Any]:
    data: dict[str, Any] = {"requestId": query.request_id, "dataModelVersion": query.version}
    for key, value in (
        ("manufacturerPartId", query.manufacturer_part_id),
        ("customerPartId", query.customer_part_id),
        ("message", query.message),
        ("askedDataModelVersion", query.asked_version),
    ):
        if value:
            data[key] = value
    return data


def _product(session: Session, grant: PactGrant, query: Query) -> Product | None:
    """The owner's product the part ids name: by our part number or one of its PACT product
    ids. Tanlian keeps no customer part numbers, so a customerPartId matches only when it is
    one of ours; otherwise the owner picks the product when answering."""
    wanted = {
        v.lower() for v in (query.manufacturer_part_id, query.customer_part_id) if v is not None
    }
    domain = current_app.config["PACT_ISSUER_DOMAIN"]
    products = session.scalars(
        select(Product).where(Product.organization_id == grant.owner_id).order_by(Product.id)
    )
    for p in products:
        names = {p.part_number.lower(), *(u.lower() for u in pact.product_identifiers(p, domain))}
        if wanted & names:
            return p
    return None


def _take_request(
    session: Session, actor: Actor, grant: PactGrant, row: PactEvent, product: Product | None
) -> list[PactDelivery]:
    now = utcnow()
    found = pact_events.matching(session, grant, Criteria(), now, product.id) if product else []
    data = row.data
    named = data.get("manufacturerPartId") or data.get("customerPartId") or "Catena-X"
    req = pact_events.inbox_request(
        session,
        actor,
        grant,
        row,
        product,
        product.part_number if product else named,
        data.get("message"),
        found,
        found[-1:],  # one PCF answers a Catena-X request: the newest
        {"over": "catena-x", "request_id": row.event_id, "query": data},
    )
    if found:
        return [push(session, row, req, found[-1])]
    notifications.record(session, notifications.REQUEST_RECEIVED, [grant.owner_id], req.id)
    return []


def push(
    session: Session, event: PactEvent, req: DataRequest, d: Declaration, update: bool = False
) -> PactDelivery:
    """A PUT of declaration `d` as the PCF answering (or updating) the partner's request, in
    the version negotiated when it asked; schema-checked now, sent from the background."""
    options = pact_events.options_at(event.host_url)
    pf = pact_host.footprint(session, d, options)
    body = catenax.render(d, pf, event.data["dataModelVersion"])
    target = (
        event.source.rstrip("/")
        + PATH
        + urllib.parse.quote(event.event_id, safe="")
        + ("?update=true" if update else "")
    )
    return pact_outbox.deliver(
        session, event.owner_id, event.partner_id, req, target, body, pact_outbox.CX_PUSH
    )


def answer_deliveries(session: Session, req: DataRequest) -> list[PactDelivery]:
    """The owner answered a Catena-X request (the product is shared by now): its newest
    published footprint of that product goes to the partner."""
    assert req.pact_event is not None and req.product_id is not None
    session.flush()
    found = pact_events.matching(
        session, pact_events.grant_of(req), Criteria(), utcnow(), req.product_id
    )
    if not found:
        msg = str(
            _l(
                "This request came over Catena-X: the partner receives published footprints "
                "only. Publish a declaration of this product for the requested period first."
            )
        )
        raise InvalidInput(msg, {"submission_id": [msg]})
    return [push(session, req.pact_event, req, found[-1])]


def push_updates(session: Session, d: Declaration) -> list[int]:
    """A declaration was just published: every partner whose Catena-X request for this product
    was answered gets it as an update (`update=true`, same requestId), if it is shared with
    it. Returns the deliveries to queue."""
    asked = session.scalars(
        select(DataRequest)
        .join(PactEvent, PactEvent.id == DataRequest.pact_event_id)
        .where(
            DataRequest.supplier_id == d.organization_id,
            DataRequest.product_id == d.product_id,
            DataRequest.status == RequestStatus.ANSWERED,
            PactEvent.type == pact_outbox.CX_REQUEST,
        )
        .order_by(DataRequest.id)
    ).all()
    made = []
    now = utcnow()
    for req in asked:
        shared = pact_events.matching(
            session, pact_events.grant_of(req), Criteria(), now, d.product_id
        )
        if d in shared:
            assert req.pact_event is not None
            made.append(push(session, req.pact_event, req, d, update=True))
    session.commit()
    return [m.id for m in made]


def set_callback(
    session: Session, actor: Actor, owner_id: int, client_pk: int, url: str
) -> PactClient:
    """The owner configures (or clears, with an empty url) where the partner's PCF Exchange
    answers go: an https address on the public internet (footprint_platform.outbound)."""
    client = pact_clients._owned(session, actor, owner_id, client_pk)
    value = pact_outbound._check_url(url, "catenax_callback_url") if url.strip() else None
    client.catenax_callback_url = value
    audit.record(
        session,
        actor,
        "pact_client.catenax_callback",
        client,
        organization_id=owner_id,
        details={"catenax_callback_url": value},
    )
    session.commit()
    return client
