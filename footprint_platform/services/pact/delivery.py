"""Sending PACT events (services.pact.events) later, never inside the web request: on the RQ
worker when REDIS_URL is set, else on a timer thread of this process, or by `flask pact
deliver`. One attempt at a time; a delivery still pending after one is queued again after its
back-off. Publishing a declaration announces it from here, so the publication service needs
to know nothing of PACT."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from footprint_platform import background
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
    """Send later (footprint_platform/background.py): the worker, a thread, or a command."""
    background.send_later(
        QUEUE, "footprint_platform.worker.deliver_pact", run, delivery_id, delay, job_timeout=300
    )


def run(session: Session, delivery_id: int) -> None:
    """One attempt, and the next one queued after its back-off while it is still pending."""
    delivery = pact_sending.attempt(session, delivery_id)
    if delivery is not None and delivery.status == "pending":
        queue_one(delivery.id, delivery.next_attempt_at - utcnow())
