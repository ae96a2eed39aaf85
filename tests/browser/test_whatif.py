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
