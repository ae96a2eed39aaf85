"""Reporting periods on every dashboard: a supplier's new period never hides the buyer's last
complete one; the reader chooses the period in the URL and the pages' links carry it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import Organization, Product, ProductResult, RollupRun
from footprint_platform.services import workflow
from footprint_platform.services.intake import submissions
from tests.conftest import Session
from tests.platform.demo_ids import admin_actor

pytestmark = pytest.mark.postgres
OEM = "analyst@jinghai-motors.example"
SUV = "JH-S7-LR"
Y2025 = "2025-01-01:2025-12-31"
Y2026 = "2026-01-01:2026-12-31"


def submit_2026_cathode(app: Flask) -> None:
    """The routine step that hid 2025: the cathode maker submits its next year."""
    with app.app_context():
        actor = admin_actor("data@minjiang-cathode.example")
        product = db.session.scalar(select(Product.id).where(Product.part_number == "MJ-NCM811-S"))
        draft = submissions.start_draft(
            db.session, actor, product, date(2026, 1, 1), date(2026, 12, 31)
        )
        workflow.submit(db.session, actor, draft.id)


def _product(app: Flask, part: str) -> tuple[int, int]:
    with app.app_context():
        p = db.session.scalar(select(Product).where(Product.part_number == part))
        return p.id, p.organization_id


def _total_2025(app: Flask, product_id: int) -> Decimal:
    with app.app_context():
        return db.session.scalars(
            select(ProductResult.total)
            .join(RollupRun)
            .where(
                ProductResult.product_id == product_id, RollupRun.period_start == date(2025, 1, 1)
            )
            .order_by(ProductResult.id.desc())
        ).first()


@pytest.fixture
def after_2026(demo_app: Flask, auth: Session) -> Iterator[Session]:
    submit_2026_cathode(demo_app)
    auth.login(OEM)
    yield auth


def _get(auth: Session, path: str, lang: str = "en") -> str:
    response = auth.client.get(path, headers={"Accept-Language": lang})
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_product_dashboard_shows_the_complete_2025_by_default(
    demo_app: Flask, after_2026: Session, lang: str
) -> None:
    suv, _org = _product(demo_app, SUV)
    total = _total_2025(demo_app, suv)
    html = _get(after_2026, f"/dashboard/products/{suv}", lang)
    assert f'data-total="{total}"' in html
    assert 'id="no-footprint"' not in html
    assert f'value="{Y2025}" selected' in html and f'value="{Y2026}"' in html
    assert ("incomplete" if lang == "en" else "不完整") in html  # 2026 is marked
    # the links to coverage and what-if carry the period shown
    assert f"/dashboard/products/{suv}/coverage?period={Y2025}" in html
    assert f"/dashboard/products/{suv}/whatif?period={Y2025}" in html


def test_choosing_2026_shows_2026(demo_app: Flask, after_2026: Session) -> None:
    suv, _org = _product(demo_app, SUV)
    html = _get(after_2026, f"/dashboard/products/{suv}?period={Y2026}")
    assert f'value="{Y2026}" selected' in html
    # the SUV has no 2026 data of its own: its 2025 data carried forward, and said so
    assert "its footprint carries its latest earlier period forward" in html
    assert 'id="share-carried"' in html
    coverage = _get(after_2026, f"/dashboard/products/{suv}/coverage?period={Y2026}")
    assert f'value="{Y2026}" selected' in coverage


def test_coverage_shows_2025_by_default(demo_app: Flask, after_2026: Session) -> None:
    suv, _org = _product(demo_app, SUV)
    html = _get(after_2026, f"/dashboard/products/{suv}/coverage")
    assert 'id="coverage-share"' in html
    assert "Nothing is computed" not in html
    assert f'value="{Y2025}" selected' in html


def test_the_overview_shows_2025_by_default(demo_app: Flask, after_2026: Session) -> None:
    suv, _org = _product(demo_app, SUV)
    total = _total_2025(demo_app, suv)
    html = _get(after_2026, "/dashboard/")
    item = html.split(f'href="/dashboard/products/{suv}?period={Y2025}"', 1)[1].split("</li>")[0]
    assert f"{total:,.2f}" in item or f"{total:.2f}" in item
    assert f'value="{Y2025}" selected' in html


def test_portfolio_and_whatif_default_to_2025_and_switch(
    demo_app: Flask, after_2026: Session
) -> None:
    suv, org = _product(demo_app, SUV)
    portfolio = _get(after_2026, f"/dashboard/orgs/{org}/portfolio")
    assert f'value="{Y2025}" selected' in portfolio
    assert f"/dashboard/products/{suv}?period={Y2025}" in portfolio
    whatif = _get(after_2026, f"/dashboard/products/{suv}/whatif")
    assert f'name="period" value="{Y2025}"' in whatif


def test_the_supplier_sees_its_new_period_when_chosen(demo_app: Flask, auth: Session) -> None:
    submit_2026_cathode(demo_app)
    cathode, org = _product(demo_app, "MJ-NCM811-S")
    auth.login("data@minjiang-cathode.example")
    html = _get(auth, f"/dashboard/orgs/{org}/supplier?period={Y2025}")
    assert f'value="{Y2025}" selected' in html
    html = _get(auth, f"/dashboard/orgs/{org}/supplier?period={Y2026}")
    assert f'value="{Y2026}" selected' in html
    assert f"/dashboard/products/{cathode}?period={Y2026}" in html


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/?period=2025",
        "/dashboard/products/{suv}?period=2025-13-01:2025-12-31",
        "/dashboard/products/{suv}/coverage?period=2025-12-31:2025-01-01",
        "/dashboard/products/{suv}/whatif?period=x",
        "/dashboard/orgs/{org}/portfolio?period=2025-01-01",
        "/dashboard/orgs/{org}/supplier?period=nonsense",
    ],
)
def test_a_bad_period_is_refused_with_422(demo_app: Flask, auth: Session, path: str) -> None:
    suv, org = _product(demo_app, SUV)
    with demo_app.app_context():
        supplier = db.session.scalar(
            select(Organization.id).join(Product).where(Product.part_number == SUV)
        )
    auth.login(OEM)
    response = auth.client.get(path.format(suv=suv, org=org or supplier))
    assert response.status_code == 422


def test_the_product_list_keeps_the_complete_2025(demo_app: Flask, after_2026: Session) -> None:
    suv, org = _product(demo_app, SUV)
    total = _total_2025(demo_app, suv)
    html = _get(after_2026, f"/orgs/{org}/products")
    cell = html.split(f'href="/dashboard/products/{suv}?period={Y2025}">', 1)[1]
    assert cell.startswith(f"{total:,.3f}") or cell.startswith(f"{total:.3f}")


def test_coverage_shows_the_requests_of_its_period(demo_app: Flask) -> None:
    """A pending request for 2026 is no request for 2025: the 2025 coverage still offers to
    ask, and shows the 2026 request only in 2026."""
    from datetime import timedelta

    from footprint_platform.services.exchange import requests
    from footprint_platform.services.insight import coverage

    suv, oem_org = _product(demo_app, SUV)
    pack, pack_org = _product(demo_app, "HD-PK-811-78")
    with demo_app.app_context():
        oem = admin_actor(OEM)
        asked = {
            "supplier_id": pack_org,
            "supplier_email": None,
            "part_number": "HD-PK-811-78",
            "period_start": date(2026, 1, 1),
            "period_end": date(2026, 12, 31),
            "due_date": date.today() + timedelta(days=20),
            "message": None,
        }
        requests.create_request(db.session, oem, oem_org, asked)
        shown = coverage.coverage(
            db.session, oem, suv, period=(date(2025, 1, 1), date(2025, 12, 31))
        )
        supplier = next(s for s in shown.suppliers if s.product.id == pack)
        assert supplier.request is None and supplier.state is None
