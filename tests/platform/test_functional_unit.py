"""A battery's functional unit (power-battery rule [lifetime], EU 2023/1542 Art. 7 and the draft
delegated act): asked for on the product, pinned on the declaration, refused when missing with
what is missing named, in both languages."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select

from footprint_platform.battery import functional_unit, functional_unit_missing
from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db
from footprint_platform.models import Declaration, Product
from footprint_platform.rules import load_rules
from tests.conftest import Session

RULE = "power_battery"
PERIOD = {"period_start": "2025-01-01", "period_end": "2025-12-31"}


def _pack(**extra: object) -> Product:
    fields: dict[str, object] = {
        "category": "battery_pack",
        "declared_unit": "kWh",
        "capacity_kwh": Decimal("78"),
        "mass_kg": Decimal("485"),
        "usable_energy_kwh": Decimal("74.1"),
        "vehicle_category": "M1",
        "service_life_years": 8,
    }
    fields.update(extra)
    return Product(**fields)


def test_lifetime_energy_is_usable_energy_times_cycles_times_warranty_years() -> None:
    """74.1 kWh usable × 60 cycles (M1) × 8 years = 35 568 kWh; per kWh of rated capacity
    (the declared unit) 35 568 / 78; per piece the whole; per kg over the mass."""
    rule = load_rules()[RULE]
    fu = functional_unit(_pack(), rule)
    assert fu.lifetime_energy_kwh == Decimal("35568.0")
    assert fu.energy_per_declared_unit == Decimal("35568.0") / 78
    assert functional_unit(_pack(declared_unit="piece"), rule).energy_per_declared_unit == (
        Decimal("35568.0")
    )
    per_kg = functional_unit(_pack(declared_unit="kg"), rule).energy_per_declared_unit
    assert per_kg == Decimal("35568.0") / Decimal("485")
    assert fu.as_json()["rule"] == f"{RULE} {rule.version}"


def test_a_warranty_by_distance_needs_the_rule_to_convert_it_and_the_shorter_applies() -> None:
    """The rule states no yearly distance (none found in a citable source): a km-only warranty
    is refused; a rule that gave one would take the shorter of years and km / km a year."""
    rule = load_rules()[RULE]
    only_km = _pack(service_life_years=None, warranty_km=160_000)
    assert any("km" in m for m in functional_unit_missing(only_km, rule))
    raw = {**rule.raw, "lifetime": {**rule.raw["lifetime"], "km_per_year": {"M1": 25_000}}}
    converting = dataclasses.replace(rule, raw=raw)
    assert functional_unit(only_km, converting).service_life_years == Decimal("6.4")
    both = _pack(warranty_km=400_000)  # 16 years by distance, 8 by time: 8
    assert functional_unit(both, converting).service_life_years == 8


def test_every_missing_input_is_named() -> None:
    rule = load_rules()[RULE]
    bare = Product(category="battery_pack", declared_unit="kWh")
    with pytest.raises(InvalidInput) as caught:
        functional_unit(bare, rule)
    text = str(caught.value)
    for part in ("usable energy", "rated capacity", "vehicle category", "warranty (years)"):
        assert part in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "usable energy at the beginning of life (kWh)"),
        ("zh", "电池按全寿命总能量每千瓦时声明"),
    ],
)
def test_a_battery_declaration_without_its_lifetime_data_is_refused(
    demo_app: Flask, language: str, expected: str
) -> None:
    """The cell maker declares its cell without a usable energy recorded: refused with what is
    missing, nothing written."""
    with demo_app.app_context():
        cell = db.session.scalar(select(Product).where(Product.part_number == "DT-P811-150"))
        org, cell_id, usable = cell.organization_id, cell.id, cell.usable_energy_kwh
        cell.usable_energy_kwh = None
        db.session.commit()
        before = db.session.scalar(select(func.count(Declaration.id)))
    try:
        owner = Session(demo_app.test_client())
        owner.login("admin@dongtai-cells.example")
        response = owner.post(
            f"/orgs/{org}/declarations",
            data={"product_id": cell_id, **PERIOD},
            headers={"Accept-Language": language},
        )
        assert response.status_code == 422
        assert expected in response.get_data(as_text=True)
        with demo_app.app_context():
            assert db.session.scalar(select(func.count(Declaration.id))) == before
    finally:
        with demo_app.app_context():
            db.session.get(Product, cell_id).usable_energy_kwh = usable
            db.session.commit()


def test_the_product_form_records_usable_energy_and_warranty_km(demo_app: Flask) -> None:
    """Asked for where the battery is described; a non-battery carrying them is refused."""
    owner = Session(demo_app.test_client())
    owner.login("admin@huadong-pack.example")
    with demo_app.app_context():
        pack = db.session.scalar(select(Product).where(Product.part_number == "HD-PK-LFP-60"))
        org, pack_id, site, version = pack.organization_id, pack.id, pack.site_id, pack.version
        saved = (pack.usable_energy_kwh, pack.warranty_km)
    form = {
        "part_number": "HD-PK-LFP-60",
        "name_en": "LFP battery pack 60 kWh",
        "category": "battery_pack",
        "declared_unit": "kWh",
        "site_id": site,
        "chemistry": "LFP",
        "capacity_kwh": "60",
        "mass_kg": "410",
        "vehicle_category": "M1",
        "service_life_years": "8",
        "warranty_km": "150000",
        "usable_energy_kwh": "56.5",
        "version": str(version),
    }
    try:
        response = owner.post(f"/orgs/{org}/products/{pack_id}/edit", data=form)
        assert response.status_code in (200, 302, 303)
        with demo_app.app_context():
            pack = db.session.get(Product, pack_id)
            assert (pack.usable_energy_kwh, pack.warranty_km) == (Decimal("56.5"), 150_000)
    finally:
        with demo_app.app_context():
            pack = db.session.get(Product, pack_id)
            pack.usable_energy_kwh, pack.warranty_km = saved
            db.session.commit()
    page = owner.client.get(
        f"/orgs/{org}/products/{pack_id}/edit", headers={"Accept-Language": "zh"}
    )
    assert "寿命初期可用能量(千瓦时)" in page.get_data(as_text=True)


def test_the_api_describes_the_new_product_fields(demo_app: Flask) -> None:
    spec = demo_app.test_client().get("/api/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    described = [s for s in schemas.values() if "usable_energy_kwh" in s.get("properties", {})]
    assert described and all("warranty_km" in s["properties"] for s in described)
