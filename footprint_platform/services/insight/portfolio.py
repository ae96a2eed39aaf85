"""An organization's portfolio: every product it makes with its footprint, class, primary-data
share, rating, the verification of its newest declaration, and its trend across periods.

Read from stored results only (one column select for every period's newest result per product;
the runs' pins are never loaded), so the page costs the same at 12 products or 100k in the
industry. Only the organization's own products and declarations are read: its members see
here nothing they could not see on each product's dashboard (policy VIEW_RESULTS).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.classes import classify_product
from footprint_platform.models import Declaration, Product, ProductResult, RollupRun
from footprint_platform.policy import Action, Actor, authorize
from footprint_platform.queries import newest_result_ids
from footprint_platform.services.catalogue import catalog
from footprint_platform.services.disclosure.publication import verification_status
from footprint_platform.services.graph import periods
from footprint_platform.services.graph.periods import PeriodChoice

Period = tuple[date, date]


@dataclass(frozen=True)
class Point:
    """A product's newest result in one period."""

    period: Period
    total: Decimal
    primary_data_share: Decimal
    dqr: Decimal | None
    basis: str  # submitted | generic | missing
    upstream_missing: bool = False  # some input upstream has no data: incomplete
    carried_share: Decimal = Decimal(0)  # of the total, carried forward from earlier periods
    fallback_share: Decimal = Decimal(0)  # of the total, fallback datasets for missing data


@dataclass(frozen=True)
class Row:
    product: Product
    current: Point | None  # in the chosen period, else the newest period with a result
    # computed from `current` (config/classes); none while inputs upstream count as zero
    performance_class: str | None
    declaration: Declaration | None  # the newest declaration (of the chosen period)
    verification: str | None  # that declaration's verification status
    trend: tuple[Point, ...]  # every period with a result, oldest first


@dataclass(frozen=True)
class Portfolio:
    rows: list[Row]
    categories: list[str]  # of all the organization's products, for the filters
    chemistries: list[str]
    periods: list[Period]  # newest first
    period: Period | None = None  # the period shown: the reader's, else the default
    choices: tuple[PeriodChoice, ...] = ()  # `periods`, each marked complete or not


def _figure(row: Row, field: str, worst: Decimal) -> Decimal:
    """A row's figure for ordering; a row without one (no result, or unrated) goes last."""
    value = None if row.current is None else getattr(row.current, field)
    return worst if value is None else value


_LAST = Decimal("Infinity")
# The portfolio's orders. A footprint is per declared unit, so it is ordered within each
# category; the primary-data share lowest first and the rating worst first point at where
# suppliers' data would help most.
SORTS: dict[str, Callable[[Row], Any]] = {
    "product": lambda r: r.product.part_number,
    "footprint": lambda r: (r.product.category, _figure(r, "total", _LAST)),
    "primary": lambda r: (_figure(r, "primary_data_share", _LAST), r.product.part_number),
    "rating": lambda r: (-_figure(r, "dqr", -_LAST), r.product.part_number),  # 5 is worst
}


def portfolio(
    session: Session,
    actor: Actor | None,
    organization_id: int,
    category: str | None = None,
    chemistry: str | None = None,
    period: Period | None = None,
    every_product: bool = False,
    sort: str = "product",
) -> Portfolio:
    """The organization's products, filtered, in `period` (else the organization's default,
    `periods.default`): only those with a result in it, unless `every_product`; in the order
    `sort` names (one of SORTS)."""
    authorize(actor, Action.VIEW_RESULTS, organization_id)
    products = session.scalars(catalog.products_query(organization_id)).all()
    points = _points(session, organization_id)
    found = periods.organization_choices(session, organization_id)
    period = periods.chosen(period, found)
    declarations = _declarations(session, organization_id)
    rows = []
    for product in products:
        if (category and product.category != category) or (
            chemistry and product.chemistry != chemistry
        ):
            continue
        trend = tuple(points.get(product.id, ()))
        current = _current(trend, period)
        if period is not None and current is None and not every_product:
            continue
        rows.append(
            _row(session, product, trend, current, declarations.get(product.id, []), period)
        )
    rows.sort(key=SORTS.get(sort, SORTS["product"]))
    return Portfolio(
        rows,
        sorted({p.category for p in products}),
        sorted({p.chemistry for p in products if p.chemistry}),
        [c.period for c in found],
        period,
        tuple(found),
    )


def _current(trend: Sequence[Point], period: Period | None) -> Point | None:
    if period is None:
        return trend[-1] if trend else None
    return next((p for p in trend if p.period == period), None)


def _row(
    session: Session,
    product: Product,
    trend: tuple[Point, ...],
    current: Point | None,
    declarations: list[Declaration],
    period: Period | None,
) -> Row:
    grade = None
    if current is not None and current.basis != "missing" and not current.upstream_missing:
        found = classify_product(product, current.total)
        grade = found.grade if found else None
    wanted = [d for d in declarations if period is None or (d.period_start, d.period_end) == period]
    newest = wanted[0] if wanted else None
    status = verification_status(session, newest.id) if newest else None
    return Row(product, current, grade, newest, status, trend)


def _points(session: Session, organization_id: int) -> dict[int, list[Point]]:
    """Each product's newest result per period, oldest period first (column selects only). A
    result of basis "missing" (no data, no dataset: zero) is no footprint and is left out, and
    so is one of basis "carried" (the product's own earlier period standing in for a period it
    has no data for: that earlier period's point, not a new one)."""
    own = select(Product.id).where(Product.organization_id == organization_id)
    newest = newest_result_ids(ProductResult.product_id.in_(own))
    rows = session.execute(
        select(
            ProductResult.product_id,
            RollupRun.period_start,
            RollupRun.period_end,
            ProductResult.total,
            ProductResult.primary_data_share,
            ProductResult.dqr,
            ProductResult.basis,
            ProductResult.upstream_missing,
            ProductResult.carried_share,
            ProductResult.fallback_share,
        )
        .join(RollupRun, RollupRun.id == ProductResult.run_id)
        .where(ProductResult.id.in_(newest))
        .order_by(ProductResult.product_id, RollupRun.period_start, RollupRun.period_end)
    ).all()
    out: dict[int, list[Point]] = {}
    for pid, start, end, total, share, dqr, basis, gap, carried, fallback in rows:
        if basis in ("missing", "carried"):
            continue
        point = Point((start, end), total, share, dqr, basis, bool(gap), carried, fallback)
        out.setdefault(pid, []).append(point)
    return out


def _declarations(session: Session, organization_id: int) -> dict[int, list[Declaration]]:
    """The organization's declarations by product, newest period and version first."""
    found = session.scalars(
        select(Declaration)
        .where(Declaration.organization_id == organization_id)
        .order_by(Declaration.period_end.desc(), Declaration.version.desc(), Declaration.id.desc())
    )
    out: dict[int, list[Declaration]] = {}
    for d in found:
        out.setdefault(d.product_id, []).append(d)
    return out
