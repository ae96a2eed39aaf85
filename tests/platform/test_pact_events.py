"""PACT events (services.pact.events, POST /3/events): what is checked, what becomes a data
request, the supplier answering in the inbox with the answer posted back to the requester (a
second Tanlian instance over HTTPS, acting as the partner's host), retries with back-off on a
fake clock, announcements on publication, confidentiality and the audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from footprint_platform.demo_pact import demo_pact_logins
from footprint_platform.extensions import db
from footprint_platform.models import (
    AuditEvent,
    DataRequest,
    Declaration,
    FootprintShare,
    MemberRole,
    Organization,
    OrgRole,
    PactClient,
    PactCredential,
    PactDelivery,
    PactEvent,
    Product,
    RequestStatus,
    Submission,
    SubmissionStatus,
)
from footprint_platform.policy import Actor
from footprint_platform.services import workflow
from footprint_platform.services.disclosure import declarations
from footprint_platform.services.pact import clients as pact_clients
from footprint_platform.services.pact import delivery as pact_delivery
from footprint_platform.services.pact import outbound as pact_outbound
from footprint_platform.services.pact import outbox as pact_outbox
from footprint_platform.services.pact import sending as pact_sending
from footprint_platform.services.pact.outbound import PartnerUnreachable
from tests.conftest import Session
from tests.platform.conftest import https_server
from tests.platform.demo_ids import admin_actor
from tests.platform.test_pact_host import _bearer, _token

pytestmark = pytest.mark.postgres

OWNER, PARTNER, CLIENT_ID, SECRET = demo_pact_logins()[0]
OWNER_ADMIN = "data@zhujiang-electrolyte.example"
DOMAIN = "tanlian.example"
CREATED = pact_outbox.REQUEST_CREATED


def _event(kind: str = CREATED, data: Any = None, **fields: Any) -> dict[str, Any]:
    body = {
        "type": kind,
        "specversion": "1.0",
        "id": fields.pop("id", str(uuid.uuid4())),
        "source": "https://partner.example",
        "time": "2026-03-01T08:00:00Z",
        "data": {"productId": ["urn:pact:null"]} if data is None else data,
    }
    body.update(fields)
    return body


@pytest.fixture
def partner(demo_app: Flask) -> Any:
    """The demo partner's client: post an event with its token."""
    client = demo_app.test_client()
    token = _token(client)

    def post(body: Any, **kw: Any) -> Any:
        headers = {**_bearer(token), "Content-Type": "application/cloudevents+json"}
        headers.update(kw.pop("headers", {}))
        return client.post("/3/events", json=body, headers=headers, **kw)

    return post


def _urn(part: str) -> str:
    product = db.session.scalar(select(Product).where(Product.part_number == part))
    return f"urn:pact:{DOMAIN}:supplier-id:{product.organization_id}:{part}"


def _submitted(product_id: int) -> Submission:
    """The product's submitted submission (within an app context)."""
    return db.session.scalars(
        select(Submission).where(
            Submission.product_id == product_id,
            Submission.status == SubmissionStatus.SUBMITTED,
        )
    ).one()


def _request(event_id: str) -> DataRequest:
    return db.session.scalars(
        select(DataRequest).join(PactEvent).where(PactEvent.event_id == event_id)
    ).one()


def _deliveries(request_id: int | None = None) -> list[PactDelivery]:
    stmt = select(PactDelivery).order_by(PactDelivery.id)
    if request_id is not None:
        stmt = stmt.where(PactDelivery.request_id == request_id)
    return list(db.session.scalars(stmt))


def _revoke_share(part: str) -> None:
    """Stop sharing the product with the PACT partner (its demo customers keep theirs)."""
    admin = admin_actor(OWNER_ADMIN)
    partner_id = select(Organization.id).where(Organization.name_en == PARTNER)
    share = db.session.scalars(
        select(FootprintShare)
        .join(Product)
        .where(
            Product.part_number == part,
            FootprintShare.buyer_id == partner_id.scalar_subquery(),
            FootprintShare.revoked_at.is_(None),
        )
    ).one()
    workflow.revoke(db.session, admin, share.id)


# -- the endpoint: what is checked -------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda e: e.pop("type"), "type"),
        (lambda e: e.update(type="org.example.Unknown.1"), "type"),
        (lambda e: e.update(specversion="0.3"), "specversion"),
        (lambda e: e.pop("id"), "id"),
        (lambda e: e.update(id=""), "id"),
        (lambda e: e.pop("source"), "source"),
        (lambda e: e.pop("time"), "time"),
        (lambda e: e.update(time="yesterday"), "time"),
        (lambda e: e.update(time="2026-03-01T08:00:00"), "time"),
        (lambda e: e.pop("data"), "data"),
        (lambda e: e.update(data=["x"]), "data"),
        (lambda e: e.update(data={"productId": [1]}), "productId"),
        (lambda e: e.update(data={"validOn": "2026"}), "validOn"),
        (
            lambda e: e.update(
                type=pact_outbox.PUBLISHED, data={"pfIds": ["urn:gtin:4712345060507"]}
            ),
            "pfIds",
        ),
        (lambda e: e.update(type=pact_outbox.PUBLISHED, data={"pfIds": []}), "pfIds"),
        (
            lambda e: e.update(type=pact_outbox.REQUEST_FULFILLED, data={"pfs": []}),
            "requestEventId",
        ),
        (
            lambda e: e.update(
                type=pact_outbox.REQUEST_FULFILLED, data={"requestEventId": "1", "pfs": [{}]}
            ),
            "pfs[0]",
        ),
        (
            lambda e: e.update(
                type=pact_outbox.REQUEST_REJECTED, data={"requestEventId": "1", "error": {}}
            ),
            "code",
        ),
    ],
)
def test_an_invalid_event_is_a_bad_request_naming_the_field(
    demo_app: Flask, partner: Any, change: Any, named: str
) -> None:
    body = _event()
    change(body)
    response = partner(body)
    assert response.status_code == 400
    assert response.get_json()["code"] == "BadRequest"
    assert named in response.get_json()["message"]
    with demo_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PactEvent)) == 0


def test_not_json_or_another_media_type_is_a_bad_request(demo_app: Flask, partner: Any) -> None:
    assert (
        partner(None, data="{not json", headers={"Content-Type": "application/json"}).status_code
        == 400
    )
    response = partner(None, data="x=1", headers={"Content-Type": "text/plain"})
    assert response.status_code == 400 and response.get_json()["code"] == "BadRequest"


def test_a_valid_event_is_200_with_an_empty_body_and_kept_once(
    demo_app: Flask, partner: Any
) -> None:
    body = _event(pact_outbox.PUBLISHED, {"pfIds": [str(uuid.uuid4())]}, id="notice-1")
    for _ in range(2):  # the same event again: accepted, kept once
        response = partner(body)
        assert response.status_code == 200 and response.get_data() == b""
    response = partner(body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    with demo_app.app_context():
        kept = db.session.scalars(select(PactEvent)).all()
        assert [(e.type, e.event_id) for e in kept] == [(pact_outbox.PUBLISHED, "notice-1")]
        audit = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "pact.event_received")
        ).all()
        assert len(audit) == 1 and audit[0].channel == "pact"
        assert _deliveries() == []  # a notice asks for nothing to be sent


def test_fulfilled_and_rejected_events_are_accepted_when_well_formed(
    demo_app: Flask, partner: Any
) -> None:
    with demo_app.test_request_context("/"):
        from footprint_platform.services.pact import footprint as pact
        from footprint_platform.web_common.downloads import pact_options

        pf = pact.product_footprint(
            db.session,
            db.session.scalars(
                select(Declaration).where(Declaration.published_at.is_not(None))
            ).first(),
            pact_options(),
        )
    ok = _event(pact_outbox.REQUEST_FULFILLED, {"requestEventId": "r-1", "pfs": [pf]})
    assert partner(ok).status_code == 200
    no = _event(
        pact_outbox.REQUEST_REJECTED,
        {"requestEventId": "r-2", "error": {"code": "NotFound", "message": "none"}},
    )
    assert partner(no).status_code == 200


# -- requests: into the inbox, answered automatically where that is decided already -----------


def test_a_request_for_shared_published_footprints_is_fulfilled_with_them_only(
    demo_app: Flask, partner: Any
) -> None:
    with demo_app.app_context():
        wanted = [_urn("ZJ-EL-NCM"), _urn("ZJ-LPF6")]  # shared, and not shared (nor published)
    response = partner(_event(data={"productId": wanted, "comment": "PCF 2025 please"}, id="q-1"))
    assert response.status_code == 200 and response.get_data() == b""
    with demo_app.app_context():
        req = _request("q-1")
        assert req.status is RequestStatus.ANSWERED and req.message == "PCF 2025 please"
        assert req.supplier.name_en == OWNER and req.buyer.name_en == PARTNER
        [delivery] = _deliveries(req.id)
        assert delivery.type == pact_outbox.REQUEST_FULFILLED and delivery.status == "pending"
        assert delivery.target_url == "https://partner.example/3/events"
        body = delivery.body
        assert body["data"]["requestEventId"] == "q-1" and body["specversion"] == "1.0"
        sent = {pf["id"] for pf in body["data"]["pfs"]}
        published_shared = {
            d.public_id
            for d in db.session.scalars(
                select(Declaration)
                .join(Product)
                .where(Product.part_number == "ZJ-EL-NCM", Declaration.published_at.is_not(None))
            )
        }
        assert sent and sent <= published_shared  # only the shared product's published ones
        actions = [
            a.action
            for a in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
            if a.action.startswith(("pact.", "request."))
        ]
        assert actions[-4:] == [
            "pact.event_received",
            "request.create",
            "request.answer_automatic",
            "pact.event_queued",
        ]


def test_a_request_that_names_nothing_of_ours_is_rejected(demo_app: Flask, partner: Any) -> None:
    for event_id, data in (
        ("q-null", {"productId": ["urn:pact:null"]}),
        ("q-other", {"companyId": ["urn:pact:elsewhere:company-id:1"]}),
    ):
        assert partner(_event(data=data, id=event_id)).status_code == 200
        with demo_app.app_context():
            req = _request(event_id)
            assert req.status is RequestStatus.DECLINED
            [delivery] = _deliveries(req.id)
            error = delivery.body["data"]["error"]
            assert delivery.type == pact_outbox.REQUEST_REJECTED
            assert error["code"] == "NotFound" and error["message"]


def test_a_request_for_an_unshared_product_waits_in_the_supplier_s_inbox(
    demo_app: Flask, partner: Any, auth: Session
) -> None:
    with demo_app.app_context():
        _revoke_share("ZJ-EL-NCM")
        wanted = [_urn("ZJ-EL-NCM")]
    assert partner(_event(data={"productId": wanted}, id="q-wait")).status_code == 200
    with demo_app.app_context():
        req = _request("q-wait")
        assert req.status is RequestStatus.PENDING and _deliveries() == []
        assert req.product.part_number == "ZJ-EL-NCM" and req.buyer.name_en == PARTNER
    auth.login(OWNER_ADMIN)
    page = auth.client.get(f"/orgs/{req.supplier_id}/requests").get_data(as_text=True)
    assert "ZJ-EL-NCM" in page and "PACT" in page


# -- the supplier answers in the inbox; the answer reaches a second instance ---------------------


@pytest.fixture
def requester_app(
    prepared_app: Flask,
    certificate: tuple[Path, Path],
) -> Iterator[str]:
    """A second Tanlian instance (another database) acting as the partner's host system, over
    HTTPS: its /auth/token knows the demo client, its /3/events keeps what arrives."""
    with https_server(prepared_app, certificate) as url:
        yield url


def _hold_credentials(demo_app: Flask, base_url: str) -> None:
    with demo_app.app_context():
        admin = admin_actor(OWNER_ADMIN)
        owner = admin.organization_ids[0]
        elbtal = _request_partner_id()
        pact_outbound.create_credential(
            db.session,
            admin,
            owner,
            {
                "partner_id": elbtal,
                "name": "Elbtal's host",
                "base_url": base_url,
                "client_id": CLIENT_ID,  # the second instance knows the demo client
                "client_secret": SECRET,
            },
        )


def _request_partner_id() -> int:
    return int(db.session.scalar(select(Organization.id).where(Organization.name_en == PARTNER)))


def _received(app: Flask, request_event_id: str) -> list[PactEvent]:
    with app.app_context():
        return [
            e
            for e in db.session.scalars(select(PactEvent).order_by(PactEvent.id))
            if e.data.get("requestEventId") == request_event_id
        ]


@pytest.mark.parametrize("answer", ["answer", "decline"])
def test_answering_in_the_inbox_posts_the_answer_to_the_requester(
    demo_app: Flask,
    prepared_app: Flask,
    partner: Any,
    auth: Session,
    requester_app: str,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
) -> None:
    monkeypatch.setitem(demo_app.config, "PACT_OUTBOUND_CA_FILE", str(certificate[0]))
    monkeypatch.setitem(demo_app.config, "PACT_OUTBOUND_ALLOW_PRIVATE", True)  # 127.0.0.1
    _hold_credentials(demo_app, requester_app)
    with demo_app.app_context():
        _revoke_share("ZJ-EL-NCM")
        wanted = [_urn("ZJ-EL-NCM")]
    event_id = f"inbox-{answer}"
    body = _event(data={"productId": wanted}, id=event_id, source=requester_app)
    assert partner(body).status_code == 200
    with demo_app.app_context():
        req = _request(event_id)
        sub = _submitted(req.product_id)
    auth.login(OWNER_ADMIN)
    if answer == "answer":
        done = auth.post(f"/requests/{req.id}/answer", {"submission_id": sub.id})
    else:
        done = auth.post(f"/requests/{req.id}/decline", {"reason": "Not for this market"})
    assert done.status_code == 302
    assert _received(prepared_app, event_id) == []  # nothing left from the web request

    with demo_app.app_context():
        [delivery] = _deliveries(req.id)
        pact_delivery.run(db.session, delivery.id)  # what the worker or thread does
        db.session.refresh(delivery)
        assert delivery.status == "sent" and delivery.attempts == 1, delivery.last_error
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "pact.event_sent"))
    [got] = _received(prepared_app, event_id)
    if answer == "answer":
        assert got.type == pact_outbox.REQUEST_FULFILLED
        pfs = got.data["pfs"]
        assert pfs and all(set(pf["productIds"]) & set(wanted) for pf in pfs)
    else:
        assert got.type == pact_outbox.REQUEST_REJECTED
        assert "Not for this market" in got.data["error"]["message"]
    # the inbox says where the answer stands
    page = auth.client.get(f"/orgs/{req.supplier_id}/requests").get_data(as_text=True)
    assert 'class="pact-delivery" data-status="sent"' in page


def test_an_answer_without_a_published_footprint_is_refused_and_nothing_changes(
    demo_app: Flask, partner: Any, auth: Session
) -> None:
    """Over PACT only published footprints go: answering with data alone is refused."""
    with demo_app.app_context():
        wanted = [_urn("ZJ-LPF6")]  # submitted, never declared
    assert partner(_event(data={"productId": wanted}, id="q-lpf6")).status_code == 200
    with demo_app.app_context():
        req = _request("q-lpf6")
        assert req.status is RequestStatus.PENDING
        sub = _submitted(req.product_id)
    auth.login(OWNER_ADMIN)
    auth.post(f"/requests/{req.id}/answer", {"submission_id": sub.id})
    with demo_app.app_context():
        assert _request("q-lpf6").status is RequestStatus.PENDING
        assert _deliveries() == []
        assert not db.session.scalar(
            select(FootprintShare).where(
                FootprintShare.product_id == req.product_id, FootprintShare.buyer_id == req.buyer_id
            )
        )


def test_the_partner_cannot_cancel_a_request_made_over_pact(demo_app: Flask, partner: Any) -> None:
    from footprint_platform.errors import Conflict
    from footprint_platform.services.exchange import requests

    with demo_app.app_context():
        _revoke_share("ZJ-EL-NCM")
        wanted = [_urn("ZJ-EL-NCM")]
    partner(_event(data={"productId": wanted}, id="q-cancel"))
    with demo_app.app_context():
        req = _request("q-cancel")
        buyer = Actor(
            user_id=None,
            roles={req.buyer_id: MemberRole.ADMIN},
            org_roles={req.buyer_id: frozenset({OrgRole.BUYER})},
        )
        with pytest.raises(Conflict):
            requests.cancel(db.session, buyer, req.id)
        assert _request("q-cancel").status is RequestStatus.PENDING


# -- delivering: back-off on a fake clock ------------------------------------------------------


def test_retries_back_off_exponentially_and_give_up_after_72_hours(
    demo_app: Flask, partner: Any
) -> None:
    assert partner(_event(data={"productId": ["urn:pact:null"]}, id="q-retry")).status_code == 200
    calls: list[int] = []

    def unreachable(session: Any, delivery: PactDelivery) -> None:
        calls.append(delivery.attempts)
        raise PartnerUnreachable("connection refused")

    with demo_app.app_context():
        [delivery] = _deliveries()
        clock = delivery.created_at
        waits = []
        while delivery.status == "pending":
            before = clock
            assert pact_sending.attempt(
                db.session, delivery.id, clock - timedelta(seconds=1), unreachable
            )
            assert delivery.attempts == len(calls)  # not due yet: no attempt
            pact_sending.attempt(db.session, delivery.id, clock, unreachable)
            db.session.refresh(delivery)
            clock = delivery.next_attempt_at
            waits.append((clock - before).total_seconds())
        assert waits[:5] == [30, 60, 120, 240, 480]  # doubling from 30 s
        assert max(waits) == 4 * 3600  # at most 4 h apart
        assert delivery.status == "abandoned"
        assert delivery.next_attempt_at - delivery.created_at >= timedelta(hours=72)
        assert delivery.last_error == "connection refused"
        failed = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "pact.event_send_failed")
        ).all()
        assert len(failed) == len(calls)  # every attempt recorded
        count = len(calls)
        pact_sending.attempt(db.session, delivery.id, clock + timedelta(days=9), unreachable)
        assert len(calls) == count  # abandoned: never tried again


def test_a_delivery_succeeds_once_and_is_not_sent_again(demo_app: Flask, partner: Any) -> None:
    assert partner(_event(data={"productId": ["urn:pact:null"]}, id="q-once")).status_code == 200
    sent: list[str] = []

    def works(session: Any, delivery: PactDelivery) -> None:
        sent.append(delivery.event_id)

    with demo_app.app_context():
        [delivery] = _deliveries()
        now = delivery.created_at + timedelta(seconds=5)
        for _ in range(3):
            pact_sending.attempt(db.session, delivery.id, now, works)
        assert len(sent) == 1 and delivery.status == "sent" and delivery.sent_at == now


def test_without_credentials_for_the_partner_the_attempt_fails_and_says_why(
    demo_app: Flask, partner: Any
) -> None:
    assert partner(_event(data={"productId": ["urn:pact:null"]}, id="q-nocred")).status_code == 200
    with demo_app.app_context():
        [delivery] = _deliveries()
        pact_sending.attempt(db.session, delivery.id)
        db.session.refresh(delivery)
        assert delivery.status == "pending" and "no credentials" in (delivery.last_error or "")


def test_an_answer_goes_only_to_the_host_of_the_credentials(demo_app: Flask, partner: Any) -> None:
    """A `source` elsewhere than the partner's host: the credentials are not presented there."""
    body = _event(data={"productId": ["urn:pact:null"]}, id="q-elsewhere")
    body["source"] = "https://attacker.example/collect"
    partner(body)
    with demo_app.app_context():
        admin = admin_actor(OWNER_ADMIN)
        pact_outbound.create_credential(
            db.session,
            admin,
            admin.organization_ids[0],
            {
                "partner_id": _request_partner_id(),
                "name": "Elbtal",
                "base_url": "https://partner.example",
                "client_id": "c",
                "client_secret": "s",
            },
        )
        [delivery] = _deliveries()
        assert delivery.target_url == "https://attacker.example/collect/3/events"
        pact_sending.attempt(db.session, delivery.id)
        db.session.refresh(delivery)
        assert "not on the credential's host" in (delivery.last_error or "")


# -- announcing a publication to subscribed partners --------------------------------------------


def test_publishing_announces_to_partners_holding_a_share_and_credentials(
    demo_app: Flask,
) -> None:
    with demo_app.app_context():
        admin = admin_actor(OWNER_ADMIN)
        owner = admin.organization_ids[0]
        pact_outbound.create_credential(
            db.session,
            admin,
            owner,
            {
                "partner_id": _request_partner_id(),
                "name": "Elbtal",
                "base_url": "https://partner.example/",
                "client_id": "c",
                "client_secret": "s",
            },
        )
        for part, shared in (("ZJ-EL-NCM", True), ("ZJ-LPF6", False)):
            product = db.session.scalar(select(Product).where(Product.part_number == part))
            old = db.session.scalars(
                select(Declaration).where(
                    Declaration.product_id == product.id, Declaration.published_at.is_not(None)
                )
            ).first()
            d = declarations.declare(db.session, admin, product.id, *_period(), "Corrected data")
            before = len(_deliveries())
            pact_delivery.publish_and_announce(db.session, admin, d.id)
            made = _deliveries()[before:]
            if not shared:
                assert made == []
                continue
            [delivery] = made
            assert delivery.type == pact_outbox.PUBLISHED
            assert delivery.target_url == "https://partner.example/3/events"
            assert delivery.body["data"]["pfIds"] == [d.public_id, old.public_id]


def _period() -> tuple[Any, Any]:
    from datetime import date

    return date(2025, 1, 1), date(2025, 12, 31)


def test_a_credential_secret_is_sealed_and_never_in_the_audit_log(demo_app: Flask) -> None:
    with demo_app.app_context():
        admin = admin_actor(OWNER_ADMIN)
        made = pact_outbound.create_credential(
            db.session,
            admin,
            admin.organization_ids[0],
            {
                "name": "X",
                "base_url": "https://x.example",
                "client_id": "c",
                "client_secret": "s3cret-value",
            },
        )
        stored = db.session.get(PactCredential, made.id)
        assert "s3cret-value" not in stored.secret_sealed
        assert pact_outbound.unseal(stored.secret_sealed) == "s3cret-value"
        logged = [str(a.details) for a in db.session.scalars(select(AuditEvent))]
        assert not any("s3cret-value" in text for text in logged)


@pytest.mark.parametrize(
    ("source", "url"),
    [
        ("https://tool.example", "https://tool.example/3/events"),
        ("https://tool.example/", "https://tool.example/3/events"),
        ("//api.example.com/3/events", "https://api.example.com/3/events"),
        ("https://h.example/base/3/events", "https://h.example/base/3/events"),
    ],
)
def test_the_answer_goes_to_the_source_s_events_endpoint(source: str, url: str) -> None:
    assert pact_outbound.events_url(source) == url


def test_an_answer_is_not_sent_once_its_footprint_is_no_longer_shared(
    demo_app: Flask, partner: Any
) -> None:
    with demo_app.app_context():
        wanted = [_urn("ZJ-EL-NCM")]
    assert partner(_event(data={"productId": wanted}, id="q-revoked")).status_code == 200
    sent: list[int] = []
    with demo_app.app_context():
        [delivery] = _deliveries()
        assert delivery.type == pact_outbox.REQUEST_FULFILLED
        _revoke_share("ZJ-EL-NCM")
        pact_sending.attempt(db.session, delivery.id, sender=lambda s, d: sent.append(d.id))
        db.session.refresh(delivery)
        assert sent == [] and delivery.status == "cancelled"
        assert db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "pact.event_cancelled")
        )


# -- a limit per client ------------------------------------------------------------------------


def _stored_events() -> tuple[int, int]:
    """(events kept, requests in the inbox)."""
    return (
        db.session.scalar(select(func.count()).select_from(PactEvent)) or 0,
        db.session.scalar(select(func.count()).select_from(DataRequest)) or 0,
    )


def test_events_over_the_client_s_limit_are_refused_and_not_kept(demo_app: Flask) -> None:
    """Counted per PACT client: a new token does not start a new count, another client of the
    same address has its own."""
    from limits import parse_many

    allowed = min(item.amount for item in parse_many(demo_app.config["PACT_EVENT_RATE_LIMIT"]))
    assert allowed < 40
    client = demo_app.test_client()
    with demo_app.app_context():
        _revoke_share("ZJ-EL-NCM")
        wanted = [_urn("ZJ-EL-NCM")]
        admin = admin_actor(OWNER_ADMIN)
        _, other_secret = pact_clients.create_client(
            db.session, admin, admin.organization_ids[0], _request_partner_id(), "Second system"
        )
        other_id = db.session.scalar(select(PactClient.client_id).order_by(PactClient.id.desc()))
        before = _stored_events()

    def post(token: str, n: int) -> Any:
        body = _event(data={"productId": wanted}, id=f"burst-{token[-6:]}-{n}")
        headers = {**_bearer(token), "Content-Type": "application/cloudevents+json"}
        return client.post("/3/events", json=body, headers=headers)

    token = _token(client)
    answers = [post(token, n) for n in range(40)]
    statuses = [a.status_code for a in answers]
    assert statuses == [200] * allowed + [429] * (40 - allowed)
    refused = answers[-1]
    assert set(refused.get_json()) == {"code", "message"}  # PACT's error body
    assert "Too many events" in refused.get_json()["message"]
    assert int(refused.headers["Retry-After"]) > 0
    assert post(_token(client), 99).status_code == 429  # a new token of the same client
    other = _token(client, client_id=other_id, secret=other_secret)
    assert post(other, 0).status_code == 200  # another client from the same address
    with demo_app.app_context():
        kept, inbox = _stored_events()
        assert (kept, inbox) == (before[0] + allowed + 1, before[1] + allowed + 1)
