"""Third-party verification of a declaration, and the record of its decision."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from footprint_platform.models.base import Base, UTCDateTime, str_enum, utcnow
from footprint_platform.models.declarations import Declaration
from footprint_platform.models.organization import Organization


class VerificationStatus(enum.StrEnum):
    UNDER_REVIEW = "under_review"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Verification(Base):
    """A declaration owner asks a verifier; the verifier records findings and decides. The
    declaration itself never changes: its verification status is read from here."""

    __tablename__ = "verification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id"), index=True)
    verifier_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    status: Mapped[VerificationStatus] = mapped_column(
        str_enum(VerificationStatus, "verification_status")
    )
    findings: Mapped[str | None] = mapped_column(Text)
    # The pinned submissions whose mass-balance reason the verifier accepted (their ids).
    accepted_reasons: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    declaration: Mapped[Declaration] = relationship()
    verifier: Mapped[Organization] = relationship()
