"""What a supplier lets a customer see: its footprint for one product, by name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column, relationship

from footprint_platform.models.base import Base, UTCDateTime, utcnow
from footprint_platform.models.catalog import Product
from footprint_platform.models.organization import Organization


class FootprintShare(Base):
    """The owner of `product` shows `buyer` that product's footprint under its own name, in the
    buyer's breakdowns and supplier lists. Without a share, a buyer sees upstream contributions
    only grouped by stage, tier and category. Revoking keeps the row (the record of who could
    see what, and when)."""

    __tablename__ = "footprint_share"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    product: Mapped[Product] = relationship()
    buyer: Mapped[Organization] = relationship(foreign_keys=[buyer_id])
