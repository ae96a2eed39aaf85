"""Sending PACT events (services.pact.events) later, never inside the web request: on the RQ
worker when REDIS_URL is set, else on a timer thread of this process, or by `flask pact
deliver`. One attempt at a time; a delivery still pending after one is queued again after its
back-off. Publishing a declaration announces it from here, so the publication service needs
to know nothing of PACT."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy.orm import Session

from footprint_platform.extensions import db
from footprint_platform.models import Declaration, utcnow
from footprint_platform.policy import Actor
from footprint_platform.services.disclosure import publication
from footprint_platform.services.pact import catenax_exchange
from footprint_platform.services.pact import events as pact_events
from footprint_platform.services.pact import sending as pact_sending

QUEUE = "pact"
log = logging.getLogger(__name__)


def publish_and_announce(session: Session, actor: Actor, declaration_id: int) -> Declaration:
    """Publish a declaration, then announce it to the partners subscribed to it over PACT
    (a PublishedEvent each, sent from the background), and push it as an update to partners
    whose Catena-X PCF Exchange request for the product was answered (pact.catenax_exchange)."""
    d = publication.publish(session, actor, declaration_id)
    queue(pact_events.announce(session, d))
    queue(catenax_exchange.push_updates(session, d))
    return d


def queue(delivery_ids: list[int]) -> None:
    """Hand committed deliveries to the background."""
    for delivery_id in delivery_ids:
        queue_one(delivery_id)


def queue_one(delivery_id: int, delay: timedelta | None = None) -> None:
    """Send a PACT event later, never in the web request: on the RQ worker when REDIS_URL is
    set (its scheduler runs the delayed retries), else in a thread of this process after the
    response (PACT_DELIVERY = "thread", the default for one machine), or not at all
    ("manual": `flask pact deliver`, run by cron or by a test, sends what is due)."""
    wait = max(delay or timedelta(0), timedelta(0))
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        from redis import Redis
        from rq import Queue

        queue = Queue(QUEUE, connection=Redis.from_url(redis_url))
        name = "footprint_platform.worker.deliver_pact"
        if wait:
            queue.enqueue_in(wait, name, delivery_id, job_timeout=300)
        else:
            queue.enqueue(name, delivery_id, job_timeout=300)
    elif current_app.config["PACT_DELIVERY"] == "thread":
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        seconds = wait.total_seconds() or float(current_app.config["PACT_DELIVERY_DELAY_SECONDS"])
        timer = threading.Timer(seconds, _deliver_in_thread, (app, delivery_id))
        timer.daemon = True
        timer.start()


def _deliver_in_thread(app: Flask, delivery_id: int) -> None:
    with app.app_context():
        try:
            run(db.session, delivery_id)
        except Exception:  # a thread has no one to tell: log it; the row says where it stands
            log.exception("PACT delivery %s failed", delivery_id)
        finally:
            db.session.remove()


def run(session: Session, delivery_id: int) -> None:
    """One attempt, and the next one queued after its back-off while it is still pending."""
    delivery = pact_sending.attempt(session, delivery_id)
    if delivery is not None and delivery.status == "pending":
        queue_one(delivery.id, delivery.next_attempt_at - utcnow())
