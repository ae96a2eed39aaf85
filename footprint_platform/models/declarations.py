"""Declarations: computed, pinned results for a product and period that can be published."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from footprint_platform.models.base import Base, UTCDateTime, str_enum, utcnow
from footprint_platform.models.catalog import Product


class DeclarationStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


class Declaration(Base):
    """Never edited once made: a change is a new declaration that names the one it replaces
    (PACT `precedingPfIds`). `content_hash` covers every number and every pin."""

    __tablename__ = "declaration"
    __table_args__ = (UniqueConstraint("product_id", "period_start", "period_end", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(36), unique=True, default=lambda: str(uuid.uuid4())
    )
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[DeclarationStatus] = mapped_column(str_enum(DeclarationStatus, "decl_status"))
    declared_unit: Mapped[str] = mapped_column(String(16))
    total: Mapped[Decimal] = mapped_column(Numeric(24, 10))
    by_stage: Mapped[dict[str, str]] = mapped_column(JSON)
    primary_data_share: Mapped[Decimal] = mapped_column(Numeric(8, 6))
    dqr: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    # PACT v3 dqi as the result gave it (strings; None before it was stored or when unrated)
    dqi: Mapped[dict[str, str] | None] = mapped_column(JSON(none_as_null=True))
    # Estimated share of the footprint left out under the cut-off, in percent, from the
    # exclusions its pinned submissions declare (PACT exemptedEmissionsPercent).
    exempted_percent: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))
    performance_class: Mapped[str | None] = mapped_column(String(4))
    class_scale_version: Mapped[str | None] = mapped_column(String(32))
    rule_code: Mapped[str] = mapped_column(String(40))
    rule_version: Mapped[str] = mapped_column(String(16))
    engine_version: Mapped[str] = mapped_column(String(32))
    run_id: Mapped[int] = mapped_column(ForeignKey("rollup_run.id"))
    fallback_release_id: Mapped[int] = mapped_column(ForeignKey("factor_release.id"))
    # product id -> [submission id, submission content hash], for the whole upstream chain
    pinned: Mapped[dict[str, Any]] = mapped_column(JSON)
    # what the footprint is made of, pinned: {"carried_forward": share, "fallback": share} as
    # strings (part of the content hash; None on declarations made before it was stored)
    composition: Mapped[dict[str, str] | None] = mapped_column(JSON)
    # A battery's functional unit as declared (footprint_platform/battery.py, FunctionalUnit):
    # usable energy, vehicle category, cycles a year, service life and the lifetime energy per
    # declared unit, pinned so a later change to the product never changes the declared figure
    # (part of the content hash; None on declarations of other products and earlier ones)
    functional_unit: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The product's carbon content per declared unit (disclosure/carbon_content.py, pinned):
    # {"fossil": kg C or None (not known), "fossil_upper_bound": kg C or None, "biogenic": kg C
    # or None, "unknown_inputs": n} as strings; part of the content hash, None on declarations
    # made before it was pinned (their exports compute it from the pins).
    carbon_content: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    content_hash: Mapped[str] = mapped_column(String(64))
    preceding_id: Mapped[int | None] = mapped_column(ForeignKey("declaration.id"))
    change_reason: Mapped[str | None] = mapped_column(Text)
    # An automatic version's upstream products whose data changed: named per reader, only
    # where the reader may name them (footprint_platform/visibility.py), never in the text.
    changed_product_ids: Mapped[list[int] | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Publication is not content: withdrawing leaves the declaration in the record, visible as
    # withdrawn, and neither touches the content hash.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    product: Mapped[Product] = relationship()
