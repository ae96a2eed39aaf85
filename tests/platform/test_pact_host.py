"""Tanlian as a PACT v3 host system, through the Flask test client: the token endpoint and
discovery, bearer tokens (missing, garbage, expired, revoked, rotated), ListFootprints with every
filter and its page links, GetFootprint, the error bodies, the audit trail, and the owner's page
of PACT clients. The same cases over real HTTPS, as the conformance tool runs them, are in
test_pact_conformance.py."""

from __future__ import annotations

import base64
import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from footprint_platform import json_schemas
from footprint_platform.demo_pact import demo_pact_logins
from footprint_platform.extensions import db
from footprint_platform.models import (
    AuditEvent,
    Declaration,
    FootprintShare,
    MemberRole,
    PactAccessToken,
    PactClient,
    Product,
    utcnow,
)
from footprint_platform.policy import Action, PactGrant, allowed
from footprint_platform.services import workflow
from footprint_platform.services.disclosure import declarations, publication
from footprint_platform.services.pact import clients as pact_clients
from footprint_platform.services.pact.footprint import urn
from tests.conftest import Session
from tests.platform.demo_ids import admin_actor, org_id

pytestmark = pytest.mark.postgres

OWNER, PARTNER, CLIENT_ID, SECRET = demo_pact_logins()[0]
OWNER_ADMIN = "data@zhujiang-electrolyte.example"
SHARED = ("ZJ-EL-NCM", "ZJ-EL-LFP")
DOMAIN = "tanlian.example"
PERIOD = (date(2025, 1, 1), date(2025, 12, 31))


def _basic(client_id: str = CLIENT_ID, secret: str = SECRET) -> dict[str, str]:
    pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def _token(client: FlaskClient, **kw: Any) -> str:
    response = client.post(
        "/auth/token", data={"grant_type": "client_credentials"}, headers=_basic(**kw)
    )
    assert response.status_code == 200, response.get_json()
    return str(response.get_json()["access_token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def pact(demo_app: Flask) -> Any:
    """A test client and a GET with the demo partner's token."""
    client = demo_app.test_client()
    token = _token(client)

    def get(path: str, **kw: Any) -> Any:
        return client.get(path, headers=_bearer(token), **kw)

    get.client = client  # type: ignore[attr-defined]
    get.token = token  # type: ignore[attr-defined]
    return get


def _declaration(part: str) -> Declaration:
    return db.session.scalar(
        select(Declaration)
        .join(Product)
        .where(Product.part_number == part, Declaration.published_at.is_not(None))
        .order_by(Declaration.version.desc())
        .limit(1)
    )


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [pf["id"] for pf in response.get_json()["data"]]


def _shared_ids(app: Flask) -> set[str]:
    with app.app_context():
        return {_declaration(p).public_id for p in SHARED}


def _product_id(app: Flask, part: str) -> int:
    with app.app_context():
        return int(db.session.scalar(select(Product.id).where(Product.part_number == part)))


def _redeclare(app: Flask, part: str) -> tuple[str, str]:
    """Publish a new version of a shared declaration: (old id, new id)."""
    with app.app_context():
        old = _declaration(part)
        admin = admin_actor(OWNER_ADMIN)
        new = declarations.declare(db.session, admin, old.product_id, *PERIOD, "Corrected data")
        publication.publish(db.session, admin, new.id)
        return old.public_id, new.public_id


# -- the token endpoint and discovery ------------------------------------------------------------


def test_discovery_names_the_token_endpoint_on_the_host_called(client: FlaskClient) -> None:
    response = client.get("/.well-known/openid-configuration", base_url="https://pact.example")
    assert response.status_code == 200
    assert response.get_json()["token_endpoint"] == "https://pact.example/auth/token"


def test_a_token_for_good_credentials_expires_and_is_not_cached(
    demo_app: Flask, client: FlaskClient
) -> None:
    response = client.post(
        "/auth/token", data={"grant_type": "client_credentials", "scope": "x"}, headers=_basic()
    )
    assert response.status_code == 200  # no CSRF token needed: credentials are in the header
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["access_token"].startswith("tpa_") and len(body["access_token"]) > 40
    assert response.headers["Cache-Control"] == "no-store"
    with demo_app.app_context():
        stored = db.session.scalars(select(PactAccessToken)).all()
        assert body["access_token"] not in {t.token_hash for t in stored}  # only a hash is kept
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "pact.token")
        ).one()
        assert event.channel == "pact" and event.ip == "127.0.0.1"
        assert event.actor_organization_id == org_id(PARTNER)
        assert event.organization_id == org_id(OWNER)


def test_credentials_may_come_in_the_form_but_not_both_ways(client: FlaskClient) -> None:
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET}
    assert client.post("/auth/token", data=form).status_code == 200
    both = client.post("/auth/token", data=form, headers=_basic())
    assert (both.status_code, both.get_json()["error"]) == (400, "invalid_request")


@pytest.mark.parametrize(
    "headers",
    [
        _basic(secret="wrong"),
        _basic(client_id="pact-unknown"),
        {"Authorization": "Basic not-base64!"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
        {},
    ],
    ids=["wrong secret", "unknown client", "not base64", "no colon", "nothing"],
)
def test_a_bad_client_gets_invalid_client(
    demo_app: Flask, client: FlaskClient, headers: dict[str, str]
) -> None:
    response = client.post(
        "/auth/token", data={"grant_type": "client_credentials"}, headers=headers
    )
    assert response.status_code == 401 and response.mimetype == "application/json"
    assert response.get_json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    with demo_app.app_context():
        assert not db.session.scalars(select(PactAccessToken)).all()


def test_a_refused_secret_is_audited_for_its_owner(demo_app: Flask, client: FlaskClient) -> None:
    client.post(
        "/auth/token", data={"grant_type": "client_credentials"}, headers=_basic(secret="x")
    )
    with demo_app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "pact.token_refused")
        ).one()
        assert event.organization_id == org_id(OWNER)
        assert event.details == {"client_id": CLIENT_ID}


@pytest.mark.parametrize(
    ("grant", "status", "error"),
    [(None, 400, "invalid_request"), ("password", 400, "unsupported_grant_type")],
)
def test_only_the_client_credentials_grant(
    client: FlaskClient, grant: str | None, status: int, error: str
) -> None:
    response = client.post(
        "/auth/token", data={"grant_type": grant} if grant else {}, headers=_basic()
    )
    assert (response.status_code, response.get_json()["error"]) == (status, error)


def test_the_token_endpoint_takes_post_only(client: FlaskClient) -> None:
    response = client.get("/auth/token")
    assert response.status_code == 405 and "error" in response.get_json()


def test_token_requests_are_rate_limited(
    demo_app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(demo_app.config, "PACT_TOKEN_RATE_LIMIT", "3 per minute")
    form = {"grant_type": "client_credentials"}
    codes = [
        client.post("/auth/token", data=form, headers=_basic("x", "y")).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    limited = client.post("/auth/token", data=form, headers=_basic())
    assert limited.status_code == 429
    assert limited.get_json()["error"] == "temporarily_unavailable"


# -- bearer tokens -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer garbage"},
        {"Authorization": "Basic x"},
    ],
    ids=["none", "empty", "garbage", "not bearer"],
)
@pytest.mark.parametrize(
    "path", ["/3/footprints", "/3/footprints/00000000-0000-0000-0000-000000000000"]
)
def test_a_missing_or_bad_token_is_401_bad_request(
    client: FlaskClient, headers: dict[str, str], path: str
) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == 401 and response.mimetype == "application/json"
    assert response.get_json()["code"] == "BadRequest" and response.get_json()["message"]
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="pact"')


def test_an_expired_token_is_401_token_expired(demo_app: Flask, pact: Any) -> None:
    with demo_app.app_context():
        db.session.execute(
            update(PactAccessToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    response = pact("/3/footprints")
    assert (response.status_code, response.get_json()["code"]) == (401, "TokenExpired")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_revoking_the_client_ends_its_tokens_and_its_secret(demo_app: Flask, pact: Any) -> None:
    with demo_app.app_context():
        client = db.session.scalars(select(PactClient)).one()
        pact_clients.revoke_client(db.session, admin_actor(OWNER_ADMIN), client.owner_id, client.id)
    assert pact("/3/footprints").status_code == 401
    refused = pact.client.post(
        "/auth/token", data={"grant_type": "client_credentials"}, headers=_basic()
    )
    assert refused.status_code == 401


def test_rotating_the_secret_ends_the_old_one_and_its_tokens(demo_app: Flask, pact: Any) -> None:
    with demo_app.app_context():
        client = db.session.scalars(select(PactClient)).one()
        _, secret = pact_clients.rotate_secret(
            db.session, admin_actor(OWNER_ADMIN), client.owner_id, client.id
        )
    assert pact("/3/footprints").status_code == 401
    form = {"grant_type": "client_credentials"}
    assert pact.client.post("/auth/token", data=form, headers=_basic()).status_code == 401
    fresh = _token(pact.client, secret=secret)
    assert pact.client.get("/3/footprints", headers=_bearer(fresh)).status_code == 200


def test_a_signed_in_person_is_not_a_pact_client(auth: Session) -> None:
    auth.login(OWNER_ADMIN)
    assert auth.client.get("/3/footprints").status_code == 401


# -- ListFootprints ----------------------------------------------------------------------------


def _no_numbers(value: Any) -> bool:
    """True if no JSON number sits anywhere in the footprint's pcf (PACT decimals are strings)."""
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return False
    if isinstance(value, dict):
        return all(_no_numbers(v) for v in value.values())
    if isinstance(value, list):
        return all(_no_numbers(v) for v in value)
    return True


def test_the_list_holds_exactly_what_the_owner_shared_and_published(
    demo_app: Flask, pact: Any
) -> None:
    response = pact("/3/footprints")
    assert response.mimetype == "application/json" and "Link" not in response.headers
    data = response.get_json()["data"]
    assert {pf["id"] for pf in data} == _shared_ids(demo_app) and len(data) == 2
    for pf in data:
        assert json_schemas.problems("pact", pf) == []
        assert _no_numbers(pf["pcf"])
        assert pf["companyName"] == OWNER and pf["status"] == "Active"


def test_drafts_unshared_products_and_revoked_shares_stay_out(demo_app: Flask, pact: Any) -> None:
    with demo_app.app_context():
        admin = admin_actor(OWNER_ADMIN)
        lfp = _declaration("ZJ-EL-LFP")
        draft = declarations.declare(
            db.session, admin, _product_id(demo_app, "ZJ-EL-NCM"), *PERIOD, "Draft"
        )
        draft_id, lfp_id = draft.public_id, lfp.public_id
        share = db.session.scalars(
            select(FootprintShare).where(FootprintShare.product_id == lfp.product_id)
        ).one()
        workflow.revoke(db.session, admin, share.id)
    ids = _ids(pact("/3/footprints"))
    assert ids == [_declaration_id(demo_app, "ZJ-EL-NCM")]
    assert (
        pact(f"/3/footprints/{draft_id}").status_code,
        pact(f"/3/footprints/{lfp_id}").status_code,
    ) == (404, 403)


def _declaration_id(app: Flask, part: str) -> str:
    with app.app_context():
        return _declaration(part).public_id


def test_other_owners_footprints_are_access_denied(demo_app: Flask, pact: Any) -> None:
    other = _declaration_id(demo_app, "DT-P811-150")  # published, by the cell maker
    response = pact(f"/3/footprints/{other}")
    assert response.status_code == 403 and response.get_json()["code"] == "AccessDenied"
    assert other not in _ids(pact("/3/footprints"))
    with demo_app.app_context():
        denied = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "pact.get_denied")
        ).one()
        assert denied.actor_organization_id == org_id(PARTNER)


def test_a_replaced_footprint_is_deprecated_and_named_by_its_successor(
    demo_app: Flask, pact: Any
) -> None:
    old, new = _redeclare(demo_app, "ZJ-EL-NCM")
    data = {pf["id"]: pf for pf in pact("/3/footprints").get_json()["data"]}
    assert data[old]["status"] == "Deprecated" and data[new]["status"] == "Active"
    assert data[new]["precedingPfIds"] == [old]
    assert pact(f"/3/footprints/{old}").get_json()["data"]["status"] == "Deprecated"
    assert set(_ids(pact("/3/footprints?status=Active"))) == _shared_ids(demo_app)
    assert _ids(pact("/3/footprints?status=deprecated")) == [old]


def _urns(app: Flask, part: str) -> dict[str, str]:
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.part_number == part))
        org = product.organization_id
        return {
            "product": urn(DOMAIN, "product-id", product.id),
            "supplier": urn(DOMAIN, "supplier-id", org, product.part_number),
            "company": urn(DOMAIN, "company-id", org),
            "category": urn(DOMAIN, "category-id", product.category),
        }


def test_each_filter_matches_its_field_ignoring_case(demo_app: Flask, pact: Any) -> None:
    ncm, lfp = _urns(demo_app, "ZJ-EL-NCM"), _urns(demo_app, "ZJ-EL-LFP")
    ncm_id = _declaration_id(demo_app, "ZJ-EL-NCM")
    both = _shared_ids(demo_app)
    cases = {
        f"productId={ncm['product']}": {ncm_id},
        f"productId={ncm['supplier'].upper()}": {ncm_id},
        f"productid={ncm['product']}": {ncm_id},  # parameter names too (the spec's example)
        f"productId={ncm['product']}&productId={lfp['product']}": both,  # OR within
        f"companyId={ncm['company']}": both,
        f"classification={ncm['category']}": both,
        "geography=CN-GD": both,
        "geography=cn-gd&geography=XX": both,
        "geography=CN": set(),  # exact: a country does not match its subdivisions
        f"productId={ncm['product']}&classification=urn:x:y": set(),  # AND across
        "status=ACTIVE": both,
        "status=BogusStatus": set(),
        f"productId={ncm['product']}&x-acme-invoice=7": {ncm_id},  # vendor filters ignored
        "geography=&classification=": both,  # empty values: no filter
    }
    for query, expected in cases.items():
        assert set(_ids(pact(f"/3/footprints?{query}"))) == expected, query


def test_validity_filters_use_the_period_boundaries(demo_app: Flask, pact: Any) -> None:
    both = _shared_ids(demo_app)
    pf = pact("/3/footprints").get_json()["data"][0]
    start, end = pf["validityPeriodStart"], pf["validityPeriodEnd"]
    assert (start, end) == ("2026-01-01T00:00:00Z", "2029-01-01T00:00:00Z")
    cases = {
        f"validOn={start}": both,  # start <= validOn <= end
        f"validOn={end}": both,
        "validOn=2029-01-01T00:00:01Z": set(),
        "validOn=2025-12-31T23:59:59.999Z": set(),
        "validOn=2027-06-01T08:00:00+08:00": both,
        "validOn=2027-06-01T08:00:00 08:00": both,  # "+" sent unencoded arrives as a space
        "validOn=2027-06-01": both,
        "validAfter=2025-12-31T00:00:00.000Z": both,  # start > validAfter
        f"validAfter={start}": set(),
        "validBefore=2029-01-02T00:00:00.000Z": both,  # end < validBefore
        f"validBefore={end}": set(),
        "validOn=1900-01-01T00:00:00Z": set(),
        "validAfter=2099-12-31T23:59:59Z": set(),
    }
    for query, expected in cases.items():
        assert set(_ids(pact(f"/3/footprints?{query}"))) == expected, query


@pytest.mark.parametrize(
    "query", ["validOn=yesterday", "validBefore=2025-13-01", "limit=-1", "limit=ten"]
)
def test_a_malformed_timestamp_or_limit_is_a_bad_request(pact: Any, query: str) -> None:
    response = pact(f"/3/footprints?{query}")
    assert response.status_code == 400 and response.get_json()["code"] == "BadRequest"


def _next(response: Any) -> str | None:
    header = response.headers.get("Link")
    if header is None:
        return None
    match = re.fullmatch(r'<([^>]+)>; rel="next"', header)
    assert match, header
    return match.group(1)


def test_pages_follow_absolute_links_on_the_host_called(demo_app: Flask, pact: Any) -> None:
    first = pact("/3/footprints?limit=1", base_url="https://pact.example:8443")
    link = _next(first)
    assert link is not None and link.startswith("https://pact.example:8443/3/footprints?")
    assert dict(parse_qsl(urlsplit(link).query))["limit"] == "1"
    second = pact(link)
    assert len(_ids(first)) == 1 and len(_ids(second)) == 1
    assert set(_ids(first) + _ids(second)) == _shared_ids(demo_app)
    assert _next(second) is None
    assert _ids(pact(link)) == _ids(second)  # a link may be called again, same page


def test_a_page_link_keeps_its_snapshot(demo_app: Flask, pact: Any) -> None:
    first = pact("/3/footprints?limit=1")
    link = _next(first)
    _, new = _redeclare(demo_app, "ZJ-EL-NCM")  # published after the first page
    pages = _ids(first) + _ids(pact(link))
    assert new not in pages and len(pages) == 2
    assert new in _ids(pact("/3/footprints"))  # a fresh listing sees it


def test_page_links_last_their_ttl_and_no_longer(
    pact: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from itsdangerous.timed import TimestampSigner

    real = TimestampSigner.get_timestamp
    for age, status in ((890, 200), (910, 400)):  # PACT_PAGE_LINK_TTL_SECONDS = 900 >= 180
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self, a=age: real(self) - a)
        link = _next(pact("/3/footprints?limit=1"))
        monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
        assert pact(link).status_code == status


def test_a_page_link_is_bound_to_its_filters_and_client(demo_app: Flask, pact: Any) -> None:
    link = _next(pact("/3/footprints?limit=1&geography=CN-GD"))
    assert pact(link.replace("CN-GD", "XX")).status_code == 400
    assert pact(link.replace("cursor=", "cursor=x")).status_code == 400
    with demo_app.app_context():
        admin = admin_actor(OWNER_ADMIN)
        partner = org_id(PARTNER)
        _, secret = pact_clients.create_client(db.session, admin, org_id(OWNER), partner, "second")
        second = db.session.scalars(select(PactClient).where(PactClient.name == "second")).one()
    other = _token(pact.client, client_id=second.client_id, secret=secret)
    assert pact.client.get(link, headers=_bearer(other)).status_code == 400


def test_limit_is_never_exceeded_and_capped_by_the_page_size(
    demo_app: Flask, pact: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        _ids(pact("/3/footprints?limit=0")) == []
        and "Link" not in pact("/3/footprints?limit=0").headers
    )
    assert len(_ids(pact("/3/footprints?limit=5"))) == 2
    monkeypatch.setitem(demo_app.config, "PACT_PAGE_SIZE_MAX", 1)
    capped = pact("/3/footprints?limit=5")
    assert len(_ids(capped)) == 1 and _next(capped) is not None


def test_every_list_and_get_is_audited_for_the_owner(demo_app: Flask, pact: Any) -> None:
    listed = _ids(pact("/3/footprints?geography=CN-GD"))
    pact(f"/3/footprints/{listed[0]}")
    with demo_app.app_context():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(["pact.list", "pact.get"]))
            .order_by(AuditEvent.id)
        ).all()
    assert [e.action for e in events] == ["pact.list", "pact.get"]
    for e in events:
        assert (e.channel, e.ip, e.actor_user_id) == ("pact", "127.0.0.1", None)
        assert (e.actor_organization_id, e.organization_id) == (
            org_id_of(demo_app, PARTNER),
            org_id_of(demo_app, OWNER),
        )
    assert events[0].details["ids"] == listed and events[0].details["filters"] == {
        "geographies": ["cn-gd"]
    }
    assert events[1].details["id"] == listed[0]


def org_id_of(app: Flask, name: str) -> int:
    with app.app_context():
        return org_id(name)


# -- GetFootprint ------------------------------------------------------------------------------


def test_get_returns_the_footprint_under_data(demo_app: Flask, pact: Any) -> None:
    wanted = _declaration_id(demo_app, "ZJ-EL-LFP")
    for asked in (wanted, wanted.upper()):
        response = pact(f"/3/footprints/{asked}")
        assert response.status_code == 200
        pf = response.get_json()["data"]
        assert pf["id"] == wanted and json_schemas.problems("pact", pf) == []


@pytest.mark.parametrize(
    ("pf_id", "status", "code"),
    [
        ("not-a-uuid", 400, "BadRequest"),
        ("3f2a9c1e/x", 400, "BadRequest"),
        ("00000000-0000-0000-0000-000000000000", 404, "NotFound"),
    ],
)
def test_get_errors(pact: Any, pf_id: str, status: int, code: str) -> None:
    response = pact(f"/3/footprints/{pf_id}")
    assert (response.status_code, response.get_json()["code"]) == (status, code)
    assert response.mimetype == "application/json" and response.get_json()["message"]


def test_other_paths_and_methods_answer_in_pact_s_format(pact: Any) -> None:
    assert pact("/3/nothing-here").get_json()["code"] == "NotFound"
    posted = pact.client.post("/3/footprints", headers=_bearer(pact.token))
    assert posted.status_code == 405 and posted.get_json()["code"] == "BadRequest"


def test_https_only_when_required(
    demo_app: Flask, pact: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(demo_app.config, "PACT_REQUIRE_HTTPS", True)
    plain = pact("/3/footprints")
    assert (plain.status_code, plain.get_json()["code"]) == (400, "BadRequest")
    assert "Location" not in plain.headers  # refused, never redirected
    assert pact("/3/footprints", base_url="https://localhost").status_code == 200
    form = {"grant_type": "client_credentials"}
    token = pact.client.post("/auth/token", data=form, headers=_basic())
    assert (token.status_code, token.get_json()["error"]) == (400, "invalid_request")


def test_behind_a_trusted_proxy_links_name_the_public_https_host(demo_app: Flask) -> None:
    from app import create_app
    from tests.conftest import TEST_SETTINGS

    behind = create_app(
        {
            **TEST_SETTINGS,
            "SQLALCHEMY_DATABASE_URI": demo_app.config["SQLALCHEMY_DATABASE_URI"],
            "PROXY_COUNT": 1,
        }
    )
    response = behind.test_client().get(
        "/.well-known/openid-configuration",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "pact.example.cn"},
    )
    assert response.get_json()["token_endpoint"] == "https://pact.example.cn/auth/token"


# -- policy and the owner's page ---------------------------------------------------------------


def test_a_pact_client_may_read_and_post_events_to_its_owner_and_nothing_else() -> None:
    from footprint_platform.policy import Actor

    partner = Actor(user_id=None, roles={}, channel="pact", pact=PactGrant(1, 10, 20))
    pact_actions = (Action.READ_PACT_FOOTPRINTS, Action.SEND_PACT_EVENTS)
    for action in pact_actions:
        assert allowed(partner, action, 10)
        assert not allowed(partner, action, 20)
    assert not any(
        allowed(partner, a, o) for a in Action if a not in pact_actions for o in (10, 20, None)
    )
    person = Actor(user_id=1, roles={10: MemberRole.ADMIN})
    assert not any(allowed(person, a, 10) for a in pact_actions)


def test_an_admin_issues_rotates_and_revokes_a_client_on_the_page(
    demo_app: Flask, auth: Session
) -> None:
    owner, partner = org_id_of(demo_app, OWNER), org_id_of(demo_app, PARTNER)
    auth.login(OWNER_ADMIN)
    page = auth.client.get(f"/orgs/{owner}/pact").get_data(as_text=True)
    assert CLIENT_ID in page and SECRET not in page
    made = auth.post(f"/orgs/{owner}/pact", {"partner_id": partner, "name": "Elbtal QA system"})
    html = made.get_data(as_text=True)
    client_id = re.search(r'id="new-client-id">([^<]+)<', html).group(1)
    secret = re.search(r'id="new-client-secret">([^<]+)<', html).group(1)
    assert secret not in auth.client.get(f"/orgs/{owner}/pact").get_data(as_text=True)  # once
    _token(auth.client, client_id=client_id, secret=secret)
    with demo_app.app_context():
        pk = db.session.scalar(select(PactClient.id).where(PactClient.client_id == client_id))
    rotated = auth.post(f"/orgs/{owner}/pact/{pk}/rotate").get_data(as_text=True)
    new_secret = re.search(r'id="new-client-secret">([^<]+)<', rotated).group(1)
    assert new_secret != secret
    _token(auth.client, client_id=client_id, secret=new_secret)
    auth.post(f"/orgs/{owner}/pact/{pk}/revoke")
    form = {"grant_type": "client_credentials"}
    assert (
        auth.client.post(
            "/auth/token", data=form, headers=_basic(client_id, new_secret)
        ).status_code
        == 401
    )
    with demo_app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.like("pact_client.%"), AuditEvent.organization_id == owner)
            .order_by(AuditEvent.id)
        ).all()
    assert actions == [
        "pact_client.create",
        "pact_client.create",
        "pact_client.rotate",
        "pact_client.revoke",
    ]


def test_a_client_is_issued_only_to_a_buyer_organization(demo_app: Flask, auth: Session) -> None:
    owner = org_id_of(demo_app, OWNER)
    verifier = org_id_of(demo_app, "Qingyuan Carbon Verification Co.")
    auth.login(OWNER_ADMIN)
    for partner in (verifier, owner):
        response = auth.post(f"/orgs/{owner}/pact", {"partner_id": partner, "name": "x"})
        assert response.status_code == 422


def test_a_footprint_failing_the_schema_is_an_internal_error_not_served(
    pact: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_schemas, "problems", lambda name, pf: ["pcf: broken"])
    response = pact("/3/footprints")
    assert response.status_code == 500
    assert response.get_json() == {"code": "InternalError", "message": "Internal error."}


def test_page_links_may_not_be_configured_below_180_seconds() -> None:
    from app import create_app
    from footprint_platform.settings import ConfigurationError
    from tests.conftest import TEST_SETTINGS

    with pytest.raises(ConfigurationError, match="180"):
        create_app({**TEST_SETTINGS, "PACT_PAGE_LINK_TTL_SECONDS": 120})
