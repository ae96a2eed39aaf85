"""Tasks and the verifier's workspace in a real browser, in English and Chinese:

(a) a supplier signs in, sees its open tasks counted in the header, opens its task inbox and
    starts the submission a customer's request asks for: the form opens on a draft for the
    requested product and period;
(b) a verifier finds a declaration to verify among its tasks, reads the summary at the top,
    unfolds a pinned input, records its statement, confirms the verdict and sees it recorded.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import DataRequest, Product, RequestStatus, Submission
from footprint_platform.services.disclosure import declarations, publication
from tests.browser.conftest import LiveServer
from tests.platform.demo_ids import admin_actor, org_id

pytestmark = pytest.mark.browser
SUPPLIER = "admin@bashu-lfp.example"
VERIFIER = "verifier@qingyuan-verify.example"


def test_a_supplier_starts_the_submission_a_request_asks_for(
    visit: Any, live_server: LiveServer
) -> None:
    request_id = live_server.query(
        select(DataRequest.id).where(
            DataRequest.part_number == "BS-LFP-280", DataRequest.status == RequestStatus.PENDING
        )
    )
    tab = visit("supplier")
    tab.login(SUPPLIER)
    page = tab.go("/dashboard/", "overview-en")
    badge = page.locator("header .tasks-link .count")
    assert int(badge.inner_text()) >= 1
    assert "BS-LFP-280" in page.inner_text("#pending-requests")
    for link in ("Data submissions", "Data requests"):
        assert page.locator("header nav a", has_text=link).count() == 1
    with page.expect_navigation():
        page.click("header .tasks-link")
    tab.shot("inbox-en")
    row = page.locator("#to-answer tr.task", has_text="BS-LFP-280")
    assert row.count() == 1
    tab.language("zh", "inbox-zh")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert "待回复的数据请求" in page.inner_text("#to-answer")
    assert "待办" in page.inner_text("header nav")
    tab.language("en", "inbox-en-again")
    tab.submit(f"#to-answer form[action='/requests/{request_id}/start'] button", "draft-opened")
    assert page.url.endswith("/general")
    assert "Draft for the requested product and period" in page.inner_text(".flash")
    submission_id = int(page.url.rsplit("/", 2)[-2])
    draft = live_server.query(select(Submission).where(Submission.id == submission_id))
    asked = live_server.query(select(DataRequest).where(DataRequest.id == request_id))
    assert (draft.product_id, draft.period_start, draft.period_end) == (
        asked.product_id,
        asked.period_start,
        asked.period_end,
    )


def _assignment(server: LiveServer) -> int:
    """The demo pack declared again and sent to the demo verifier, through the services."""
    with server.app.test_request_context("/"):
        pack = db.session.scalar(select(Product).where(Product.part_number == "HD-PK-811-78"))
        owner = admin_actor("admin@huadong-pack.example")
        d = declarations.declare(
            db.session, owner, pack.id, date(2025, 1, 1), date(2025, 12, 31), "Recomputed"
        )
        v = publication.request_verification(
            db.session, owner, d.id, org_id("Qingyuan Carbon Verification Co.")
        )
        made = v.id
        db.session.remove()
    return made


def test_a_verifier_works_from_the_summary_and_confirms_the_verdict(
    visit: Any, live_server: LiveServer
) -> None:
    assignment = _assignment(live_server)
    tab = visit("verifier")
    tab.login(VERIFIER)
    page = tab.go("/tasks", "tasks-en")
    assert int(page.locator("header .tasks-link .count").inner_text()) >= 1
    with page.expect_navigation():
        page.click(f"#to-verify a[href='/verifications/{assignment}']")
    tab.shot("workspace-en")
    # the status and summary first, the verdict next, the pinned inputs folded below
    boxes = {
        part: page.locator(f"#{part}").bounding_box()["y"]
        for part in ("verification-status", "summary", "decision", "pinned")
    }
    assert list(boxes) == sorted(boxes, key=boxes.get)
    assert page.locator("#verification-status").get_attribute("data-status") == "under_review"
    folded = page.locator("details.pinned")
    assert folded.count() > 1 and folded.first.get_attribute("open") is None
    for fmt in ("csv", "pact", "batterypass", "aas"):
        assert page.locator(f"#summary a[href$='/export/{fmt}']").count() == 1
    folded.first.locator("summary").click()
    assert folded.first.get_attribute("open") is not None
    tab.shot("workspace-input-open")
    first = page.locator("#checklist tr.checklist-row").first
    first.locator("input[type=checkbox]").check()
    first.locator("input[name^=note-]").fill("Invoices seen.")
    tab.submit("#checklist button[type=submit]", "checklist-saved")
    assert "1 of" in page.inner_text("#checklist-title")
    tab.language("zh", "workspace-zh")
    assert "固定输入的核查清单" in page.inner_text("#summary")
    assert "核查声明" in page.inner_text("#decision")
    tab.language("en", "workspace-en-again")
    for box in page.locator("#decision input[name=accepted]").all():
        box.check()
    page.fill("#findings", "Activity data checked against meter and purchase records.")
    page.select_option("#standard", "ISO 14067:2018")
    page.select_option("#assurance", "limited")
    page.fill("#accreditation_body", "CNAS")
    page.fill("#accreditation_number", "DEMO-001")
    page.fill("#materiality_percent", "5")
    page.fill("#scope", "Cradle to gate, the pinned submissions")
    page.fill("#statement_date", date.today().isoformat())
    tab.submit("#decision button[value=verified]", "confirm-en")
    assert page.locator("#verdict-to-confirm").get_attribute("data-verdict") == "verified"
    tab.submit("#confirm-verdict", "recorded")
    assert page.locator("#verification-status").get_attribute("data-status") == "verified"
    assert "ISO 14067:2018" in page.inner_text("#statement")
