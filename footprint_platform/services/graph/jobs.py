"""The record of recomputes: how no request for one is lost.

A recompute request is a `RollupJob` row written in the transaction of the change that asks
for it (`request`: a transactional outbox), so a process that dies after that commit leaves a
"queued" row, never a submission nobody recomputes. After the commit the workflow hands it on
(services/workflow.py): run now for small chains, or queued to the background worker (RQ on
Redis, when REDIS_URL is set) for large ones. Whoever runs a job first claims it (`claim`) with
a lease its `heartbeat` renews; a job whose lease passed lost its process and is `due` again for
the next dispatcher (the worker's sweep, `flask rollup dispatch`, the next request without a
queue). The row's status is what people see meanwhile."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from footprint_platform.models import (
    Product,
    RollupJob,
    RollupRun,
    Submission,
    SubmissionStatus,
    utcnow,
)
from footprint_platform.rules import rule_for_category
from footprint_platform.services.graph.rows import age_in_years

log = logging.getLogger(__name__)
QUEUE = "rollup"
JOB_TIMEOUT_SECONDS = 3600  # RQ stops a job after this
PENDING = ("queued", "running")
REQUESTED = "rollup_jobs_requested"  # session.info key: jobs this session asked for


def request(
    session: Session, start: date, end: date, trigger: str, changed_product_id: int | None
) -> RollupJob:
    """Add a recompute request to the caller's transaction: it commits with the change that
    asks for it, or not at all. The request is also noted on the session, for the workflow to
    hand on after the commit (services/workflow.py `dispatch_requested`)."""
    job = RollupJob(
        period_start=start,
        period_end=end,
        trigger=trigger[:64],
        changed_product_id=changed_product_id,
        status="queued",
    )
    session.add(job)
    session.info.setdefault(REQUESTED, []).append(job)
    return job


def _lease() -> timedelta:
    return timedelta(seconds=float(current_app.config["ROLLUP_JOB_LEASE_SECONDS"]))


def claimable(now: object) -> object:
    """Queued, or running under a lease that has passed (its process died), with attempts
    left."""
    attempts = int(current_app.config["ROLLUP_JOB_MAX_ATTEMPTS"])
    return and_(
        RollupJob.attempts < attempts,
        or_(
            RollupJob.status == "queued",
            and_(
                RollupJob.status == "running",
                or_(RollupJob.lease_until.is_(None), RollupJob.lease_until < now),
            ),
        ),
    )


def claim(session: Session, job_id: int) -> str | None:
    """Take the job for this process: one UPDATE that only one claimant can win, committed.
    Returns the claim's token, or None when someone else holds it or it is finished."""
    now, token = utcnow(), uuid.uuid4().hex
    taken = session.execute(
        update(RollupJob)
        .where(RollupJob.id == job_id, claimable(now))  # type: ignore[arg-type]
        .values(
            status="running",
            started_at=now,
            lease_until=now + _lease(),
            claimed_by=token,
            attempts=RollupJob.attempts + 1,
            error=None,
        )
    ).rowcount
    session.commit()
    return token if taken == 1 else None


def finish(session: Session, job_id: int, token: str, **values: object) -> None:
    """End the job, if the claim is still ours (a job whose lease passed may be someone
    else's now: then both runs stand, each whole)."""
    session.execute(
        update(RollupJob)
        .where(RollupJob.id == job_id, RollupJob.claimed_by == token)
        .values(finished_at=utcnow(), lease_until=None, **values)
    )


@contextmanager
def heartbeat(engine: Engine, job_id: int, token: str) -> Iterator[None]:
    """Renew the job's lease every third of it from a thread with its own connection, while
    the job runs in this one: a job whose process dies stops renewing and is run again."""
    lease = _lease()
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(max(lease.total_seconds() / 3, 0.1)):
            try:
                with engine.begin() as conn:
                    conn.execute(
                        update(RollupJob)
                        .where(
                            RollupJob.id == job_id,
                            RollupJob.claimed_by == token,
                            RollupJob.status == "running",
                        )
                        .values(lease_until=utcnow() + lease)
                    )
            except Exception:  # a missed beat only shortens the lease
                log.warning("recompute job %s: lease not renewed", job_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"rollup-job-{job_id}-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=max(lease.total_seconds(), 1))


def due(session: Session) -> list[int]:
    """Jobs nobody is running: queued longer than a lease (the process that wrote them died
    before handing them on, or the queue lost them), or running past their lease."""
    now = utcnow()
    return list(
        session.scalars(
            select(RollupJob.id)
            .where(
                claimable(now),  # type: ignore[arg-type]
                or_(RollupJob.status == "running", RollupJob.created_at < now - _lease()),
            )
            .order_by(RollupJob.id)
        )
    )


def fail_exhausted(session: Session) -> int:
    """Mark failed the jobs whose process died ROLLUP_JOB_MAX_ATTEMPTS times: something kills
    every run (memory, a timeout), and a person must look. Returns how many."""
    attempts = int(current_app.config["ROLLUP_JOB_MAX_ATTEMPTS"])
    now = utcnow()
    stale = session.scalars(
        select(RollupJob).where(
            RollupJob.status == "running",
            RollupJob.attempts >= attempts,
            or_(RollupJob.lease_until.is_(None), RollupJob.lease_until < now),
        )
    ).all()
    for job in stale:
        job.status, job.finished_at = "failed", now
        job.error = f"Interrupted: its process ended {job.attempts} times before it finished."
    if stale:
        session.commit()
    return len(stale)


def latest_job(session: Session, start: date, end: date) -> RollupJob | None:
    """What the period's footprints wait for: its oldest pending job, else its newest job (a
    later job done does not make an earlier pending one's data counted)."""
    period = (RollupJob.period_start == start, RollupJob.period_end == end)
    pending = session.scalars(
        select(RollupJob)
        .where(*period, RollupJob.status.in_(PENDING))
        .order_by(RollupJob.id)
        .limit(1)
    ).first()
    return (
        pending
        or session.scalars(
            select(RollupJob).where(*period).order_by(RollupJob.id.desc()).limit(1)
        ).first()
    )


def carrying_periods(
    session: Session, product_id: int, period_start: date
) -> list[tuple[date, date]]:
    """The later periods already computed that carry the product's data of the period
    starting `period_start` forward: within its rule's maximum age and without a submission
    of their own for the product."""
    product = session.get(Product, product_id)
    if product is None:
        return []
    rule = rule_for_category(product.category).missing_data
    if "carry_forward" not in rule.order:
        return []
    periods = session.execute(
        select(RollupRun.period_start, RollupRun.period_end)
        .where(RollupRun.period_start > period_start)
        .distinct()
        .order_by(RollupRun.period_start)
    ).all()
    own = set(
        session.execute(
            select(Submission.period_start, Submission.period_end).where(
                Submission.product_id == product_id,
                Submission.status == SubmissionStatus.SUBMITTED,
            )
        ).all()
    )
    return [
        (start, end)
        for start, end in periods
        if age_in_years(period_start, start) <= rule.max_age_years and (start, end) not in own
    ]
