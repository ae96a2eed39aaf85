"""Hostile input gets a clear 4xx and writes nothing: NaN and infinity, numbers too large for
any column, strings far beyond their limits, bytes that are not UTF-8, bodies of the wrong
shape or content type, ids beyond 32 bits, SQL and template injection, workbooks carrying
document type declarations (external entities, billion laughs) or thousands of parts."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import AuditEvent, Product, SubmissionInput
from tests.conftest import Session
from tests.platform.demo_ids import Ids
from tests.platform.test_workbook import _download, _inputs, _save, _upload

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


# -- workbooks -----------------------------------------------------------------------------------

SHEET = "xl/worksheets/sheet1.xml"
XXE = b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
LAUGHS = (
    b"<!DOCTYPE worksheet [<!ENTITY lol0 'lol'>"
    + b"".join(b"<!ENTITY lol%d '%s'>" % (n, b"&lol%d;" % (n - 1) * 10) for n in range(1, 10))
    + b"]>"
)


def _with_doctype(doctype: bytes, entity: bytes | None = None) -> Callable[[bytes], bytes]:
    """The sheet's XML with a document type after its declaration, the entity in a cell."""

    def change(xml: bytes) -> bytes:
        head, rest = b"", xml
        if xml.startswith(b"<?xml"):
            head, _, rest = xml.partition(b"?>")
            head += b"?>"
        if entity is not None:
            cell = b'<row r="900"><c r="A900" t="inlineStr"><is><t>%s</t></is></c></row>' % entity
            rest = rest.replace(b"</sheetData>", cell + b"</sheetData>", 1)
            assert cell in rest
        return head + doctype + rest

    return change


def _utf16(xml: bytes) -> bytes:
    text = xml.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    text = text.replace("utf-8", "UTF-16")
    return _with_doctype(XXE, b"&xxe;")(text.encode("utf-8")).decode().encode("utf-16")


def _repacked(template: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template)) as src, zipfile.ZipFile(buffer, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            out.writestr(info, change(data) if info.filename == part else data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "change",
    [
        _with_doctype(XXE, b"&xxe;"),
        _with_doctype(LAUGHS, b"&lol9;"),
        _with_doctype(b"<!DOCTYPE worksheet>"),
        _utf16,
    ],
    ids=["external-entity", "billion-laughs", "plain-dtd", "utf16-external-entity"],
)
def test_a_workbook_declaring_a_document_type_is_refused_and_saves_nothing(
    prepared_app: Flask, ids: Ids, change: Callable[[bytes], bytes]
) -> None:
    owner = Session(prepared_app.test_client())
    owner.login("admin@huadong-pack.example")
    template = _save(_download(owner, ids.draft))
    before = _inputs(prepared_app, ids.draft)
    response = _upload(owner, ids.draft, _repacked(template, SHEET, change))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"part {SHEET} declares a document type (DTD)" in page
    assert "root:" not in page and _inputs(prepared_app, ids.draft) == before


def test_a_workbook_of_thousands_of_parts_is_refused(prepared_app: Flask, ids: Ids) -> None:
    owner = Session(prepared_app.test_client())
    owner.login("admin@huadong-pack.example")
    template = _save(_download(owner, ids.draft))
    buffer = io.BytesIO(template)
    with zipfile.ZipFile(buffer, "a") as z:
        for n in range(1500):
            z.writestr(f"customXml/item{n}.xml", b"<a/>")
    response = _upload(owner, ids.draft, buffer.getvalue())
    assert response.status_code == 422
    assert "more than 1000 parts" in response.get_data(as_text=True)


def test_a_sheet_that_is_not_xml_is_refused(prepared_app: Flask, ids: Ids) -> None:
    owner = Session(prepared_app.test_client())
    owner.login("admin@huadong-pack.example")
    template = _save(_download(owner, ids.draft))
    broken = _repacked(template, SHEET, lambda xml: xml.replace(b"</sheetData>", b"<row", 1))
    response = _upload(owner, ids.draft, broken)
    assert response.status_code == 422
    assert "not an Excel workbook" in response.get_data(as_text=True)
