"""Catena-X PCF Exchange API 1.3.0 (CX-0136 3.0.0), both directions in one Tanlian app.

Provider: the demo electrolyte maker's PACT partner asks `GET /catenax/footprintExchange/{id}`
(202), the request lands in the owner's inbox, and the PCF is pushed with a PUT to the
partner's configured PCF Exchange address, valid against the version negotiated, through the
delivery outbox; a later publication pushes an update (`update=true`).
Requester: a buyer asks a partner's PCF Exchange API (the GET leaves from the outbox), and the
partner's PUT to our `/catenax/footprintExchange/{id}` lands as a partner footprint.
The conformance test's requester (an HTTPS server on 127.0.0.1) plays the partner's connector."""

from __future__ import annotations

import urllib.parse
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import select

from footprint_platform import json_schemas
from footprint_platform.demo_submissions import _admin
from footprint_platform.errors import InvalidInput, NotAllowed
from footprint_platform.extensions import db
from footprint_platform.models import (
    DataRequest,
    ExternalFootprint,
    Organization,
    PactClient,
    PactDelivery,
    PactRequestSent,
    RequestStatus,
)
from footprint_platform.services import workflow
from footprint_platform.services.exchange import requests
from footprint_platform.services.pact import catenax_exchange, catenax_requests
from footprint_platform.services.pact import outbound as pact_outbound
from footprint_platform.services.pact import outbox as pact_outbox
from footprint_platform.services.pact import sending as pact_sending
from footprint_platform.services.relations import sharing
from tests.conftest import Session
from tests.platform.demo_ids import admin_actor
from tests.platform.test_pact_conformance import (
    TOOL_CLIENT_ID,
    TOOL_CLIENT_SECRET,
    Requester,
    requester,  # noqa: F401 - the partner's connector, a fixture
)
from tests.platform.test_pact_host import CLIENT_ID, OWNER_ADMIN, _bearer, _declaration, _token
from tests.platform.test_pact_requests import (
    BUYER_ADMIN,
    _partner_token,
    setup,  # noqa: F401 - the buyer's credentials for the partner, a fixture
)

pytestmark = pytest.mark.postgres
V10 = "urn:samm:io.catenax.pcf:10.0.0"
PATH = "/catenax/footprintExchange/"


# -- provider ------------------------------------------------------------------------------------


@pytest.fixture
def provider(
    demo_app: Flask,
    requester: Requester,  # noqa: F811
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    """The owner configured its partner's PCF Exchange address and holds the credentials the
    partner's connector issued to it."""
    monkeypatch.setitem(demo_app.config, "PACT_OUTBOUND_CA_FILE", str(certificate[0]))
    monkeypatch.setitem(demo_app.config, "PACT_OUTBOUND_ALLOW_PRIVATE", True)
    with demo_app.app_context():
        client = db.session.scalars(
            select(PactClient).where(PactClient.client_id == CLIENT_ID)
        ).one()
        admin = _admin(db.session, client.owner_id)
        catenax_exchange.set_callback(
            db.session, admin, client.owner_id, client.id, f"{requester.base_url}/cx"
        )
        pact_outbound.create_credential(
            db.session,
            admin,
            client.owner_id,
            {
                "partner_id": client.partner_id,
                "name": "Partner connector",
                "base_url": requester.base_url,
                "client_id": TOOL_CLIENT_ID,
                "client_secret": TOOL_CLIENT_SECRET,
            },
        )
        ids = {"owner": client.owner_id, "partner": client.partner_id, "client": client.id}
    http = demo_app.test_client()
    token = _token(http)

    def get(path: str, **kw: Any) -> Any:
        headers = {**_bearer(token), **kw.pop("headers", {})}
        return http.get(path, headers=headers, **kw)

    return {**ids, "get": get, "http": http}


def _deliveries(request_id: int) -> list[PactDelivery]:
    return list(
        db.session.scalars(
            select(PactDelivery)
            .where(PactDelivery.request_id == request_id)
            .order_by(PactDelivery.id)
        )
    )


def _request_of(owner: int, request_id: str) -> DataRequest:
    return db.session.scalars(
        select(DataRequest)
        .join(DataRequest.pact_event)
        .where(DataRequest.supplier_id == owner)
        .where(DataRequest.pact_event.has(event_id=request_id))
    ).one()


def test_a_request_for_a_shared_part_is_accepted_and_pushed_in_the_version_asked(
    demo_app: Flask,
    provider: Any,
    requester: Requester,  # noqa: F811
) -> None:
    rid = str(uuid.uuid4())
    query = {"manufacturerPartId": "ZJ-EL-NCM", "dataModelVersion": V10, "message": "2025 lot"}
    answer = provider["get"](f"{PATH}{rid}?{urllib.parse.urlencode(query)}")
    assert answer.status_code == 202, answer.get_json()
    # the same requestId again: accepted, nothing new
    assert provider["get"](f"{PATH}{rid}?{urllib.parse.urlencode(query)}").status_code == 202
    with demo_app.app_context():
        req = _request_of(provider["owner"], rid)
        assert req.status is RequestStatus.ANSWERED and req.buyer_id == provider["partner"]
        assert req.message == "2025 lot"
        (delivery,) = _deliveries(req.id)
        assert delivery.type == pact_outbox.CX_PUSH
        sent = pact_sending.attempt(db.session, delivery.id)
        assert sent is not None and sent.status == "sent", sent.last_error
        public_id = _declaration("ZJ-EL-NCM").public_id
    ((path, headers, body),) = [r for r in requester.received if rid in r[0]]
    assert path == f"/cx/footprintExchange/{rid}"
    assert headers["Authorization"].startswith("Bearer ")
    assert headers["Edc-Bpn"] == "BPNL00000000ZJEL"
    assert json_schemas.problems("catenax-pcf-10.0.0", body) == []
    info = body["pcfAssessmentAndMethodology"][0]["pcfAssessmentInformation"][0]
    assert info["idAndVersion"][0]["id"] == public_id


def test_a_legacy_request_is_answered_in_9_0_0_and_a_republication_pushes_an_update(
    demo_app: Flask,
    provider: Any,
    requester: Requester,  # noqa: F811
) -> None:
    rid = str(uuid.uuid4())
    assert provider["get"](f"{PATH}{rid}?manufacturerPartId=zj-el-ncm").status_code == 202
    with demo_app.app_context():
        req = _request_of(provider["owner"], rid)
        (first,) = _deliveries(req.id)
        assert json_schemas.problems("catenax-pcf-9.0.0", first.body) == []
        queued = catenax_exchange.push_updates(db.session, _declaration("ZJ-EL-NCM"))
        update = db.session.get(PactDelivery, queued[-1])
        assert update.request_id == req.id
        assert update.target_url.endswith(f"/cx/footprintExchange/{rid}?update=true")
        assert json_schemas.problems("catenax-pcf-9.0.0", update.body) == []
        assert pact_sending.attempt(db.session, update.id).status == "sent"
    assert any(p.endswith(f"{rid}?update=true") for p, _, _ in requester.received)


def test_an_unknown_part_waits_in_the_inbox_a_decline_sends_nothing_an_answer_pushes(
    demo_app: Flask, provider: Any
) -> None:
    rid, other = str(uuid.uuid4()), str(uuid.uuid4())
    for r in (rid, other):
        assert provider["get"](f"{PATH}{r}?customerPartId=OEM-4711").status_code == 202
    session = Session(demo_app.test_client())  # the owner's inbox says where it came from
    session.login(OWNER_ADMIN)
    page = session.client.get(
        f"/orgs/{provider['owner']}/requests", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert "Catena-X" in page and "customerPartId <code>OEM-4711</code>" in page
    with demo_app.app_context():
        owner_admin = admin_actor(OWNER_ADMIN)
        req = _request_of(provider["owner"], rid)
        assert req.status is RequestStatus.PENDING and req.part_number == "OEM-4711"
        requests.decline(db.session, owner_admin, req.id, "We do not make this part.")
        assert req.status is RequestStatus.DECLINED and _deliveries(req.id) == []
        req2 = _request_of(provider["owner"], other)
        req2.product_id = _declaration("ZJ-EL-NCM").product_id  # the owner picks the product
        d = _declaration("ZJ-EL-NCM")
        submission = int(d.pinned[str(d.product_id)][0])
        workflow.answer_request(db.session, owner_admin, req2.id, submission, "the same lot", True)
        (push,) = _deliveries(req2.id)
        assert push.type == pact_outbox.CX_PUSH and push.target_url.endswith(other)


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        (
            f"{PATH}5f0c8a2e-1b0d-4c41-9a57-0e6b1f3d2a01",
            400,
            "manufacturerPartId or customerPartId",
        ),
        (
            f"{PATH}6a1d9b3f-2c1e-4d52-8b68-1f7c2e4e3b02?manufacturerPartId=",
            400,
            "manufacturerPartId",
        ),
        (f"{PATH}a%20b?manufacturerPartId=X", 400, "requestId"),
        (f"{PATH}{'x' * 101}?manufacturerPartId=X", 400, "requestId"),
        (
            f"{PATH}7b2eac40-3d2f-4e63-9c79-208d3f5f4c03?manufacturerPartId=X&dataModelVersion=11.0.0",
            422,
            "11.0.0",
        ),
        (
            f"{PATH}8c3fbd51-4e30-4f74-ad8a-319e40604d04?manufacturerPartId=X&dataModelVersion=urn:samm:io.catenax.pcf:8.0.0",
            422,
            "8.0.0",
        ),
    ],
)
def test_bad_requests_get_clear_errors_and_keep_nothing(
    demo_app: Flask, provider: Any, path: str, status: int, words: str
) -> None:
    answer = provider["get"](path)
    assert answer.status_code == status
    assert words in answer.get_json()["message"]
    with demo_app.app_context():
        assert (
            db.session.scalar(
                select(DataRequest.id).where(
                    DataRequest.supplier_id == provider["owner"], DataRequest.part_number == "X"
                )
            )
            is None
        )


def test_authorization_of_the_provider_endpoint(demo_app: Flask, provider: Any) -> None:
    http: FlaskClient = provider["http"]
    path = f"{PATH}{uuid.uuid4()}?manufacturerPartId=ZJ-EL-NCM"
    assert http.get(path).status_code == 401  # no token
    assert http.get(path, headers=_bearer("not-a-token")).status_code == 401
    # a connector naming another company's BPN is refused
    with demo_app.app_context():
        partner = db.session.get(Organization, provider["partner"])
        partner.bpnl = "BPNL0000000PART"
        db.session.commit()
    refused = provider["get"](path, headers={"Edc-Bpn": "BPNL0000000XXXX"})
    assert refused.status_code == 403
    assert provider["get"](path, headers={"Edc-Bpn": "BPNL0000000PART"}).status_code == 202


def test_without_a_configured_address_the_request_is_refused(
    demo_app: Flask, provider: Any
) -> None:
    with demo_app.app_context():
        client = db.session.get(PactClient, provider["client"])
        client.catenax_callback_url = None
        db.session.commit()
    answer = provider["get"](f"{PATH}{uuid.uuid4()}?manufacturerPartId=ZJ-EL-NCM")
    assert answer.status_code == 400 and "PCF Exchange address" in answer.get_json()["message"]


def test_the_callback_address_follows_the_outbound_rules(
    demo_app: Flask, provider: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(demo_app.config, "PACT_OUTBOUND_ALLOW_PRIVATE", False)
    with demo_app.app_context(), force_locale("en"):
        admin = _admin(db.session, provider["owner"])
        for url, words in (
            ("http://partner.example/cx", "https://"),
            ("https://127.0.0.1/cx", "loopback"),
            ("https://169.254.169.254/latest", "link-local"),
            ("https://10.0.0.8/cx", "private"),
        ):
            with pytest.raises(InvalidInput) as err:
                catenax_exchange.set_callback(
                    db.session, admin, provider["owner"], provider["client"], url
                )
            assert words in err.value.errors["catenax_callback_url"][0]
        db.session.rollback()
        with pytest.raises(NotAllowed):  # another organization's member
            catenax_exchange.set_callback(
                db.session,
                admin_actor(BUYER_ADMIN),
                provider["owner"],
                provider["client"],
                "https://partner.example/cx",
            )


# -- requester -----------------------------------------------------------------------------------


def _ask(setup: Any, version: str = "10.0.0") -> tuple[str, int]:  # noqa: F811
    sent, delivery_id = catenax_requests.ask(
        db.session,
        admin_actor(BUYER_ADMIN),
        setup["buyer"],
        setup["credential"],
        "manufacturerPartId",
        "CELL-42",
        version,
        "For the 2025 cells",
    )
    return sent.event_id, delivery_id


def _partner_pcf(demo_app: Flask, version: str) -> dict[str, Any]:
    """A valid PCF as the partner's connector would push it (the demo's, with a new id)."""
    http = demo_app.test_client()
    with demo_app.app_context():
        public_id = _declaration("ZJ-EL-NCM").public_id
    body = http.get(
        f"/catenax/pcf/{public_id}?dataModelVersion={version}", headers=_bearer(_token(http))
    ).get_json()
    info = body["pcfAssessmentAndMethodology"][0]["pcfAssessmentInformation"][0]
    info["idAndVersion"][0]["id"] = str(uuid.uuid4())
    return body


def test_our_request_leaves_as_a_get_and_the_partners_put_lands_as_a_partner_footprint(
    demo_app: Flask,
    setup: Any,  # noqa: F811
    requester: Requester,  # noqa: F811
) -> None:
    http = demo_app.test_client()
    with demo_app.app_context():
        rid, delivery_id = _ask(setup)
        assert pact_sending.attempt(db.session, delivery_id).status == "sent"
    ((path, headers, body),) = [r for r in requester.received if rid in r[0]]
    parts = urllib.parse.urlsplit(path)
    assert parts.path == f"{PATH}{rid}" and body is None
    assert headers["Authorization"].startswith("Bearer ")
    assert urllib.parse.parse_qs(parts.query) == {
        "manufacturerPartId": ["CELL-42"],
        "dataModelVersion": [V10],
        "message": ["For the 2025 cells"],
    }
    token = _partner_token(http, setup)
    pcf = _partner_pcf(demo_app, "10.0.0")
    put = http.put(f"{PATH}{rid}", json=pcf, headers=_bearer(token))
    assert put.status_code == 200, put.get_json()
    # answered: a second PUT without update=true is a conflict
    assert http.put(f"{PATH}{rid}", json=pcf, headers=_bearer(token)).status_code == 409
    # an update with a new version of the same PCF is kept beside the first
    info = pcf["pcfAssessmentAndMethodology"][0]["pcfAssessmentInformation"][0]
    info["idAndVersion"][0]["version"] = 2
    again = http.put(f"{PATH}{rid}?update=true", json=pcf, headers=_bearer(token))
    assert again.status_code == 200, again.get_json()
    with demo_app.app_context():
        sent = db.session.scalar(select(PactRequestSent).where(PactRequestSent.event_id == rid))
        assert sent.status == "fulfilled" and len(sent.imported) == 2
        first = db.session.get(ExternalFootprint, sent.imported[0])
        assert first.organization_id == setup["buyer"] and first.origin == "request"
        assert first.pf_id == info["idAndVersion"][0]["id"]
    session = Session(demo_app.test_client())  # the buyer's inbox shows the request's state
    session.login(BUYER_ADMIN)
    page = session.client.get(
        f"/orgs/{setup['buyer']}/requests", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert "CELL-42" in page and "Catena-X" in page


def test_a_legacy_request_takes_9_0_0_only_and_bad_puts_are_refused(
    demo_app: Flask,
    setup: Any,  # noqa: F811
) -> None:
    http = demo_app.test_client()
    with demo_app.app_context():
        rid, _ = _ask(setup, "")
    token = _partner_token(http, setup)
    v10 = http.put(f"{PATH}{rid}", json=_partner_pcf(demo_app, "10.0.0"), headers=_bearer(token))
    assert v10.status_code == 400 and "9.0.0" in v10.get_json()["message"]
    assert http.put(f"{PATH}{rid}", json={"x": 1}, headers=_bearer(token)).status_code == 400
    unknown = http.put(
        f"{PATH}{uuid.uuid4()}", json=_partner_pcf(demo_app, "9.0.0"), headers=_bearer(token)
    )
    assert unknown.status_code == 404
    assert http.put(f"{PATH}{rid}", json=_partner_pcf(demo_app, "9.0.0")).status_code == 401
    ok = http.put(f"{PATH}{rid}", json=_partner_pcf(demo_app, "9.0.0"), headers=_bearer(token))
    assert ok.status_code == 200, ok.get_json()


def test_a_put_from_another_partner_is_not_found(demo_app: Flask, setup: Any) -> None:  # noqa: F811
    http = demo_app.test_client()
    with demo_app.app_context():
        rid, _ = _ask(setup)
    other = _token(http)  # the demo's partner of the electrolyte maker, not ours
    put = http.put(f"{PATH}{rid}", json=_partner_pcf(demo_app, "10.0.0"), headers=_bearer(other))
    assert put.status_code == 404
    with demo_app.app_context():
        sent = db.session.scalar(select(PactRequestSent).where(PactRequestSent.event_id == rid))
        assert sent.status == "waiting" and sent.imported == []


def test_bad_asks_are_refused_and_only_buyers_ask(demo_app: Flask, setup: Any) -> None:  # noqa: F811
    with demo_app.app_context():
        admin = admin_actor(BUYER_ADMIN)
        for args, field in (
            (("sku", "X", "10.0.0"), "part_kind"),
            (("manufacturerPartId", " ", "10.0.0"), "part_id"),
            (("manufacturerPartId", "X", "11.0.0"), "data_model_version"),
        ):
            with pytest.raises(InvalidInput) as err:
                catenax_requests.ask(
                    db.session, admin, setup["buyer"], setup["credential"], *args, None
                )
            assert field in err.value.errors
        with pytest.raises(NotAllowed):
            catenax_requests.ask(
                db.session,
                admin_actor(OWNER_ADMIN),
                setup["buyer"],
                setup["credential"],
                "manufacturerPartId",
                "X",
                "",
                None,
            )
        db.session.rollback()
        assert (
            db.session.query(PactRequestSent).filter(PactRequestSent.catenax.is_not(None)).count()
            == 0
        )


# -- the pages -----------------------------------------------------------------------------------


def test_the_inbox_form_asks_over_catena_x_and_explains_in_both_languages(
    demo_app: Flask,
    setup: Any,  # noqa: F811
) -> None:
    session = Session(demo_app.test_client())
    session.login(BUYER_ADMIN)
    path = f"/orgs/{setup['buyer']}/requests/catenax"
    form = {
        "cx_credential_id": setup["credential"],
        "part_kind": "manufacturerPartId",
        "part_id": "CELL-42",
        "data_model_version": "12.0.0",
    }
    refused = session.post(path, form)
    assert refused.status_code == 422 and "9.0.0" in refused.get_data(as_text=True)
    done = session.post(path, {**form, "data_model_version": "10.0.0"})
    assert done.status_code == 302
    page = session.client.get(f"/orgs/{setup['buyer']}/requests").get_data(as_text=True)
    assert "Catena-X" in page and "CELL-42" in page and "等待对方答复" in page
    assert "PCF 数据模型 10.0.0" in page
    # a member of another organization cannot ask in the buyer's name
    other = Session(demo_app.test_client())
    other.login(OWNER_ADMIN)
    assert other.post(path, {**form, "data_model_version": "10.0.0"}).status_code in (403, 404)
    with demo_app.app_context():
        assert (
            db.session.query(PactRequestSent)
            .filter(PactRequestSent.organization_id == setup["buyer"])
            .count()
            == 1
        )


def test_the_pact_page_sets_the_callback_address_and_only_for_its_admin(
    demo_app: Flask,
    provider: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = f"/orgs/{provider['owner']}/pact/{provider['client']}/catenax"
    admin = Session(demo_app.test_client())
    admin.login(OWNER_ADMIN)
    monkeypatch.setitem(demo_app.config, "PACT_OUTBOUND_ALLOW_PRIVATE", False)
    refused = admin.post(path, {"catenax_callback_url": "https://127.0.0.1/cx"})
    assert refused.status_code == 422 and "本机回环地址" in refused.get_data(as_text=True)
    ok = admin.post(path, {"catenax_callback_url": "https://partner.example/cx"})
    assert ok.status_code == 200 and "https://partner.example/cx" in ok.get_data(as_text=True)
    other = Session(demo_app.test_client())
    other.login(BUYER_ADMIN)
    assert other.post(path, {"catenax_callback_url": "https://evil.example"}).status_code in (
        403,
        404,
    )
    with demo_app.app_context():
        client = db.session.get(PactClient, provider["client"])
        assert client.catenax_callback_url == "https://partner.example/cx"


def test_a_push_whose_footprint_is_no_longer_shared_is_cancelled(
    demo_app: Flask, provider: Any
) -> None:
    rid = str(uuid.uuid4())
    assert provider["get"](f"{PATH}{rid}?manufacturerPartId=ZJ-EL-NCM").status_code == 202
    with demo_app.app_context():
        req = _request_of(provider["owner"], rid)
        (push,) = _deliveries(req.id)
        share = sharing._active(db.session, req.product_id, provider["partner"])
        workflow.revoke(db.session, admin_actor(OWNER_ADMIN), share.id)
        done = pact_sending.attempt(db.session, push.id)
        assert done is not None and done.status == "cancelled"


def test_a_pact_answer_naming_a_catena_x_request_changes_nothing(
    demo_app: Flask,
    setup: Any,  # noqa: F811
) -> None:
    http = demo_app.test_client()
    with demo_app.app_context():
        rid, _ = _ask(setup)
    token = _partner_token(http, setup)
    error = {"code": "NotFound", "message": "No."}
    answer = http.post(
        "/3/events",
        json={
            "type": "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3",
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "https://partner.example/3/events",
            "time": "2026-03-01T08:00:00Z",
            "data": {"requestEventId": rid, "error": error},
        },
        headers=_bearer(token),
        content_type="application/cloudevents+json",
    )
    assert answer.status_code == 200
    with demo_app.app_context():
        sent = db.session.scalar(select(PactRequestSent).where(PactRequestSent.event_id == rid))
        assert sent.status == "waiting" and sent.error is None
