"""Data requests: a buyer asks a supplier for primary data on a product."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from footprint_platform.models.base import Base, UTCDateTime, str_enum, utcnow
from footprint_platform.models.catalog import Product
from footprint_platform.models.organization import Organization
from footprint_platform.models.pact import PactEvent
from footprint_platform.models.submission import Submission


class RequestStatus(enum.StrEnum):
    """Stored states; `overdue` is derived (pending past its due date), never stored."""

    PENDING = "pending"
    ANSWERED = "answered"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class DataRequest(Base):
    __tablename__ = "data_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    # A supplier not yet on the platform is invited by e-mail; the request waits for it.
    supplier_email: Mapped[str | None] = mapped_column(String(254))
    # One-time link for that supplier to register its company (SHA-256; cleared once used).
    join_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), index=True)
    part_number: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[RequestStatus] = mapped_column(str_enum(RequestStatus, "request_status"))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))
    # Set when the answer is a version of another period than the one asked for: the
    # supplier's confirmed reason, shown to the buyer.
    substitute_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A request that came over PACT (a partner's RequestCreatedEvent): its event, which holds
    # the criteria, the event id our answer names and the address it goes to.
    pact_event_id: Mapped[int | None] = mapped_column(ForeignKey("pact_event.id"), unique=True)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    buyer: Mapped[Organization] = relationship(foreign_keys=[buyer_id])
    supplier: Mapped[Organization | None] = relationship(foreign_keys=[supplier_id])
    product: Mapped[Product | None] = relationship()
    pact_event: Mapped[PactEvent | None] = relationship()
    submission: Mapped[Submission | None] = relationship()

    __mapper_args__ = {"version_id_col": lock_version}

    def state(self, today: date) -> str:
        """The state shown to people: a pending request past its due date is overdue."""
        if self.status is RequestStatus.PENDING and today > self.due_date:
            return "overdue"
        return self.status.value

    @property
    def period(self) -> tuple[date, date]:
        return self.period_start, self.period_end
