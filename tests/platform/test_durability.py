"""Nothing is lost when a process dies: SIGKILL between a submission's commit and handing its
recompute on, or of a background worker at each stage of a job. Afterwards the next dispatcher
(the worker's sweep, `flask rollup dispatch`) recomputes, and every declaration resting on the
new data gets its new draft version. The worker stops on SIGTERM and has no child process to
leave behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from footprint_platform.extensions import db
from footprint_platform.models import (
    Declaration,
    DeclarationStatus,
    Product,
    RollupJob,
    Submission,
    SubmissionStatus,
)
from footprint_platform.services import workflow
from footprint_platform.services.graph import jobs
from footprint_platform.services.intake import submissions
from tests.conftest import Session
from tests.platform.demo_ids import admin_actor

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
LEASE = 1  # seconds: the children's job leases
DOWNSTREAM_OF_FOIL = {"DT-P811-150", "HD-PK-811-78", "JH-S7-LR"}  # cell, pack, SUV


def stale_declarations(session: sa.orm.Session) -> list[str]:
    """Parts whose newest declaration of a period pins a submission that is no longer current
    (superseded by a newer version; a carried-forward earlier period's version stays current)."""
    current = set(
        session.scalars(
            sa.select(Submission.id).where(Submission.status == SubmissionStatus.SUBMITTED)
        )
    )
    newest: dict[tuple[int, object], Declaration] = {}
    for d in session.scalars(
        sa.select(Declaration)
        .where(Declaration.status != DeclarationStatus.SUPERSEDED)
        .order_by(Declaration.version)
    ):
        newest[(d.product_id, d.period_start)] = d
    stale = []
    for d in newest.values():
        if any(pin[0] not in current for pin in d.pinned.values()):
            stale.append(session.get(Product, d.product_id).part_number)
    return sorted(stale)


def _child(app: Flask, *args: str, redis_url: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("TANLIAN_SETTINGS", "REDIS_URL")}
    env.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY="test-secret",
        PYTHONPATH=str(ROOT),
        TANLIAN_ROLLUP_JOB_LEASE_SECONDS=str(LEASE),
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return subprocess.run(
        [sys.executable, "-m", "tests.platform.durable_child", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )


def _foil_submissions() -> list[int]:
    foil = db.session.scalar(sa.select(Product.id).where(Product.part_number == "JN-AL-12"))
    return list(
        db.session.scalars(
            sa.select(Submission.id).where(
                Submission.product_id == foil, Submission.status == SubmissionStatus.SUBMITTED
            )
        )
    )


def test_a_process_killed_between_submit_and_scheduling_still_gets_its_recompute(
    demo_app: Flask,
) -> None:
    with demo_app.app_context():
        before = _foil_submissions()
        assert stale_declarations(db.session) == []
        db.session.remove()
    done = _child(demo_app, "submit")
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    with demo_app.app_context():
        now = _foil_submissions()
        assert now != before and len(now) == 1  # the submission was committed
        assert set(stale_declarations(db.session)) == DOWNSTREAM_OF_FOIL
        job = jobs.latest_job(db.session, *PERIOD)
        assert job is not None and job.status == "queued"
        db.session.remove()
    session = Session(demo_app.test_client())
    session.login("data@jiangnan-foil.example")
    page = session.client.get(
        f"/submissions/{now[0]}/review", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert "up to date" not in page and "being recomputed" in page
    # the next dispatcher: cron's `flask rollup dispatch`, once the request is older than a lease
    demo_app.config["ROLLUP_JOB_LEASE_SECONDS"] = 0
    try:
        out = demo_app.test_cli_runner().invoke(args=["rollup", "dispatch"])
        assert out.exit_code == 0 and "1 recompute jobs run" in out.output, out.output
    finally:
        demo_app.config["ROLLUP_JOB_LEASE_SECONDS"] = 60
    with demo_app.app_context():
        assert db.session.get(RollupJob, job.id).status == "done"
        assert stale_declarations(db.session) == []


@pytest.mark.parametrize("stage", ["recompute", "redeclare", "redeclared"])
def test_a_worker_killed_at_any_stage_is_run_again_and_every_declaration_follows(
    demo_app: Flask, redis_url: str, stage: str
) -> None:
    from footprint_platform import worker

    demo_app.config.update(REDIS_URL=redis_url, ROLLUP_INLINE_MAX_PRODUCTS=0)
    try:
        with demo_app.app_context():
            actor = admin_actor("data@jiangnan-foil.example")
            foil = db.session.scalar(sa.select(Product).where(Product.part_number == "JN-AL-12"))
            draft = submissions.start_draft(db.session, actor, foil.id, *PERIOD)
            workflow.submit(db.session, actor, draft.id)
            job_id = jobs.latest_job(db.session, *PERIOD).id
            assert db.session.get(RollupJob, job_id).status == "queued"
            db.session.remove()
        died = _child(demo_app, "worker", stage, redis_url=redis_url)
        assert died.returncode == -signal.SIGKILL, died.stdout + died.stderr
        with demo_app.app_context():
            assert db.session.get(RollupJob, job_id).status == "running"  # its process is gone
            assert set(stale_declarations(db.session)) == DOWNSTREAM_OF_FOIL
            db.session.remove()
        time.sleep(LEASE + 0.2)  # the dead worker's lease passes
        worker.work(demo_app, redis_url, burst=True)  # the next worker's sweep
        with demo_app.app_context():
            job = db.session.get(RollupJob, job_id)
            assert job.status == "done" and job.attempts == 2, (job.status, job.error)
            assert stale_declarations(db.session) == []
            made = db.session.scalars(
                sa.select(Declaration.product_id, Declaration.version).where(
                    Declaration.change_reason.like("Upstream data changed%")
                )
            ).all()
            assert len(made) == len(set(made)) == len(DOWNSTREAM_OF_FOIL)  # once each
    finally:
        demo_app.config.update(REDIS_URL=None, ROLLUP_INLINE_MAX_PRODUCTS=2000)


def test_the_worker_has_no_child_process_and_stops_on_sigterm(
    demo_app: Flask, redis_url: str
) -> None:
    from redis import Redis
    from rq import Worker

    env = {k: v for k, v in os.environ.items() if k != "TANLIAN_SETTINGS"}
    env.update(
        DATABASE_URL=demo_app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY="test-secret",
        REDIS_URL=redis_url,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "rollup", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        connection = Redis.from_url(redis_url)
        deadline = time.monotonic() + 60
        while not Worker.all(connection=connection):
            assert proc.poll() is None and time.monotonic() < deadline, "the worker never started"
            time.sleep(0.1)
        time.sleep(0.5)  # a scheduler process would have been started by now
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        assert children == []
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert Worker.all(connection=connection) == []  # it said goodbye
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
