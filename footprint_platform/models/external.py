"""Partners' footprints taken in over PACT (a file, or pulled from the partner's host system),
usable as the value of a material input."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from footprint_platform.models.base import Base, UTCDateTime, utcnow


class ExternalFootprint(Base):
    """A partner's ProductFootprint as imported: never edited (a PACT footprint id is
    immutable; a newer footprint is another import), so a submission input that names it and a
    declaration pinned to that submission recompute to the same number. `per_unit` is
    pcfExcludingBiogenicUptake per one of our `unit`; `by_stage` its split by our stage codes
    when the footprint carries Tanlian's extension, else empty; `primary_data_share` a
    fraction 0..1; `dqr` our 1-5 rating (the extension's, else the mean of PACT's three dqi)."""

    __tablename__ = "external_footprint"
    __table_args__ = (UniqueConstraint("organization_id", "pf_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    pf_id: Mapped[str] = mapped_column(String(36))
    spec_version: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))
    company_name: Mapped[str] = mapped_column(String(200))
    product_name: Mapped[str] = mapped_column(String(200))
    product_ids: Mapped[list[str]] = mapped_column(JSON)
    unit: Mapped[str] = mapped_column(String(16))
    per_unit: Mapped[Decimal] = mapped_column(Numeric(24, 10))
    by_stage: Mapped[dict[str, str]] = mapped_column(JSON)
    primary_data_share: Mapped[Decimal | None] = mapped_column(Numeric(8, 6))
    dqr: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    verified_by: Mapped[str | None] = mapped_column(String(200))
    reference_start: Mapped[datetime] = mapped_column(UTCDateTime)
    reference_end: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    origin: Mapped[str] = mapped_column(String(8))  # "file", "pull" or "request"
    source_url: Mapped[str | None] = mapped_column(String(500))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # the footprint as received
    sha256: Mapped[str] = mapped_column(String(64))
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def label(self) -> str:
        return f"{self.company_name} · {self.product_name} ({self.pf_id[:8]})"
