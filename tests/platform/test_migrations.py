"""The schema exists only through the migrations: they must agree with the models."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade

from footprint_platform.extensions import db
from footprint_platform.models import AuditEvent, AuditLogImmutable, Base

pytestmark = pytest.mark.postgres


def test_models_and_migrations_agree(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_downgrade_then_upgrade_round_trips(app: Flask) -> None:
    with app.app_context():
        downgrade(revision="base")
        assert "organization" not in sa.inspect(db.engine).get_table_names()
        upgrade()
        assert set(Base.metadata.tables) <= set(sa.inspect(db.engine).get_table_names())


def _one_event(app: Flask) -> int:
    with app.app_context():
        event = AuditEvent(channel="system", action="test.event", object_type="none")
        db.session.add(event)
        db.session.commit()
        return event.id


def test_database_refuses_to_change_or_delete_audit_records(app: Flask) -> None:
    event_id = _one_event(app)
    with app.app_context():
        for statement in (
            "UPDATE audit_event SET action = 'forged' WHERE id = :id",
            "DELETE FROM audit_event WHERE id = :id",
        ):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"), db.engine.begin() as c:
                c.execute(sa.text(statement), {"id": event_id})
        assert db.session.get(AuditEvent, event_id).action == "test.event"


def test_orm_refuses_to_change_audit_records(app: Flask) -> None:
    event_id = _one_event(app)
    with app.app_context():
        event = db.session.get(AuditEvent, event_id)
        event.action = "forged"
        with pytest.raises(AuditLogImmutable):
            db.session.commit()
        db.session.rollback()
