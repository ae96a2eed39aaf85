"""From declaration to label, in a real browser (Debian's chromium): the pack maker declares a
new version of its pack and asks the verifier; the verifier reads the pinned inputs, downloads
an evidence file and verifies; the owner publishes; then anyone opens the public page, follows
the exact address printed under the QR code for the label, finds the same page and reads it in
Chinese with the same figure. The public list and the industry overview load cleanly too."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from footprint_platform.models import Evidence, Organization, Product
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser
PACK_ADMIN = "admin@huadong-pack.example"
VERIFIER = "verifier@qingyuan-verify.example"
PACK = "HD-PK-811-78"


def _org(server: LiveServer, name: str) -> int:
    return int(server.query(select(Organization.id).where(Organization.name_en == name)))


def _headline(page: Any) -> Decimal:
    """The declared figure per declared unit as the page prints it: a battery's headline gives
    per kWh of lifetime energy first and per kWh of rated capacity in parentheses (the unit
    the stage chart draws), anything else one number."""
    text = page.inner_text("p.headline strong").replace("CO2e", "").replace(",", "")
    numbers = re.findall(r"\d+(?:\.\d+)?", text.split("(")[1] if "(" in text else text)
    return Decimal(numbers[0])


def _stage_total(page: Any) -> float:
    """The total bar of the drawn stage chart, read from plotly's own data in the page."""
    page.wait_for_selector("#chart-stages[data-drawn='true']", timeout=10_000)
    assert page.locator("#chart-stages .waterfalllayer .point").count() > 0
    return float(page.evaluate("() => document.getElementById('chart-stages').data[0].x.at(-1)"))


def _declare_and_ask(owner: Any, org: int) -> str:
    """The pack maker's admin declares the pack from the declarations page and asks the
    verifier; returns the declaration page's path."""
    page = owner.go(f"/orgs/{org}/declarations", "declarations")
    pack = owner.server.query(select(Product.id).where(Product.part_number == PACK))
    page.select_option("#product_id", str(pack))
    page.fill("#reason", "Browser test: annual re-declaration")
    owner.submit("form.filters button[type=submit]", "declared")
    assert "made and pinned" in page.inner_text(".flash.success")
    assert re.search(r"/declarations/\d+$", page.url)
    page.select_option("#verifier_id", label="Qingyuan Carbon Verification Co.")
    owner.submit("form[action$='/verification'] button", "asked-verifier")
    assert "Sent for verification" in page.inner_text(".flash.success")
    return str(page.url.removeprefix(owner.server.url))


def _verify(verifier: Any, org: int) -> None:
    """The verifier finds its assignment, reads the pinned inputs, downloads an evidence file
    and checks it byte for byte, accepts the suppliers' mass-balance reasons, then verifies."""
    page = verifier.go("/dashboard/", "overview")
    with page.expect_navigation():
        page.click(f"a.verifications[href='/orgs/{org}/verifications']")
    verifier.shot("assignments")
    row = page.locator("tbody tr", has_text=PACK).filter(has_text="Under review")
    assert row.count() == 1
    with page.expect_navigation():
        row.locator("a").click()
    verifier.shot("verification")
    pinned = page.locator("details.pinned")
    assert pinned.count() >= 10, "the pack's whole chain of pinned submissions"
    assert PACK in page.inner_text("main")
    evidence = page.locator("details.pinned a[href*='/evidence/']")
    assert evidence.count() > 0, "the demo's green certificates are pinned evidence"
    holder = pinned.filter(has=page.locator("a[href*='/evidence/']")).first
    holder.locator("summary").click()  # the pinned inputs are folded: open the one with it
    with page.expect_download() as info:
        evidence.first.click()
    data = info.value.path().read_bytes()
    evidence_id = int(evidence.first.get_attribute("href").rsplit("/", 1)[1])
    stored = verifier.server.query(select(Evidence.sha256).where(Evidence.id == evidence_id))
    assert hashlib.sha256(data).hexdigest() == stored
    reasons = page.locator("input[name=accepted]")
    assert reasons.count() > 0, "the suppliers' mass-balance reasons, each to accept"
    for k in range(reasons.count()):
        reasons.nth(k).check()
    page.fill("#findings", "Activity data and certificates checked in the browser test.")
    page.select_option("#standard", "ISO 14067:2018")
    page.select_option("#assurance", "limited")
    page.fill("#accreditation_body", "CNAS")
    page.fill("#accreditation_number", "DEMO-001")
    page.fill("#materiality_percent", "5")
    page.fill("#scope", "Cradle to gate, the pinned submissions")
    page.fill("#statement_date", date.today().isoformat())
    verifier.submit("#decision button[value=verified]", "confirm")
    verifier.submit("#confirm-verdict", "verified")
    assert page.locator("#verification-status").get_attribute("data-status") == "verified"


def test_a_declaration_goes_from_verification_to_its_label(
    visit: Any, live_server: LiveServer
) -> None:
    pack_org = _org(live_server, "Huadong Battery Systems")
    verifier_org = _org(live_server, "Qingyuan Carbon Verification Co.")
    owner = visit("owner")
    owner.login(PACK_ADMIN)
    declaration = _declare_and_ask(owner, pack_org)

    verifier = visit("verifier")
    verifier.login(VERIFIER)
    _verify(verifier, verifier_org)

    page = owner.go(declaration, "verified-declaration")
    assert "Verified" in page.inner_text("main")
    declared = _headline(page)
    owner.submit("form[action$='/publish'] button", "published")
    assert "Published." in page.inner_text(".flash.success")
    public_path = page.get_attribute("main a[href^='/d/']", "href")
    public_id = public_path.removeprefix("/d/")

    reader = visit("public")
    page = reader.go(public_path, "public-en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert _headline(page) == declared
    drawn = _stage_total(page)
    assert abs(Decimal(repr(drawn)) - declared) <= Decimal("0.005"), "the chart's total bar"
    assert "Qingyuan Carbon Verification Co." in page.inner_text("dl.facts")
    assert "Browser test: annual re-declaration" in page.inner_text("main")  # its versions
    qr = page.locator("figure.qr img")
    assert qr.get_attribute("src") == f"/d/{public_id}/qr.svg"
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", qr.element_handle())
    label_url = page.inner_text("figure.qr figcaption code").strip()
    assert label_url == f"{live_server.url}/q/{public_id}"  # the light landing page
    heading, content_hash = page.inner_text("h1"), page.inner_text("dl.facts code")

    # the label's light page: the same product and figure, no chart library, one link away
    # from the full declaration
    page = reader.go(label_url.removeprefix(live_server.url), "label-target")
    assert page.url == label_url
    assert page.inner_text("h1") == heading and _headline(page) == declared
    assert "Qingyuan Carbon Verification Co." in page.inner_text("#label-verification")
    assert (
        page.locator("#chart-stages").count() == 0
        and page.locator("script[src*=plotly]").count() == 0
    )
    reader.language("zh", "label-target-zh")
    assert page.url == label_url
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert _headline(page) == declared
    assert "生命周期阶段" in page.inner_text("main")
    assert "清源碳核查有限公司" in page.inner_text("#label-verification")
    page.click("#full-declaration")
    page.wait_for_url(f"**/d/{public_id}")
    assert page.inner_text("dl.facts code") == content_hash
    assert _stage_total(page) == drawn
    reader.shot("label-target-zh-drawn")

    page = reader.go("/d/", "public-list-zh")
    assert page.locator(f"a[href='/d/{public_id}']").count() == 1
    reader.go("/industry", "industry-zh")
    reader.language("en", "industry-en")
    assert page.locator("h1").inner_text() == "Industry overview"
