"""The background worker: one long-lived process that runs every job in its own warm
application (no fork per job, so the snapshot cache and loaded reference data survive from one
job to the next), sweeps the database for recompute jobs nobody is running (their process
died), moves due PACT retries onto their queue, and stops on SIGTERM with no child process
left behind. Run it with `flask --app app rollup worker`; RQ imports the job functions below by
name."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from rq import Queue, SimpleWorker
from rq.exceptions import StopRequested
from rq.scheduler import RQScheduler
from rq.worker.base import WorkerStatus

from footprint_platform.app_setup import init_platform
from footprint_platform.extensions import db
from footprint_platform.services import workflow
from footprint_platform.services.graph import jobs
from footprint_platform.services.notify import webhook_delivery
from footprint_platform.services.pact import delivery as pact_delivery
from supply_graph.units import registry

log = logging.getLogger(__name__)
_APPS: dict[str | None, Flask] = {}  # by DATABASE_URL


def platform_app() -> Flask:
    """Configured from the environment, like the web application."""
    app = Flask(
        "tanlian-worker",
        root_path=str(Path(__file__).resolve().parent.parent),
        instance_relative_config=True,
    )
    init_platform(app)
    return app


def _app() -> Flask:
    """The application jobs run in: the worker command's own, else one per process, built
    once (building one per job cost 0.6–1.8 s and emptied every cache)."""
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
    url = os.environ.get("DATABASE_URL")
    if url not in _APPS:
        _APPS[url] = platform_app()
    return _APPS[url]


def recompute(job_id: int) -> None:
    """RQ job: recompute a period (see services/graph/jobs.py); nothing if it is done or taken."""
    with _app().app_context():
        try:
            workflow.run_job(db.session, job_id)
        finally:
            db.session.remove()


def deliver_pact(delivery_id: int) -> None:
    """RQ job: one attempt at a PACT event delivery; a retry is queued while it is pending."""
    with _app().app_context():
        try:
            pact_delivery.run(db.session, delivery_id)
        finally:
            db.session.remove()


def deliver_webhook(delivery_id: int) -> None:
    """RQ job: one attempt at a webhook delivery; a retry is queued while it is pending."""
    with _app().app_context():
        try:
            webhook_delivery.run(db.session, delivery_id)
        finally:
            db.session.remove()


class PlatformWorker(SimpleWorker):
    """RQ's non-forking worker, plus the sweep: before each wait for work, and at least every
    ROLLUP_WORKER_SWEEP_SECONDS while idle, run the recompute jobs whose process died (or that
    never reached the queue) and enqueue the PACT retries that are due. The sweep replaces
    RQ's scheduler process, so the worker has no child to leave behind."""

    def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = app
        self.swept_at: float | None = None
        registry()  # pint's unit registry (0.3-0.7 s), built once for the process, not in a job

    def sweep(self) -> None:
        """Busy meanwhile, like a job: a SIGTERM then stops the worker after the sweep
        instead of breaking into a recompute."""
        self.swept_at = time.monotonic()
        self.set_state(WorkerStatus.BUSY)
        with self.app.app_context():
            try:
                ran = workflow.run_due(db.session)
                if ran:
                    log.info("worker sweep: %d recompute jobs run again", ran)
            except Exception:
                log.exception("worker sweep failed; next time")
            finally:
                db.session.remove()
        # PACT retries now due (enqueue_in), under RQ's scheduler locks: one worker moves them
        scheduler = RQScheduler(self.queues, connection=self.connection, serializer=self.serializer)
        scheduler.acquire_locks()
        if scheduler.acquired_locks:
            try:
                scheduler.enqueue_scheduled_jobs()
            finally:
                scheduler.release_locks()
        self.set_state(WorkerStatus.IDLE)
        if self._stop_requested:
            raise StopRequested()

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> Any:
        tick = max(1, int(float(self.app.config["ROLLUP_WORKER_SWEEP_SECONDS"])))
        while True:
            if self.swept_at is None or time.monotonic() - self.swept_at >= tick:
                self.sweep()
            if timeout is None:  # burst: what is there now, then stop
                return super().dequeue_job_and_maintain_ttl(None, max_idle_time)
            started = time.monotonic()
            found = super().dequeue_job_and_maintain_ttl(tick, tick)  # None after a quiet tick
            if found is not None:
                return found
            if max_idle_time is not None:
                max_idle_time -= int(time.monotonic() - started)
                if max_idle_time <= 0:
                    return None

    def execute_job(self, job: Any, queue: Queue) -> Any:
        with self.app.app_context():  # the job functions find this app: warm, not rebuilt
            return super().execute_job(job, queue)


def work(app: Flask, redis_url: str, burst: bool = False) -> bool:
    """Work the recompute and PACT queues in this process until SIGTERM (or, in a burst,
    until nothing is left)."""
    from redis import Redis

    connection = Redis.from_url(redis_url)
    queues = [
        Queue(name, connection=connection)
        for name in (jobs.QUEUE, pact_delivery.QUEUE, webhook_delivery.QUEUE)
    ]
    worker = PlatformWorker(queues, connection=connection, app=app)
    return bool(worker.work(burst=burst))
