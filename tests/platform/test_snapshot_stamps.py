"""The checks a run after one submission makes before it trusts the period's snapshot: the
catalogue, share and earlier-period stamps are the plain aggregates they stand for, read from
small partial indexes; the period's current ids and the carbon-content rows are read in bulk with
the values the ORM would give."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from footprint_platform.bulk import int_column, typed_rows
from footprint_platform.extensions import db
from footprint_platform.models import (
    FootprintShare,
    Product,
    Submission,
    SubmissionInput,
    SubmissionStatus,
)
from footprint_platform.services.graph import parties, snapshots
from footprint_platform.services.intake import loops

PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
LATER = date(2026, 1, 1)


def _plain_stamps(start: date) -> tuple[list[int], list[int], list[int]]:
    """What the stamps stand for, as the obvious aggregates over every row."""
    products = db.session.execute(
        select(func.count(Product.id), func.max(Product.id), func.sum(Product.version))
    ).one()
    shares = db.session.execute(
        select(
            func.count(FootprintShare.id),
            func.max(FootprintShare.id),
            func.count(FootprintShare.revoked_at),
        )
    ).one()
    earlier = db.session.execute(
        select(func.count(Submission.id), func.max(Submission.id)).where(
            Submission.period_end < start, Submission.status == SubmissionStatus.SUBMITTED
        )
    ).one()
    return tuple([int(v or 0) for v in row] for row in (products, shares, earlier))  # type: ignore[return-value]


def _stamps(start: date) -> tuple[list[int], list[int], list[int]]:
    return (
        snapshots._products(db.session),
        snapshots.consent_stamp(db.session),
        snapshots.earlier_stamp(db.session, start),
    )


@pytest.mark.postgres
def test_the_stamps_are_the_plain_aggregates_and_move_with_an_edit_and_a_revocation(
    demo_app: Flask,
) -> None:
    with demo_app.app_context():
        before = _stamps(LATER)
        assert before == _plain_stamps(LATER)
        assert before[2][0] > 0  # 2025 versions are earlier than 2026: the stamp sees them
        product = db.session.scalars(select(Product).order_by(Product.id)).first()
        assert product is not None
        product.name_en = product.name_en + " (renamed)"  # a new version of the product
        db.session.flush()
        product.name_en = product.name_en + " again"  # and another: version 3
        share = db.session.scalars(
            select(FootprintShare)
            .where(FootprintShare.revoked_at.is_(None))
            .order_by(FootprintShare.id)
        ).first()
        assert share is not None
        share.revoked_at = datetime.now(UTC)
        db.session.flush()
        after = _stamps(LATER)
        assert after == _plain_stamps(LATER)
        assert after[0][2] == before[0][2] + 2  # two edits
        assert after[1][2] == before[1][2] + 1  # one more revoked
        db.session.rollback()


@pytest.mark.postgres
def test_bulk_reads_give_the_values_the_orm_gives(demo_app: Flask) -> None:
    with demo_app.app_context():
        where = (
            Submission.status == SubmissionStatus.SUBMITTED,
            Submission.period_start == PERIOD[0],
        )
        ids = int_column(db.session, Submission.id, *where)
        orm = db.session.scalars(select(Submission.id).where(*where))
        assert sorted(ids.tolist()) == sorted(orm)
        assert ids.dtype.kind == "i" and len(ids) > 0
        none = int_column(db.session, Submission.id, Submission.id < 0)
        assert none.size == 0 and none.dtype.kind == "i"
        stmt = (
            select(
                SubmissionInput.id,
                SubmissionInput.kind,
                SubmissionInput.quantity,
                SubmissionInput.carbon_fossil,
                SubmissionInput.unit,
                Submission.period_start,
                Submission.status,
                Submission.dqr,
            )
            .join(Submission, Submission.id == SubmissionInput.submission_id)
            .order_by(SubmissionInput.id)
        )
        expected = [tuple(r) for r in db.session.execute(stmt)]
        got = typed_rows(db.session, stmt)
        assert got == expected
        # the same types, not only equal values (a Decimal, not a float; a member, not a str)
        assert [tuple(map(type, r)) for r in got] == [tuple(map(type, r)) for r in expected]
        assert typed_rows(db.session, stmt.where(SubmissionInput.id < 0)) == []


@contextmanager
def _statements() -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def before(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _plans(call: Callable[[], Any]) -> str:
    """SQLite's query plans of every statement `call` runs, as one text."""
    with _statements() as seen:
        call()
    raw = db.session.connection().connection.driver_connection
    lines = []
    for statement, params in seen:
        if statement.lstrip().upper().startswith("SELECT"):
            plan = raw.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()
            lines += [str(row[-1]) for row in plan]
    return "\n".join(lines)


def test_the_snapshot_checks_read_small_indexes_and_other_queries_keep_theirs(
    demo_app: Flask,
) -> None:
    """The stamps and the period's current ids come from the partial indexes, never a scan of
    the whole table; and the look-ups of one product's versions or shares, which a status or
    revocation condition could draw to those indexes, keep their product indexes."""
    with demo_app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("query plans are SQLite's")
        stamps = _plans(lambda: _stamps(LATER))
        assert "ix_product_edited" in stamps and "ix_footprint_share_revoked" in stamps
        assert "ix_submission_current" in stamps
        assert "SCAN product\n" not in stamps + "\n" and "SCAN footprint_share\n" not in stamps
        ids = _plans(
            lambda: int_column(
                db.session,
                Submission.id,
                snapshots.SUBMITTED,
                Submission.period_end == PERIOD[1],
                Submission.period_start == PERIOD[0],
            )
        )
        assert "USING INDEX ix_submission_current" in ids or "COVERING INDEX ix_sub" in ids
        product = db.session.scalars(select(Product).order_by(Product.id)).first()
        assert product is not None
        shares = _plans(lambda: parties.active_shares(db.session, products=[product.id]))
        assert "ix_footprint_share_product_id" in shares
        assert "ix_footprint_share_revoked" not in shares
        walk = _plans(lambda: loops._may_close_loop(db.session, -1, [product.id]))
        assert "ix_submission_product_id" in walk and "ix_submission_current" not in walk
