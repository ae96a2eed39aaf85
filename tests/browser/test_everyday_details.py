"""What people see of the operator's factor tools, the Excel template, the QR landing page and
the smaller things, in a real browser, in English and Chinese:

(a) the operator sorts, filters, pages and exports the factor list; downloads the current
    release, uploads it back (no change), uploads an edited one: the diff names the dataset,
    its % change and the products it would reach; Cancel goes back; publishing needs the box;
(b) a supplier downloads the Excel template from the form: guide and product list in both
    languages, the unit column refuses a unit the row cannot use; the form shows stored
    numbers without their ten stored decimals;
(c) a phone opens the label's QR code: a light page with the figures as text and SVG, no
    script; the full page is one tap away, and every kg CO2e figure on it names its unit;
(d) the audit log fits the screen (desktop and phone) and names events in the reader's
    language.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from footprint_platform.models import Declaration, Organization, Product, Submission
from tests.browser.conftest import LiveServer, Visit

pytestmark = pytest.mark.browser
OPERATOR = "operator@tanlian.example"
PACK_ADMIN = "admin@huadong-pack.example"
CHANGED = "mat.aluminium.primary.cn"
HAN = re.compile(r"[\u4e00-\u9fff]")
RAW_CODE = re.compile(r"^[a-z_]+\.[a-z_]+$")
STORED_DECIMALS = re.compile(r"\.\d*0{4,}$")


def _download(page: Any, selector: str, into: Path) -> Path:
    with page.expect_download() as info:
        page.click(selector)
    path = into / info.value.suggested_filename
    info.value.save_as(path)
    return path


def _edited_release(path: Path, into: Path) -> Path:
    """The downloaded release with one factor's value 10 % higher."""
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    header = list(rows[0])
    row = next(r for r in rows if r["code"] == CHANGED)
    value = Decimal(row["value"]) * Decimal("1.1")
    row["value"] = str(value)
    if row["range_high"]:
        row["range_high"] = str(max(Decimal(row["range_high"]), value))
    out = into / "edited.csv"
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out


def test_the_operator_lists_factors_and_checks_a_release_before_publishing(
    visit: Any, tmp_path: Path
) -> None:
    tab = visit("operator")
    tab.login(OPERATOR)
    page = tab.go("/factors?sort=value&dir=desc", "factors-by-value-en")
    values = page.locator("#factor-table td.num").evaluate_all(
        "cells => cells.map(c => c.dataset.value)"
    )
    assert len(values) == 50 and page.locator("a[rel=next]").count() == 1
    numbers = [Decimal(v) for v in values]
    assert numbers == sorted(numbers, reverse=True)
    assert not any(STORED_DECIMALS.search(v) for v in values)
    page.select_option("#category", "electricity")
    page.select_option("#series", "co2_emission")
    page.fill("#q", "2023")
    tab.submit("#factor-filters button[type=submit]", "factors-filtered-en")
    codes = page.locator("#factor-table td.identifier code").all_inner_texts()
    assert codes and all(".co2." in c and "2023" in c for c in codes)
    exported = _download(page, "#export-csv", tmp_path)
    rows = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    assert sorted(r["code"] for r in rows) == sorted(codes)
    tab.language("zh", "factors-filtered-zh")
    assert "导出此列表" in page.inner_text("#factor-count")
    assert page.locator("#category option:checked").inner_text() == "电力"
    tab.language("en", "factors-en-again")

    page = tab.go("/operator/factors", "publish-start-en")
    current = _download(page, "#download-current a", tmp_path)
    page.set_input_files("#file", str(current))
    tab.submit("main form button[type=submit]", "diff-unchanged-en")
    assert re.search(r"0 added, 0 removed, 0 changed", page.inner_text("#diff-summary"))
    with page.expect_navigation():
        page.click("#cancel")
    page.set_input_files("#file", str(_edited_release(current, tmp_path)))
    tab.submit("main form button[type=submit]", "diff-one-change-en")
    row = page.locator(f"#diff-changed tr[data-code='{CHANGED}']")
    assert "+10.0 %" in row.inner_text() and "aluminium" in row.inner_text().lower()
    assert page.locator("#impact-products li").count() > 0
    assert "Would affect new declarations and results" in page.inner_text("#diff-impact")
    with page.expect_navigation():
        page.click("#cancel")
    tab.shot("cancelled")
    assert page.locator("#file").count() == 1 and page.locator("#diff-summary").count() == 0
    tab.language("zh", "publish-start-zh")  # a language switch reloads the upload page
    page.set_input_files("#file", str(_edited_release(current, tmp_path)))
    tab.submit("main form button[type=submit]", "diff-one-change-zh")
    assert "将影响以下产品的新声明和新结果" in page.inner_text("#diff-impact")
    name = page.locator(f"#diff-changed tr[data-code='{CHANGED}'] td").first.inner_text()
    assert HAN.search(name)
    with page.expect_navigation():
        page.click("#cancel")
    tab.language("en", "publish-start-en-again")
    page.set_input_files("#file", str(_edited_release(current, tmp_path)))
    tab.submit("main form button[type=submit]", "diff-again")
    page.fill("#version", "2026.5")
    assert page.locator("#confirmed").get_attribute("required") is not None
    page.check("#confirmed")
    tab.submit("#publish-form button[type=submit]", "published")
    assert page.url.endswith("/factors/2026.5")


def test_the_excel_template_reads_in_both_languages_and_stops_a_wrong_unit(
    visit: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    sub_id = live_server.query(
        select(Submission.id)
        .join(Product)
        .where(Product.part_number == "HD-PK-811-78")
        .order_by(Submission.id.desc())
    )
    tab = visit("supplier")
    tab.login(PACK_ADMIN)
    page = tab.go(f"/submissions/{sub_id}/materials", "materials-en")
    values = page.locator("table.entry input").evaluate_all("els => els.map(e => e.value)")
    assert "1.8" in values and not any(STORED_DECIMALS.search(v) for v in values if v)
    page = tab.go(f"/submissions/{sub_id}/general", "general-en")
    path = _download(page, "a[href$='/template.xlsx']", tmp_path)
    wb = load_workbook(path)
    guide = {r[2]: r[0] for r in wb["Guide 说明"].iter_rows(max_col=3, values_only=True) if r[2]}
    for label in guide.values():
        assert HAN.search(label) and re.search(r"[A-Za-z]{3}", label)
    lists = wb["Lists 代码"]
    column = next(c for c in lists[1] if c.value == "product").column
    meanings = [lists.cell(r, column + 1).value for r in range(2, lists.max_row + 1)]
    assert any(m and HAN.search(m) and " / " in m for m in meanings)
    materials = wb["材料 Materials"]
    assert materials.cell(1, 3).value == "unit" and materials.cell(1, 5).value == "factor_code"
    row = next(r for r in range(3, 40) if materials.cell(r, 5).value == CHANGED)
    unit_checks = [
        v for v in materials.data_validations.dataValidation if f"C{row}" in str(v.sqref).split()
    ]
    assert len(unit_checks) == 1 and unit_checks[0].showErrorMessage
    units = unit_checks[0].formula1.strip('"').split(",")
    assert unit_checks[0].errorStyle == "stop" and "kg" in units and "kWh" not in units
    tab.language("zh", "general-zh")
    assert page.locator("a[href$='/template.xlsx']").inner_text() == "下载 Excel 模板"


def _unitless_kg(page: Any) -> list[str]:
    """Every "kg CO2e" in the page's text (charts left out) not followed by its per-unit."""
    text = page.evaluate(
        "() => { const m = document.querySelector('main').cloneNode(true);"
        " m.querySelectorAll('.chart, script').forEach(e => e.remove());"
        " return m.textContent; }"
    )
    return [m.group(0) for m in re.finditer(r"[\d.,]+\s*kg CO2e(?!\s*(/|per|每))", text)]


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_phone_opens_the_light_page_of_the_label_qr_code(
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
        tab = Visit(context.new_page(), live_server, f"label-{locale}")
        loaded: list[str] = []
        tab.page.on("response", lambda r: loaded.append(r.url))
        page = tab.go(f"/q/{public_id}", "label-page")
        assert [u for u in loaded if u.endswith(".js")] == [], "no script on the light page"
        assert page.locator("script[src]").count() == 0
        assert re.search(r"kg CO2e\s*/", page.inner_text("#label-total"))
        assert page.locator("#label-stages li svg rect").count() >= 1
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
        assert _unitless_kg(page) == []
        if locale == "zh-CN":
            assert "产品碳足迹" in page.inner_text("main") and "核查" in page.inner_text("main")
        else:
            assert "Product carbon footprint" in page.inner_text("main")
        with page.expect_navigation():
            page.click("#full-declaration")
        tab.shot("full-page")
        assert page.url.endswith(f"/d/{public_id}")
        assert page.inner_text("figure.qr figcaption").strip().endswith(f"/q/{public_id}")
        assert _unitless_kg(page) == []
        assert tab.errors() == []
    finally:
        context.close()


def _audit_checks(page: Any, width: int) -> list[str]:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    events = page.locator("#audit-log td.event").all_inner_texts()
    assert events and not [e for e in events if RAW_CODE.match(e.strip())]
    return events


def test_the_audit_log_fits_the_screen_and_names_events(
    visit: Any, browser: Any, live_server: LiveServer
) -> None:
    org = live_server.query(
        select(Organization.id).where(Organization.name_en == "Huadong Battery Systems")
    )
    tab = visit("audit")
    tab.login(PACK_ADMIN)
    page = tab.go(f"/orgs/{org}/audit", "audit-en")
    events = _audit_checks(page, 1280)
    assert "Data submission · submitted" in events
    tab.language("zh", "audit-zh")
    events = _audit_checks(page, 1280)
    assert "数据提交 · 已提交" in events and all(HAN.search(e) for e in events)
    cookies = page.context.cookies()
    phone = browser.new_context(
        locale="zh-CN", viewport={"width": 375, "height": 812}, is_mobile=True
    )
    try:
        phone.add_cookies(cookies)
        small = Visit(phone.new_page(), live_server, "audit-phone")
        page = small.go(f"/orgs/{org}/audit", "audit-phone-zh")
        _audit_checks(page, 375)
        assert small.errors() == []
    finally:
        phone.close()


def test_the_supplier_product_picker_is_grouped_by_maker_and_filters(
    visit: Any, live_server: LiveServer
) -> None:
    """The materials step's product picker lists no vehicle (never an input), groups products
    by maker, and a filter box narrows it as one types; the box counts as no unsaved edit."""
    where = Product.part_number == "HD-PK-811-78"
    pack, org = (
        live_server.query(select(c).where(where)) for c in (Product.id, Product.organization_id)
    )
    tab = visit("supplier")
    tab.login(PACK_ADMIN)
    page = tab.go(f"/orgs/{org}/submissions", "picker-submissions")
    page.select_option("#product_id", str(pack))
    page.fill("#period_start", "2028-01-01")
    page.fill("#period_end", "2028-12-31")
    tab.submit("form.filters button[type=submit]", "picker-general")
    page = tab.go(
        page.url.removeprefix(live_server.url).replace("/general", "/materials"), "picker-materials"
    )
    picker = page.locator("select[data-picker]").last  # a blank row: nothing chosen yet
    groups = picker.locator("optgroup").evaluate_all("gs => gs.map(g => g.label)")
    assert len(groups) > 3 and "Lingnan Auto" not in groups  # it makes vehicles only
    box = page.locator("input.picker-filter").last
    assert box.get_attribute("aria-label") == "Filter suppliers' products"
    box.fill("Bashu")
    shown = picker.locator("optgroup:not([hidden])").evaluate_all("gs => gs.map(g => g.label)")
    assert shown and all("Bashu" in g for g in shown)
    assert page.locator("form[data-warn-unsaved]").get_attribute("data-dirty") is None
    tab.shot("picker-filtered")
    tab.language("zh", "picker-zh")
    assert page.locator("input.picker-filter").first.get_attribute("aria-label") == "筛选供应商产品"
