"""The product dashboard's charts as an analyst sees them (Debian's chromium): the two
half-width cards share a row and the chain takes the full width, no card leaves half the row
empty; the Sankey names its sources (no "other" box, datasets beside their buyers); the
treemap's tiers in order; in English and Chinese."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from footprint_platform.models import Product
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser
OEM = "analyst@jinghai-motors.example"


def _boxes(page: object) -> list[dict[str, float]]:
    return page.eval_on_selector_all(  # type: ignore[attr-defined]
        ".charts > .chart-card", "cards => cards.map(c => c.getBoundingClientRect().toJSON())"
    )


def _sankey_labels(page: object) -> list[str]:
    return page.eval_on_selector_all(  # type: ignore[attr-defined]
        "#chart-chain .sankey .node-label",
        """nodes => nodes.map(n => {
            const lines = [...n.querySelectorAll('tspan.line')].map(t => t.textContent);
            return (lines.length ? lines.join(' ') : n.textContent).replace(/\u00a0/g, ' ');
        })""",
    )


def test_the_product_charts_use_the_width_and_name_their_sources(
    visit: object, live_server: LiveServer
) -> None:
    vehicle = int(live_server.query(select(Product.id).where(Product.part_number == "JH-S7-LR")))
    tab = visit("oem")  # type: ignore[operator]
    tab.login(OEM)
    page = tab.go(f"/dashboard/products/{vehicle}", "product-charts")
    first, second, chain = _boxes(page)
    row = page.eval_on_selector(".charts", "c => c.getBoundingClientRect().width")
    assert abs(first["y"] - second["y"]) < 1, "the two half cards share a row"
    assert first["width"] + second["width"] > 0.95 * row - 20
    assert chain["width"] > 0.98 * row and chain["y"] > first["y"]
    labels = _sankey_labels(page)
    assert labels and not any("Other inputs" in t for t in labels)
    assert any(t.startswith("Generic datasets bought for") for t in labels)
    tiers = page.eval_on_selector_all(
        "#chart-tiers .slice text", "ts => ts.map(t => t.textContent)"
    )
    numbers = [int(t.split()[1]) for t in tiers if t.startswith("Tier ")]
    assert numbers == sorted(numbers) or not numbers
    tab.language("zh", "product-charts-zh")
    labels = _sankey_labels(page)
    assert any("所用的通用数据集" in t for t in labels)
    first, second, _chain = _boxes(page)
    assert abs(first["y"] - second["y"]) < 1
