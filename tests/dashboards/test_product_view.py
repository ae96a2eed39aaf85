"""The product dashboard: its maker sees the charts, drawn without inline JavaScript from our own
plotly.js, and nothing on it names another organization or what that organization uses."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import plotly.graph_objects as go
import pytest
from flask import Flask
from sqlalchemy import select

from dashboards import charts
from footprint_platform.extensions import db
from footprint_platform.models import Organization, Product
from footprint_platform.reference import load_reference
from tests.conftest import Session

pytestmark = pytest.mark.postgres
OEM = "analyst@jinghai-motors.example"
STATIC = Path(__file__).resolve().parents[2] / "dashboards" / "static"


def _ids(app: Flask, part: str) -> tuple[int, int]:
    with app.app_context():
        p = db.session.scalar(select(Product).where(Product.part_number == part))
        return p.id, p.organization_id


def _outsiders(app: Flask, org_id: int) -> list[str]:
    """Every other organization's names and product names and part numbers (less those that
    are part of a category's name, e.g. "Lithium hexafluorophosphate")."""
    with app.app_context():
        names = [
            n
            for o in db.session.scalars(select(Organization).where(Organization.id != org_id))
            for n in (o.name_en, o.name_zh)
        ]
        products = db.session.scalars(select(Product).where(Product.organization_id != org_id))
        names += [n for p in products for n in (p.name_en, p.name_zh, p.part_number)]
    categories = {n for c in load_reference().categories.values() for n in (c.en, c.zh)}
    return [n for n in names if n and not any(n in c for c in categories)]


def test_the_maker_sees_three_charts_from_our_own_scripts(demo_app: Flask, auth: Session) -> None:
    vehicle, _org = _ids(demo_app, "JH-S7-LR")
    auth.login(OEM)
    html = auth.client.get(f"/dashboard/products/{vehicle}").get_data(as_text=True)
    for chart in ("chart-stages", "chart-chain", "chart-tiers"):
        assert f'id="{chart}" data-figure="{chart}-data"' in html
        block = re.search(
            rf'<script type="application/json" id="{chart}-data">(.*?)</script>', html
        )
        assert block and json.loads(block.group(1))["data"]
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert all('type="application/json"' in s or "src=" in s for s in scripts), "no inline JS"
    sources = re.findall(r'<script src="([^"]+)"', html)
    assert sources == [
        "/dashboard/static/vendor/plotly/plotly.min.js",
        "/dashboard/static/js/charts.js",
    ]
    assert "http://" not in " ".join(sources) + " ".join(re.findall(r'href="([^"]+)"', html))
    assert 'id="quality"' in html


@pytest.mark.parametrize(
    ("part", "email"),
    [("JH-S7-LR", OEM), ("DT-P811-150", "admin@dongtai-cells.example")],  # the cell: its chain
)
def test_nothing_names_another_organization(
    demo_app: Flask, auth: Session, part: str, email: str
) -> None:
    """The vehicle's chain reaches twelve other organizations, the cell's chain several; the page
    shows them only as tiers and categories (docs/design.md, "Who may see what"), in both
    languages."""
    product, org = _ids(demo_app, part)
    auth.login(email)
    for lang in ("en", "zh"):
        auth.post(f"/language/{lang}")
        html = auth.client.get(f"/dashboard/products/{product}").get_data(as_text=True)
        assert "chart-chain" in html
        leaked = [n for n in _outsiders(demo_app, org) if n in html]
        assert leaked == []
        assert "product:" not in html and "factor:" not in html  # no node ids or dataset codes


def test_the_overview_and_the_product_list_link_to_the_dashboard(
    demo_app: Flask, auth: Session
) -> None:
    vehicle, org = _ids(demo_app, "JH-S7-LR")
    auth.login(OEM)
    link = f'href="/dashboard/products/{vehicle}?period=2025-01-01:2025-12-31"'
    assert link in auth.client.get("/dashboard/").get_data(as_text=True)
    assert link in auth.client.get(f"/orgs/{org}/products").get_data(as_text=True)


def test_a_product_without_data_says_so(demo_app: Flask, auth: Session) -> None:
    missing, _org = _ids(demo_app, "DT-P811-150-EU")  # no submission, no generic dataset
    auth.login("admin@dongtai-cells.example")
    response = auth.client.get(f"/dashboard/products/{missing}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "data-figure" not in html and "plotly.min.js" not in html


def test_a_label_cannot_close_the_data_block(demo_app: Flask) -> None:
    fig = go.Figure(go.Bar(x=["</script><script>alert(1)</script>"], y=[1]))
    with demo_app.test_request_context():
        html = str(charts.render(fig, "c", 'x" onmouseover="y'))
    assert html.count("</script>") == 1 and "<script>alert" not in html
    assert 'aria-label="x&#34; onmouseover=&#34;y"' in html
    block = html.split('id="c-data">', 1)[1].removesuffix("</script>")
    assert json.loads(block)["data"][0]["x"] == ["</script><script>alert(1)</script>"]


def test_the_vendored_plotly_is_the_recorded_build() -> None:
    """The served bundle is the one build/build.sh made (its SHA-256 in VERSION)."""
    vendored = STATIC / "vendor" / "plotly" / "plotly.min.js"
    recorded = (STATIC / "vendor" / "plotly" / "VERSION").read_text().split("sha256 ")[1].split()[0]
    assert hashlib.sha256(vendored.read_bytes()).hexdigest() == recorded, "rebuild, then record"


# Addresses the bundle may name: XML namespaces, and documentation quoted in its messages.
# None is ever requested; a new one (a map style, a CDN) must be looked at before it ships.
NAMED_NOT_FETCHED = {
    "www.w3.org",
    "jse.amstat.org",
    "developer.mozilla.org",
    "github.com",
    "plotly.com",
    "sites.google.com",
}


def test_the_vendored_plotly_names_no_server_to_load_from() -> None:
    bundle = (STATIC / "vendor" / "plotly" / "plotly.min.js").read_text(encoding="utf-8")
    hosts = set(re.findall(r"https?://([A-Za-z0-9.-]+)", bundle))
    assert hosts <= NAMED_NOT_FETCHED, hosts - NAMED_NOT_FETCHED
    assert "maplibre" not in bundle  # the map library, with its tile and font servers
