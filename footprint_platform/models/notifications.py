"""E-mail notifications: what each person wants mailed, and the events waiting to be mailed."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from footprint_platform.models.base import Base, UTCDateTime, str_enum, utcnow


class NotificationMode(enum.StrEnum):
    IMMEDIATE = "immediate"  # one mail per event, right after it happens
    DIGEST = "digest"  # gathered into one daily mail (`flask notifications digest`)
    OFF = "off"


class NotificationPreference(Base):
    """A person's choice for one kind of event; without a row the default is immediate."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    mode: Mapped[NotificationMode] = mapped_column(str_enum(NotificationMode, "notification_mode"))


class Notification(Base):
    """One event for one person, recorded in the transaction of the change (an outbox). The
    mail is written when it is sent, in the person's language, from the record it names, and
    only if the person still belongs to the organization it was meant for."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    event: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(Integer)  # the request, verification or declaration
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Set instead of a mail when, at sending time, the person no longer may see the record.
    dropped: Mapped[bool] = mapped_column(Boolean, default=False)
