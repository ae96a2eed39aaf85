"""Work sent later, never inside the web request: on the RQ worker when REDIS_URL is set (its
scheduler runs delayed retries), else in a thread of this process after the response
(PACT_DELIVERY = "thread", the default for one machine), or not at all ("manual": a `flask`
command run by cron or by a test sends what is due). PACT events and webhook deliveries both
go this way; each names the worker function RQ imports and the attempt a thread runs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import update
from sqlalchemy.orm import Session

from footprint_platform.extensions import db
from footprint_platform.models import utcnow

log = logging.getLogger(__name__)

Attempt = Callable[[Session, int], object]


def send_later(
    queue: str,
    worker_function: str,
    attempt: Attempt,
    delivery_id: int,
    delay: timedelta | None = None,
    job_timeout: int = 300,
) -> None:
    """Hand one delivery on: to RQ's `queue` as `worker_function`, or to a timer thread that
    runs `attempt` in an application context of its own."""
    wait = max(delay or timedelta(0), timedelta(0))
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        from redis import Redis
        from rq import Queue

        rq_queue = Queue(queue, connection=Redis.from_url(redis_url))
        if wait:
            rq_queue.enqueue_in(wait, worker_function, delivery_id, job_timeout=job_timeout)
        else:
            rq_queue.enqueue(worker_function, delivery_id, job_timeout=job_timeout)
    elif current_app.config["PACT_DELIVERY"] == "thread":
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        seconds = wait.total_seconds() or float(current_app.config["PACT_DELIVERY_DELAY_SECONDS"])
        timer = threading.Timer(seconds, _in_thread, (app, attempt, queue, delivery_id))
        timer.daemon = True
        timer.start()


@dataclass(frozen=True)
class Deliveries:
    """One kind of delivery sent later (PACT events, webhooks): `attempt` makes one attempt and
    returns the row (or None); one still pending afterwards is queued again when its
    `next_attempt_at` comes (the back-off its attempt set)."""

    queue_name: str
    worker_function: str  # what RQ imports; it calls `run`
    attempt: Attempt
    job_timeout: int = 300

    def queue(self, delivery_ids: Iterable[int]) -> None:
        """Hand committed deliveries to the background."""
        for delivery_id in delivery_ids:
            self.queue_one(delivery_id)

    def queue_one(self, delivery_id: int, delay: timedelta | None = None) -> None:
        send_later(
            self.queue_name, self.worker_function, self.run, delivery_id, delay, self.job_timeout
        )

    def run(self, session: Session, delivery_id: int) -> None:
        """One attempt, and the next one queued after its back-off while it is still pending."""
        delivery = self.attempt(session, delivery_id)
        if delivery is not None and delivery.status == "pending":
            self.queue_one(delivery.id, delivery.next_attempt_at - utcnow())


def _in_thread(app: Flask, attempt: Attempt, queue: str, delivery_id: int) -> None:
    with app.app_context():
        try:
            attempt(db.session, delivery_id)
        except Exception:  # a thread has no one to tell: log it; the row says where it stands
            log.exception("%s delivery %s failed", queue, delivery_id)
        finally:
            db.session.remove()


def claim_attempt(
    session: Session, model: Any, delivery: Any, now: datetime, lease: timedelta
) -> bool:
    """Take a due delivery's next attempt (a PactDelivery or a WebhookDelivery row: pending,
    its attempts as read, due by `now`) so no other worker or thread makes it at the same time;
    the lease keeps it from being claimed again while the attempt runs. Commits."""
    taken = session.execute(
        update(model)
        .where(
            model.id == delivery.id,
            model.status == "pending",
            model.attempts == delivery.attempts,
            model.next_attempt_at <= now,
        )
        .values(attempts=delivery.attempts + 1, next_attempt_at=now + lease)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    session.refresh(delivery)
    return bool(taken.rowcount)  # type: ignore[attr-defined]
