"""What-if in a real browser (Debian's chromium): the OEM's analyst buys part of the vehicle
plant's electricity as wind power, saves the scenario and compares it; the charts draw, the
pages read in Chinese too, and the browser sees no error."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import Product
from footprint_platform.services import workflow
from tests.browser.conftest import LiveServer
from tests.platform.demo_ids import admin_actor

pytestmark = pytest.mark.browser
OEM = "analyst@jinghai-motors.example"
PACK_ADMIN = "admin@huadong-pack.example"


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


def _options(page: object, select: str) -> set[str]:
    values = page.eval_on_selector_all(f"{select} option", "os => os.map(o => o.value)")  # type: ignore[attr-defined]
    return {v for v in values if v}


def _download(page: object, link: str) -> bytes:
    with page.expect_download() as info:  # type: ignore[attr-defined]
        page.click(link)  # type: ignore[attr-defined]
    return bytes(info.value.path().read_bytes())


def test_after_a_swap_the_forms_offer_the_new_pack_and_the_comparison_downloads(
    visit: object, live_server: LiveServer
) -> None:
    """The SUV maker swaps its NMC pack for the second maker's: the swap form then offers that
    pack to replace (with the LFP pack its maker shared), never the NMC pack again; the
    comparison downloads as CSV (with a BOM) and as a workbook, headers in English, then in
    Chinese after switching language."""
    ids = {
        part: int(live_server.query(select(Product.id).where(Product.part_number == part)))
        for part in ("JH-S7-LR", "HD-PK-811-78", "WJ-PK-811-78", "HD-PK-LFP-60")
    }
    vehicle, nmc, other, lfp = (str(ids[p]) for p in ids)
    with live_server.app.app_context():
        oem_org = db.session.get(Product, ids["JH-S7-LR"]).organization_id
        workflow.share(db.session, admin_actor(PACK_ADMIN), ids["HD-PK-LFP-60"], oem_org)
        db.session.remove()
    tab = visit("oem")  # type: ignore[operator]
    tab.login(OEM)
    page = tab.go(f"/dashboard/products/{vehicle}/whatif", "whatif-before-swap")
    assert nmc in _options(page, "#swap-supplier") and other not in _options(page, "#swap-supplier")
    page.select_option("#swap-supplier", nmc)
    page.select_option("#swap-competitor", other)
    tab.submit("#form-swap button[type=submit]", "whatif-after-swap")
    assert _options(page, "#swap-supplier") >= {other} and nmc not in _options(
        page, "#swap-supplier"
    )
    assert lfp in _options(page, "#swap-competitor") and nmc not in _options(
        page, "#swap-competitor"
    )
    data = _download(page, "#export-csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Product", "Part number"]
    assert all("Wanjiang" in r[-1] for r in rows[1:]) and len(rows) > 3
    tab.language("zh", "whatif-after-swap-zh")
    assert nmc not in _options(page, "#swap-supplier") and other in _options(page, "#swap-supplier")
    assert "下载此对比" in page.inner_text("#whatif-export")
    zh = list(csv.reader(io.StringIO(_download(page, "#export-csv").decode("utf-8-sig"))))
    assert zh[0][:2] == ["产品", "零件号"]
    sheet = load_workbook(io.BytesIO(_download(page, "#export-xlsx"))).active
    assert [c.value for c in sheet[1]][:2] == ["产品", "零件号"]
    assert sheet.max_row == len(zh)
