"""Contractual electricity instruments as records: green certificates, power purchase
agreements, direct supply contracts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from footprint_platform.models.base import Base, UTCDateTime, utcnow
from footprint_platform.models.catalog import Site


class ElectricityInstrument(Base):
    """One certificate (or a batch retired together) or one contract, registered by the
    organization that consumed its kWh at one of its sites.

    `certificate_id` is unique across the whole platform: a certificate is registered once, by
    one organization. It is claimed once: by one product for one period (`claimed_*`, set when
    that product's version is submitted, under a row lock), and the kWh its rows claim never
    exceed `volume_kwh`. `evidence_id` is the retirement (cancellation) statement or contract.
    """

    __tablename__ = "electricity_instrument"
    __table_args__ = (UniqueConstraint("certificate_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    certificate_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(24))  # green_certificate, ppa, direct_supply
    issuer: Mapped[str] = mapped_column(String(200))
    generation: Mapped[str] = mapped_column(String(16))  # wind, pv, biomass, hydro …
    volume_kwh: Mapped[Decimal] = mapped_column(Numeric(20, 3))
    vintage_start: Mapped[date] = mapped_column(Date)
    vintage_end: Mapped[date] = mapped_column(Date)
    geography: Mapped[str] = mapped_column(String(16))  # country, or a grid region
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    claimed_period_start: Mapped[date | None] = mapped_column(Date)
    claimed_period_end: Mapped[date | None] = mapped_column(Date)
    claimed_kwh: Mapped[Decimal | None] = mapped_column(Numeric(20, 3))
    claimed_submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    site: Mapped[Site] = relationship()
