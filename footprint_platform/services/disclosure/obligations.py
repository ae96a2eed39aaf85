"""Declarations a rule requires: under the power-battery rule (MIIT notice 工信厅通装函〔2025〕
551号, as digested in docs/specs/battery-pcf.md) the pack maker declares every traction
battery product it supplies above 2 kWh. The threshold and the categories are data of the rule
(`declaration_threshold_kwh`, `declaring_categories`), never constants here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.models import (
    Declaration,
    DeclarationStatus,
    Product,
    Submission,
    SubmissionStatus,
)
from footprint_platform.policy import Action, Actor, authorize
from footprint_platform.rules import AccountingRule, load_rules


@dataclass(frozen=True)
class Obligation:
    product: Product
    rule: AccountingRule
    threshold_kwh: Decimal
    period: tuple[date, date] | None  # the newest period with submitted data
    declaration: Declaration | None  # its newest declaration that is not superseded

    @property
    def state(self) -> str:
        """published, draft (declared, not yet published), or missing."""
        if self.declaration is None:
            return "missing"
        return "published" if self.declaration.published_at else "draft"


def declaration_obligations(
    session: Session, actor: Actor, organization_id: int
) -> list[Obligation]:
    """The organization's products some rule requires it to declare, with where each stands."""
    authorize(actor, Action.VIEW_PRODUCTS, organization_id)
    out = []
    for rule in load_rules().values():
        threshold = rule.raw.get("declaration_threshold_kwh")
        categories = rule.raw.get("declaring_categories") or []
        if threshold is None or not categories or not rule.is_default:  # one per category
            continue
        products = session.scalars(
            select(Product)
            .where(
                Product.organization_id == organization_id,
                Product.category.in_(categories),
                Product.capacity_kwh > Decimal(str(threshold)),
            )
            .order_by(Product.part_number)
        )
        for product in products:
            period = _newest_period(session, product.id)
            out.append(
                Obligation(
                    product,
                    rule,
                    Decimal(str(threshold)),
                    period,
                    _current_declaration(session, product.id, period) if period else None,
                )
            )
    return out


def _newest_period(session: Session, product_id: int) -> tuple[date, date] | None:
    row = session.execute(
        select(Submission.period_start, Submission.period_end)
        .where(Submission.product_id == product_id, Submission.status == SubmissionStatus.SUBMITTED)
        .order_by(Submission.period_end.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def _current_declaration(
    session: Session, product_id: int, period: tuple[date, date]
) -> Declaration | None:
    return session.scalars(
        select(Declaration)
        .where(
            Declaration.product_id == product_id,
            Declaration.period_start == period[0],
            Declaration.period_end == period[1],
            Declaration.status != DeclarationStatus.SUPERSEDED,
            Declaration.withdrawn_at.is_(None),
        )
        .order_by(Declaration.published_at.is_(None), Declaration.version.desc())
        .limit(1)
    ).first()
