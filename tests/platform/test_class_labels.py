"""A performance class is never shown bare: every list labels it illustrative (no official
scale exists), in both languages, and the declared figure of a battery is per kWh of lifetime
energy with per kWh of rated capacity beside it."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import Declaration, Product
from tests.conftest import Session

LABEL = {"en": "illustrative", "zh": "示意性"}
LIFETIME = {"en": "kWh of lifetime energy", "zh": "千瓦时全寿命总能量"}
CAPACITY = {"en": "kWh of rated capacity", "zh": "千瓦时额定容量"}


def _class_cells(html: str) -> list[str]:
    """The class cells that carry a letter: a letter A–E then the tag, nothing bare (a cell may
    carry attributes, e.g. the label a phone's card layout shows)."""
    return re.findall(r"<td[^>]*>([A-E])(?: <span class=\"tag\">([^<]+)</span>)?</td>", html)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_public_list_labels_classes_and_declares_batteries_per_lifetime_energy(
    demo_app: Flask, language: str
) -> None:
    html = (
        demo_app.test_client()
        .get("/d/", headers={"Accept-Language": language})
        .get_data(as_text=True)
    )
    cells = _class_cells(html)
    assert cells, "the published pack carries a class"
    assert all(tag == LABEL[language] for _, tag in cells)
    assert LIFETIME[language] in html and CAPACITY[language] in html


@pytest.mark.parametrize("language", ["en", "zh"])
def test_portfolio_supplier_and_declaration_lists_label_classes(
    demo_app: Flask, language: str
) -> None:
    with demo_app.app_context():
        pack = db.session.scalar(select(Product).where(Product.part_number == "HD-PK-811-78"))
        org = pack.organization_id
        assert db.session.scalar(
            select(Declaration.performance_class).where(Declaration.product_id == pack.id)
        )
    owner = Session(demo_app.test_client())
    owner.login("admin@huadong-pack.example")
    for path in (f"/orgs/{org}/portfolio", f"/orgs/{org}/declarations", f"/orgs/{org}/supplier"):
        html = owner.client.get(path, headers={"Accept-Language": language}).get_data(True)
        cells = _class_cells(html)
        assert all(tag == LABEL[language] for _, tag in cells), path
        if path.endswith("declarations"):
            assert cells and LIFETIME[language] in html


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("en", ["Stage boundary", "Functional unit of a battery", "IVL", "Aichberger"]),
        ("zh", ["阶段边界", "电池的功能单位", "绩效等级(示意性)"]),
    ],
)
def test_the_methodology_page_states_each_definition_with_its_source(
    demo_app: Flask, language: str, texts: list[str]
) -> None:
    html = (
        demo_app.test_client()
        .get("/methodology/rules/power_battery", headers={"Accept-Language": language})
        .get_data(as_text=True)
    )
    for text in texts:
        assert text in html
    assert "Annex II" in html  # the stage model's source
    # NMC pack class A: 60 kg CO2e per kWh of capacity over 60 × 8 = 0.125 per kWh lifetime
    assert "A ≤ 0.125" in html
