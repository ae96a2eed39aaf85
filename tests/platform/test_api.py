"""The REST API: its OpenAPI contract, its docs page, JSON errors, tokens."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import ApiToken
from tests.conftest import Session
from tests.platform.demo_ids import PACK, Ids, org_id

pytestmark = pytest.mark.postgres


@pytest.fixture
def client(prepared_app: Flask) -> FlaskClient:
    return prepared_app.test_client()


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_openapi_document_is_valid_openapi_3(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/products/{product_id}" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_docs_page_loads_its_assets_from_our_own_server(client: FlaskClient) -> None:
    html = client.get("/api/docs").get_data(as_text=True)
    assets = [a for a in html.split('"') if a.endswith((".js", ".css"))]
    assert assets and all(a.startswith("/static/") for a in assets)  # nothing from elsewhere
    for asset in assets:
        assert client.get(asset).status_code == 200


def test_missing_token_is_a_json_401_with_a_challenge(client: FlaskClient) -> None:
    response = client.get("/api/v1/products")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["code"] == "unauthorized"


def test_validation_errors_name_each_field(client: FlaskClient, ids: Ids) -> None:
    response = client.post(
        f"/api/v1/organizations/{ids.org}/products",
        json={"part_number": "", "category": "teapot", "capacity_kwh": "NaN"},
        headers=_bearer(ids.write_secret),
    )
    body = response.get_json()
    assert response.status_code == 422
    assert body["code"] == "invalid_input"
    assert {"part_number", "category", "capacity_kwh", "name_en", "site_id"} <= set(body["errors"])
    assert all(isinstance(v, list) and v for v in body["errors"].values())


def test_domain_errors_are_json_too(client: FlaskClient, ids: Ids) -> None:
    body = {
        "site_id": ids.site,
        "part_number": "X-1",
        "name_en": "Pack",
        "category": "battery_pack",
        "declared_unit": "kWh",
    }
    response = client.post(
        f"/api/v1/organizations/{ids.org}/products", json=body, headers=_bearer(ids.write_secret)
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"chemistry", "capacity_kwh", "mass_kg"}


def test_unknown_api_path_is_json_but_unknown_page_is_html(client: FlaskClient) -> None:
    api = client.get("/api/v1/nothing-here")
    page = client.get("/nothing-here")
    assert api.status_code == page.status_code == 404
    assert api.get_json()["code"] == "not_found"
    assert page.mimetype == "text/html"


def test_wrong_method_answers_405_with_allow(client: FlaskClient, ids: Ids) -> None:
    response = client.delete(f"/api/v1/products/{ids.product}", headers=_bearer(ids.read_secret))
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.get_json()["code"] == "method_not_allowed"


def test_write_token_creates_and_patches_with_version_check(client: FlaskClient, ids: Ids) -> None:
    created = client.post(
        f"/api/v1/organizations/{ids.org}/sites",
        headers=_bearer(ids.write_secret),
        json={"name": "API site", "country": "CN", "province": "SC"},
    )
    assert created.status_code == 201
    site = created.get_json()
    assert site["grid_region"] == "CN-SW" and site["version"] == 1
    patched = client.patch(
        f"/api/v1/sites/{site['id']}",
        headers=_bearer(ids.write_secret),
        json={"city": "Chengdu", "version": 1},
    )
    assert patched.status_code == 200 and patched.get_json()["version"] == 2
    stale = client.patch(
        f"/api/v1/sites/{site['id']}",
        headers=_bearer(ids.write_secret),
        json={"city": "Mianyang", "version": 1},
    )
    assert stale.status_code == 409 and stale.get_json()["code"] == "conflict"


def test_decimals_travel_as_strings(client: FlaskClient, ids: Ids) -> None:
    products = client.get(
        "/api/v1/products?category=battery_pack", headers=_bearer(ids.read_secret)
    ).get_json()
    assert products["total"] >= 2
    assert all(isinstance(p["capacity_kwh"], str) for p in products["items"])


def _new_token(demo_app: Flask, scope: str = "write") -> tuple[Session, str]:
    import re

    session = Session(demo_app.test_client())
    session.login("admin@huadong-pack.example")
    with demo_app.app_context():
        pack = org_id(PACK)
    page = session.post(f"/orgs/{pack}/tokens", {"name": "ERP", "scope": scope})
    secret = re.search(r'id="new-token">([^<]+)<', page.get_data(as_text=True))
    assert secret, "the new token is shown once"
    return session, secret.group(1)


def test_a_token_is_shown_once_and_stored_only_as_a_hash(demo_app: Flask) -> None:
    session, secret = _new_token(demo_app)
    with demo_app.app_context():
        stored = db.session.scalars(select(ApiToken)).all()
        assert all(secret not in (t.token_hash, t.prefix) for t in stored)
    html = session.client.get(f"/orgs/{stored[-1].organization_id}/tokens").get_data(as_text=True)
    assert secret not in html and stored[-1].prefix in html


def test_a_revoked_token_stops_working(prepared_app: Flask, client: FlaskClient) -> None:
    session, secret = _new_token(prepared_app)
    assert client.get("/api/v1/products", headers=_bearer(secret)).status_code == 200
    with prepared_app.app_context():
        token = db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
        org, token_id = token.organization_id, token.id
    session.post(f"/orgs/{org}/tokens/{token_id}/revoke")
    assert client.get("/api/v1/products", headers=_bearer(secret)).status_code == 401


def test_a_read_token_cannot_write_even_with_a_bad_body(client: FlaskClient, ids: Ids) -> None:
    response = client.post(
        f"/api/v1/organizations/{ids.org}/sites",
        json={"bogus": 1},
        headers=_bearer(ids.read_secret),
    )
    assert response.status_code == 403


def test_sites_of_another_organization_are_not_readable(client: FlaskClient, ids: Ids) -> None:
    response = client.get(f"/api/v1/sites/{ids.site}", headers=_bearer(ids.other_write_secret))
    assert response.status_code == 404  # as if it did not exist: ids cannot be probed


def test_api_ignores_session_cookies(demo_app: Flask) -> None:
    session = Session(demo_app.test_client())
    session.login("admin@huadong-pack.example")
    assert session.client.get("/api/v1/products").status_code == 401


def test_the_docs_page_never_sends_the_spec_to_an_outside_validator(client: FlaskClient) -> None:
    """Swagger UI defaults to validator.swagger.io; our start-up script switches it off."""
    html = client.get("/api/docs").get_data(as_text=True)
    assert "/static/js/api-docs.js" in html
    script = client.get("/static/js/api-docs.js").get_data(as_text=True)
    assert "validatorUrl: null" in script
