"""Webhooks against a local receiver over HTTPS: what leaves is signed (checked here with
hmac and hashlib alone, as a receiver would), a 500 is retried after its back-off and then
succeeds, a private address is refused without the setting that only these fixtures turn on,
and the events come from the changes themselves."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request
from sqlalchemy import select, update

from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db
from footprint_platform.models import (
    AuditEvent,
    Declaration,
    Product,
    ProductResult,
    RollupRun,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from footprint_platform.services.disclosure import declarations, publication
from footprint_platform.services.exchange import requests
from footprint_platform.services.graph import results
from footprint_platform.services.notify import webhook_delivery, webhooks
from tests.conftest import Session
from tests.platform.conftest import https_server
from tests.platform.demo_ids import LITHIUM, PACK, Ids, admin_actor, org_id
from tests.platform.statement import STATEMENT

PACK_ADMIN = "admin@huadong-pack.example"
YEAR = (date(2025, 1, 1), date(2025, 12, 31))


@dataclass
class Receiver:
    url: str
    answers: list[int] = field(default_factory=list)  # statuses to give, then 204
    calls: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver(certificate: tuple[Path, Path]) -> Iterator[Receiver]:
    app = Flask("receiver")
    box = Receiver(url="")

    @app.post("/hook")
    def hook() -> Any:
        box.calls.append((dict(request.headers), request.get_data()))
        return "", box.answers.pop(0) if box.answers else 204

    with https_server(app, certificate) as base:
        box.url = base + "/hook"
        yield box


@pytest.fixture
def local(
    demo_app: Flask, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> Flask:
    """The platform allowed to call 127.0.0.1, trusting the test certificate."""
    monkeypatch.setitem(demo_app.config, "PACT_OUTBOUND_CA_FILE", str(certificate[0]))
    monkeypatch.setitem(demo_app.config, "PACT_OUTBOUND_ALLOW_PRIVATE", True)
    return demo_app


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What the README tells a receiver to do, written independently of the platform."""
    parts = dict(p.split("=", 1) for p in headers["Tanlian-Signature"].split(","))
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def _endpoint(url: str, events: list[str]) -> str:
    admin = admin_actor(PACK_ADMIN)
    _, secret = webhooks.create_endpoint(db.session, admin, org_id(PACK), url, events)
    return secret


def _deliver(app: Flask) -> str:
    return app.test_cli_runner().invoke(args=["webhooks", "deliver"]).output


def _verified_and_published() -> int:
    admin = admin_actor(PACK_ADMIN)
    product = db.session.scalar(  # a product the demo declared already
        select(Declaration.product_id).where(Declaration.organization_id == org_id(PACK)).limit(1)
    )
    d = declarations.declare(db.session, admin, product, *YEAR, "webhook test")
    v = publication.request_verification(
        db.session, admin, d.id, org_id("Qingyuan Carbon Verification Co.")
    )
    verifier = admin_actor("verifier@qingyuan-verify.example")
    accepted = sorted(publication.stated_reasons(db.session, d))  # the demo's stated reasons
    publication.decide(db.session, verifier, v.id, "verified", "Checked.", accepted, STATEMENT)
    publication.publish(db.session, admin, d.id)
    return d.id


def test_a_verified_and_published_declaration_reaches_the_endpoint_signed(
    local: Flask, receiver: Receiver
) -> None:
    with local.app_context():
        secret = _endpoint(
            receiver.url, [webhooks.DECLARATION_VERIFIED, webhooks.DECLARATION_PUBLISHED]
        )
        declaration_id = _verified_and_published()
        assert "2 due webhook deliveries attempted" in _deliver(local)
        sent = db.session.scalars(select(WebhookDelivery)).all()
        assert [d.status for d in sent] == ["sent", "sent"]
    bodies = [json.loads(body) for _, body in receiver.calls]
    assert [b["type"] for b in bodies] == ["declaration.verified", "declaration.published"]
    assert {b["data"]["declaration_id"] for b in bodies} == {declaration_id}
    for headers, body in receiver.calls:
        assert verify(secret, headers, body)
        assert headers["Tanlian-Event"] == json.loads(body)["type"]
        assert not verify(secret, headers, body.replace(b"declaration", b"Declaration", 1))
        assert not verify("whsec_another", headers, body)


def test_a_500_is_retried_after_its_back_off_then_delivered(
    local: Flask, receiver: Receiver
) -> None:
    receiver.answers = [500]
    with local.app_context():
        secret = _endpoint(receiver.url, [webhooks.REQUEST_RECEIVED])
        buyer = admin_actor("analyst@jinghai-motors.example")
        pack = org_id(PACK)
        part = db.session.scalar(select(Product.part_number).where(Product.organization_id == pack))
        buyer_org = next(iter(buyer.roles))
        _request, _ = requests.create_request(
            db.session,
            _buyer_editor(buyer_org),
            buyer_org,
            {
                "supplier_id": pack,
                "part_number": part,
                "period_start": YEAR[0],
                "period_end": YEAR[1],
                "due_date": date(2099, 1, 1),
            },
        )
        (delivery_id,) = webhook_delivery.due(db.session)
        now = utcnow()
        failed = webhook_delivery.attempt(db.session, delivery_id, now)
        assert (failed.status, failed.last_status, failed.attempts) == ("pending", 500, 1)
        assert failed.next_attempt_at == now + webhook_delivery.FIRST_DELAY
        # not due before its back-off: nothing is sent
        webhook_delivery.attempt(db.session, delivery_id, now + timedelta(seconds=29))
        assert len(receiver.calls) == 1
        later = now + timedelta(seconds=31)
        sent = webhook_delivery.attempt(db.session, delivery_id, later)
        assert (sent.status, sent.last_status, sent.attempts) == ("sent", 204, 2)
        assert webhook_delivery.backoff(3) == 2 * webhook_delivery.backoff(2)
    assert len(receiver.calls) == 2
    (h1, b1), (h2, b2) = receiver.calls
    assert b1 == b2 and h1["Tanlian-Delivery"] == h2["Tanlian-Delivery"]  # the same event
    assert verify(secret, h1, b1) and verify(secret, h2, b2)
    assert json.loads(b2)["data"]["supplier_id"] == pack


def _buyer_editor(buyer_org: int) -> Any:
    """The OEM's administrator (a buyer's editor may ask for data)."""
    from footprint_platform.models import MemberRole, Membership, User
    from footprint_platform.services.catalogue import accounts

    user = db.session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == buyer_org, Membership.role == MemberRole.ADMIN)
    )
    return accounts.user_actor(user)


def test_a_private_address_is_refused_without_the_setting(
    demo_app: Flask, receiver: Receiver, certificate: tuple[Path, Path], monkeypatch: Any
) -> None:
    monkeypatch.setitem(demo_app.config, "PACT_OUTBOUND_CA_FILE", str(certificate[0]))
    with demo_app.app_context():
        with pytest.raises(InvalidInput) as refused:
            _endpoint(receiver.url, [webhooks.REQUEST_RECEIVED])
        assert "url" in refused.value.errors
        assert db.session.scalar(select(WebhookEndpoint.id)) is None
        # saved while allowed, called once it is not: refused at the connection
        monkeypatch.setitem(demo_app.config, "PACT_OUTBOUND_ALLOW_PRIVATE", True)
        _endpoint(receiver.url, [webhooks.DECLARATION_VERIFIED, webhooks.DECLARATION_PUBLISHED])
        monkeypatch.setitem(demo_app.config, "PACT_OUTBOUND_ALLOW_PRIVATE", False)
        _verified_and_published()
        _deliver(demo_app)
        tried = db.session.scalars(select(WebhookDelivery)).all()
        assert tried and all(d.status == "pending" and d.last_error for d in tried)
    assert receiver.calls == []


def test_the_secret_is_stored_encrypted_and_never_audited(demo_app: Flask) -> None:
    with demo_app.app_context():
        demo_app.config["PACT_OUTBOUND_ALLOW_PRIVATE"] = True
        try:
            secret = _endpoint("https://127.0.0.1:9/hook", [webhooks.RESULT_CHANGED])
        finally:
            demo_app.config["PACT_OUTBOUND_ALLOW_PRIVATE"] = False
        sealed = db.session.scalar(select(WebhookEndpoint.secret_sealed))
        assert secret not in sealed and secret[6:] not in sealed
        details = " ".join(json.dumps(e.details) for e in db.session.scalars(select(AuditEvent)))
        assert secret[6:] not in details


def test_a_changed_result_is_an_event_and_an_unchanged_one_is_not(demo_app: Flask) -> None:
    with demo_app.app_context():
        demo_app.config["PACT_OUTBOUND_ALLOW_PRIVATE"] = True
        try:
            _endpoint("https://127.0.0.1:9/hook", [webhooks.RESULT_CHANGED])
        finally:
            demo_app.config["PACT_OUTBOUND_ALLOW_PRIVATE"] = False
        results.recompute(db.session, *YEAR, "test: nothing changed")
        assert db.session.scalars(select(WebhookDelivery)).all() == []
        # one of the maker's stored results differs from what the next run computes
        pack = org_id(PACK)
        newest = db.session.scalar(
            select(ProductResult.id)
            .join(RollupRun)
            .join(Product)
            .where(Product.organization_id == pack, RollupRun.period_start == YEAR[0])
            .order_by(ProductResult.id.desc())
            .limit(1)
        )
        product = db.session.get(ProductResult, newest).product_id
        db.session.execute(
            update(ProductResult).where(ProductResult.id == newest).values(total=123456)
        )
        db.session.commit()
        results.recompute(db.session, *YEAR, "test: one changed")
        (made,) = db.session.scalars(select(WebhookDelivery)).all()
        assert made.organization_id == pack and made.event == "result.changed"
        assert [p["product_id"] for p in made.body["data"]["products"]] == [product]
        assert made.body["data"]["products"][0]["previous_total"] == "123456.0000000000"
        # another maker's products are never in the pack maker's events
        lithium = set(
            db.session.scalars(select(Product.id).where(Product.organization_id == org_id(LITHIUM)))
        )
        assert not lithium & {p["product_id"] for p in made.body["data"]["products"]}


def test_an_integration_manages_its_endpoints_over_the_api(
    prepared_app: Flask,
    ids: Ids,
    receiver: Receiver,
    certificate: tuple[Path, Path],
    monkeypatch: Any,
) -> None:
    monkeypatch.setitem(prepared_app.config, "PACT_OUTBOUND_ALLOW_PRIVATE", True)
    client = prepared_app.test_client()
    write = {"Authorization": f"Bearer {ids.write_secret}"}
    path = f"/api/v1/organizations/{ids.org}/webhooks"
    made = client.post(
        path, headers=write, json={"url": receiver.url, "events": ["result.changed"]}
    )
    assert made.status_code == 201
    secret = made.get_json()["secret"]
    assert secret.startswith("whsec_")
    listed = client.get(path, headers=write)
    assert secret not in listed.get_data(as_text=True)
    assert made.get_json()["id"] in [e["id"] for e in listed.get_json()]
    read = {"Authorization": f"Bearer {ids.read_secret}"}
    assert client.get(path, headers=read).status_code == 403  # a read token cannot
    gone = client.delete(f"/api/v1/webhooks/{made.get_json()['id']}", headers=write)
    assert gone.get_json()["disabled_at"] is not None
    assert made.get_json()["id"] not in [
        e["id"] for e in client.get(path, headers=write).get_json()
    ]
    log = client.get(f"/api/v1/organizations/{ids.org}/webhook-deliveries", headers=write)
    assert log.status_code == 200


def test_the_admin_sees_the_secret_once_and_the_delivery_log(
    prepared_app: Flask, receiver: Receiver, monkeypatch: Any
) -> None:
    monkeypatch.setitem(prepared_app.config, "PACT_OUTBOUND_ALLOW_PRIVATE", True)
    session = Session(prepared_app.test_client())
    assert session.login(PACK_ADMIN).status_code == 302
    with prepared_app.app_context():
        pack = org_id(PACK)
    page = session.post(
        f"/orgs/{pack}/webhooks", {"url": receiver.url, "events": "request.received"}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="new-webhook-secret"' in html
    again = session.client.get(f"/orgs/{pack}/webhooks").get_data(as_text=True)
    assert "new-webhook-secret" not in again and receiver.url in again
    refused = session.post(f"/orgs/{pack}/webhooks", {"url": "http://x.example", "events": "x"})
    assert refused.status_code == 422
