"""Every edit of a draft moves its version: rows live in their own table, so a save that
changes only rows must still move the submission's `lock_version`. Two saves of one version
at once: one wins, the other is a 409 (nothing merged, no row duplicated); a save based on an
older version is a 409 naming what changed since; the form keeps what the person typed."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform.api.schemas_submission import InputRowSchema
from footprint_platform.extensions import db
from footprint_platform.models import Product, Submission
from tests.conftest import Session
from tests.platform.test_concurrency import PERIOD, _at_once, _token

pytestmark = pytest.mark.postgres
WRITERS = 4


def _foil_draft(app: Flask) -> tuple[dict[str, str], dict[str, Any], list[dict[str, Any]]]:
    """A new draft of the foil (API), its headers and its rows as the API takes them."""
    secret = _token(app, "data@jiangnan-foil.example", "Jiangnan Foil Materials")
    headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}
    with app.app_context():
        foil = db.session.scalar(select(Product.id).where(Product.part_number == "JN-AL-12"))
    draft = (
        app.test_client()
        .post(f"/api/v1/products/{foil}/submissions", json=PERIOD, headers=headers)
        .get_json()
    )
    fields = InputRowSchema().fields
    rows = [{k: v for k, v in i.items() if k in fields and v is not None} for i in draft["inputs"]]
    return headers, draft, rows


def _electricity(kwh: str) -> dict[str, Any]:
    return {"kind": "electricity", "quantity": kwh, "unit": "kWh", "instrument": "grid"}


def _stored(app: Flask, submission_id: int) -> list[tuple[str, Decimal]]:
    with app.app_context():
        sub = db.session.get(Submission, submission_id)
        out = [(i.kind.value, Decimal(i.quantity)) for i in sub.inputs]
        db.session.remove()
    return sorted(out)


def test_concurrent_saves_of_one_drafts_rows_one_wins_nothing_merged(demo_app: Flask) -> None:
    headers, draft, rows = _foil_draft(demo_app)
    base = _stored(demo_app, draft["id"])

    def save(n: int) -> Any:
        def call() -> tuple[int, str]:
            kwh = f"{n + 1}.5"
            body = {
                "inputs": [*rows, _electricity(kwh)],  # only rows change; the header is equal
                "dqr": draft["dqr"],
                "notes": draft["notes"],
                "lock_version": draft["lock_version"],
            }
            client = demo_app.test_client()
            r = client.put(f"/api/v1/submissions/{draft['id']}", json=body, headers=headers)
            return r.status_code, kwh

        return call

    results = _at_once([save(n) for n in range(WRITERS)])
    codes = Counter(code for code, _ in results)
    assert codes[200] == 1 and codes[409] == WRITERS - 1, results
    winner = next(kwh for code, kwh in results if code == 200)
    assert _stored(demo_app, draft["id"]) == sorted([*base, ("electricity", Decimal(winner))])


def test_concurrent_saves_without_a_version_never_merge(demo_app: Flask) -> None:
    """The workbook upload sends no version: the last save wins whole, never a mixture."""
    headers, draft, rows = _foil_draft(demo_app)
    base = _stored(demo_app, draft["id"])

    def save(n: int) -> Any:
        def call() -> int:
            body = {"inputs": [*rows, _electricity(f"{n + 1}.5")], "dqr": draft["dqr"]}
            client = demo_app.test_client()
            return client.put(
                f"/api/v1/submissions/{draft['id']}", json=body, headers=headers
            ).status_code

        return call

    codes = _at_once([save(n) for n in range(WRITERS)])
    assert set(codes) <= {200, 409} and 200 in codes, codes
    stored = _stored(demo_app, draft["id"])
    assert any(
        stored == sorted([*base, ("electricity", Decimal(f"{n + 1}.5"))]) for n in range(WRITERS)
    ), stored


def test_a_stale_save_of_rows_is_a_409_naming_what_changed(demo_app: Flask) -> None:
    headers, draft, rows = _foil_draft(demo_app)
    client = demo_app.test_client()
    url = f"/api/v1/submissions/{draft['id']}"
    first = client.put(
        url,
        json={"inputs": [*rows, _electricity("1.5")], "dqr": draft["dqr"], "lock_version": 1},
        headers=headers,
    )
    assert first.status_code == 200
    moved = first.get_json()["submission"]["lock_version"]
    assert moved > draft["lock_version"]
    stale = client.put(
        url,
        json={"inputs": [*rows, _electricity("9.5")], "dqr": draft["dqr"], "lock_version": 1},
        headers=headers,
    )
    assert stale.status_code == 409
    assert "Electricity" in stale.get_json()["message"], stale.get_json()
    assert _stored(demo_app, draft["id"]).count(("electricity", Decimal("1.5"))) == 1
    assert ("electricity", Decimal("9.5")) not in _stored(demo_app, draft["id"])


def test_the_form_keeps_what_was_typed_when_someone_saved_first(prepared_app: Flask) -> None:
    from tests.platform.demo_ids import admin_actor

    with prepared_app.app_context():
        foil = db.session.scalar(select(Product).where(Product.part_number == "JN-AL-12"))
        from footprint_platform.services.intake import submissions

        actor = admin_actor("data@jiangnan-foil.example")
        draft = submissions.start_draft(db.session, actor, foil.id, *_period())
        draft_id, opened = draft.id, draft.lock_version
        rows = [
            {
                "kind": i.kind.value,
                "quantity": i.quantity,
                "unit": i.unit,
                "factor_code": i.factor_code,
            }
            for i in draft.inputs
        ]
        # someone else adds an electricity row in the meantime
        submissions.save_draft(
            db.session, actor, draft_id, {"dqr": draft.dqr}, [*rows, _electricity("3.25")]
        )
        db.session.remove()
    session = Session(prepared_app.test_client())
    session.login("data@jiangnan-foil.example")
    page = session.post(
        f"/submissions/{draft_id}/energy",
        {
            "lock_version": str(opened),
            "electricity-count": "1",
            "electricity-0-quantity": "7.75",
            "electricity-0-unit": "kWh",
            "electricity-0-instrument": "grid",
            "fuel-count": "0",
        },
        headers={"Accept-Language": "en"},
    )
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert 'value="7.75"' in html and "Electricity" in html
    assert ("electricity", Decimal("3.25")) in _stored(prepared_app, draft_id)
    assert ("electricity", Decimal("7.75")) not in _stored(prepared_app, draft_id)


def _period() -> tuple[Any, Any]:
    from datetime import date

    return date(2025, 1, 1), date(2025, 12, 31)
