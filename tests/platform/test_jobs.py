"""Recomputes in the request for small chains, on the background worker for large ones."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select

from footprint_platform.extensions import db
from footprint_platform.models import Product, RollupJob, RollupRun
from footprint_platform.services import workflow
from footprint_platform.services.intake import submissions
from tests.platform.demo_ids import admin_actor

PERIOD = (date(2025, 1, 1), date(2025, 12, 31))


def _resubmit_foil() -> int:
    foil = db.session.scalar(select(Product).where(Product.part_number == "JN-AL-12"))
    actor = admin_actor("data@jiangnan-foil.example")
    draft = submissions.start_draft(db.session, actor, foil.id, *PERIOD)
    rows = [
        {
            "kind": i.kind.value,
            "quantity": i.quantity,
            "unit": i.unit,
            "factor_code": i.factor_code,
            "provenance": i.provenance,
        }
        for i in draft.inputs
    ]
    submissions.save_draft(db.session, actor, draft.id, {"dqr": 2}, rows)
    workflow.submit(db.session, actor, draft.id)
    return draft.id


def _runs() -> int:
    return db.session.scalar(select(func.count()).select_from(RollupRun)) or 0


def test_a_small_chain_is_recomputed_in_the_request(demo_app: Flask) -> None:
    with demo_app.app_context():
        before = _runs()
        _resubmit_foil()
        job = db.session.scalars(select(RollupJob).order_by(RollupJob.id.desc())).first()
        assert job.status == "done" and job.run_id is not None and _runs() == before + 1


def test_a_large_chain_goes_to_the_worker_and_its_status_shows(
    demo_app: Flask, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from footprint_platform import worker

    demo_app.config.update(REDIS_URL=redis_url, ROLLUP_INLINE_MAX_PRODUCTS=0)
    try:
        with demo_app.app_context():
            before = _runs()
            _resubmit_foil()
            job = db.session.scalars(select(RollupJob).order_by(RollupJob.id.desc())).first()
            assert job.status == "queued" and _runs() == before
            job_id = job.id
        worker.work(demo_app, redis_url, burst=True)
        with demo_app.app_context():
            db.session.expire_all()
            done = db.session.get(RollupJob, job_id)
            assert done.status == "done" and _runs() == before + 1
    finally:
        demo_app.config.update(REDIS_URL=None, ROLLUP_INLINE_MAX_PRODUCTS=2000)
