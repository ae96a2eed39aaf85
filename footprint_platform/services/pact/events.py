"""PACT v3 events (Tech Specs 3.0.3, `POST /3/events`; docs/specs/pact.md §4): what a
partner's client posts to us, and what we post back to partners.

Received (validated here, answered 200 by the route at once; nothing is sent from the request):
- RequestCreatedEvent: becomes a data request in the data owner's inbox, the partner as
  requester, its criteria and comment kept with the event. Then, decided at once:
  * published footprints the owner already shares with the partner match the criteria: the
    request is answered automatically with them (PACT's conformance tool waits ~30 s for TC13,
    and the owner decided to share them already);
  * it can never be served (a productId or companyId that names nothing of the owner, as
    TC14's "urn:pact:null"): declined automatically, answered with a RequestRejectedEvent;
  * otherwise it waits in the inbox: the supplier answers (which shares the product; only its
    published footprints go) or declines (a rejection with the supplier's reason).
- PublishedEvent: kept as a notice (unknown ids are fine, TC15); a pfId that is not a UUID is
  a BadRequest (TC40).
- RequestFulfilledEvent / RequestRejectedEvent: checked and kept; one answering a request we
  sent to that partner closes it (pact.partner_requests: fulfilled footprints are imported).

Sent: each answer, and a PublishedEvent to every partner subscribed to a product (it holds an
active share of it and we hold credentials for its host) when a declaration is published, as
a `PactDelivery` row whose body is fixed when decided. A background job posts it
(services.graph.jobs: RQ when REDIS_URL is set, else a thread after the response, or `flask pact
deliver`), retrying with exponential back-off and giving up 72 hours after it was made.
Only published declarations the owner shares with that partner ever go into a body, and an
answer whose footprints are no longer shared when it is due is not sent (`cancelled`).
Catena-X's PCF Exchange API uses the same outbox (services.pact.catenax_exchange and
catenax_requests): a GET of ours (CX_ASK) and a PUT of a PCF (CX_PUSH) are deliveries too,
sent by `send` with the same credentials, back-off and cancellation.

One module because receiving a partner's event and answering it are one protocol (PACT 3.0.3
§4) whose validation and replies are read against the specification together."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.errors import InvalidInput
from footprint_platform.json_schemas import EXTENSION_SCHEMA_FILE
from footprint_platform.json_schemas import problems as schema_problems
from footprint_platform.models import (
    DataRequest,
    Declaration,
    FootprintShare,
    PactDelivery,
    PactEvent,
    Product,
    RequestStatus,
    utcnow,
)
from footprint_platform.policy import SYSTEM, Action, Actor, PactGrant, authorize
from footprint_platform.services.catalogue import audit
from footprint_platform.services.notify import notifications, webhooks
from footprint_platform.services.pact import footprint as pact
from footprint_platform.services.pact import host as pact_host
from footprint_platform.services.pact import outbound as pact_outbound
from footprint_platform.services.pact import partner_requests as pact_requests
from footprint_platform.services.pact.host import Criteria
from footprint_platform.services.pact.outbox import (
    PUBLISHED,
    REQUEST_CREATED,
    REQUEST_FULFILLED,
    REQUEST_REJECTED,
    TYPES,
    cloud_event,
    deliver,
)

LISTS = {"productid": "product_ids", "companyid": "company_ids", "geography": "geographies"}


LISTS |= {"classification": "classifications", "status": "statuses"}


MOMENTS = {"validon": "valid_on", "validafter": "valid_after", "validbefore": "valid_before"}


MAX_VALUES = 100  # per criterion; a request naming more is not a request for footprints


MAX_PF_IDS = 1000


ANSWER_DAYS = 3  # PACT: a sender gives up after 72 h, so the request is due within three days


@dataclass(frozen=True)
class Event:
    type: str
    id: str
    source: str
    time: datetime
    data: dict[str, Any]


def _bad(field: str, reason: str) -> InvalidInput:
    msg = f"{field}: {reason}"
    return InvalidInput(msg, {field: [reason]})


def _moment(field: str, value: Any) -> datetime:
    """RFC 3339 date-time with an offset, as the CloudEvents `time` and PACT's filters."""
    if not isinstance(value, str) or "T" not in value.upper():
        raise _bad(field, "must be an RFC 3339 date-time")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _bad(field, "must be an RFC 3339 date-time") from None
    if moment.tzinfo is None:
        raise _bad(field, "must be an RFC 3339 date-time with an offset")
    return moment


def _text(body: dict[str, Any], field: str, size: int) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise _bad(field, "is required (a non-empty string)")
    if len(value) > size:
        raise _bad(field, f"is longer than {size} characters")
    return value.strip()


def parse_event(body: Any) -> Event:
    """A CloudEvents 1.0 event of one of PACT's four types, checked; InvalidInput (400
    BadRequest on /3/events) naming the first field that is wrong."""
    if not isinstance(body, dict):
        raise _bad("body", "must be a JSON object (a CloudEvent)")
    kind = _text(body, "type", 100)
    if body.get("specversion") != "1.0":
        raise _bad("specversion", 'must be "1.0"')
    event_id = _text(body, "id", 200)
    source = _text(body, "source", 500)
    moment = _moment("time", body.get("time"))
    data = body.get("data")
    if not isinstance(data, dict):
        raise _bad("data", "is required (an object)")
    if kind not in TYPES:
        raise _bad("type", f"{kind[:100]} is not a PACT v3 event type")
    {
        REQUEST_CREATED: _check_request,
        PUBLISHED: _check_published,
        REQUEST_FULFILLED: _check_fulfilled,
        REQUEST_REJECTED: _check_rejected,
    }[kind](data)
    return Event(kind, event_id, source, moment, data)


def _check_request(data: dict[str, Any]) -> None:
    criteria_of(data)
    comment = data.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise _bad("data.comment", "must be a string")


def _check_published(data: dict[str, Any]) -> None:
    ids = data.get("pfIds")
    if not isinstance(ids, list) or not ids or len(ids) > MAX_PF_IDS:
        raise _bad("data.pfIds", f"must list 1 to {MAX_PF_IDS} footprint ids")
    for k, value in enumerate(ids):
        try:
            uuid.UUID(str(value))
            ok = isinstance(value, str) and len(value) == 36
        except ValueError:
            ok = False
        if not ok:
            raise _bad(f"data.pfIds[{k}]", "is not a UUID")


def _check_fulfilled(data: dict[str, Any]) -> None:
    _text(data, "requestEventId", 200)
    pfs = data.get("pfs")
    if not isinstance(pfs, list) or not pfs:
        raise _bad("data.pfs", "must list at least one ProductFootprint")
    for k, pf in enumerate(pfs):
        found = schema_problems("pact", pf)
        if found:
            raise _bad(f"data.pfs[{k}]", found[0])


def _check_rejected(data: dict[str, Any]) -> None:
    _text(data, "requestEventId", 200)
    error = data.get("error")
    if not isinstance(error, dict):
        raise _bad("data.error", "is required ({code, message})")
    _text(error, "code", 100)
    _text(error, "message", 2000)


def criteria_of(data: dict[str, Any]) -> Criteria:
    """A RequestCreatedEvent's criteria as ListFootprints' filters (same names, same meaning;
    a single string is taken as a list of one)."""
    sets: dict[str, frozenset[str]] = {}
    moments: dict[str, datetime] = {}
    for key, value in data.items():
        name = key.lower()
        if name in LISTS:
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or len(values) > MAX_VALUES:
                raise _bad(f"data.{key}", f"must be a list of at most {MAX_VALUES} strings")
            if not all(isinstance(v, str) for v in values):
                raise _bad(f"data.{key}", "must be a list of strings")
            sets[LISTS[name]] = frozenset(v.strip().lower()[:500] for v in values if v.strip())
        elif name in MOMENTS:
            moments[MOMENTS[name]] = _moment(f"data.{key}", value)
    return Criteria(**sets, **moments)


def host_url() -> str:
    """Our own address, as partners reach it: PUBLIC_BASE_URL, else the request's."""
    configured = str(current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if configured:
        return configured
    return request.root_url.rstrip("/") if has_request_context() else ""


def options_at(host: str) -> pact.Options:
    """What a footprint built outside a request names: the same as web_common.downloads.pact_options
    on a request to `host`."""
    return pact.Options(
        issuer_domain=current_app.config["PACT_ISSUER_DOMAIN"],
        extension_schema_url=f"{host}/static/{EXTENSION_SCHEMA_FILE}",
        gwp_when_unstated=current_app.config["PACT_GWP_WHEN_UNSTATED"],
    )


def receive(session: Session, actor: Actor, event: Event, host: str) -> list[int]:
    """Keep the event and act on it; returns the deliveries to queue once committed. The same
    event id from the same client a second time changes nothing."""
    grant = actor.pact
    if grant is None:
        raise InvalidInput("not a PACT client")
    authorize(actor, Action.SEND_PACT_EVENTS, grant.owner_id)
    seen = session.scalar(
        select(PactEvent.id).where(
            PactEvent.client_pk == grant.client_pk, PactEvent.event_id == event.id
        )
    )
    if seen is not None:
        return []
    row = keep_received(session, actor, grant, event, host)
    made: list[PactDelivery] = []
    if event.type == REQUEST_CREATED:
        made = _take_request(session, actor, grant, row)
    elif event.type in (REQUEST_FULFILLED, REQUEST_REJECTED):
        pact_requests.take_answer(session, grant, row)
    session.commit()
    return [d.id for d in made]


def keep_received(
    session: Session, actor: Actor, grant: PactGrant, event: Event, host: str
) -> PactEvent:
    """Keep what a partner sent (a PACT event, or a Catena-X request as one), audited, in the
    caller's transaction: the inbox, the answer and the audit trail all start from this row."""
    row = PactEvent(
        client_pk=grant.client_pk,
        owner_id=grant.owner_id,
        partner_id=grant.partner_id,
        event_id=event.id,
        type=event.type,
        source=event.source,
        time=event.time,
        data=event.data,
        host_url=host[:300],
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "pact.event_received",
        row,
        organization_id=grant.owner_id,
        details={"type": event.type, "event_id": event.id, "source": event.source[:200]},
    )
    return row


def _owner_products(session: Session, grant: PactGrant, criteria: Criteria) -> list[Product]:
    """The owner's products a request names by productId (none when it names no product)."""
    if not criteria.product_ids:
        return []
    domain = current_app.config["PACT_ISSUER_DOMAIN"]
    products = session.scalars(
        select(Product).where(Product.organization_id == grant.owner_id).order_by(Product.id)
    )
    return [
        p
        for p in products
        if criteria.product_ids & {u.lower() for u in pact.product_identifiers(p, domain)}
    ]


def _never_served(
    session: Session, grant: PactGrant, criteria: Criteria, named: list[Product]
) -> bool:
    domain = current_app.config["PACT_ISSUER_DOMAIN"]
    company = pact.urn(domain, "company-id", grant.owner_id).lower()
    if criteria.company_ids and company not in criteria.company_ids:
        return True
    return bool(criteria.product_ids) and not named


def inbox_request(
    session: Session,
    actor: Actor,
    grant: PactGrant,
    row: PactEvent,
    product: Product | None,
    part_number: str,
    message: str | None,
    found: list[Declaration],
    answered: list[Declaration],
    details: dict[str, Any],
) -> DataRequest:
    """A partner's request (a PACT event, or a Catena-X GET kept as one) as a data request in
    the owner's inbox, audited and told to its webhooks; answered at once, and audited as such,
    when `answered` holds the shared published footprints that match."""
    now = utcnow()
    start, end = answer_period(found, now.date())
    req = DataRequest(
        buyer_id=grant.partner_id,
        supplier_id=grant.owner_id,
        product_id=product.id if product else None,
        part_number=part_number[:64],
        period_start=start,
        period_end=end,
        due_date=now.date() + timedelta(days=ANSWER_DAYS),
        message=message,
        status=RequestStatus.PENDING,
        pact_event_id=row.id,
    )
    session.add(req)
    session.flush()
    audit.record(
        session, actor, "request.create", req, organization_id=grant.owner_id, details=details
    )
    webhooks.request_received(session, req)  # answered automatically or not, it came in
    if answered:
        req.status, req.closed_at = RequestStatus.ANSWERED, now
        audit.record(
            session,
            SYSTEM,
            "request.answer_automatic",
            req,
            organization_id=grant.owner_id,
            details={"pf_ids": [d.public_id for d in answered]},
        )
    return req


def _take_request(
    session: Session, actor: Actor, grant: PactGrant, row: PactEvent
) -> list[PactDelivery]:
    criteria = criteria_of(row.data)
    now = utcnow()
    named = _owner_products(session, grant, criteria)
    found = matching(session, grant, criteria, now)
    product = found[0].product if found else (named[0] if len(named) == 1 else None)
    comment = row.data.get("comment")
    req = inbox_request(
        session,
        actor,
        grant,
        row,
        product,
        product.part_number if product else _first_id(criteria),
        comment.strip()[:2000] if isinstance(comment, str) and comment.strip() else None,
        found,
        found,
        {"over": "pact", "event_id": row.event_id, "criteria": criteria.summary()},
    )
    if found:
        return [_fulfilled(session, row, req, found)]
    if _never_served(session, grant, criteria, named):
        reason = "No footprint of ours matches the requested productId or companyId."
        req.status, req.closed_at, req.decline_reason = RequestStatus.DECLINED, now, reason
        audit.record(
            session, SYSTEM, "request.decline_automatic", req, organization_id=grant.owner_id
        )
        return [_rejected(session, row, req, "NotFound", reason)]
    # left for a person to answer: the supplier's members hear of it like any request
    notifications.record(session, notifications.REQUEST_RECEIVED, [grant.owner_id], req.id)
    return []


def _first_id(criteria: Criteria) -> str:
    return min(criteria.product_ids) if criteria.product_ids else "PACT"


def answer_period(found: list[Declaration], today: date) -> tuple[date, date]:
    """The footprints' reference period, else the last calendar year (what a request for this
    year's PCF data usually concerns)."""
    if found:
        return min(d.period_start for d in found), max(d.period_end for d in found)
    return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)


def matching(
    session: Session,
    grant: PactGrant,
    criteria: Criteria,
    now: datetime,
    product_id: int | None = None,
) -> list[Declaration]:
    """The owner's published declarations, shared with the partner now, that match the
    criteria (current ones only unless the criteria ask for a status)."""
    domain = current_app.config["PACT_ISSUER_DOMAIN"]
    stmt = pact_host.visible(grant, now).order_by(Declaration.id)
    if product_id is not None:
        stmt = stmt.where(Declaration.product_id == product_id)
    out = []
    for d in pact_host.expressible(session.scalars(stmt)):
        f = pact_host.facets(d, domain)
        if not criteria.statuses and f.status != "active":
            continue
        if pact_host.matches(f, criteria):
            out.append(d)
    return out


def grant_of(req: DataRequest) -> PactGrant:
    assert req.pact_event is not None and req.supplier_id is not None
    return PactGrant(req.pact_event.client_pk, req.supplier_id, req.buyer_id)


def answer_deliveries(session: Session, req: DataRequest) -> list[PactDelivery]:
    """The supplier answered a PACT request (the product is shared by now): the published
    footprints of that product that fit the request's criteria (other than which product and
    company it named: the supplier chose the product), in a RequestFulfilledEvent."""
    assert req.pact_event is not None and req.product_id is not None
    event = req.pact_event
    wanted = criteria_of(event.data)
    criteria = Criteria(
        geographies=wanted.geographies,
        classifications=wanted.classifications,
        statuses=wanted.statuses,
        valid_on=wanted.valid_on,
        valid_after=wanted.valid_after,
        valid_before=wanted.valid_before,
    )
    session.flush()
    found = matching(session, grant_of(req), criteria, utcnow(), req.product_id)
    if not found:
        msg = str(
            _l(
                "This request came over PACT: the partner receives published footprints only. "
                "Publish a declaration of this product for the requested period first."
            )
        )
        raise InvalidInput(msg, {"submission_id": [msg]})
    return [_fulfilled(session, event, req, found)]


def decline_deliveries(session: Session, req: DataRequest) -> list[PactDelivery]:
    assert req.pact_event is not None
    reason = f"The data owner declined: {req.decline_reason or ''}"[:2000]
    return [_rejected(session, req.pact_event, req, "AccessDenied", reason)]


def _fulfilled(
    session: Session, event: PactEvent, req: DataRequest, found: list[Declaration]
) -> PactDelivery:
    options = options_at(event.host_url)
    pfs = [pact_host.footprint(session, d, options) for d in found]
    body = cloud_event(
        REQUEST_FULFILLED, event.host_url, {"requestEventId": event.event_id, "pfs": pfs}
    )
    target = pact_outbound.events_url(event.source)
    return deliver(session, event.owner_id, event.partner_id, req, target, body)


def _rejected(
    session: Session, event: PactEvent, req: DataRequest, code: str, message: str
) -> PactDelivery:
    data = {"requestEventId": event.event_id, "error": {"code": code, "message": message}}
    body = cloud_event(REQUEST_REJECTED, event.host_url, data)
    target = pact_outbound.events_url(event.source)
    return deliver(session, event.owner_id, event.partner_id, req, target, body)


def announce(session: Session, d: Declaration) -> list[int]:
    """A declaration was just published: a PublishedEvent (its id and the one it deprecates)
    to every partner subscribed to the product. Returns the deliveries to queue."""
    ids = [d.public_id, *pact.preceding_ids(session, d)[:1]]
    host = host_url()
    made = []
    shares = session.scalars(
        select(FootprintShare).where(
            FootprintShare.product_id == d.product_id,
            FootprintShare.organization_id == d.organization_id,
            FootprintShare.revoked_at.is_(None),
        )
    )
    for share in shares:
        credential = pact_outbound.usable_credential(session, d.organization_id, share.buyer_id)
        if credential is None:
            continue
        body = cloud_event(PUBLISHED, host, {"pfIds": ids})
        target = credential.base_url + pact_outbound.EVENTS_PATH
        made.append(deliver(session, d.organization_id, share.buyer_id, None, target, body))
    session.commit()
    return [m.id for m in made]
