"""PACT partner credentials: OAuth2 clients issued by a data owner to a partner organization,
and the access tokens they obtain (PACT Tech Specs v3, "Authentication Flow")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from footprint_platform.models.base import Base, UTCDateTime, utcnow
from footprint_platform.models.organization import Organization


class PactClient(Base):
    """Credentials with which `partner`'s host system reads, over PACT, the footprints that
    `owner` shared with `partner` (FootprintShare). Only a SHA-256 of the secret is kept (256
    bits of entropy, so a slow hash adds nothing); rotating replaces it, revoking ends the
    client and every token it holds. Rows are never deleted: the record of who could read what."""

    __tablename__ = "pact_client"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(40), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The partner's Catena-X PCF Exchange base URL (its connector's address): answers to its
    # `GET /catenax/footprintExchange/{requestId}` are pushed to `{this}/footprintExchange/…`.
    catenax_callback_url: Mapped[str | None] = mapped_column(String(300))

    partner: Mapped[Organization] = relationship(foreign_keys=[partner_id])


class PactAccessToken(Base):
    """A bearer token from `POST /auth/token`: opaque, stored as a SHA-256, valid until
    `expires_at` unless it or its client is revoked. Kept past expiry for a day so that a late
    caller hears TokenExpired rather than an unknown token."""

    __tablename__ = "pact_access_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("pact_client.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[PactClient] = relationship()


class PactCredential(Base):
    """Client credentials that a partner's host system issued to us (`organization`), entered by
    an administrator: what we authenticate with at that host to answer its requests, to tell
    it about new footprints, and to pull its footprints. `partner_id` names the partner
    organization when it is on Tanlian (needed for events: its PACT client's requests are
    answered with these); a host not on Tanlian (pulls only) has none. The secret is encrypted
    at rest (services.pact.outbound.seal) since we must present it, not only check it."""

    __tablename__ = "pact_credential"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    base_url: Mapped[str] = mapped_column(String(300))
    token_url: Mapped[str | None] = mapped_column(String(300))
    client_id: Mapped[str] = mapped_column(String(200))
    secret_sealed: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    partner: Mapped[Organization | None] = relationship(foreign_keys=[partner_id])


class PactEvent(Base):
    """A CloudEvent a partner's client posted to our /3/events, kept as received (its `data`
    only, bounded in size). A RequestCreatedEvent becomes a data request; a PublishedEvent is a
    notice for the partner side to fetch. Unique per client and event id, so a partner that
    sends the same event twice does not make two requests."""

    __tablename__ = "pact_event"
    __table_args__ = (UniqueConstraint("client_pk", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("pact_client.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    event_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(500))
    time: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Our own address when it arrived: the URLs inside footprints we send back name it.
    host_url: Mapped[str] = mapped_column(String(300))


class PactDelivery(Base):
    """One event we send to a partner's /3/events (an answer to its request, or a
    PublishedEvent), with its body frozen when it was decided (so what leaves is what was
    checked then) and where its delivery stands: `pending` until sent, retried with
    exponential back-off, `abandoned` 72 hours after it was made. Every attempt is an audit
    record (`pact.event_sent` / `pact.event_send_failed`)."""

    __tablename__ = "pact_delivery"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("data_request.id"), index=True)
    type: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    target_url: Mapped[str] = mapped_column(String(500))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PactRequestSent(Base):
    """A footprint request of ours: a buyer asked a partner's host system, with a v3
    RequestCreatedEvent sent as `delivery`, for the footprints of the products `product_ids`
    name. `waiting` until the partner's RequestFulfilledEvent (its footprints imported as
    external footprints, `imported` their ids) or RequestRejectedEvent (`error`) arrives on our
    /3/events from that partner."""

    __tablename__ = "pact_request_sent"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    credential_id: Mapped[int] = mapped_column(ForeignKey("pact_credential.id"))
    delivery_id: Mapped[int] = mapped_column(ForeignKey("pact_delivery.id"))
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    product_ids: Mapped[list[str]] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    error: Mapped[str | None] = mapped_column(Text)
    imported: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A request to a partner's Catena-X PCF Exchange API (`event_id` is its requestId): the
    # query asked ({"manufacturerPartId"|"customerPartId": …, "dataModelVersion": …}). NULL
    # for a PACT request.
    catenax: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    partner: Mapped[Organization] = relationship(foreign_keys=[partner_id])
    delivery: Mapped[PactDelivery] = relationship()
