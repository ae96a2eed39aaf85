"""What follows a change, in order, in one place: the chain above the pieces it calls.

- A version is submitted (intake), which requests the period's recompute in the same
  transaction (graph.jobs: an outbox); the recompute runs now or in the background, and in
  its own transaction the declarations drawing on the changed product get their new drafts
  (disclosure), then the later periods that carry the product's data forward follow.
- A consent is given or taken back (a share made or revoked, a link request accepted, a data
  request answered): the buyer's products linking the supplier's product are recomputed the
  same way; an answer to a partner's PACT request also hands its deliveries to the background.

The services below record what they changed and commit; they never start what follows, so
none of them imports this module (tests/test_layers.py)."""

from __future__ import annotations

import logging
from datetime import date

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from footprint_platform.models import (
    DataRequest,
    FootprintShare,
    LinkRequest,
    Product,
    RollupJob,
    Submission,
    utcnow,
)
from footprint_platform.policy import Actor
from footprint_platform.services.disclosure import declarations
from footprint_platform.services.exchange import requests
from footprint_platform.services.graph import jobs, results
from footprint_platform.services.intake import submissions
from footprint_platform.services.pact import delivery as pact_delivery
from footprint_platform.services.relations import consent, links, sharing

log = logging.getLogger(__name__)


# -- changes and what follows them -------------------------------------------------------------


def submit(
    session: Session,
    actor: Actor,
    submission_id: int,
    lock_version: int | None = None,
    section_names: dict[str, str] | None = None,
) -> Submission:
    """Submit a version (immutable from now on), then recompute its period."""
    sub = submissions.submit(session, actor, submission_id, lock_version, section_names)
    dispatch_requested(session)
    return sub


def share(session: Session, actor: Actor, product_id: int, buyer_id: int) -> FootprintShare:
    """Share a product's footprint with a buyer; the buyer's links to it count from now on."""
    before = sharing.is_shared(session, product_id, buyer_id)
    made = sharing.share(session, actor, product_id, buyer_id)
    if not before:
        _consent_changed(session, product_id, buyer_id)
    return made


def revoke(session: Session, actor: Actor, share_id: int) -> FootprintShare:
    """Take a share back; the buyer's links to the product count no more."""
    found = session.get(FootprintShare, share_id)
    active = found is not None and found.revoked_at is None
    revoked = sharing.revoke(session, actor, share_id)
    if active:
        _consent_changed(session, revoked.product_id, revoked.buyer_id)
    return revoked


def accept_link(session: Session, actor: Actor, request_id: int) -> LinkRequest:
    """The supplier agrees to a buyer's link request: shared, then the buyer's links count."""
    found = links.accept(session, actor, request_id)
    _consent_changed(session, found.product_id, found.buyer_id)
    return found


def answer_request(
    session: Session,
    actor: Actor,
    request_id: int,
    submission_id: int,
    substitute_reason: str | None = None,
    confirmed: bool = False,
) -> DataRequest:
    """Answer a data request; a partner's PACT request gets its answer sent from the
    background, and a new share makes the buyer's links count."""
    answered = requests.answer(
        session, actor, request_id, submission_id, substitute_reason, confirmed
    )
    pact_delivery.queue(answered.delivery_ids)
    if answered.shared:
        _consent_changed(session, answered.request.product_id, answered.request.buyer_id)
    return answered.request


def _consent_changed(session: Session, product_id: int | None, buyer_id: int) -> None:
    if product_id is not None and consent.request_recomputes(session, product_id, buyer_id):
        dispatch_requested(session)


# -- running recomputes ------------------------------------------------------------------------


def dispatch_requested(session: Session) -> None:
    """Hand on the recomputes this session requested and committed."""
    for job in session.info.pop(jobs.REQUESTED, []):
        dispatch(session, job.id)


def dispatch(session: Session, job_id: int) -> None:
    """A committed request: recompute now, or queue it when the chain is large and a queue
    exists. A failure here loses nothing: the row stays for the next dispatcher, and a failed
    recompute is the job's status, not the request's error (its change was saved)."""
    products = session.scalar(select(func.count()).select_from(Product)) or 0
    redis_url = current_app.config.get("REDIS_URL")
    try:
        if redis_url and products > int(current_app.config["ROLLUP_INLINE_MAX_PRODUCTS"]):
            _enqueue(redis_url, job_id)
            return
        run_job(session, job_id)
    except Exception:
        session.rollback()
        log.exception("recompute job %s not done now; its row says where it stands", job_id)
        return
    run_due(session)  # without a queue, requests are the dispatchers of what others left


def schedule(
    session: Session, start: date, end: date, trigger: str, changed_product_id: int | None
) -> RollupJob:
    """Request a recompute on its own (nothing else to commit with it) and dispatch it."""
    job = jobs.request(session, start, end, trigger, changed_product_id)
    session.commit()
    dispatch(session, job.id)
    return job


def schedule_inline(session: Session, start: date, end: date, trigger: str) -> RollupJob:
    """Recompute now, whatever the size (the command line and tests)."""
    job = jobs.request(session, start, end, trigger, None)
    session.commit()
    return run_job(session, job.id)


def _enqueue(redis_url: str, job_id: int) -> None:
    from redis import Redis
    from rq import Queue

    Queue(jobs.QUEUE, connection=Redis.from_url(redis_url)).enqueue(
        "footprint_platform.worker.recompute", job_id, job_timeout=jobs.JOB_TIMEOUT_SECONDS
    )


def run_job(session: Session, job_id: int) -> RollupJob:
    """Do a job if it is still to do: recompute, give affected declarations their new draft
    versions and mark it done, in one transaction under the period's lock."""
    token = jobs.claim(session, job_id)
    job = session.get(RollupJob, job_id, populate_existing=True)
    assert job is not None
    if token is None:
        return job
    with jobs.heartbeat(session.get_bind(), job_id, token):  # type: ignore[arg-type]
        try:
            results.lock_period(session, job.period_start, job.period_end)
            run, chain = results.recompute(
                session,
                job.period_start,
                job.period_end,
                job.trigger,
                job.changed_product_id,
                commit=False,
            )
            if job.changed_product_id is not None:
                declarations.redeclare_downstream(
                    session,
                    run,
                    chain,
                    job.changed_product_id,
                    declarations.UPSTREAM_CHANGED,  # names no product: read per reader
                )
                _follow_later_periods(session, job)
            jobs.finish(session, job_id, token, status="done", run_id=run.id)
            session.commit()
        except Exception as exc:  # the job row must say it failed; the worker logs the traceback
            session.rollback()
            jobs.finish(session, job_id, token, status="failed", error=str(exc)[:500])
            session.commit()
            raise
    session.refresh(job)
    return job


def run_pending(session: Session, start: date, end: date) -> int:
    """Run the period's jobs not yet done here and now, whoever was meant to (a loader that
    declares what the recomputes make: `flask demo load`, whatever the inline threshold).
    Returns how many ran."""
    pending = session.scalars(
        select(RollupJob.id)
        .where(
            RollupJob.period_start == start,
            RollupJob.period_end == end,
            jobs.claimable(utcnow()),  # type: ignore[arg-type]
        )
        .order_by(RollupJob.id)
    ).all()
    for job_id in pending:
        run_job(session, job_id)
    return len(pending)


def run_due(session: Session) -> int:
    """Run every due job, and fail those that died too often. Returns how many ran."""
    jobs.fail_exhausted(session)
    ran = 0
    for job_id in jobs.due(session):
        try:
            run_job(session, job_id)
        except Exception:
            log.exception("recompute job %s failed", job_id)
        ran += 1
    return ran


def _follow_later_periods(session: Session, job: RollupJob) -> None:
    """The later periods that carry the changed product's data forward are recomputed and
    redeclared in the same transaction, under their own period locks."""
    assert job.changed_product_id is not None
    for start, end in jobs.carrying_periods(session, job.changed_product_id, job.period_start):
        results.lock_period(session, start, end)
        later, later_chain = results.recompute(
            session, start, end, job.trigger, job.changed_product_id, commit=False
        )
        declarations.redeclare_downstream(
            session, later, later_chain, job.changed_product_id, declarations.UPSTREAM_CHANGED
        )
