"""China's GB/T 34014 traction-battery code: read segment by segment, refused naming the wrong
segment, recorded on battery products (form and API), found on /d/ by any unit's code, and
carried by the public page and the exports."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform import battery_code
from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db
from footprint_platform.models import Declaration, Product, Site
from footprint_platform.services.catalogue import catalog
from tests.conftest import Session
from tests.platform.demo_ids import PACK, admin_actor, org_id

pytestmark = pytest.mark.postgres

# manufacturer HDB, pack, ternary, spec 78, traceability A0C8117, year R, August, 15th, 0000001
DEMO_CODE = "HDBPE78A0C8117R8F0000001"
EN = {"Accept-Language": "en"}


def test_a_code_reads_as_the_standards_segments() -> None:
    code = battery_code.parse("hdbpe78a0c8117 r8f 0000001")
    assert code.code == DEMO_CODE
    assert code.part("manufacturer") == "HDB" and code.category == "battery_pack"
    assert code.part("battery_type") == "E" and code.part("traceability") == "A0C8117"
    assert (code.month, code.day) == (8, 15)
    assert code.design_part == "HDBPE78A0C8117"
    assert battery_code.parse("X12MCPM27KLPCLX2M2382320").category == "battery_module"


@pytest.mark.parametrize(
    ("code", "segment"),
    [
        ("HDBXE78A0C8117R8F0000001", "Characters 4-4 (product type code)"),
        ("HDBPH78A0C8117R8F0000001", "Characters 5-5 (battery type code)"),
        ("HDBPE78A0C8117R0F0000001", "Characters 16-16 (production month code)"),
        ("HDBPE78A0C8117R8I0000001", "Characters 17-17 (production day code)"),
        ("HDBPE78A0C8117O8F0000001", "Characters 15-15 (production year code)"),
        ("HDBPE78A0C8117R8F00000A1", "Characters 18-24 (serial number)"),
        ("HD_PE78A0C8117R8F0000001", "Characters 1-3 (manufacturer code)"),
    ],
)
def test_a_malformed_code_names_the_wrong_segment(code: str, segment: str) -> None:
    with pytest.raises(InvalidInput) as err:
        battery_code.parse(code)
    assert err.value.errors["battery_code"] == [err.value.message]
    assert err.value.message.startswith(segment)


def test_a_code_of_the_wrong_length_says_so() -> None:
    assert battery_code.problems("HDBPE78A0C8117R8F000001") == [
        "A GB/T 34014 battery code has 24 characters; this one has 23."
    ]
    several = battery_code.problems("HDBXH78A0C8117R8F0000001")
    assert len(several) == 2


@pytest.fixture
def ctx(demo_app: Flask) -> Any:
    with demo_app.app_context():
        pack = org_id(PACK)
        site = db.session.scalar(select(Site).where(Site.organization_id == pack))
        yield {"actor": admin_actor("admin@huadong-pack.example"), "pack": pack, "site": site}


def _data(ctx: Any, **kw: Any) -> dict[str, Any]:
    return {
        "site_id": ctx["site"].id,
        "part_number": "HD-CODE-1",
        "name_en": "Coded pack",
        "category": "battery_pack",
        "declared_unit": "kWh",
        "chemistry": "NMC811",
        "capacity_kwh": Decimal("70"),
        "mass_kg": Decimal("450"),
        **kw,
    }


def test_a_battery_product_records_its_code_normalized(ctx: Any) -> None:
    product = catalog.create_product(
        db.session, ctx["actor"], ctx["pack"], _data(ctx, battery_code="hdbpe78a0c8117-r8f-0000009")
    )
    assert product.battery_code == "HDBPE78A0C8117R8F0000009"
    assert product.battery_design_code == "HDBPE78A0C8117"
    cleared = catalog.update_product(db.session, ctx["actor"], product.id, {"battery_code": None})
    assert (cleared.battery_code, cleared.battery_design_code) == (None, None)


def test_the_code_must_fit_the_product_it_is_recorded_on(ctx: Any) -> None:
    count = db.session.query(Product).count()
    for kw, wrong in (
        ({"category": "battery_cell"}, "产品类型代码"),
        ({"chemistry": "LFP"}, "电池类型代码"),
    ):
        with pytest.raises(InvalidInput) as err:
            catalog.create_product(
                db.session, ctx["actor"], ctx["pack"], _data(ctx, battery_code=DEMO_CODE, **kw)
            )
        assert wrong in err.value.errors["battery_code"][0]
    with pytest.raises(InvalidInput) as err:
        catalog.create_product(
            db.session,
            ctx["actor"],
            ctx["pack"],
            _data(
                ctx,
                category="cathode_ncm",
                declared_unit="kg",
                chemistry=None,
                capacity_kwh=None,
                mass_kg=None,
                battery_code=DEMO_CODE,
            ),
        )
    assert "battery_code" in err.value.errors
    db.session.rollback()
    assert db.session.query(Product).count() == count


def test_the_form_shows_which_segment_is_wrong_in_both_languages(demo_app: Flask) -> None:
    session = Session(demo_app.test_client())
    session.login("admin@huadong-pack.example")
    with demo_app.app_context():
        pack = org_id(PACK)
        site = db.session.scalar(select(Site.id).where(Site.organization_id == pack))
    form = {
        "part_number": "HD-FORM-1",
        "name_en": "Form pack",
        "category": "battery_pack",
        "declared_unit": "kWh",
        "site_id": site,
        "chemistry": "NMC811",
        "capacity_kwh": "70",
        "mass_kg": "450",
        "battery_code": "HDBPE78A0C8117R0F0000001",
    }
    zh = session.post(f"/orgs/{pack}/products/new", form)
    assert zh.status_code == 422
    html = zh.get_data(as_text=True)
    assert 'id="battery_code-error"' in html and "生产月份代码" in html
    en = session.post(f"/orgs/{pack}/products/new", form, headers=EN)
    assert "production month code" in en.get_data(as_text=True)
    form["battery_code"] = "HDBPE78A0C8117R8F0000002"
    assert session.post(f"/orgs/{pack}/products/new", form).status_code == 302
    with demo_app.app_context():
        saved = db.session.scalar(select(Product).where(Product.part_number == "HD-FORM-1"))
        assert saved.battery_code == "HDBPE78A0C8117R8F0000002"


def test_the_api_takes_and_returns_the_code(prepared_app: Flask, ids: Any) -> None:
    client = prepared_app.test_client()
    with prepared_app.app_context():
        site = db.session.scalar(select(Site.id).where(Site.organization_id == ids.org))
    headers = {"Authorization": f"Bearer {ids.write_secret}", **EN}
    body = {
        "site_id": site,
        "part_number": "API-CODED",
        "name_en": "API pack",
        "category": "battery_pack",
        "declared_unit": "kWh",
        "chemistry": "NMC811",
        "capacity_kwh": "70",
        "mass_kg": "450",
        "battery_code": "HDBPE78A0C8117R8F00000X1",
    }
    refused = client.post(f"/api/v1/organizations/{ids.org}/products", json=body, headers=headers)
    assert refused.status_code == 422
    assert "serial number" in refused.get_json()["errors"]["battery_code"][0]
    body["battery_code"] = "HDBPE78A0C8117R8F0000071"
    created = client.post(f"/api/v1/organizations/{ids.org}/products", json=body, headers=headers)
    assert created.status_code == 201
    assert created.get_json()["battery_code"] == "HDBPE78A0C8117R8F0000071"


def _demo_pack(demo_app: Flask) -> str:
    with demo_app.app_context():
        d = db.session.scalar(
            select(Declaration)
            .join(Product)
            .where(Product.part_number == "HD-PK-811-78", Declaration.published_at.is_not(None))
        )
        assert d.product.battery_code == DEMO_CODE
        return str(d.public_id)


def test_any_units_code_finds_the_published_declaration(demo_app: Flask) -> None:
    _demo_pack(demo_app)
    client = demo_app.test_client()
    other_unit = "HDBPE78A0C8117S3A0004242"  # same design part, made on another day
    for q in (DEMO_CODE, other_unit, "hdbpe78a0c8117s3a0004242", "A0C8117"):
        assert "HD-PK-811-78" in client.get(f"/d/?q={q}", headers=EN).get_data(as_text=True), q
    other_type = "HDBPE79A0C8117R8F0000001"
    assert "HD-PK-811-78" not in client.get(f"/d/?q={other_type}").get_data(as_text=True)


def test_the_public_page_and_exports_carry_the_code(demo_app: Flask) -> None:
    public_id = _demo_pack(demo_app)
    client = demo_app.test_client()
    page = client.get(f"/d/{public_id}", headers=EN).get_data(as_text=True)
    assert "GB/T 34014 battery code" in page and DEMO_CODE in page
    assert "GB/T 34014 电池编码" in client.get(f"/d/{public_id}").get_data(as_text=True)
    footprint = client.get(f"/d/{public_id}.pact.json").get_json()
    domain = demo_app.config["PACT_ISSUER_DOMAIN"]
    assert f"urn:pact:{domain}:gbt34014-battery-code:{DEMO_CODE}" in footprint["productIds"]
    rows = list(csv.DictReader(io.StringIO(client.get(f"/d/{public_id}.csv").get_data(True))))
    assert {r["battery_code"] for r in rows} == {DEMO_CODE}
