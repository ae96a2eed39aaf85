"""No submission can break the roll-up: a link that closes a loop with gain >= 1 is refused at
save and at submit, submit is all or nothing, and a period's recompute isolates a bad loop that
reached the database anyway and keeps computing everything else."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from footprint_platform.extensions import db
from footprint_platform.models import (
    AuditEvent,
    Product,
    Submission,
    SubmissionInput,
    SubmissionStatus,
)
from tests.platform.demo_ids import Ids

pytestmark = pytest.mark.postgres

PERIOD = {"period_start": "2025-01-01", "period_end": "2025-12-31"}
INPUT_FIELDS = (
    "kind",
    "stage",
    "description",
    "quantity",
    "unit",
    "factor_code",
    "linked_product_id",
    "external_footprint_id",
    "grid_region",
    "instrument",
    "distance_km",
    "allocation_basis",
    "allocation_share",
    "evidence_id",
    "dqr",
)


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}


def _part(app: Flask, part: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Product.id).where(Product.part_number == part))


def _with_cathode(draft: dict[str, Any], cathode: int, kg: str) -> dict[str, Any]:
    """The draft's own rows plus `kg` of the cathode per kg of lithium hydroxide."""
    rows = [{f: r[f] for f in INPUT_FIELDS if r.get(f) is not None} for r in draft["inputs"]]
    rows.append({"kind": "material", "quantity": kg, "unit": "kg", "linked_product_id": cathode})
    return {"dqr": "2", "inputs": rows, "lock_version": draft["lock_version"]}


def _counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        submitted = db.session.scalar(
            select(func.count())
            .select_from(Submission)
            .where(Submission.status == SubmissionStatus.SUBMITTED)
        )
        links = db.session.scalar(
            select(func.count())
            .select_from(SubmissionInput)
            .where(SubmissionInput.linked_product_id.is_not(None))
        )
        return submitted or 0, links or 0


def test_a_link_closing_a_loop_with_gain_above_one_is_refused_naming_it(
    prepared_app: Flask, ids: Ids
) -> None:
    client: FlaskClient = prepared_app.test_client()
    auth = _bearer(ids.other_write_secret)  # Lanhu Lithium's write token
    hydroxide = _part(prepared_app, "LH-LHM-56.5")
    cathode = _part(prepared_app, "MJ-NCM811-S")
    draft = client.post(f"/api/v1/products/{hydroxide}/submissions", json=PERIOD, headers=auth)
    assert draft.status_code == 201, draft.get_json()
    draft_id = draft.get_json()["id"]
    before = _counts(prepared_app)
    saved = client.put(
        f"/api/v1/submissions/{draft_id}",
        json=_with_cathode(draft.get_json(), cathode, "1000"),
        headers=auth,
    )
    assert saved.status_code == 422, saved.get_json()
    (reason,) = saved.get_json()["errors"]["inputs.linked_product_id"]
    assert "LH-LHM-56.5 → MJ-NCM811-S → LH-LHM-56.5" in reason
    assert "XJ-P811" not in reason and "DT-P811-150" not in reason  # the rest of the loop
    assert _counts(prepared_app) == before
    with prepared_app.app_context():
        kept = db.session.get(Submission, draft_id)
        assert kept.status == SubmissionStatus.DRAFT
        assert cathode not in {i.linked_product_id for i in kept.inputs}
