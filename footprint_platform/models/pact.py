"""PACT partner credentials: OAuth2 clients issued by a data owner to a partner organization,
and the access tokens they obtain (PACT Tech Specs v3, "Authentication Flow")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
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
