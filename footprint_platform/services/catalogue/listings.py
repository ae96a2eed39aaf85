"""The API's lists, read a page at a time by key (keyset pagination): an organization's
results per period, declarations, verification assignments, shares and link requests.

Each function authorizes like the page that shows the same rows, then reads `limit + 1` rows
after the cursor's key (the extra row only tells the caller that there is more). Results are
the maker's own products only, as on its portfolio: no supplier's figure is in them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session

from footprint_platform.models import (
    Declaration,
    FootprintShare,
    LinkRequest,
    Product,
    ProductResult,
    RollupRun,
    Verification,
)
from footprint_platform.policy import Action, Actor, authorize
from footprint_platform.queries import newest_result_ids

Period = tuple[date, date]


@dataclass(frozen=True)
class PeriodResult:
    """A product's newest result of one period, with the run that stored it."""

    product: Product
    result: ProductResult
    run: RollupRun

    @property
    def key(self) -> list[Any]:
        return [self.product.id, self.run.period_start.isoformat(), self.run.period_end.isoformat()]


def results(
    session: Session,
    actor: Actor,
    organization_id: int,
    *,
    period: Period | None,
    category: str | None,
    after: list[Any] | None,
    limit: int,
) -> list[PeriodResult]:
    """The newest result of each of the organization's products in each period, by product
    then period. A result of basis "missing" (no data, no dataset: zero) is no footprint and
    is left out, as on the portfolio and in the results export."""
    authorize(actor, Action.VIEW_RESULTS, organization_id)
    own = select(Product.id).where(Product.organization_id == organization_id)
    if category is not None:
        own = own.where(Product.category == category)
    in_period = (
        (RollupRun.period_start == period[0], RollupRun.period_end == period[1])
        if period is not None
        else ()
    )
    newest = newest_result_ids(ProductResult.product_id.in_(own), *in_period)
    stmt = (
        select(Product, ProductResult, RollupRun)
        .join(ProductResult, ProductResult.product_id == Product.id)
        .join(RollupRun, RollupRun.id == ProductResult.run_id)
        .where(ProductResult.id.in_(newest), ProductResult.basis != "missing")
        .order_by(Product.id, RollupRun.period_start, RollupRun.period_end)
        .limit(limit + 1)
    )
    if after is not None:
        key = _result_key(after)
        stmt = stmt.where(
            tuple_(Product.id, RollupRun.period_start, RollupRun.period_end) > tuple_(*key)
        )
    return [PeriodResult(p, r, run) for p, r, run in session.execute(stmt).all()]


def _result_key(after: list[Any]) -> tuple[int, date, date]:
    """A results cursor's key; a cursor of another list starts from the beginning."""
    try:
        return int(after[0]), date.fromisoformat(after[1]), date.fromisoformat(after[2])
    except (IndexError, TypeError, ValueError):
        return 0, date.min, date.min


def _after_id(stmt: Select[Any], column: Any, after: list[Any] | None, limit: int) -> Any:
    """Newest first by id, after the cursor's id."""
    if after and isinstance(after[0], int):
        stmt = stmt.where(column < after[0])
    return stmt.order_by(column.desc()).limit(limit + 1)


def declarations(
    session: Session,
    actor: Actor,
    organization_id: int,
    *,
    period: Period | None,
    category: str | None,
    after: list[Any] | None,
    limit: int,
) -> list[Declaration]:
    """The organization's declarations, every version, newest first (members, like its
    declarations page)."""
    authorize(actor, Action.VIEW_PRODUCTS, organization_id)
    stmt = select(Declaration).where(Declaration.organization_id == organization_id)
    if period is not None:
        stmt = stmt.where(
            Declaration.period_start == period[0], Declaration.period_end == period[1]
        )
    if category is not None:
        stmt = stmt.join(Product, Product.id == Declaration.product_id).where(
            Product.category == category
        )
    return list(session.scalars(_after_id(stmt, Declaration.id, after, limit)))


def verifications(
    session: Session, actor: Actor, verifier_id: int, *, after: list[Any] | None, limit: int
) -> list[Verification]:
    """What the verification body was asked to verify, newest first."""
    authorize(actor, Action.VIEW_VERIFICATIONS, verifier_id)
    stmt = select(Verification).where(Verification.verifier_id == verifier_id)
    return list(session.scalars(_after_id(stmt, Verification.id, after, limit)))


def shares(
    session: Session, actor: Actor, organization_id: int, *, after: list[Any] | None, limit: int
) -> list[FootprintShare]:
    """The organization's shares with customers, revoked ones included, newest first."""
    authorize(actor, Action.VIEW_PRODUCTS, organization_id)
    stmt = select(FootprintShare).where(FootprintShare.organization_id == organization_id)
    return list(session.scalars(_after_id(stmt, FootprintShare.id, after, limit)))


def link_requests(
    session: Session,
    actor: Actor,
    organization_id: int,
    direction: str,
    *,
    after: list[Any] | None,
    limit: int,
) -> list[LinkRequest]:
    """Link requests the organization received (`incoming`) or sent (`outgoing`)."""
    authorize(actor, Action.VIEW_REQUESTS, organization_id)
    side = LinkRequest.supplier_id if direction == "incoming" else LinkRequest.buyer_id
    stmt = select(LinkRequest).where(side == organization_id)
    return list(session.scalars(_after_id(stmt, LinkRequest.id, after, limit)))
