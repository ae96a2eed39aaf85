"""Hostile input gets a clear 4xx and writes nothing: NaN and infinity, numbers too large for
any column, strings far beyond their limits, bytes that are not UTF-8, bodies of the wrong
shape or content type, ids beyond 32 bits, SQL and template injection."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import AuditEvent, Product, SubmissionInput
from tests.conftest import Session
from tests.platform.demo_ids import Ids

BAD_NUMBERS = ["NaN", "nan", "Infinity", "-Infinity", "1e999", "1" * 400, "0x10", "1,5", ""]


def _writes() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(sa.func.count()).select_from(AuditEvent)) or 0,
        db.session.scalar(select(sa.func.count()).select_from(SubmissionInput)) or 0,
        db.session.scalar(select(sa.func.count()).select_from(Product)) or 0,
    )


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("number", BAD_NUMBERS)
def test_a_bad_number_in_activity_data_is_a_422_naming_the_row(
    prepared_app: Flask, ids: Ids, number: str
) -> None:
    with prepared_app.app_context():
        before = _writes()
    row = {"kind": "electricity", "quantity": number, "unit": "kWh", "grid_region": "CN-E"}
    response = prepared_app.test_client().put(
        f"/api/v1/submissions/{ids.draft}",
        json={"inputs": [row]},
        headers=_bearer(ids.write_secret),
    )
    assert response.status_code == 422, response.get_json()
    assert "quantity" in str(response.get_json())
    with prepared_app.app_context():
        assert _writes() == before


@pytest.mark.parametrize(
    "body,content_type",
    [
        (b"[1, 2, 3]", "application/json"),
        (b'{"inputs": "many"}', "application/json"),
        (b'{"inputs": [' + b"[" * 5000 + b"]" * 5000 + b"]}", "application/json"),
        (b"\xff\xfe\x00 not json", "application/json"),
        (b"inputs=1", "text/plain"),
        (
            b'{"inputs": [{"kind": "electricity", "quantity": NaN, "unit": "kWh"}]}',
            "application/json",
        ),
    ],
)
def test_a_body_of_the_wrong_shape_is_refused(
    prepared_app: Flask, ids: Ids, body: bytes, content_type: str
) -> None:
    with prepared_app.app_context():
        before = _writes()
    response = prepared_app.test_client().put(
        f"/api/v1/submissions/{ids.draft}",
        data=body,
        content_type=content_type,
        headers=_bearer(ids.write_secret),
    )
    assert 400 <= response.status_code < 500
    assert response.is_json and {"code", "message"} <= set(response.get_json())
    with prepared_app.app_context():
        assert _writes() == before


def _product_form(ids: Ids, **change: Any) -> dict[str, Any]:
    return {
        "part_number": "HX-1",
        "name_en": "Hostile pack",
        "category": "battery_pack",
        "declared_unit": "kWh",
        "site_id": ids.site,
        "chemistry": "LFP",
        "capacity_kwh": "50",
        "mass_kg": "350",
        **change,
    }


@pytest.mark.parametrize(
    "change",
    [
        {"name_en": "x" * 100_000},
        {"part_number": "A" * 65},
        {"part_number": "x'; DROP TABLE product; --"},
        {"capacity_kwh": "Infinity"},
        {"mass_kg": "NaN"},
        {"site_id": str(2**70)},
        {"description": "\x00 nul byte"},
    ],
    ids=lambda c: next(iter(c)),
)
def test_a_hostile_product_form_is_refused_and_writes_nothing(
    prepared_app: Flask, ids: Ids, change: dict[str, Any]
) -> None:
    owner = Session(prepared_app.test_client())
    owner.login("admin@huadong-pack.example")
    with prepared_app.app_context():
        before = _writes()
    response = owner.post(f"/orgs/{ids.org}/products/new", _product_form(ids, **change))
    assert response.status_code == 422
    with prepared_app.app_context():
        assert _writes()[2] == before[2]


def test_bytes_that_are_not_utf8_are_a_client_error(prepared_app: Flask, ids: Ids) -> None:
    owner = Session(prepared_app.test_client())
    owner.login("admin@huadong-pack.example")
    token = owner.csrf("/")
    body = b"csrf_token=" + token.encode() + b"&part_number=%FF%FE&name_en=%C3%28&category=x"
    response = owner.client.post(
        f"/orgs/{ids.org}/products/new",
        data=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert 400 <= response.status_code < 500


def test_template_syntax_in_a_name_is_shown_as_text(prepared_app: Flask, ids: Ids) -> None:
    owner = Session(prepared_app.test_client())
    owner.login("admin@huadong-pack.example")
    name = "{{ 7*7 }} <script>alert(1)</script> {% raw %}"
    response = owner.post(f"/orgs/{ids.org}/products/new", _product_form(ids, name_en=name))
    assert response.status_code in (302, 303)
    page = owner.client.get(f"/orgs/{ids.org}/products").get_data(as_text=True)
    assert "{{ 7*7 }}" in page and "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and ">49<" not in page


@pytest.mark.parametrize(
    "path",
    [
        "/d/?q=' OR '1'='1",
        "/d/?q=%25%27%3B--",
        "/d/?q=" + "%" * 100,
        "/catalogue?q=' UNION SELECT password_hash FROM user_account --",
        "/factors?q=x') OR 1=1 --",
    ],
)
def test_sql_in_a_search_is_only_text(prepared_app: Flask, path: str) -> None:
    owner = Session(prepared_app.test_client())
    owner.login("admin@huadong-pack.example")
    response = owner.client.get(path)
    assert response.status_code in (200, 422)
    assert "argon2" not in response.get_data(as_text=True)


def test_ids_beyond_32_bits_name_nothing(prepared_app: Flask, ids: Ids) -> None:
    owner = Session(prepared_app.test_client())
    owner.login("admin@huadong-pack.example")
    huge = 2**63
    for path in (f"/orgs/{huge}/products", f"/declarations/{huge}", f"/submissions/{huge}/history"):
        assert owner.client.get(path).status_code == 404
    api = prepared_app.test_client().get(
        f"/api/v1/organizations/{huge}/sites", headers=_bearer(ids.read_secret)
    )
    assert api.status_code == 404 and api.is_json
