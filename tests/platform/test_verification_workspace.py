"""The verifier's workspace and the verification statement: findings before any verdict, a
complete statement to verify, a confirmation before it is recorded, the checklist of pinned
inputs, every export the owner gets, and the statement on the public page and in PACT."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform import json_schemas
from footprint_platform.errors import InvalidInput, NotAllowed
from footprint_platform.extensions import db
from footprint_platform.models import Declaration, Product, Verification, VerificationStatus
from footprint_platform.services.disclosure import declarations, publication
from footprint_platform.services.pact import footprint as pact
from footprint_platform.web_common.downloads import pact_options
from tests.conftest import Session
from tests.platform.demo_ids import admin_actor, org_id
from tests.platform.statement import STATEMENT, STATEMENT_FORM

pytestmark = pytest.mark.postgres
PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
EN = {"Accept-Language": "en"}
OWNER = "admin@huadong-pack.example"
VERIFIER = "verifier@qingyuan-verify.example"
VERIFIER_ORG = "Qingyuan Carbon Verification Co."


def _asked() -> tuple[int, int]:
    """The demo pack declared again and sent to the demo verifier: (declaration, verification)."""
    pack = db.session.scalar(select(Product).where(Product.part_number == "HD-PK-811-78"))
    owner = admin_actor(OWNER)
    d = declarations.declare(db.session, owner, pack.id, *PERIOD, "Recomputed")
    v = publication.request_verification(db.session, owner, d.id, org_id(VERIFIER_ORG))
    return d.id, v.id


def test_a_pass_with_empty_findings_is_refused_with_a_clear_message(demo_app: Flask) -> None:
    with demo_app.test_request_context("/", headers=EN):
        d_id, v_id = _asked()
        verifier = admin_actor(VERIFIER)
        reasons = list(publication.stated_reasons(db.session, db.session.get(Declaration, d_id)))
        with pytest.raises(InvalidInput) as caught:
            publication.decide(db.session, verifier, v_id, "verified", "  ", reasons, STATEMENT)
        assert "Record your findings before a verdict" in caught.value.errors["findings"][0]
        assert db.session.get(Verification, v_id).status is VerificationStatus.UNDER_REVIEW


def test_verifying_needs_the_whole_statement_each_field_named(demo_app: Flask) -> None:
    with demo_app.test_request_context("/", headers=EN):
        d_id, v_id = _asked()
        verifier = admin_actor(VERIFIER)
        reasons = list(publication.stated_reasons(db.session, db.session.get(Declaration, d_id)))
        with pytest.raises(InvalidInput) as caught:
            publication.decide(db.session, verifier, v_id, "verified", "Checked.", reasons)
        assert {"standard", "assurance", "materiality_percent", "scope", "statement_date"} <= set(
            caught.value.errors
        )
        wrong = publication.Statement(
            **{
                **STATEMENT_FORM,
                "standard": "ISO 9001",
                "assurance": "total",
                "accreditation_number": "",
                "materiality_percent": "150",
                "statement_date": (date.today() + timedelta(days=2)).isoformat(),
            }
        )
        with pytest.raises(InvalidInput) as caught:
            publication.decide(db.session, verifier, v_id, "verified", "Checked.", reasons, wrong)
        assert set(caught.value.errors) == {
            "standard",
            "assurance",
            "accreditation_number",
            "materiality_percent",
            "statement_date",
        }
        # a rejection needs findings, not a statement
        done = publication.decide(db.session, verifier, v_id, "rejected", "Meter data missing.")
        assert done.status is VerificationStatus.REJECTED and done.standard is None


def test_the_statement_is_stored_shown_publicly_and_mapped_into_pact(demo_app: Flask) -> None:
    with demo_app.test_request_context("/", headers=EN):
        d_id, v_id = _asked()
        d = db.session.get(Declaration, d_id)
        reasons = list(publication.stated_reasons(db.session, d))
        publication.decide(
            db.session, admin_actor(VERIFIER), v_id, "verified", "Checked.", reasons, STATEMENT
        )
        v = db.session.get(Verification, v_id)
        assert (v.standard, v.assurance.value, str(v.materiality_percent)) == (
            "ISO 14064-3:2019",
            "reasonable",
            "5.00",
        )
        publication.publish(db.session, admin_actor(OWNER), d_id)
        footprint = pact.product_footprint(db.session, d, pact_options(d))
        assert json_schemas.problems("pact", footprint) == []  # PACT 3.0.3's schema
        verification = footprint["pcf"]["verification"]
        assert verification["standardName"] == "ISO 14064-3:2019"
        assert verification["coverage"] == "product level"
        comments = verification["comments"]
        for part in ("reasonable", "CNAS, number TEST-0001", "5 % of the total", "Cradle to gate"):
            assert part in comments
        public_id = d.public_id
    for lang, words in (("en", "reasonable assurance"), ("zh", "合理保证")):
        html = (
            demo_app.test_client()
            .get(f"/d/{public_id}", headers={"Accept-Language": lang})
            .get_data(as_text=True)
        )
        statement = re.search(r'id="verification-statement">(.*?)</dd>', html, re.S)
        assert statement is not None
        assert "ISO 14064-3:2019" in statement.group(1) and words in statement.group(1)
        assert "TEST-0001" in statement.group(1)


def _workspace(demo_app: Flask) -> tuple[Session, int, int]:
    with demo_app.test_request_context("/", headers=EN):
        d_id, v_id = _asked()
    verifier = Session(demo_app.test_client())
    verifier.login(VERIFIER)
    return verifier, d_id, v_id


def test_the_workspace_puts_summary_and_verdict_first_and_folds_the_inputs(
    demo_app: Flask,
) -> None:
    verifier, d_id, v_id = _workspace(demo_app)
    html = verifier.client.get(f"/verifications/{v_id}", headers=EN).get_data(as_text=True)
    order = [html.index(f'id="{part}"') for part in ("verification-status", "summary", "decision")]
    assert order == sorted(order) and order[-1] < html.index('id="pinned"')
    assert 'data-status="under_review"' in html
    with demo_app.app_context():
        d = db.session.get(Declaration, d_id)
        pins = len(d.pinned)
        stages = {k: float(v) for k, v in d.by_stage.items()}
    assert html.count('<details class="card pinned"') == pins  # each pinned input folded
    assert html.count('class="checklist-row"') == pins  # one checklist row per pinned input
    assert abs(sum(stages.values()) - float(d.total)) < 1e-6  # the breakdown adds up
    for fmt in ("csv", "pact", "batterypass", "aas"):
        assert f"/declarations/{d_id}/export/{fmt}" in html


def test_the_verifier_downloads_every_export_the_owner_gets(demo_app: Flask) -> None:
    verifier, d_id, _v = _workspace(demo_app)
    owner = Session(demo_app.test_client())
    owner.login(OWNER)
    for fmt in ("csv", "pact", "batterypass", "aas"):
        got = verifier.client.get(f"/declarations/{d_id}/export/{fmt}")
        assert got.status_code == 200, fmt
        assert owner.client.get(f"/declarations/{d_id}/export/{fmt}").status_code == 200
        assert verifier.client.get(f"/declarations/{d_id}/export/{fmt}.jws").status_code == 200
    other = Session(demo_app.test_client())
    other.login("data@lanhu-lithium.example")  # no party to this declaration
    assert other.client.get(f"/declarations/{d_id}/export/aas").status_code == 404


def test_a_verdict_is_confirmed_before_it_is_recorded(demo_app: Flask) -> None:
    verifier, d_id, v_id = _workspace(demo_app)
    with demo_app.app_context():
        reasons = publication.stated_reasons(db.session, db.session.get(Declaration, d_id))
    form: dict[str, Any] = {
        "verdict": "verified",
        "findings": "Meter data matches the invoices.",
        "accepted": [str(i) for i in reasons],
        **STATEMENT_FORM,
    }
    empty = verifier.post(f"/verifications/{v_id}", {**form, "findings": ""}, headers=EN)
    assert empty.status_code == 422
    assert "Record your findings before a verdict" in empty.get_data(as_text=True)
    asked = verifier.post(f"/verifications/{v_id}", form, headers=EN)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'id="confirm-verdict"' in page
    assert 'data-verdict="verified"' in page and "ISO 14064-3:2019" in page
    with demo_app.app_context():
        assert db.session.get(Verification, v_id).status is VerificationStatus.UNDER_REVIEW
    back = verifier.post(f"/verifications/{v_id}", {**form, "action": "edit"}, headers=EN)
    assert back.status_code == 200 and "Meter data matches the invoices." in back.get_data(
        as_text=True
    )
    done = verifier.post(f"/verifications/{v_id}", {**form, "confirmed": "yes"}, headers=EN)
    assert done.status_code == 302
    with demo_app.app_context():
        v = db.session.get(Verification, v_id)
        assert v.status is VerificationStatus.VERIFIED and v.standard == "ISO 14064-3:2019"


def test_the_checklist_keeps_a_note_per_pinned_input_for_the_verifier_only(
    demo_app: Flask,
) -> None:
    verifier, d_id, v_id = _workspace(demo_app)
    with demo_app.app_context():
        pinned = sorted(pin[0] for pin in db.session.get(Declaration, d_id).pinned.values())
    first, second = pinned[0], pinned[1]
    saved = verifier.post(
        f"/verifications/{v_id}",
        {
            "action": "checklist",
            "checked": [str(first), "999999"],  # not pinned: ignored
            f"note-{first}": "Invoices seen.",
            f"note-{second}": "Ask for the meter photo.",
        },
    )
    assert saved.status_code == 302
    with demo_app.app_context():
        v = db.session.get(Verification, v_id)
        assert v.checklist == {
            str(first): {"checked": True, "note": "Invoices seen."},
            str(second): {"checked": False, "note": "Ask for the meter photo."},
        }
    html = verifier.client.get(f"/verifications/{v_id}", headers=EN).get_data(as_text=True)
    assert f"1 of {len(pinned)} checked" in html and "Ask for the meter photo." in html
    with demo_app.test_request_context("/"), pytest.raises(NotAllowed):  # a party, not the verifier
        publication.save_checklist(db.session, admin_actor(OWNER), v_id, {first: (True, "")})
    owner = Session(demo_app.test_client())
    owner.login(OWNER)
    refused = owner.post(f"/verifications/{v_id}", {"action": "checklist", "checked": [str(first)]})
    assert refused.status_code == 403
