"""Where things are made and what: sites and products."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from footprint_platform.models.base import Base, UTCDateTime, utcnow
from footprint_platform.models.organization import Organization


class Site(Base):
    """A production site. `grid_region` is the electricity region its grid factor comes from:
    one of China's regional grids (CN-E …) for Chinese sites, the country code elsewhere."""

    __tablename__ = "site"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    province: Mapped[str | None] = mapped_column(String(8))
    city: Mapped[str | None] = mapped_column(String(100))
    grid_region: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    organization: Mapped[Organization] = relationship()

    __mapper_args__ = {"version_id_col": version}


class Product(Base):
    """Something an organization makes at a site, with its declared unit and category.
    Batteries (cells, modules, packs) also carry chemistry, capacity and mass."""

    __tablename__ = "product"
    __table_args__ = (
        UniqueConstraint("organization_id", "part_number"),
        # The edited products alone (version above its first): the period snapshot's catalogue
        # stamp sums their versions without reading every product.
        Index(
            "ix_product_edited",
            "version",
            postgresql_where=text("version <> 1"),
            sqlite_where=text("version <> 1"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))
    part_number: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(40), index=True)
    declared_unit: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    chemistry: Mapped[str | None] = mapped_column(String(16))
    capacity_kwh: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    mass_kg: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    # What a traction battery is made for, for its lifetime energy (EU 2023/1542 Art. 7): the
    # vehicle category (M1, N1, L, M2 …) sets full-equivalent cycles per year in the rule, and
    # the warranty in years is the service life.
    vehicle_category: Mapped[str | None] = mapped_column(String(4))
    service_life_years: Mapped[int | None] = mapped_column(Integer)
    # The draft delegated act's E_total starts from the usable energy at the beginning of life
    # (what the battery management system lets a user draw from a new, full battery), not the
    # rated capacity; a warranty may also run out by distance (the shorter applies).
    usable_energy_kwh: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    warranty_km: Mapped[int | None] = mapped_column(Integer)
    # China's traction-battery code (GB/T 34014) of one unit of this battery type; its first
    # 14 characters (the design information) are shared by every unit and indexed for search.
    battery_code: Mapped[str | None] = mapped_column(String(24))
    battery_design_code: Mapped[str | None] = mapped_column(String(14), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    organization: Mapped[Organization] = relationship()
    site: Mapped[Site] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def display_name(self, locale: str) -> str:
        return (self.name_zh or self.name_en) if locale.startswith("zh") else self.name_en
