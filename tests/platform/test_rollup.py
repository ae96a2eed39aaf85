"""The demo chain from the database through the roll-up engine."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import Product
from footprint_platform.services.rollup import product_node, rollup_period

pytestmark = pytest.mark.postgres
PERIOD = (date(2025, 1, 1), date(2025, 12, 31))


def _results(app: Flask) -> tuple[dict[str, float], dict[str, float], list[str]]:
    with app.app_context():
        chain, result = rollup_period(db.session, *PERIOD)
        parts = {p.id: p.part_number for p in db.session.scalars(select(Product))}
        total = {parts[i]: result[product_node(i)].total for i in parts}
        share = {parts[i]: result[product_node(i)].primary_data_share for i in parts}
        return total, share, sorted(parts[i] for i in chain.missing)


def test_a_foil_is_its_own_energy_plus_its_generic_aluminium(demo_app: Flask) -> None:
    """JN-AL-12 (per kg): 1.05 kg primary aluminium × 15.947 (mat.aluminium.primary.cn)
    + 1.8 kWh × 0.6205 (elec.cn.cfp.2023) = 16.74435 + 1.1169 = 17.86125 kg CO2e/kg; only the
    electricity part is the foil maker's own (primary): 1.1169 / 17.86125 = 0.0625."""
    total, share, _ = _results(demo_app)
    assert total["JN-AL-12"] == pytest.approx(17.86125, rel=1e-9)
    assert share["JN-AL-12"] == pytest.approx(1.1169 / 17.86125, rel=1e-9)


def test_the_demo_cell_lands_in_the_published_range(demo_app: Flask) -> None:
    """NMC811 cell made in China: 61–106 kg CO2e per kWh of capacity (IVL report C444, Emilsson
    & Dahllöf 2019, cradle-to-gate). A pack holds its cells, so it weighs at least as much per
    kWh; a vehicle holds its pack."""
    total, share, _ = _results(demo_app)
    assert 61 <= total["DT-P811-150"] <= 106
    assert total["HD-PK-811-78"] > total["DT-P811-150"]
    assert total["JH-S7-LR"] > 78 * total["HD-PK-811-78"]
    assert 0 < share["HD-PK-811-78"] < 1


def test_products_without_data_are_reported_missing(demo_app: Flask) -> None:
    _, share, missing = _results(demo_app)
    assert missing == ["BS-LFP-280", "DT-P811-150-EU"]
    assert share["BS-LFP-280"] == 0
