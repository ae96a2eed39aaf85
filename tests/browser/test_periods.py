"""The reporting period in a real browser: after the cathode maker submits its 2026 data, the
OEM's vehicle dashboard and coverage still open on the complete 2025, switch to 2026 and back
with the picker, and the links between the pages carry the choice; the cathode maker's what-if
switches between its two periods."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import Product
from footprint_platform.services import workflow
from footprint_platform.services.intake import submissions
from tests.browser.conftest import LiveServer
from tests.platform.demo_ids import admin_actor

pytestmark = pytest.mark.browser
OEM = "analyst@jinghai-motors.example"
CATHODE_MAKER = "data@minjiang-cathode.example"
Y2025 = "2025-01-01:2025-12-31"
Y2026 = "2026-01-01:2026-12-31"


def _product(server: LiveServer, part: str) -> int:
    return int(server.query(select(Product.id).where(Product.part_number == part)))


def _submit_2026_cathode(server: LiveServer, cathode: int) -> None:
    with server.app.app_context():
        actor = admin_actor(CATHODE_MAKER)
        draft = submissions.start_draft(
            db.session, actor, cathode, date(2026, 1, 1), date(2026, 12, 31)
        )
        workflow.submit(db.session, actor, draft.id)
        db.session.remove()


def _choose(tab: Any, period: str, label: str) -> Any:
    tab.page.select_option("#period-picker #period", period)
    page = tab.submit("#period-picker button[type=submit]", label)
    assert f"period={period}" in unquote(page.url)
    return page


def test_the_period_switch_on_dashboard_coverage_and_whatif(
    visit: Any, live_server: LiveServer
) -> None:
    suv, cathode = _product(live_server, "JH-S7-LR"), _product(live_server, "MJ-NCM811-S")
    _submit_2026_cathode(live_server, cathode)

    oem = visit("oem")
    oem.login(OEM)
    page = oem.go(f"/dashboard/products/{suv}", "vehicle-2025-by-default")
    assert page.input_value("#period") == Y2025
    assert page.locator("#footprint [data-total]").count() == 1
    page = _choose(oem, Y2026, "vehicle-2026")
    assert page.locator("#share-carried").is_visible()  # its 2025 data carried forward, said so
    with page.expect_navigation():
        page.click(f"#coverage-link[href='/dashboard/products/{suv}/coverage?period={Y2026}']")
    oem.shot("coverage-2026")
    assert page.input_value("#period") == Y2026
    page = _choose(oem, Y2025, "coverage-2025")
    page.wait_for_selector("#chart-coverage[data-drawn='true']", timeout=10_000)
    assert page.locator("#coverage-share").is_visible()
    oem.language("zh", "coverage-2025-zh")
    assert "报告期" in page.inner_text("#period-picker") and "不完整" in page.inner_text("#period")

    maker = visit("cathode-maker")
    maker.login(CATHODE_MAKER)
    page = maker.go(f"/dashboard/products/{cathode}/whatif", "whatif-2026-by-default")
    # the cathode's 2026 is complete (its upstream's 2025 data carried forward): the default
    assert page.input_value("#period") == Y2026
    page = _choose(maker, Y2025, "whatif-2025")
    assert page.input_value("#period") == Y2025
    page = _choose(maker, Y2026, "whatif-2026")
    assert page.locator(f"main form input[name=period][value='{Y2026}']").count() > 0
    with page.expect_navigation():
        page.click(f"a[href='/dashboard/products/{cathode}?period={Y2026}']")
    maker.shot("cathode-dashboard-2026")
    # its precursor has no 2026 data: the 2025 data carried forward, and the page says how much
    carried = page.inner_text("#share-carried")
    assert Decimal(carried.rstrip(" %")) > 0
    page = _choose(maker, Y2025, "cathode-dashboard-2025")
    assert page.input_value("#period") == Y2025
    assert Decimal(page.inner_text("#share-carried").rstrip(" %")) == 0
