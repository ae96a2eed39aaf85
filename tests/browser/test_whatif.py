"""What-if in a real browser (Debian's chromium): the OEM's analyst buys part of the vehicle
plant's electricity as wind power, saves the scenario and compares it; the charts draw, the
pages read in Chinese too, and the browser sees no error."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from footprint_platform.models import Product
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser
OEM = "analyst@jinghai-motors.example"


def _bars_drawn(page: object, chart: str) -> None:
    page.wait_for_selector(f"#{chart}[data-drawn='true']", timeout=10_000)  # type: ignore[attr-defined]
    assert page.locator(f"#{chart} .barlayer .point").count() > 0  # type: ignore[attr-defined]


def test_the_oem_tries_green_electricity_saves_and_compares(
    visit: object, live_server: LiveServer
) -> None:
    vehicle = int(live_server.query(select(Product.id).where(Product.part_number == "JH-S7-LR")))
    tab = visit("oem")  # type: ignore[operator]
    tab.login(OEM)
    page = tab.go(f"/dashboard/products/{vehicle}", "vehicle")
    tab.submit("#whatif-link", "whatif-empty")
    page.select_option("#green-source", "wind")
    page.fill("#green-share", "40")
    tab.submit("#form-green_share button[type=submit]", "whatif-wind-40")
    assert "40 % of the grid electricity as wind power" in page.inner_text("#changes")
    _bars_drawn(page, "chart-whatif")
    total = page.locator("#whatif-total")
    base, scenario = (Decimal(total.get_attribute(a)) for a in ("data-base", "data-scenario"))
    assert scenario < base
    page.fill("#scenario-name", "Wind 40 %")
    tab.submit("#save-form button[type=submit]", "whatif-saved")
    assert "saved" in page.inner_text(".flash.success")
    assert page.locator("#saved tbody tr").count() == 1
    tab.submit("#compare-form > button[type=submit]", "whatif-compare")
    _bars_drawn(page, "chart-compare")
    assert Decimal(page.get_attribute("#compare [data-total]", "data-total")) == scenario
    tab.language("zh", "whatif-compare-zh")
    _bars_drawn(page, "chart-compare")
    assert "情景" in page.inner_text("main")


def _refused(tab: object, button: str, label: str) -> None:
    """Submit a form the server refuses: its 422 page is the expected answer here, so that
    one response (and the console line chromium writes for it) is not counted as an error."""
    page = tab.submit(button, label)  # type: ignore[attr-defined]
    problems = tab.problems  # type: ignore[attr-defined]
    expected = [p for p in problems if p == f"HTTP 422: {page.url}" or "status of 422" in p]
    assert any(p.startswith("HTTP 422") for p in expected), problems
    for p in expected:
        problems.remove(p)


def test_the_oem_swaps_its_pack_and_every_lever_says_what_it_offers(
    visit: object, live_server: LiveServer
) -> None:
    """The SUV maker tries the second pack maker's shared pack: Add with no product chosen
    names what to choose; the swap counts; recycled content and the grid say why they offer
    nothing on release 2025.1; deleting the saved scenario asks first. In English and Chinese."""
    vehicle = int(live_server.query(select(Product.id).where(Product.part_number == "JH-S7-LR")))
    other = int(live_server.query(select(Product.id).where(Product.part_number == "WJ-PK-811-78")))
    tab = visit("oem")  # type: ignore[operator]
    tab.login(OEM)
    page = tab.go(f"/dashboard/products/{vehicle}/whatif", "whatif-levers")
    assert "2025.1" in page.inner_text("#no-recycled")
    assert "national factor" in page.inner_text("#grid-why")
    assert "China only" in page.inner_text("#no-grid")
    _refused(tab, "#form-swap button[type=submit]", "whatif-swap-nothing-chosen")
    assert "Choose the product to buy instead" in page.inner_text("#add-refused")
    assert "Choose the product to buy instead" in page.inner_text("#swap-competitor-error")
    page.select_option("#swap-competitor", str(other))
    tab.submit("#form-swap button[type=submit]", "whatif-swapped")
    assert "Wanjiang Battery Systems" in page.inner_text("#changes")
    _bars_drawn(page, "chart-whatif")
    total = page.locator("#whatif-total")
    base, scenario = (Decimal(total.get_attribute(a)) for a in ("data-base", "data-scenario"))
    assert scenario < base  # less housing aluminium per kWh
    assert "primary-data share" in page.inner_text("#primary-note")
    page.fill("#scenario-name", "Wanjiang pack")
    tab.submit("#save-form button[type=submit]", "whatif-swap-saved")
    tab.submit("#saved tbody button.danger", "whatif-delete-asks")
    assert "Wanjiang pack" in page.inner_text("#confirm-delete")
    tab.submit("#cancel-delete", "whatif-delete-cancelled")
    assert page.locator("#saved tbody tr").count() == 1
    tab.language("zh", "whatif-zh")
    assert "全国因子" in page.inner_text("#grid-why")
    assert "再生材料数据集" in page.inner_text("#no-recycled")
    assert "初级数据占比从" in page.inner_text("#primary-note")
    tab.submit("#saved tbody button.danger", "whatif-delete-asks-zh")
    assert "确定删除" in page.inner_text("#confirm-delete")
    tab.submit("#confirm-delete-form button[type=submit]", "whatif-deleted-zh")
    assert page.locator("#saved tbody tr").count() == 0
    page.fill("#green-share", "")
    _refused(tab, "#form-green_share button[type=submit]", "whatif-green-nothing-zh")
    assert "百分比" in page.inner_text("#add-refused")
