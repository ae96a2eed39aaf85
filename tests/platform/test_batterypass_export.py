"""The Battery Pass carbon-footprint aspect (1.2.0) of a battery declaration: per kWh of
lifetime energy, by the aspect's stages, schema-valid; refused for other products and without
the battery's lifetime data."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform import json_schemas
from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db
from footprint_platform.models import Declaration, Product
from footprint_platform.services.disclosure import batterypass
from footprint_platform.services.disclosure.batterypass import Lifetime

pytestmark = pytest.mark.postgres
CAR_8_YEARS = Lifetime("M1", Decimal(8))  # 60 cycles a year (rule power_battery), 8 years
STUDY = "https://tanlian.example/d/x"
# The demo pack (config/demo/supply_chain.toml): 74.1 kWh usable of 78 rated, M1, 8 years:
# lifetime energy per kWh of rated capacity, as its declaration pins it
PACK_ENERGY_PER_KWH = 74.1 * 60 * 8 / 78


def _declaration(part: str) -> Declaration:
    return db.session.scalar(select(Declaration).join(Product).where(Product.part_number == part))


def test_a_pack_exports_per_kwh_of_lifetime_energy(demo_app: Flask) -> None:
    with demo_app.app_context():
        d = _declaration("HD-PK-811-78")
        assert d.declared_unit == "kWh"
        body = batterypass.battery_pass(d, STUDY, CAR_8_YEARS)
        total, capacity = float(d.total), float(d.product.capacity_kwh)
    assert json_schemas.problems("batterypass", body) == []
    assert body["batteryCarbonFootprint"] == pytest.approx(total / PACK_ENERGY_PER_KWH, abs=1e-6)
    stages = body["carbonFootprintPerLifecycleStage"]
    assert [s["lifecycleStage"] for s in stages] == [
        "RawMaterialExtraction",
        "MainProduction",
        "Distribution",
        "Recycling",
    ]
    assert sum(s["carbonFootprint"] for s in stages) == pytest.approx(
        body["batteryCarbonFootprint"], abs=1e-5
    )
    assert body["absoluteCarbonFootprint"] == pytest.approx(total * capacity, rel=1e-6)
    assert body["carbonFootprintStudy"] == STUDY
    # our classes are illustrative and per kWh of capacity: not passed off as the EU's
    assert body["carbonFootprintPerformanceClass"] == batterypass.NO_CLASS


def test_a_cell_declared_per_piece_divides_by_its_capacity(demo_app: Flask) -> None:
    with demo_app.app_context():
        d = _declaration("DT-P811-150")
        d.declared_unit = "piece"  # in memory: a per-piece declaration of the same cell
        d.functional_unit = None  # made before the functional unit was pinned: the product's
        body = batterypass.battery_pass(d, STUDY, CAR_8_YEARS)
        expected = float(d.total) / (float(d.product.capacity_kwh) * 60 * 8)
        d.product.capacity_kwh = None
        with pytest.raises(InvalidInput) as caught:
            batterypass.battery_pass(d, STUDY, CAR_8_YEARS)
        assert set(caught.value.errors) == {"capacity_kwh"}
        db.session.rollback()
    assert body["batteryCarbonFootprint"] == pytest.approx(expected, abs=1e-6)


def test_without_vehicle_category_and_warranty_nothing_is_guessed(demo_app: Flask) -> None:
    with demo_app.app_context():
        d = _declaration("HD-PK-811-78")
        d.functional_unit = None  # in memory: made before the functional unit was pinned
        for life in (None, Lifetime("X9", Decimal(8)), Lifetime("M1", Decimal(0))):
            with pytest.raises(InvalidInput) as caught:
                batterypass.battery_pass(d, STUDY, life)
            assert set(caught.value.errors) == {"lifetime"}, life
        public_id, total = d.public_id, float(d.total)
        db.session.rollback()
    # the demo pack's declaration pins M1, 8 warranty years and its usable energy
    response = demo_app.test_client().get(f"/d/{public_id}.batterypass.json")
    assert response.status_code == 200
    body = response.get_json()
    assert json_schemas.problems("batterypass", body) == []
    assert body["batteryCarbonFootprint"] == pytest.approx(total / PACK_ENERGY_PER_KWH, abs=1e-6)
    with demo_app.app_context():
        product = _declaration("HD-PK-811-78").product
        years = product.service_life_years
        product.service_life_years = None
        db.session.commit()
    try:  # pinned: a later change of the product never changes the published figure
        again = demo_app.test_client().get(f"/d/{public_id}.batterypass.json")
        assert again.status_code == 200 and again.get_json() == body
    finally:
        with demo_app.app_context():
            _declaration("HD-PK-811-78").product.service_life_years = years
            db.session.commit()


def test_a_vehicle_has_no_battery_pass(demo_app: Flask) -> None:
    with demo_app.app_context():
        d = _declaration("JH-S7-LR")
        with pytest.raises(InvalidInput) as caught:
            batterypass.battery_pass(d, STUDY, CAR_8_YEARS)
        assert set(caught.value.errors) == {"category"}
        public_id = d.public_id
    response = demo_app.test_client().get(
        f"/d/{public_id}.batterypass.json", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422 and "Only batteries" in response.get_data(as_text=True)
