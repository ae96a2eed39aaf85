"""Third-party verification of a declaration, and the record of its decision."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from footprint_platform.models.base import Base, UTCDateTime, str_enum, utcnow
from footprint_platform.models.declarations import Declaration
from footprint_platform.models.organization import Organization


class VerificationStatus(enum.StrEnum):
    UNDER_REVIEW = "under_review"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Assurance(enum.StrEnum):
    """ISO 14064-3:2019 (3.6.x): the level of assurance a verification statement gives."""

    LIMITED = "limited"
    REASONABLE = "reasonable"


# The standards a verifier may name as the criteria of its statement: ISO 14067:2018 (carbon
# footprint of products), ISO 14064-3:2019 (validation and verification of GHG statements) and
# GB/T 24067-2024 (China's adoption of ISO 14067).
STANDARDS = ("ISO 14067:2018", "ISO 14064-3:2019", "GB/T 24067-2024")


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
    # The verification statement, as verifiers record it (required to verify; see
    # services.disclosure.publication.Statement).
    standard: Mapped[str | None] = mapped_column(String(64))
    assurance: Mapped[Assurance | None] = mapped_column(str_enum(Assurance, "assurance_level"))
    accreditation_body: Mapped[str | None] = mapped_column(String(200))
    accreditation_number: Mapped[str | None] = mapped_column(String(100))
    materiality_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    scope: Mapped[str | None] = mapped_column(Text)
    statement_date: Mapped[date | None] = mapped_column(Date)
    # The verifier's checklist while it works: pinned submission id (as text) -> {"checked":
    # bool, "note": str}. Working notes, shown to the verifier only.
    checklist: Mapped[dict[str, dict[str, object]] | None] = mapped_column(JSON(none_as_null=True))

    declaration: Mapped[Declaration] = relationship()
    verifier: Mapped[Organization] = relationship()
