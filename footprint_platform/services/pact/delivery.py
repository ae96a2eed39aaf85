"""Sending PACT events (services.pact.events) later, never inside the web request: on the RQ
worker when REDIS_URL is set, else on a timer thread of this process, or by `flask pact
deliver`. One attempt at a time; a delivery still pending after one is queued again after its
back-off. Publishing a declaration announces it from here, so the publication service needs
to know nothing of PACT."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from footprint_platform import background
from footprint_platform.models import Declaration
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


# Send later (footprint_platform/background.py): the worker, a thread, or a command.
_DELIVERIES = background.Deliveries(
    QUEUE, "footprint_platform.worker.deliver_pact", pact_sending.attempt, job_timeout=300
)
queue = _DELIVERIES.queue
run = _DELIVERIES.run
