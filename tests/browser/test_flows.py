"""End to end in a real browser (Debian's chromium): what people do, as they do it.

(a) the OEM's analyst opens a vehicle's dashboard and the three charts draw;
(b) a published declaration's public page reads in English and in Chinese;
(c) a supplier submits new data through the seven-step form, and its own dashboard and the
    OEM's vehicle dashboard show the new footprint;
(d) the OEM's analyst opens the portfolio, then the vehicle's coverage: every chart draws.
(e) a cell maker imports a partner's PACT footprint file on its Partner footprints page.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from footprint_platform.models import Declaration, Organization, Product
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser
OEM = "analyst@jinghai-motors.example"
FOIL_MAKER = "data@jiangnan-foil.example"
CHARTS = {
    "chart-stages": ".waterfalllayer .point",
    "chart-chain": ".sankey-link",
    "chart-tiers": ".treemaplayer .slice",
}


def _product(server: LiveServer, part: str) -> int:
    return int(server.query(select(Product.id).where(Product.part_number == part)))


def _charts_drawn(page: Any) -> None:
    """Each chart was drawn by plotly.js into an SVG with its marks (bars, links, tiles)."""
    for chart, marks in CHARTS.items():
        page.wait_for_selector(f"#{chart}[data-drawn='true']", timeout=10_000)
        assert page.locator(f"#{chart} svg.main-svg").count() > 0
        assert page.locator(f"#{chart} {marks}").count() > 0, f"{chart} has no {marks}"


def _total(page: Any) -> Decimal:
    return Decimal(page.get_attribute("#footprint [data-total]", "data-total"))


def test_the_oem_sees_its_vehicle_charts(visit: Any, live_server: LiveServer) -> None:
    vehicle = _product(live_server, "JH-S7-LR")
    tab = visit("oem")
    tab.login(OEM)
    page = tab.go("/dashboard/", "overview")
    with page.expect_navigation():
        page.click(f"a[href^='/dashboard/products/{vehicle}?period=']")
    _charts_drawn(page)
    tab.shot("vehicle-dashboard")
    assert page.locator("#quality tbody tr").count() > 0
    tab.language("zh", "vehicle-dashboard-zh")
    _charts_drawn(page)
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert "数据质量" in page.inner_text("main")
    tab.shot("vehicle-dashboard-zh-drawn")


def test_a_published_declaration_reads_in_both_languages(
    visit: Any, live_server: LiveServer
) -> None:
    public_id = live_server.query(
        select(Declaration.public_id)
        .where(Declaration.published_at.is_not(None))
        .order_by(Declaration.id)
        .limit(1)
    )
    tab = visit()
    page = tab.go(f"/d/{public_id}", "declaration-en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "kg CO2e" in page.inner_text("p.headline")
    tab.language("zh", "declaration-zh")
    assert page.url.endswith(f"/d/{public_id}")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert "生命周期阶段" in page.inner_text("main")


def test_a_supplier_submits_and_the_dashboards_show_the_new_figure(
    visit: Any, live_server: LiveServer
) -> None:
    foil = _product(live_server, "JN-AL-12")
    vehicle = _product(live_server, "JH-S7-LR")
    org = live_server.query(
        select(Organization.id).where(Organization.name_en == "Jiangnan Foil Materials")
    )
    oem = visit("oem")
    oem.login(OEM)
    before = _total(oem.go(f"/dashboard/products/{vehicle}", "vehicle-before"))

    supplier = visit("supplier")
    supplier.login(FOIL_MAKER)
    foil_before = _total(supplier.go(f"/dashboard/products/{foil}", "foil-before"))
    page = supplier.go(f"/orgs/{org}/submissions", "submissions")
    page.select_option("#product_id", str(foil))
    page.fill("#period_start", "2025-01-01")
    page.fill("#period_end", "2025-12-31")
    supplier.submit("form.filters button[type=submit]", "step-general")
    assert page.url.endswith("/general"), "a new draft opens at its first step"
    # Every step in turn, as the form leads; energy: ten times the electricity per kg.
    for step in ("energy", "process", "materials", "transport", "outputs", "review"):
        supplier.submit("main form:not(.filters) button[type=submit]", f"step-{step}")
        assert page.url.endswith(f"/{step}"), f"saving the step before {step} was refused"
        if step == "energy":
            assert Decimal(page.input_value("#electricity-0-quantity")) == Decimal("1.8")
            page.fill("#electricity-0-quantity", "18")
    supplier.submit("form[action$='/submit'] button", "submitted")
    assert "Submitted" in page.inner_text(".flash")

    page = supplier.go(f"/dashboard/products/{foil}", "foil-after")
    _charts_drawn(page)
    assert _total(page) > foil_before
    page = oem.go(f"/dashboard/products/{vehicle}", "vehicle-after")
    _charts_drawn(page)
    assert _total(page) > before


def test_the_guards_catch_errors(visit: Any, live_server: LiveServer) -> None:
    """The checks every test relies on do fire: an HTTP error, a console error and an aborted
    request that is no download are caught."""
    tab = visit()
    tab.page.goto(live_server.url + "/no-such-page")
    tab.page.evaluate("console.error('deliberate')")
    tab.page.evaluate(
        "() => { const c = new AbortController();"
        " const f = fetch('/industry', {signal: c.signal}).catch(() => null);"
        " c.abort(); return f; }"
    )
    tab.page.wait_for_timeout(200)
    errors = tab.errors()
    assert any("HTTP 404" in p for p in errors)
    assert any("deliberate" in p for p in errors)
    assert any(p.startswith("failed: GET") and "/industry" in p for p in errors)
    tab.problems.clear()  # expected here; any other test would fail on them
    tab._failed.clear()


def test_the_oem_opens_its_portfolio_then_coverage(visit: Any, live_server: LiveServer) -> None:
    vehicle = _product(live_server, "JH-S7-LR")
    org = live_server.query(select(Organization.id).where(Organization.name_en == "Jinghai Motors"))
    tab = visit("oem")
    tab.login(OEM)
    page = tab.go("/dashboard/", "overview")
    with page.expect_navigation():
        page.click(f"a[href^='/dashboard/orgs/{org}/portfolio']")
    page.wait_for_selector("#chart-primary[data-drawn='true']", timeout=10_000)
    assert page.locator("#chart-primary .barlayer .point").count() > 0
    assert page.locator(f"#portfolio tr[data-product='{vehicle}']").count() == 1
    tab.shot("portfolio")
    with page.expect_navigation():
        page.click(f"a[href^='/dashboard/products/{vehicle}/coverage']")
    page.wait_for_selector("#chart-coverage[data-drawn='true']", timeout=10_000)
    assert page.locator("#chart-coverage .barlayer .point").count() > 0
    assert "HD-PK-811-78" in page.inner_text("#suppliers")
    tab.shot("coverage")
    tab.language("zh", "coverage-zh")
    page.wait_for_selector("#chart-coverage[data-drawn='true']", timeout=10_000)
    assert "背后的供应商" in page.inner_text("main")


def test_a_cell_maker_imports_a_partner_s_pact_footprint(
    visit: Any, live_server: LiveServer, tmp_path: Any
) -> None:
    """(e) the cell maker downloads a published footprint as PACT (as a partner would send it),
    imports it under Partner footprints, and finds it among a material's choices."""
    public_id = live_server.query(
        select(Declaration.public_id)
        .join(Product)
        .where(Product.part_number == "ZJ-EL-LFP", Declaration.published_at.is_not(None))
        .limit(1)
    )
    org = live_server.query(
        select(Organization.id).where(Organization.name_en.like("Dongtai%")).limit(1)
    )
    tab = visit("cell-maker")
    tab.login("admin@dongtai-cells.example")
    answer = tab.page.request.get(f"{live_server.url}/d/{public_id}.pact.json")
    assert answer.ok
    file = tmp_path / "partner.pact.json"
    file.write_bytes(answer.body())
    page = tab.go(f"/orgs/{org}/partner-footprints", "partner-footprints")
    page.set_input_files("#file", str(file))
    page = tab.submit("main form[enctype] button[type=submit]", "partner-footprint-imported")
    assert public_id in page.inner_text("main table")
    page = tab.go(f"/orgs/{org}/pact", "pact-partners")
    assert page.locator("#base_url").count() == 1  # where partners' credentials are entered


def test_switching_step_tabs_saves_the_edit_first(visit: Any, live_server: LiveServer) -> None:
    """An edit not yet saved: the step tab saves it, then leaves without asking; the value is
    there when the step is opened again (refusals and conflicts: tests/browser/test_autosave.py)."""
    foil = _product(live_server, "JN-AL-12")
    org = live_server.query(
        select(Organization.id).where(Organization.name_en == "Jiangnan Foil Materials")
    )
    supplier = visit("supplier")
    supplier.login(FOIL_MAKER)
    page = supplier.go(f"/orgs/{org}/submissions", "submissions")
    page.select_option("#product_id", str(foil))
    page.fill("#period_start", "2025-01-01")
    page.fill("#period_end", "2025-12-31")
    supplier.submit("form.filters button[type=submit]", "draft")
    supplier.submit("main form:not(.filters) button[type=submit]", "step-energy")
    assert page.url.endswith("/energy")
    page.click("#electricity-0-quantity")
    page.keyboard.press("Control+A")
    page.keyboard.type("42")
    asked: list[str] = []

    def dismiss(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    with page.expect_navigation():
        page.click(".steps a[href$='/process']")
    supplier.shot("saved-by-the-tab")
    assert page.url.endswith("/process") and asked == []
    page = supplier.go(
        page.url.removeprefix(live_server.url).replace("/process", "/energy"), "energy"
    )
    assert Decimal(page.input_value("#electricity-0-quantity")) == Decimal("42")
