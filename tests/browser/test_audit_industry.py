"""Two pages read as people read them, in a real browser, in English and Chinese:

(a) the audit log's details: each detail labelled in the reader's language, products and
    organizations by their names, a period as a year; never `key=value`; on a phone too; its
    CSV download carries the same details in both languages;
(b) the public industry overview at demo scale: every group below the minimum says how many
    published declarations it holds and from how many figures are shown, regions and
    chemistries by their names, and its declarations lead to their public pages.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from footprint_platform.models import Declaration, Organization, Product, Site
from footprint_platform.reference import load_reference
from tests.browser.conftest import LiveServer, Visit

pytestmark = pytest.mark.browser
PACK_ADMIN = "admin@huadong-pack.example"
KEY_VALUE = re.compile(r"\b[a-z]+(?:_[a-z]+)*=\S")
HAN = re.compile(r"[\u4e00-\u9fff]")


def _details(page: Any) -> list[dict[str, str]]:
    """Each shown detail: its stored key, its label and its value as the page shows them."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#audit-log .audit-details > div')].map(d => ({
            key: d.dataset.key, label: d.querySelector('dt').innerText.trim(),
            value: d.querySelector('dd').innerText.trim()}))"""
    )


def _check_details(page: Any, width: int) -> list[dict[str, str]]:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    cells = page.locator("#audit-log td.details").all_inner_texts()
    assert cells and not [c for c in cells if KEY_VALUE.search(c)]
    details = _details(page)
    assert details and all(d["label"] and d["label"] != d["key"] for d in details)
    return details


def test_the_audit_log_details_read_as_words_in_both_languages(
    visit: Any, browser: Any, live_server: LiveServer
) -> None:
    org = live_server.query(
        select(Organization.id).where(Organization.name_en == "Huadong Battery Systems")
    )
    tab = visit("audit-details")
    tab.login(PACK_ADMIN)
    page = tab.go(f"/orgs/{org}/audit", "audit-details-en")
    details = _check_details(page, 1280)
    periods = {d["value"] for d in details if d["key"] == "period"}
    assert periods == {"2025"} and {"Period", "Product", "Customer"} <= {
        d["label"] for d in details
    }
    products = [d["value"] for d in details if d["key"] == "product_id"]
    assert products and all(re.match(r"HD-PK-\S+ · \S", p) for p in products)
    tab.language("zh", "audit-details-zh")
    details = _check_details(page, 1280)
    assert all(HAN.search(d["label"]) for d in details if d["key"] != "sha256")
    assert {"期间", "产品", "客户"} <= {d["label"] for d in details}
    customers = {d["value"] for d in details if d["key"] == "buyer_id"}
    assert customers and all(HAN.search(c) for c in customers)
    with page.expect_download() as info:
        page.click("#audit-csv")
    raw = Path(info.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the mark Excel needs to read UTF-8
    body = raw.decode("utf-8-sig")
    header, *lines = body.splitlines()
    assert header.endswith("action_zh,object_en,object_zh,details_en,details_zh") and lines
    assert "期间：2025" in body and "Period: 2025" in body
    phone = browser.new_context(
        locale="zh-CN", viewport={"width": 375, "height": 812}, is_mobile=True
    )
    try:
        phone.add_cookies(page.context.cookies())
        small = Visit(phone.new_page(), live_server, "audit-details-phone")
        _check_details(small.go(f"/orgs/{org}/audit", "audit-details-phone-zh"), 375)
        assert small.errors() == []
    finally:
        phone.close()


def test_the_industry_overview_at_demo_scale_says_what_it_holds(
    visit: Any, live_server: LiveServer
) -> None:
    ref = load_reference()
    pack = live_server.query(select(Product.id).where(Product.part_number == "HD-PK-811-78"))
    public_id = live_server.query(
        select(Declaration.public_id).where(
            Declaration.product_id == pack, Declaration.published_at.is_not(None)
        )
    )
    province = live_server.query(
        select(Site.province).join(Product, Product.site_id == Site.id).where(Product.id == pack)
    )
    tab = visit("industry")
    tab.go("/login", "start")
    tab.language("zh", "zh")
    page = tab.go("/industry", "industry-demo-zh")
    text = page.inner_text("main")
    assert f"CN-{province}" not in text and ref.provinces[province].label("zh") in text
    small = page.locator("tr.small p.too-few").all_inner_texts()
    assert small and all(re.fullmatch(r"已发布声明 \d+ 份;达到 5 份后显示数值。", s) for s in small)
    assert page.locator("#none-shown").is_visible()
    tab.language("en", "industry-demo-en")
    text = page.inner_text("main")
    assert ref.provinces[province].label("en") in text and f"CN-{province}" not in text
    small = page.locator("tr.small p.too-few").all_inner_texts()
    assert all(
        re.fullmatch(r"\d+ published declarations?; figures are shown from 5\.", s) for s in small
    )
    row = page.locator("#groups-chemistry tr.small", has_text="NMC 811").filter(
        has_text="Battery pack"
    )
    with page.expect_navigation():
        row.locator(f"a[href='/d/{public_id}']").click()
    tab.shot("industry-to-declaration")
    assert page.url.endswith(f"/d/{public_id}")
    tab.page.go_back()
    with page.expect_navigation():
        page.locator("#groups-chemistry tr.small a.group-list").first.click()
    tab.shot("industry-to-list")
    assert "/d/?category=" in page.url and page.locator("#declarations tbody tr").count() >= 1
