"""When footprints are recomputed: in the request for small chains, by a background worker
(RQ on Redis, when REDIS_URL is set) for large ones. Either way a `RollupJob` row says where it
stands, so people see "queued", "running" or "done" instead of a stale number. PACT events to
partners are sent the same way (`queue_pact_delivery`), never from the web request."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from footprint_platform.errors import RecomputeFailed
from footprint_platform.models import (
    Product,
    RollupJob,
    RollupRun,
    Submission,
    SubmissionStatus,
    utcnow,
)
from footprint_platform.rules import rule_for_category
from footprint_platform.services import declarations, results
from footprint_platform.services.rollup import ChainGraph, age_in_years

log = logging.getLogger(__name__)
QUEUE = "rollup"
JOB_TIMEOUT_SECONDS = 3600  # RQ stops a job after this; ROLLUP_JOB_STALE_SECONDS is above it


def schedule(
    session: Session, start: date, end: date, trigger: str, changed_product_id: int | None
) -> RollupJob:
    """Recompute the period now, or queue it when the chain is large and a queue exists.

    The caller's pending changes (the submission that asks for the recompute) commit here, with
    the job row. Recomputed now, they commit in one transaction with the run's results and the
    declarations that follow: if any of it fails, none of it is kept, a failed job row of its
    own records why, and `RecomputeFailed` says nothing was changed."""
    job = RollupJob(
        period_start=start,
        period_end=end,
        trigger=trigger[:64],
        changed_product_id=changed_product_id,
        status="queued",
    )
    session.add(job)
    products = session.scalar(select(func.count()).select_from(Product)) or 0
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url and products > int(current_app.config["ROLLUP_INLINE_MAX_PRODUCTS"]):
        session.commit()
        _enqueue(redis_url, job.id)
        return job
    return _run_now(session, job)


def _run_now(session: Session, job: RollupJob) -> RollupJob:
    """`run_job` inside the caller's transaction: nothing commits before the results do."""
    fail_stale_jobs(session, commit=False)
    job.status, job.started_at = "running", utcnow()
    try:
        run, chain = results.recompute(
            session, job.period_start, job.period_end, job.trigger, job.changed_product_id, False
        )
        _follow_up(session, job, run, chain)
    except Exception as exc:
        session.rollback()
        log.exception("recompute of %s–%s failed", job.period_start, job.period_end)
        failed = RollupJob(
            period_start=job.period_start,
            period_end=job.period_end,
            trigger=job.trigger,
            status="failed",
            error=str(exc)[:500],
            started_at=utcnow(),
            finished_at=utcnow(),
        )
        session.add(failed)
        session.commit()
        raise RecomputeFailed(
            str(_l("Nothing was changed: the period's footprints could not be recomputed."))
        ) from exc
    session.commit()
    return job


def schedule_inline(session: Session, start: date, end: date, trigger: str) -> RollupJob:
    """Recompute now, whatever the size (the command line and tests)."""
    job = RollupJob(period_start=start, period_end=end, trigger=trigger[:64], status="queued")
    session.add(job)
    session.commit()
    return run_job(session, job.id)


def _enqueue(redis_url: str, job_id: int) -> None:
    from redis import Redis
    from rq import Queue

    Queue(QUEUE, connection=Redis.from_url(redis_url)).enqueue(
        "footprint_platform.worker.recompute", job_id, job_timeout=JOB_TIMEOUT_SECONDS
    )


def run_job(session: Session, job_id: int) -> RollupJob:
    """Do a queued job (the worker, the command line): recompute, then give affected
    declarations their new draft versions; the job row says how it went."""
    fail_stale_jobs(session)
    job = session.get(RollupJob, job_id)
    assert job is not None
    job.status, job.started_at = "running", utcnow()
    session.commit()
    try:
        run, chain = results.recompute(
            session, job.period_start, job.period_end, job.trigger, job.changed_product_id
        )
        _follow_up(session, job, run, chain)
    except Exception as exc:  # the job row must say it failed; the worker logs the traceback
        session.rollback()
        job.status, job.error, job.finished_at = "failed", str(exc)[:500], utcnow()
        session.commit()
        raise
    session.commit()
    return job


def _follow_up(session: Session, job: RollupJob, run: RollupRun, chain: ChainGraph) -> None:
    """After a run: new draft declarations downstream of the changed product, the same in the
    later periods that carry the changed product's data forward, and the job done."""
    if job.changed_product_id is not None:
        declarations.redeclare_downstream(
            session,
            run,
            chain,
            job.changed_product_id,
            declarations.UPSTREAM_CHANGED,  # names no product: read per reader
            commit=False,
        )
        for start, end in carrying_periods(session, job.changed_product_id, job.period_start):
            later, later_chain = results.recompute(
                session, start, end, job.trigger, job.changed_product_id, False
            )
            declarations.redeclare_downstream(
                session,
                later,
                later_chain,
                job.changed_product_id,
                declarations.UPSTREAM_CHANGED,
                commit=False,
            )
    job.status, job.run_id, job.finished_at = "done", run.id, utcnow()


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


def fail_stale_jobs(session: Session, commit: bool = True) -> int:
    """Mark failed the jobs still "running" long after they started: their process was killed
    (a deploy, the out-of-memory killer, RQ's job timeout), its recompute rolled back with it,
    and nobody else would ever finish the row. Returns how many. `commit=False`: they land
    with the caller's transaction."""
    limit = int(current_app.config["ROLLUP_JOB_STALE_SECONDS"])
    cutoff = utcnow() - timedelta(seconds=limit)
    stale = session.scalars(
        select(RollupJob).where(
            RollupJob.status == "running",
            or_(RollupJob.started_at < cutoff, RollupJob.started_at.is_(None)),
            RollupJob.created_at < cutoff,
        )
    ).all()
    for job in stale:
        job.status, job.finished_at = "failed", utcnow()
        job.error = f"Interrupted: its process ended; still running {limit} s after it started."
    if stale and commit:
        session.commit()
    return len(stale)


def latest_job(session: Session, start: date, end: date) -> RollupJob | None:
    return session.scalars(
        select(RollupJob)
        .where(RollupJob.period_start == start, RollupJob.period_end == end)
        .order_by(RollupJob.id.desc())
        .limit(1)
    ).first()
