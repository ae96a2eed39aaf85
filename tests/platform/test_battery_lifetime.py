"""A battery's footprint per kWh of capacity and per kWh of lifetime energy, each labelled."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform.battery import per_kwh, per_unit_to_per_kwh
from footprint_platform.classes import classify_product
from footprint_platform.extensions import db
from footprint_platform.models import Declaration, Product
from footprint_platform.rules import load_rules
from tests.conftest import Session

RULE = "power_battery"


def _battery(unit: str, **extra: object) -> Product:
    return Product(
        category="battery_pack",
        declared_unit=unit,
        capacity_kwh=Decimal("78"),
        mass_kg=Decimal("485"),
        **extra,
    )


def test_per_kwh_of_capacity_from_each_declared_unit() -> None:
    """78 kWh, 485 kg: 7 800 kg CO2e per pack = 100 per kWh = 7 800 / 485 per kg."""
    assert per_unit_to_per_kwh(_battery("kWh"), Decimal("100")) == Decimal("100")
    assert per_unit_to_per_kwh(_battery("piece"), Decimal("7800")) == Decimal("100")
    per_kg = Decimal("7800") / Decimal("485")
    assert per_unit_to_per_kwh(_battery("kg"), per_kg) == pytest.approx(Decimal("100"))
    assert per_unit_to_per_kwh(Product(declared_unit="kg"), Decimal("5")) is None


def test_lifetime_energy_follows_the_rule_cycles_and_the_warranty() -> None:
    """An M1 pack: 60 cycles a year (the rule) × 8 years = 480 kWh per kWh of capacity, so
    100 kg CO2e per kWh of capacity is 100 / 480 per kWh delivered; 78 × 480 = 37 440 kWh."""
    rule = load_rules()[RULE]
    k = per_kwh(_battery("kWh", vehicle_category="M1", service_life_years=8), rule, Decimal(100))
    assert k is not None
    assert (k.cycles_per_year, k.service_life_years) == (60, 8)
    assert k.per_kwh_lifetime == Decimal(100) / Decimal(480)
    assert k.lifetime_energy_kwh == Decimal(37440)
    bus = per_kwh(_battery("kWh", vehicle_category="M3", service_life_years=8), rule, Decimal(100))
    assert bus is not None and bus.per_kwh_lifetime == Decimal(100) / Decimal(2000)


def test_without_a_vehicle_category_no_lifetime_figure_is_made_up() -> None:
    k = per_kwh(_battery("kWh", service_life_years=8), load_rules()[RULE], Decimal(100))
    assert k is not None and k.per_kwh_capacity == 100 and k.per_kwh_lifetime is None


def test_a_pack_declared_per_piece_is_graded_per_kwh_of_lifetime_energy() -> None:
    """Graded on the same figure per kWh of lifetime energy whatever the declared unit; a
    battery without its lifetime data gets no class rather than a guessed one."""
    life = {
        "chemistry": "NMC811",
        "vehicle_category": "M1",
        "service_life_years": 8,
        "usable_energy_kwh": Decimal("78"),
    }
    per_kwh_unit = classify_product(_battery("kWh", **life), Decimal("70"))
    per_piece = classify_product(_battery("piece", **life), Decimal("70") * 78)
    assert per_kwh_unit is not None and per_piece is not None
    assert per_piece.grade == per_kwh_unit.grade
    assert per_kwh_unit.unit == "kWh_lifetime" and per_kwh_unit.illustrative
    assert classify_product(_battery("kWh", chemistry="NMC811"), Decimal("70")) is None


def test_a_battery_product_refuses_a_vehicle_category_no_rule_knows(demo_app: Flask) -> None:
    owner = Session(demo_app.test_client())
    owner.login("admin@huadong-pack.example")
    with demo_app.app_context():
        pack = db.session.scalar(select(Product).where(Product.part_number == "HD-PK-LFP-60"))
        org, product_id, site = pack.organization_id, pack.id, pack.site_id
    form = {
        "part_number": "HD-PK-LFP-60",
        "name_en": "LFP battery pack 60 kWh",
        "category": "battery_pack",
        "declared_unit": "kWh",
        "site_id": site,
        "chemistry": "LFP",
        "capacity_kwh": "60",
        "mass_kg": "410",
        "vehicle_category": "Z9",
        "service_life_years": "8",
        "version": "1",
    }
    response = owner.post(f"/orgs/{org}/products/{product_id}/edit", data=form)
    assert response.status_code == 422
    with demo_app.app_context():
        assert db.session.get(Product, product_id).vehicle_category == "M1"


def test_the_pack_pages_show_both_figures_with_their_names(demo_app: Flask) -> None:
    with demo_app.app_context():
        d = db.session.scalar(
            select(Declaration).join(Product).where(Product.part_number == "HD-PK-811-78")
        )
        public_id, total = d.public_id, d.total
    page = (
        demo_app.test_client()
        .get(f"/d/{public_id}", headers={"Accept-Language": "en"})
        .get_data(as_text=True)
    )
    assert "Per kWh of rated capacity" in page
    assert "Per kWh of lifetime energy (EU 2023/1542)" in page
    assert "60 cycles a year × 8 years" in page
    # pinned: 74.1 kWh usable of 78 rated (demo data) × 60 cycles × 8 years
    per_lifetime = total / (Decimal("74.1") * 480 / 78)
    shown = f"{per_lifetime:.4f}".rstrip("0")  # four places, trailing zeros dropped
    assert f"{shown} kg CO2e/kWh" in page
    assert "Usable energy at beginning of life" in page
    assert f'{shown} <span class="unit">kg CO2e / kWh of lifetime energy' in page  # headline


def test_the_pack_maker_sees_which_packs_over_2_kwh_it_must_declare(demo_app: Flask) -> None:
    """Huadong makes two packs over 2 kWh: the NMC pack is declared and published, the LFP
    pack is not (its cells' data are missing). A 1.5 kWh pack is outside the notice."""
    from footprint_platform.models import Site
    from footprint_platform.services.disclosure import obligations
    from tests.platform.demo_ids import admin_actor

    with demo_app.app_context():
        actor = admin_actor("admin@huadong-pack.example")
        nmc = db.session.scalar(select(Product).where(Product.part_number == "HD-PK-811-78"))
        org = nmc.organization_id
        site = db.session.scalar(select(Site.id).where(Site.organization_id == org))
        db.session.add(
            Product(
                organization_id=org,
                site_id=site,
                part_number="HD-SMALL-1",
                name_en="Small pack",
                category="battery_pack",
                declared_unit="kWh",
                chemistry="LFP",
                capacity_kwh=Decimal("1.5"),
                mass_kg=Decimal("12"),
            )
        )
        db.session.commit()
        states = {
            o.product.part_number: o.state
            for o in obligations.declaration_obligations(db.session, actor, org)
        }
    assert states == {"HD-PK-811-78": "published", "HD-PK-LFP-60": "missing"}
    owner = Session(demo_app.test_client())
    owner.login("admin@huadong-pack.example")
    page = owner.client.get(f"/orgs/{org}/declarations", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert "Required declarations" in text and "MIIT notice 2025 No. 551" in text
    assert "HD-SMALL-1" not in text.split("Required declarations")[1].split("</table>")[0]
