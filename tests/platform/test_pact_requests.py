"""PACT requests of our own: a buyer asks a partner's host system for footprints with a v3
RequestCreatedEvent (sent from the background to the partner's /3/events, with the credentials
the partner issued); the partner's RequestFulfilledEvent on our /3/events is imported as a
partner footprint with the usual checks, a RequestRejectedEvent closes the request with its
reason, and the buyer sees where each request stands. The conformance test's requester plays
the partner's host system."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db
from footprint_platform.models import (
    Declaration,
    ExternalFootprint,
    Organization,
    PactRequestSent,
    Product,
)
from footprint_platform.services.pact import clients as pact_clients
from footprint_platform.services.pact import footprint as pact
from footprint_platform.services.pact import outbound as pact_outbound
from footprint_platform.services.pact import partner_requests as pact_requests
from footprint_platform.services.pact import sending as pact_sending
from tests.conftest import Session
from tests.platform.demo_ids import admin_actor, org_id
from tests.platform.test_pact_conformance import (
    CREATED,
    FULFILLED,
    REJECTED,
    TOOL_CLIENT_ID,
    TOOL_CLIENT_SECRET,
    Requester,
    requester,  # noqa: F401 - the partner's host system, a fixture
)

pytestmark = pytest.mark.postgres
BUYER, BUYER_ADMIN = "Huadong Battery Systems", "admin@huadong-pack.example"
PARTNER = "Elbtal Cell Works GmbH"
HOST = "https://tanlian.example"
WANTED = "urn:pact:elbtal.example:product-id:cell-42"


@pytest.fixture
def setup(
    demo_app: Flask,
    requester: Requester,  # noqa: F811
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    """The buyer holds the partner host's credentials and issued the partner a PACT client."""
    demo_app.config["PACT_OUTBOUND_CA_FILE"] = str(certificate[0])
    # the partner's host is on 127.0.0.1; undone after the test (the app outlives it)
    monkeypatch.setitem(demo_app.config, "PACT_OUTBOUND_ALLOW_PRIVATE", True)
    with demo_app.app_context():
        admin = admin_actor(BUYER_ADMIN)
        buyer, partner = org_id(BUYER), org_id(PARTNER)
        credential = pact_outbound.create_credential(
            db.session,
            admin,
            buyer,
            {
                "partner_id": partner,
                "name": "Elbtal host",
                "base_url": requester.base_url,
                "client_id": TOOL_CLIENT_ID,
                "client_secret": TOOL_CLIENT_SECRET,
            },
        )
        client, secret = pact_clients.create_client(db.session, admin, buyer, partner, "Elbtal")
        return {
            "buyer": buyer,
            "partner": partner,
            "credential": credential.id,
            "client_id": client.client_id,
            "secret": secret,
        }


def _ask(setup: Any, ids: str = WANTED, comment: str | None = "For the 2025 cells") -> Any:
    sent, delivery_id = pact_requests.ask(
        db.session,
        admin_actor(BUYER_ADMIN),
        setup["buyer"],
        setup["credential"],
        ids,
        comment,
        HOST,
    )
    return sent.event_id, delivery_id


def _partner_token(client: FlaskClient, setup: Any) -> str:
    pair = base64.b64encode(f"{setup['client_id']}:{setup['secret']}".encode()).decode()
    answer = client.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {pair}"},
    )
    return str(answer.get_json()["access_token"])


def _post(client: FlaskClient, token: str, kind: str, data: dict[str, Any]) -> Any:
    return client.post(
        "/3/events",
        json={
            "type": kind,
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "https://partner.example/3/events",
            "time": "2026-03-01T08:00:00Z",
            "data": data,
        },
        headers={"Authorization": f"Bearer {token}"},
        content_type="application/cloudevents+json",
    )


def _partner_footprint() -> dict[str, Any]:
    """A valid ProductFootprint as the partner's system would send it (ours, renamed)."""
    d = db.session.scalar(
        select(Declaration)
        .join(Product)
        .where(Product.part_number == "ZJ-EL-NCM", Declaration.published_at.is_not(None))
    )
    pf = pact.product_footprint(
        db.session, d, pact.Options("elbtal.example", "https://elbtal.example/x.json")
    )
    return {**pf, "id": str(uuid.uuid4()), "companyName": PARTNER, "productIds": [WANTED]}


def test_the_request_leaves_as_a_created_event_to_the_partners_host(
    demo_app: Flask,
    setup: Any,
    requester: Requester,  # noqa: F811
) -> None:
    with demo_app.app_context():
        event_id, delivery_id = _ask(setup)
        delivery = pact_sending.attempt(db.session, delivery_id)
        assert delivery is not None and delivery.status == "sent", delivery.last_error
    ((path, headers, body),) = requester.received
    assert path == "/3/events" and headers["Authorization"].startswith("Bearer ")
    assert body["type"] == CREATED and body["id"] == event_id
    assert body["source"] == f"{HOST}/3/events"
    assert body["data"] == {"productId": [WANTED], "comment": "For the 2025 cells"}


def test_a_fulfilled_answer_lands_as_a_partner_footprint(
    demo_app: Flask,
    setup: Any,
    requester: Requester,  # noqa: F811
) -> None:
    client = demo_app.test_client()
    with demo_app.app_context():
        event_id, _ = _ask(setup)
        pf = _partner_footprint()
    token = _partner_token(client, setup)
    answer = _post(client, token, FULFILLED, {"requestEventId": event_id, "pfs": [pf]})
    assert answer.status_code == 200
    with demo_app.app_context():
        sent = db.session.scalar(
            select(PactRequestSent).where(PactRequestSent.event_id == event_id)
        )
        assert sent.status == "fulfilled" and sent.error is None
        kept = db.session.get(ExternalFootprint, sent.imported[0])
        assert (kept.organization_id, kept.pf_id, kept.origin) == (
            setup["buyer"],
            pf["id"],
            "request",
        )
    # the same answer again imports nothing twice
    assert (
        _post(client, token, FULFILLED, {"requestEventId": event_id, "pfs": [pf]}).status_code
        == 200
    )
    session = Session(demo_app.test_client())
    session.login(BUYER_ADMIN)
    page = session.client.get(
        f"/orgs/{setup['buyer']}/requests", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert WANTED in page and "answered, footprints imported: 1" in page
    with demo_app.app_context():
        assert (
            db.session.query(ExternalFootprint).filter_by(organization_id=setup["buyer"]).count()
            == 1
        )


def test_a_rejection_closes_the_request_with_its_reason(demo_app: Flask, setup: Any) -> None:
    client = demo_app.test_client()
    with demo_app.app_context():
        event_id, _ = _ask(setup, comment=None)
    token = _partner_token(client, setup)
    error = {"code": "NotFound", "message": "No such product here."}
    assert (
        _post(client, token, REJECTED, {"requestEventId": event_id, "error": error}).status_code
        == 200
    )
    with demo_app.app_context():
        sent = db.session.scalar(
            select(PactRequestSent).where(PactRequestSent.event_id == event_id)
        )
        assert (sent.status, sent.error) == ("rejected", "NotFound: No such product here.")


def test_an_answer_from_another_partner_or_to_another_event_changes_nothing(
    demo_app: Flask, setup: Any
) -> None:
    client = demo_app.test_client()
    with demo_app.app_context():
        event_id, _ = _ask(setup)
        pf = _partner_footprint()
        # the demo's own PACT partner posts to its owner (the electrolyte maker), not to us
    from footprint_platform.demo_pact import demo_pact_logins

    _, _, other_id, other_secret = demo_pact_logins()[0]
    other = _partner_token(client, {"client_id": other_id, "secret": other_secret})
    assert (
        _post(client, other, FULFILLED, {"requestEventId": event_id, "pfs": [pf]}).status_code
        == 200
    )
    ours = _partner_token(client, setup)
    unknown = str(uuid.uuid4())
    assert (
        _post(client, ours, FULFILLED, {"requestEventId": unknown, "pfs": [pf]}).status_code == 200
    )
    with demo_app.app_context():
        sent = db.session.scalar(
            select(PactRequestSent).where(PactRequestSent.event_id == event_id)
        )
        assert sent.status == "waiting" and sent.imported == []
        assert (
            db.session.scalar(
                select(ExternalFootprint.id).where(ExternalFootprint.pf_id == pf["id"])
            )
            is None
        )


def test_bad_requests_are_refused_and_write_nothing(demo_app: Flask, setup: Any) -> None:
    with demo_app.app_context():
        for ids, field in (("", "product_ids"), ("cell-42", "product_ids")):
            with pytest.raises(InvalidInput) as err:
                _ask(setup, ids)
            assert field in err.value.errors
        supplier = admin_actor("data@zhujiang-electrolyte.example")
        zhujiang = db.session.scalar(
            select(Organization.id).where(Organization.name_en == "Zhujiang Electrolyte")
        )
        from footprint_platform.errors import NotAllowed

        with pytest.raises(NotAllowed):  # suppliers answer requests; buyers ask
            pact_requests.ask(
                db.session, supplier, zhujiang, setup["credential"], WANTED, None, HOST
            )
        db.session.rollback()
        assert db.session.query(PactRequestSent).count() == 0


def test_the_inbox_form_sends_and_explains_in_both_languages(demo_app: Flask, setup: Any) -> None:
    session = Session(demo_app.test_client())
    session.login(BUYER_ADMIN)
    path = f"/orgs/{setup['buyer']}/requests/pact"
    refused = session.post(path, {"credential_id": setup["credential"], "product_ids": "cell-42"})
    assert refused.status_code == 422
    assert "不是 URN" in refused.get_data(as_text=True)
    done = session.post(path, {"credential_id": setup["credential"], "product_ids": WANTED})
    assert done.status_code == 302
    page = session.client.get(f"/orgs/{setup['buyer']}/requests").get_data(as_text=True)
    assert "等待对方答复" in page and WANTED in page
