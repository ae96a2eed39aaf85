"""E-mail notifications of the events people wait for: a data request arrives, a declaration
goes to its verifier, a verdict is given, a declaration is published, a link request arrives or
is decided.

An event is recorded for each member of the organization it concerns, in the transaction of the
change (an outbox), unless that person turned the kind of event off. Immediate ones are mailed
right after the commit (and by `flask notifications send` should that fail); digest ones by
`flask notifications digest`, one mail per person, as often as it is run (daily by cron). Both
mark what they sent, so running them again sends nothing twice.

A mail is written when it is sent, in the recipient's language, from the record it names, and
only says what that person may see on its own pages: the organization the event was meant for
is checked again at sending time (someone who left it gets nothing), and no mail carries a
figure or input of a supplier's primary data, only names, periods, dates and a link.

One module because every event that mails someone, the preferences and the digest are listed
side by side, so what a person may be told (never a supplier's figure) is checked in one place.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform import mail
from footprint_platform.links import public_url
from footprint_platform.models import (
    DataRequest,
    Declaration,
    FootprintShare,
    LinkRequest,
    Membership,
    Notification,
    NotificationMode,
    NotificationPreference,
    User,
    Verification,
    utcnow,
)

log = logging.getLogger(__name__)

REQUEST_RECEIVED = "request_received"
VERIFICATION_REQUESTED = "verification_requested"
VERDICT_GIVEN = "verdict_given"
DECLARATION_PUBLISHED = "declaration_published"
LINK_REQUEST_RECEIVED = "link_request_received"
LINK_REQUEST_DECIDED = "link_request_decided"

# Each kind of event and its name on the settings page.
EVENTS = {
    REQUEST_RECEIVED: _l("A customer asks your organization for data"),
    VERIFICATION_REQUESTED: _l("A declaration is sent to your organization for verification"),
    VERDICT_GIVEN: _l("The verifier decides on your organization's declaration"),
    DECLARATION_PUBLISHED: _l(
        "A declaration of your organization or of a supplier sharing with it is published"
    ),
    LINK_REQUEST_RECEIVED: _l("A customer asks to link your organization's product"),
    LINK_REQUEST_DECIDED: _l("A supplier accepts or declines your link request"),
}


def preferences(session: Session, user_id: int) -> dict[str, NotificationMode]:
    """The person's mode per event, immediate where it never chose."""
    chosen = dict(
        session.execute(
            select(NotificationPreference.event, NotificationPreference.mode).where(
                NotificationPreference.user_id == user_id
            )
        ).all()
    )
    return {event: chosen.get(event, NotificationMode.IMMEDIATE) for event in EVENTS}


def set_preferences(session: Session, user_id: int, modes: dict[str, str]) -> None:
    """Store the person's choices; an unknown event or mode is ignored (the form offers only
    the known ones)."""
    rows = {
        p.event: p
        for p in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id)
        )
    }
    valid = {m.value for m in NotificationMode}
    for event in EVENTS:
        mode = modes.get(event)
        if mode not in valid:
            continue
        if event in rows:
            rows[event].mode = NotificationMode(mode)
        else:
            session.add(
                NotificationPreference(user_id=user_id, event=event, mode=NotificationMode(mode))
            )
    session.commit()


def record(
    session: Session, event: str, organization_ids: Iterable[int | None], subject_id: int
) -> int:
    """Record the event for every active member of the organizations, in the caller's
    transaction, as each member chose (nothing for those who turned it off). Returns how many."""
    orgs = sorted({o for o in organization_ids if o})
    if not orgs:
        return 0
    members = session.execute(
        select(Membership.user_id, Membership.organization_id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id.in_(orgs), User.active.is_(True))
    ).all()
    modes = dict(
        session.execute(
            select(NotificationPreference.user_id, NotificationPreference.mode).where(
                NotificationPreference.event == event,
                NotificationPreference.user_id.in_({u for u, _o in members}),
            )
        ).all()
    )
    made = 0
    for user_id, org_id in members:
        mode = modes.get(user_id, NotificationMode.IMMEDIATE)
        if mode is NotificationMode.OFF:
            continue
        session.add(
            Notification(
                user_id=user_id,
                organization_id=org_id,
                event=event,
                subject_id=subject_id,
                digest=mode is NotificationMode.DIGEST,
            )
        )
        made += 1
    if made:
        mark_pending(session)
    return made


def published_audience(session: Session, d: Declaration) -> list[int]:
    """Who hears of a publication: the declaring organization and the customers it shares the
    product with (the declaration is public from now on; a share names the customer)."""
    buyers = session.scalars(
        select(FootprintShare.buyer_id).where(
            FootprintShare.product_id == d.product_id, FootprintShare.revoked_at.is_(None)
        )
    )
    return [d.organization_id, *buyers]


@dataclass(frozen=True)
class Message:
    subject: str
    lines: list[str]
    link: str


def _member(session: Session, n: Notification) -> User | None:
    """The recipient, if it is still an active member of the organization the event was for."""
    user = session.get(User, n.user_id)
    if user is None or not user.active or user.membership_in(n.organization_id) is None:
        return None
    return user


def _period(start: object, end: object) -> str:
    return f"{start} – {end}"


def _compose(session: Session, n: Notification, locale: str) -> Message | None:
    """The event in the recipient's language, from the record it names: None if that is gone
    or the event no longer applies to the recipient's organization."""
    if n.event in (REQUEST_RECEIVED,):
        r = session.get(DataRequest, n.subject_id)
        if r is None or r.supplier_id != n.organization_id:
            return None
        return Message(
            _("Data request from %(buyer)s", buyer=r.buyer.display_name(locale)),
            [
                _("%(buyer)s asks your organization for data.", buyer=r.buyer.display_name(locale)),
                _("Product (part number): %(part)s", part=r.part_number),
                _("Period: %(period)s", period=_period(r.period_start, r.period_end)),
                _("Due date: %(due)s", due=r.due_date),
            ],
            public_url("requests.show", request_id=r.id),
        )
    if n.event in (VERIFICATION_REQUESTED, VERDICT_GIVEN):
        v = session.get(Verification, n.subject_id)
        if v is None:
            return None
        d = v.declaration
        product = d.product.display_name(locale)
        if n.event == VERIFICATION_REQUESTED:
            if v.verifier_id != n.organization_id:
                return None
            return Message(
                _("Declaration to verify: %(product)s", product=product),
                [
                    _(
                        "%(owner)s asks your organization to verify a declaration.",
                        owner=d.product.organization.display_name(locale),
                    ),
                    _("Product: %(product)s · version %(v)s", product=product, v=d.version),
                    _("Period: %(period)s", period=_period(d.period_start, d.period_end)),
                ],
                public_url("declarations.verification", verification_id=v.id),
            )
        if d.organization_id != n.organization_id:
            return None
        verdict = _("verified") if v.status.value == "verified" else _("rejected")
        return Message(
            _("Verification decided: %(product)s %(verdict)s", product=product, verdict=verdict),
            [
                _(
                    "%(verifier)s %(verdict)s your declaration of %(product)s (version %(v)s).",
                    verifier=v.verifier.display_name(locale),
                    verdict=verdict,
                    product=product,
                    v=d.version,
                ),
                _("Findings: %(findings)s", findings=v.findings or ""),
            ],
            public_url("declarations.show", declaration_id=d.id),
        )
    if n.event == DECLARATION_PUBLISHED:
        d = session.get(Declaration, n.subject_id)
        if d is None or d.published_at is None:
            return None
        if n.organization_id not in published_audience(session, d):
            return None
        return Message(
            _("Declaration published: %(product)s", product=d.product.display_name(locale)),
            [
                _(
                    "%(owner)s published its declaration of %(product)s (version %(v)s).",
                    owner=d.product.organization.display_name(locale),
                    product=d.product.display_name(locale),
                    v=d.version,
                ),
                _("Period: %(period)s", period=_period(d.period_start, d.period_end)),
            ],
            public_url("public.declaration", public_id=d.public_id),
        )
    if n.event in (LINK_REQUEST_RECEIVED, LINK_REQUEST_DECIDED):
        lr = session.get(LinkRequest, n.subject_id)
        if lr is None:
            return None
        product = lr.product.display_name(locale)
        if n.event == LINK_REQUEST_RECEIVED:
            if lr.supplier_id != n.organization_id:
                return None
            return Message(
                _("Link request from %(buyer)s", buyer=lr.buyer.display_name(locale)),
                [
                    _(
                        "%(buyer)s asks to link your product %(product)s in its data.",
                        buyer=lr.buyer.display_name(locale),
                        product=product,
                    )
                ],
                public_url("requests.inbox", org_id=lr.supplier_id, _anchor="links"),
            )
        if lr.buyer_id != n.organization_id:
            return None
        state = _("accepted") if lr.status.value == "accepted" else _("declined")
        return Message(
            _("Link request %(state)s: %(product)s", state=state, product=product),
            [
                _(
                    "%(supplier)s %(state)s your request to link %(product)s.",
                    supplier=lr.supplier.display_name(locale),
                    state=state,
                    product=product,
                )
            ],
            public_url("requests.inbox", org_id=lr.buyer_id, _anchor="links"),
        )
    return None


def _locale(user: User) -> str:
    return user.locale or str(current_app.config.get("BABEL_DEFAULT_LOCALE", "en"))


def _footer() -> str:
    return _(
        "You receive this because of your notification settings: %(url)s",
        url=public_url("tasks.notifications_settings"),
    )


def _send_one(session: Session, n: Notification, now: datetime) -> bool:
    user = _member(session, n)
    message = None
    if user is not None:
        with force_locale(_locale(user)):
            message = _compose(session, n, _locale(user))
            if message is not None:
                body = "\n".join([*message.lines, "", message.link, "", _footer()])
                mail.send(user.email, f"[Tanlian] {message.subject}", body)
    n.sent_at, n.dropped = now, message is None
    return message is not None


def deliver_immediate(session: Session) -> int:
    """Mail every immediate notification not yet sent; each is marked sent in its own commit,
    so a failure leaves the rest for the next run. Returns how many mails went out."""
    sent = 0
    pending = session.scalars(
        select(Notification)
        .where(Notification.sent_at.is_(None), Notification.digest.is_(False))
        .order_by(Notification.id)
    ).all()
    for n in pending:
        try:
            sent += _send_one(session, n, utcnow())
        except OSError:  # the mail server refused or is away: left for the next run
            session.rollback()
            log.warning("notification %s not sent: mail server unavailable", n.id)
            continue
        session.commit()
    return sent


def send_digests(session: Session, now: datetime | None = None) -> int:
    """One mail per person with every digest notification recorded before `now` and not yet
    sent, marked sent in the same commit; a second run sends nothing. Returns the mails sent."""
    now = now or utcnow()
    waiting = session.scalars(
        select(Notification)
        .where(
            Notification.sent_at.is_(None),
            Notification.digest.is_(True),
            Notification.created_at <= now,
        )
        .order_by(Notification.user_id, Notification.id)
    ).all()
    per_user: dict[int, list[Notification]] = defaultdict(list)
    for n in waiting:
        per_user[n.user_id].append(n)
    sent = 0
    for user_id, items in per_user.items():
        user = session.get(User, user_id)
        parts: list[str] = []
        if user is not None and user.active:
            with force_locale(_locale(user)):
                for n in items:
                    message = _compose(session, n, _locale(user)) if _member(session, n) else None
                    n.dropped = message is None
                    if message is not None:
                        parts.append(f"• {message.subject}\n  {message.link}")
                if parts:
                    body = "\n".join(
                        [_("What happened since the last digest:"), "", *parts, "", _footer()]
                    )
                    subject = _("[Tanlian] Daily digest: %(n)s events", n=len(parts))
                    try:
                        mail.send(user.email, subject, body)
                    except OSError:
                        session.rollback()
                        log.warning("digest for user %s not sent: mail server unavailable", user_id)
                        continue
        for n in items:
            n.sent_at = now
            n.dropped = n.dropped or user is None or not user.active
        session.commit()
        sent += bool(parts)
    return sent


def settle_history(session: Session) -> int:
    """Mark every unsent notification as handled without mailing it: the demo's loaded history
    (its requests, verdicts and publications) is not news to anyone."""
    pending = session.scalars(select(Notification).where(Notification.sent_at.is_(None))).all()
    for n in pending:
        n.sent_at, n.dropped = utcnow(), True
    session.commit()
    return len(pending)


def mark_pending(session: Session) -> None:
    """Remember that this unit of work recorded notifications: after the response's view has
    committed them, `after_request` mails the immediate ones (app_setup)."""
    session.info["notifications_pending"] = True


def flush_after_request(session: Session) -> None:
    """Mail what the request recorded, after its commit; never fails the response (a mail
    that cannot go now waits for `flask notifications send`)."""
    if not session.info.pop("notifications_pending", False):
        return
    try:
        deliver_immediate(session)
    except Exception:
        session.rollback()
        log.exception("immediate notifications left for `flask notifications send`")
