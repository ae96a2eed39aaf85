"""A reader on a 375 px phone opens a published declaration's full page (one tap from the
light page the label's QR code leads to, tests/browser/test_everyday_details.py): the stage
chart draws without plotly's toolbar over its title, and plotly.js arrives gzip-compressed and
cacheable. Screenshots in English and Chinese."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from footprint_platform.models import Declaration
from tests.browser.conftest import LiveServer, Visit

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_phone_reads_the_qr_landing_page(
    browser: Any, live_server: LiveServer, locale: str
) -> None:
    public_id = live_server.query(
        select(Declaration.public_id)
        .where(Declaration.published_at.is_not(None))
        .order_by(Declaration.id)
        .limit(1)
    )
    context = browser.new_context(
        locale=locale, viewport={"width": 375, "height": 812}, is_mobile=True
    )
    try:
        tab = Visit(context.new_page(), live_server, f"phone-{locale}")
        scripts: dict[str, Any] = {}
        tab.page.on(
            "response",
            lambda r: (
                scripts.setdefault(r.url.rsplit("/", 1)[-1], r) if r.url.endswith(".js") else None
            ),
        )
        page = tab.go(f"/d/{public_id}", "qr-landing")
        page.wait_for_selector("#chart-stages[data-drawn='true']", timeout=10_000)
        assert page.locator("#chart-stages .waterfalllayer .point").count() > 0
        assert page.locator("#chart-stages .modebar").count() == 0, "no toolbar over the title"
        plotly = scripts["plotly.min.js"]
        assert plotly.header_value("content-encoding") == "gzip"
        assert plotly.header_value("cache-control") == "public, max-age=3600"
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375, "nothing wider than the phone"
        tab.shot("qr-landing-drawn")
        assert tab.errors() == []
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_public_list_is_cards_on_a_phone(
    browser: Any, live_server: LiveServer, locale: str
) -> None:
    """At 375 px each declaration is a card: names and dates on whole lines, never broken
    into one or two characters a line, and nothing wider than the screen."""
    context = browser.new_context(
        locale=locale, viewport={"width": 375, "height": 812}, is_mobile=True
    )
    try:
        tab = Visit(context.new_page(), live_server, f"phone-list-{locale}")
        page = tab.go("/d/", "public-list")
        rows = page.locator("#declarations tbody tr")
        assert rows.count() > 0
        assert page.locator("#declarations thead").bounding_box()["height"] <= 1
        card = rows.first.bounding_box()
        assert card["width"] > 300, "a row is a card across the screen"
        for cell in rows.first.locator("td").all():
            box = cell.bounding_box()
            assert box["width"] > 250, "each value on its own full line"
            line = float(cell.evaluate("c => parseFloat(getComputedStyle(c).lineHeight) || 20"))
            assert box["height"] < 3.5 * line, "no word broken down the card"
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
        assert tab.errors() == []
    finally:
        context.close()
