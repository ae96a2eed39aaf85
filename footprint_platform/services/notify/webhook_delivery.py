"""Sending webhook deliveries (services/notify/webhooks.py), never inside the web request: on the RQ
worker when REDIS_URL is set, else on a timer thread of this process, or by `flask webhooks
deliver` — the same ways and the same PACT_DELIVERY setting as PACT events. One attempt at a
time (a claim in the database), and while a delivery is pending the next attempt is queued
after its back-off: 30 s, 1 min, 2 min, … at most 4 h, `failed` after MAX_ATTEMPTS."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from footprint_platform import background, outbound, sealed
from footprint_platform.models import WebhookDelivery, utcnow
from footprint_platform.services.notify import webhooks

QUEUE = "webhooks"
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=4)
MAX_ATTEMPTS = 12  # about 16 hours of retries
LEASE = timedelta(minutes=2)  # an attempt's claim; a worker that died frees it after this
TIMEOUT_SECONDS = 10
log = logging.getLogger(__name__)

Sender = Callable[[str, dict[str, str], bytes], outbound.Answer]


def backoff(attempts: int) -> timedelta:
    """The wait after the n-th failed attempt."""
    return min(FIRST_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)


def _post(url: str, headers: dict[str, str], body: bytes) -> outbound.Answer:
    return outbound.request(
        "POST",
        url,
        headers,
        body,
        context=outbound.tls_context(),
        timeout=TIMEOUT_SECONDS,
        max_bytes=2000,
        allow_private=outbound.allow_private(),
    )


def attempt(
    session: Session, delivery_id: int, now: datetime | None = None, sender: Sender | None = None
) -> WebhookDelivery | None:
    """One attempt at a due delivery: signed now, posted, its answer recorded. `now` is for
    tests (a clock moved past the back-off)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    now = now or utcnow()
    if delivery is None or delivery.status != "pending" or delivery.next_attempt_at > now:
        return delivery
    if not background.claim_attempt(session, WebhookDelivery, delivery, now, LEASE):
        return delivery
    endpoint = delivery.endpoint
    if endpoint.disabled_at is not None:
        delivery.status, delivery.last_error = "failed", "the endpoint was deleted"
        session.commit()
        return delivery
    body = webhooks.body_bytes(delivery)
    try:
        secret = sealed.unseal(endpoint.secret_sealed)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Tanlian-Webhooks/1",
            "Tanlian-Event": delivery.event,
            "Tanlian-Delivery": delivery.event_id,
            webhooks.SIGNATURE_HEADER: webhooks.signature(secret, int(now.timestamp()), body),
        }
        answer = (sender or _post)(endpoint.url, headers, body)
    except (outbound.OutboundError, sealed.SealBroken) as exc:
        delivery.last_status, delivery.last_error = None, str(exc)[:500]
    else:
        delivery.last_status = answer.status
        delivery.last_error = None if 200 <= answer.status < 300 else f"HTTP {answer.status}"
    if delivery.last_error is None:
        delivery.status, delivery.sent_at = "sent", now
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    session.commit()
    return delivery


def due(session: Session, now: datetime | None = None) -> list[int]:
    """Pending deliveries whose next attempt is due (what `flask webhooks deliver` sends)."""
    return list(
        session.scalars(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= (now or utcnow()),
            )
            .order_by(WebhookDelivery.id)
        )
    )


# -- handing committed deliveries to the background


def listen() -> None:
    """Hand the deliveries a session made to the background once it commits (forget them on a
    rollback): in every process that makes deliveries (the platform's setup calls this)."""
    if not event.contains(Session, "after_commit", _queue_committed):
        event.listen(Session, "after_commit", _queue_committed)
        event.listen(Session, "after_rollback", _forget_rolled_back)


def _queue_committed(session: Session) -> None:
    ids = session.info.pop(webhooks.QUEUED, None)
    if ids and has_app_context():
        queue(ids)


def _forget_rolled_back(session: Session) -> None:
    session.info.pop(webhooks.QUEUED, None)


# Send later (footprint_platform/background.py): the worker, a thread, or a command.
_DELIVERIES = background.Deliveries(
    QUEUE, "footprint_platform.worker.deliver_webhook", attempt, job_timeout=60
)
queue = _DELIVERIES.queue
run = _DELIVERIES.run
