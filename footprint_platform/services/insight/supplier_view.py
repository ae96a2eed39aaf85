"""A supplier's dashboard: its products with their submissions, results and declarations, its
request inbox in numbers, how many customer products use each of its products, and where each
sits in its category's distribution of published declarations.

docs/design.md "Who may see what": a supplier sees which of its customers' products use its
products, not their footprints; here only how many (distinct products of other organizations
whose current submission links the product directly). The distribution comes from current
published declarations (public anyway) and is shown only for groups of at least `min_group`
(PUBLIC_MIN_GROUP, 5) declarations, as figures without names, as on the public industry page.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from footprint_platform.models import (
    DataRequest,
    Declaration,
    Submission,
    SubmissionInput,
    SubmissionStatus,
)
from footprint_platform.policy import Action, Actor, authorize
from footprint_platform.public_queries import published_query
from footprint_platform.services.graph.periods import Period, PeriodChoice
from footprint_platform.services.insight.portfolio import Row, portfolio


@dataclass(frozen=True)
class Position:
    """Where a figure sits among the category's current published declarations (same declared
    unit). With fewer than `min_group` of them only `count` is set."""

    count: int
    value: Decimal | None = None  # the figure placed: the published declaration, else the result
    published: bool = False  # the figure is the product's own current published declaration
    percentile: float | None = None  # 0-100: share of declarations below it (ties half)
    quartile: int | None = None  # 1 (lowest footprints) … 4
    q1: float | None = None
    median: float | None = None
    q3: float | None = None

    @property
    def shown(self) -> bool:
        return self.percentile is not None


@dataclass(frozen=True)
class MyProduct:
    row: Row  # footprint, class, rating, newest declaration and its verification, trend
    submission: Submission | None  # the newest version of the period shown
    customers: int  # distinct products of other organizations that link it directly
    position: Position


@dataclass(frozen=True)
class Inbox:
    """Requests received (and sent) by state; overdue = pending past the due date."""

    received: dict[str, int]
    sent: dict[str, int]


@dataclass(frozen=True)
class SupplierDashboard:
    products: list[MyProduct]
    inbox: Inbox
    min_group: int
    period: Period | None = None  # the reporting period of the products' figures
    choices: tuple[PeriodChoice, ...] = ()  # the periods with results, newest first


def dashboard(
    session: Session,
    actor: Actor | None,
    organization_id: int,
    min_group: int,
    today: date | None = None,
    period: Period | None = None,
) -> SupplierDashboard:
    """Every product of the supplier, its figures in `period` (else the default period)."""
    authorize(actor, Action.VIEW_RESULTS, organization_id)
    found = portfolio(session, actor, organization_id, period=period, every_product=True)
    rows = found.rows
    ids = [r.product.id for r in rows]
    customers = customer_counts(session, organization_id, ids)
    subs = _newest_submissions(session, organization_id, found.period)
    distributions: dict[tuple[str, str], list[tuple[int, float]]] = {}
    products = []
    for r in rows:
        key = (r.product.category, r.product.declared_unit)
        if key not in distributions:
            distributions[key] = category_values(session, *key)
        products.append(
            MyProduct(
                r,
                subs.get(r.product.id),
                customers.get(r.product.id, 0),
                position(r, distributions[key], min_group),
            )
        )
    return SupplierDashboard(
        products, inbox(session, organization_id, today), min_group, found.period, found.choices
    )


def customer_counts(
    session: Session, organization_id: int, product_ids: list[int]
) -> dict[int, int]:
    """Per product: how many distinct products of other organizations link it in their current
    (submitted) data. A number only: which products, and their footprints, stay theirs."""
    if not product_ids:
        return {}
    rows = session.execute(
        select(SubmissionInput.linked_product_id, func.count(func.distinct(Submission.product_id)))
        .join(Submission, Submission.id == SubmissionInput.submission_id)
        .where(
            SubmissionInput.linked_product_id.in_(product_ids),
            Submission.organization_id != organization_id,
            Submission.status == SubmissionStatus.SUBMITTED,
        )
        .group_by(SubmissionInput.linked_product_id)
    ).all()
    return {int(p): int(n) for p, n in rows}


def category_values(session: Session, category: str, unit: str) -> list[tuple[int, float]]:
    """(product id, total) of every current published declaration of the category and unit."""
    found = session.scalars(
        published_query(category=category).where(Declaration.declared_unit == unit)
    ).unique()
    return [(d.product_id, float(d.total)) for d in found]


def position(row: Row, values: list[tuple[int, float]], min_group: int) -> Position:
    """The product's place among `values`: its own published declaration when it has a current
    one among them, else its newest result compared with the others."""
    own = [v for pid, v in values if pid == row.product.id]
    others = [v for pid, v in values if pid != row.product.id]
    if own:
        mine, published, group = Decimal(repr(own[0])), True, [*others, own[0]]
    elif row.current is not None and row.current.basis != "missing":
        mine, published, group = row.current.total, False, others
    else:
        return Position(len(values))
    if len(group) < min_group:
        return Position(len(group))
    x = float(mine)
    below = sum(1 for v in group if v < x)
    ties = sum(1 for v in group if v == x)
    percentile = 100.0 * (below + 0.5 * ties) / len(group)
    q1, median, q3 = (
        statistics.quantiles(group, n=4, method="inclusive") if len(group) > 1 else [x, x, x]
    )
    quartile = 1 if x <= q1 else 2 if x <= median else 3 if x <= q3 else 4
    return Position(len(group), mine, published, percentile, quartile, q1, median, q3)


def inbox(session: Session, organization_id: int, today: date | None = None) -> Inbox:
    day = today or date.today()
    received: Counter[str] = Counter()
    sent: Counter[str] = Counter()
    for r in session.scalars(
        select(DataRequest).where(
            (DataRequest.supplier_id == organization_id) | (DataRequest.buyer_id == organization_id)
        )
    ):
        (received if r.supplier_id == organization_id else sent)[r.state(day)] += 1
    return Inbox(dict(received), dict(sent))


def _newest_submissions(
    session: Session, organization_id: int, period: Period | None
) -> dict[int, Submission]:
    """Each product's newest submission version (any status) of the period the dashboard
    shows, so the column and the figures beside it speak of the same period; of any period
    only where the dashboard shows none."""
    newest = select(func.max(Submission.id)).where(Submission.organization_id == organization_id)
    if period is not None:
        newest = newest.where(
            Submission.period_start == period[0], Submission.period_end == period[1]
        )
    newest = newest.group_by(Submission.product_id)
    found = session.scalars(select(Submission).where(Submission.id.in_(newest)))
    return {s.product_id: s for s in found}
