"""What a supplier lets a customer see: its footprint for one product, by name."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from footprint_platform.models.base import Base, UTCDateTime, str_enum, utcnow
from footprint_platform.models.catalog import Product
from footprint_platform.models.organization import Organization


class FootprintShare(Base):
    """The owner of `product` shows `buyer` that product's footprint under its own name, in the
    buyer's breakdowns and supplier lists. Without a share, a buyer sees upstream contributions
    only grouped by stage, tier and category. Revoking keeps the row (the record of who could
    see what, and when)."""

    __tablename__ = "footprint_share"
    # The revoked shares alone: the period snapshot's consent stamp counts them without
    # reading the rest (partial, so "not revoked" look-ups keep the product index).
    __table_args__ = (
        Index(
            "ix_footprint_share_revoked",
            "id",
            postgresql_where=text("revoked_at IS NOT NULL"),
            sqlite_where=text("revoked_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    product: Mapped[Product] = relationship()
    buyer: Mapped[Organization] = relationship(foreign_keys=[buyer_id])


class LinkStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class LinkRequest(Base):
    """A buyer asks the maker of `product` to agree that the buyer's submissions link it as a
    material input. Until a share exists (made by accepting, by answering a data request, or
    explicitly) the roll-up values such an input with the category's secondary dataset."""

    __tablename__ = "link_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    status: Mapped[LinkStatus] = mapped_column(str_enum(LinkStatus, "link_status"))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    share_id: Mapped[int | None] = mapped_column(ForeignKey("footprint_share.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    product: Mapped[Product] = relationship()
    buyer: Mapped[Organization] = relationship(foreign_keys=[buyer_id])
    supplier: Mapped[Organization] = relationship(foreign_keys=[supplier_id])

    __mapper_args__ = {"version_id_col": lock_version}
