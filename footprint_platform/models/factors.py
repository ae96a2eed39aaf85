"""The emission-factor database as immutable, versioned releases."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from footprint_platform.models.base import Base, UTCDateTime, utcnow


class FactorRelease(Base):
    """One published release of the factor database. Never edited: a correction is a new
    release, and declarations pin the release they were computed with."""

    __tablename__ = "factor_release"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    source_sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("factor_release.id"))

    factors: Mapped[list[EmissionFactor]] = relationship(
        back_populates="release", order_by="EmissionFactor.code"
    )


class EmissionFactor(Base):
    """kg CO2e (or kg CO2 for a CO2-only series) per one `unit` of an activity or input."""

    __tablename__ = "emission_factor"
    __table_args__ = (UniqueConstraint("release_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("factor_release.id"), index=True)
    code: Mapped[str] = mapped_column(String(80), index=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20), index=True)
    unit: Mapped[str] = mapped_column(String(16))
    value: Mapped[Decimal] = mapped_column(Numeric(24, 10))
    gas_basis: Mapped[str] = mapped_column(String(8))
    gwp: Mapped[str | None] = mapped_column(String(8))
    series: Mapped[str] = mapped_column(String(24))
    geography: Mapped[str] = mapped_column(String(24))
    reference_year: Mapped[int] = mapped_column(Integer)
    published: Mapped[str] = mapped_column(String(10))
    range_low: Mapped[Decimal | None] = mapped_column(Numeric(24, 10))
    range_high: Mapped[Decimal | None] = mapped_column(Numeric(24, 10))
    # A material dataset's carbon content, kg C per `unit`, fossil and biogenic, from its
    # source (services/disclosure/carbon_content.py); None where the release states none.
    carbon_fossil: Mapped[Decimal | None] = mapped_column(Numeric(24, 10))
    carbon_biogenic: Mapped[Decimal | None] = mapped_column(Numeric(24, 10))
    source: Mapped[str] = mapped_column(Text)
    licence: Mapped[str] = mapped_column(String(200))

    release: Mapped[FactorRelease] = relationship(back_populates="factors")

    def name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en
