"""Every read of primary data leaves an audit record: who, what, when and from where, on each
way in (form pages, the workbook, the history, the API); the log cannot be edited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import AuditEvent, User
from tests.conftest import Session
from tests.platform.demo_ids import Ids


def _reads(submission_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "submission.read",
                AuditEvent.object_id == str(submission_id),
            )
        )
    )


@pytest.mark.parametrize(
    "path",
    ["/submissions/{id}/general", "/submissions/{id}/template.xlsx", "/submissions/{id}/history"],
)
def test_each_web_read_of_a_submission_is_logged_with_who_and_where(
    prepared_app: Flask, ids: Ids, path: str
) -> None:
    owner = Session(prepared_app.test_client())
    owner.login("analyst@huadong-pack.example")
    response = owner.client.get(
        path.format(id=ids.submitted), environ_base={"REMOTE_ADDR": "203.0.113.7"}
    )
    assert response.status_code == 200
    with prepared_app.app_context():
        reads = _reads(ids.submitted)
        viewer = db.session.scalar(
            select(User.id).where(User.email == "analyst@huadong-pack.example")
        )
        assert [(r.actor_user_id, r.ip, r.channel) for r in reads] == [
            (viewer, "203.0.113.7", "web")
        ]
        assert reads[0].occurred_at is not None and reads[0].organization_id == ids.org


def test_an_api_read_is_logged_against_the_token(prepared_app: Flask, ids: Ids) -> None:
    response = prepared_app.test_client().get(
        f"/api/v1/submissions/{ids.submitted}",
        headers={"Authorization": f"Bearer {ids.read_secret}"},
    )
    assert response.status_code == 200
    with prepared_app.app_context():
        (read,) = _reads(ids.submitted)
        assert read.channel == "api" and read.actor_organization_id == ids.org


def test_a_refused_read_writes_no_read_record(prepared_app: Flask, ids: Ids) -> None:
    outsider = Session(prepared_app.test_client())
    outsider.login("data@lanhu-lithium.example")
    assert outsider.client.get(f"/submissions/{ids.submitted}/general").status_code == 404
    with prepared_app.app_context():
        assert _reads(ids.submitted) == []


def test_the_audit_log_cannot_be_changed_even_behind_the_application(
    prepared_app: Flask,
) -> None:
    with prepared_app.app_context():
        db.session.remove()
        for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
            with pytest.raises(sa.exc.DatabaseError), db.engine.begin() as conn:
                conn.execute(sa.text(statement))
        assert db.session.scalar(select(sa.func.count()).select_from(AuditEvent))
