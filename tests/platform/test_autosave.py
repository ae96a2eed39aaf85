"""Autosave of the submission form (`/submissions/<id>/<step>/autosave`, JSON): the step's own
Save, so it stores what the button stores, refuses what the button refuses (with the field and
its reason, nothing saved), moves the draft's version and hands it back, never overwrites a
save made since the page's version, never changes a submitted version, and only the supplier's
editors may use it, with the form's CSRF token."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Flask

from footprint_platform.extensions import db
from footprint_platform.models import Submission
from tests.conftest import Session
from tests.platform.demo_ids import Ids

EDITOR = "admin@huadong-pack.example"
VIEWER = "analyst@huadong-pack.example"
EN = {"Accept-Language": "en"}


def _stored(app: Flask, submission_id: int) -> tuple[int, list[tuple[str, Decimal]], Any]:
    """The draft's version, its rows (kind, quantity) and its notes, as stored."""
    with app.app_context():
        sub = db.session.get(Submission, submission_id)
        assert sub is not None
        out = (
            sub.lock_version,
            [(i.kind.value, Decimal(i.quantity)) for i in sub.inputs],
            sub.notes,
        )
        db.session.remove()
    return out


def _energy(kwh: str, version: int | None) -> dict[str, str]:
    form = {
        "electricity-count": "1",
        "electricity-0-quantity": kwh,
        "electricity-0-unit": "kWh",
        "electricity-0-instrument": "grid",
        "fuel-count": "0",
    }
    return form if version is None else {**form, "lock_version": str(version)}


def _general(**fields: str) -> dict[str, str]:
    """The general step's form as the page sends it (every field, most left empty)."""
    names = ("production_volume", "notes", "mass_balance_reason", "exclusions")
    ratings = {f"dqr_{r}": "2" for r in ("technological", "temporal", "geographical")}
    return {**dict.fromkeys(names, ""), **ratings, "carbon_fossil": "", **fields}


def _signed_in(app: Flask, email: str = EDITOR) -> Session:
    session = Session(app.test_client())
    assert session.login(email).status_code == 302
    return session


def test_autosave_stores_the_step_and_hands_back_the_new_version(
    prepared_app: Flask, ids: Ids
) -> None:
    opened, rows, _notes = _stored(prepared_app, ids.draft)
    assert rows == []
    session = _signed_in(prepared_app)
    url = f"/submissions/{ids.draft}/energy/autosave"
    first = session.post(url, _energy("7.75", opened), headers=EN)
    assert first.status_code == 200, first.get_data(as_text=True)
    moved = first.get_json()["lock_version"]
    assert moved > opened
    assert _stored(prepared_app, ids.draft)[:2] == (moved, [("electricity", Decimal("7.75"))])
    # the next autosave of the same page sends the version it was handed
    second = session.post(url, _energy("8.5", moved), headers=EN)
    assert second.status_code == 200
    assert _stored(prepared_app, ids.draft)[1] == [("electricity", Decimal("8.5"))]


def test_autosave_keeps_the_other_steps_rows(prepared_app: Flask, ids: Ids) -> None:
    session = _signed_in(prepared_app)
    opened = _stored(prepared_app, ids.draft)[0]
    saved = session.post(f"/submissions/{ids.draft}/energy/autosave", _energy("3", opened))
    version = str(saved.get_json()["lock_version"])
    general = _general(notes="Metered at the pack line", lock_version=version)
    answer = session.post(f"/submissions/{ids.draft}/general/autosave", general)
    assert answer.status_code == 200
    _version, rows, notes = _stored(prepared_app, ids.draft)
    assert rows == [("electricity", Decimal("3"))] and notes == "Metered at the pack line"


def test_a_save_made_since_the_page_was_opened_is_a_conflict_not_overwritten(
    prepared_app: Flask, ids: Ids
) -> None:
    opened = _stored(prepared_app, ids.draft)[0]
    elsewhere = _signed_in(prepared_app)  # the same draft open in another tab, saved there
    assert elsewhere.post(f"/submissions/{ids.draft}/energy", _energy("5", opened)).status_code in (
        200,
        302,
    )
    session = _signed_in(prepared_app)
    answer = session.post(
        f"/submissions/{ids.draft}/energy/autosave", _energy("9", opened), headers=EN
    )
    assert answer.status_code == 409
    body = answer.get_json()
    assert "Someone saved this draft" in body["message"] and "Electricity" in body["message"]
    assert body["reload"] == f"/submissions/{ids.draft}/energy"
    assert _stored(prepared_app, ids.draft)[1] == [("electricity", Decimal("5"))]
    # the form's own Save from that page: the conflict page keeps what was typed, and its
    # script is told not to autosave over the other save
    page = session.post(f"/submissions/{ids.draft}/energy", _energy("9", opened), headers=EN)
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert 'value="9"' in html and 'data-not-stored="conflict"' in html


def test_a_refused_value_names_its_field_and_nothing_is_saved(
    prepared_app: Flask, ids: Ids
) -> None:
    before = _stored(prepared_app, ids.draft)
    session = _signed_in(prepared_app)
    form = _energy("lots", before[0])
    answer = session.post(f"/submissions/{ids.draft}/energy/autosave", form, headers=EN)
    assert answer.status_code == 422
    problems = answer.get_json()["problems"]
    assert [p["field"] for p in problems] == ["electricity-0-quantity"]
    assert "Electricity" in problems[0]["message"] and "“lots”" in problems[0]["message"]
    assert "Enter a number" in problems[0]["message"]
    assert _stored(prepared_app, ids.draft) == before
    # the form's own Save refuses the same value for the same reason: one validation
    page = session.post(f"/submissions/{ids.draft}/energy", form, headers=EN)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "Enter a number" in html and 'value="lots"' in html
    assert 'data-not-stored="refused"' in html  # shown as typed, not stored: leaving asks


def test_a_refused_header_field_is_named_in_the_readers_language(
    prepared_app: Flask, ids: Ids
) -> None:
    session = _signed_in(prepared_app)
    form = _general(production_volume="-4")
    answer = session.post(
        f"/submissions/{ids.draft}/general/autosave", form, headers={"Accept-Language": "zh-CN"}
    )
    assert answer.status_code == 422
    problem = answer.get_json()["problems"][0]
    assert problem["field"] == "production_volume"
    assert "production_volume" not in problem["message"]
    assert "产量" in problem["message"], problem  # its label, 期间产量


def test_a_submitted_version_is_never_changed_by_autosave(prepared_app: Flask, ids: Ids) -> None:
    before = _stored(prepared_app, ids.submitted)
    session = _signed_in(prepared_app)
    answer = session.post(
        f"/submissions/{ids.submitted}/energy/autosave", _energy("1", None), headers=EN
    )
    assert answer.status_code == 409
    assert "never changes" in answer.get_json()["message"]
    assert _stored(prepared_app, ids.submitted) == before


def test_a_viewer_and_another_organization_cannot_autosave(prepared_app: Flask, ids: Ids) -> None:
    before = _stored(prepared_app, ids.draft)
    url = f"/submissions/{ids.draft}/energy/autosave"
    viewer = _signed_in(prepared_app, VIEWER).post(url, _energy("2", before[0]))
    assert viewer.status_code == 403 and viewer.get_json()["code"] == "forbidden"
    other = _signed_in(prepared_app, "data@lanhu-lithium.example").post(url, _energy("2", None))
    assert other.status_code == 404 and other.get_json()["code"] == "not_found"
    anonymous = Session(prepared_app.test_client()).post(url, _energy("2", None))
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert _stored(prepared_app, ids.draft) == before


def test_autosave_needs_the_forms_csrf_token(prepared_app: Flask, ids: Ids) -> None:
    before = _stored(prepared_app, ids.draft)
    session = _signed_in(prepared_app)
    answer = session.client.post(
        f"/submissions/{ids.draft}/energy/autosave", data=_energy("2", before[0])
    )
    assert answer.status_code == 400
    assert _stored(prepared_app, ids.draft) == before


def test_the_review_step_has_no_autosave(prepared_app: Flask, ids: Ids) -> None:
    session = _signed_in(prepared_app)
    assert session.post(f"/submissions/{ids.draft}/review/autosave", {}).status_code == 404


def test_the_form_names_its_autosave_only_on_an_editable_draft(
    prepared_app: Flask, ids: Ids
) -> None:
    session = _signed_in(prepared_app)
    draft = session.client.get(f"/submissions/{ids.draft}/energy").get_data(as_text=True)
    assert f'data-autosave="/submissions/{ids.draft}/energy/autosave"' in draft
    assert 'id="autosave-status"' in draft and 'aria-live="polite"' in draft
    fixed = session.client.get(f"/submissions/{ids.submitted}/energy").get_data(as_text=True)
    assert "data-autosave" not in fixed and 'id="autosave-status"' not in fixed
    assert "data-not-stored" not in draft  # what it shows is what is stored
