"""Saved what-if scenarios: a named list of changes to one product's data, never applied."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from footprint_platform.models.base import Base, UTCDateTime, utcnow
from footprint_platform.models.catalog import Product


class WhatIfScenario(Base):
    """The change specs (plain JSON, as insight/whatif.py reads them) a member of the product's
    maker saved to evaluate again and compare; the numbers are recomputed on every view, so a
    scenario always reflects the period's current data."""

    __tablename__ = "whatif_scenario"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(120))
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship()
