"""Reporting periods as the dashboards' dimension: which periods have results, which of them
are complete enough to declare, and which one a page shows when the reader chose none.

A new period never hides an older one: a supplier starting its next year leaves the buyer's
last complete year the page's default, until the new year is complete too. Whether a result is
complete is one function (`declarable`), so the rule can grow (an explicit incomplete flag)
without touching the pages.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from footprint_platform.models import Product, ProductResult, RollupRun
from footprint_platform.queries import newest_result_ids

Period = tuple[date, date]
SEPARATORS = (":", "/", "_")  # ":" is written; "/" and "_" are older links, still read


@dataclass(frozen=True)
class PeriodChoice:
    """A period a page may show: `complete` when some result in it may be declared."""

    period: Period
    complete: bool


def declarable(basis: str, upstream_missing: bool) -> bool:
    """A result complete enough to declare: the product's own submitted data, nothing upstream
    without data. The one place this is decided for the pages' default period."""
    return basis == "submitted" and not upstream_missing


def key(period: Period) -> str:
    """A period as it travels in a query string: 2025-01-01:2025-12-31."""
    return f"{period[0].isoformat()}:{period[1].isoformat()}"


def parse_key(text: str) -> Period:
    """`key`'s inverse (also reading the older "/" and "_" forms); ValueError if malformed."""
    for sep in SEPARATORS:
        if text.count(sep) == 1:
            start, end = (date.fromisoformat(d) for d in text.split(sep))
            if end < start:
                raise ValueError("the period ends before it starts")
            return start, end
    raise ValueError("not a period")


def choices(session: Session, product_ids: Collection[int]) -> list[PeriodChoice]:
    """The periods in which any of the products has a result, newest first; each complete when
    the newest result there of some product is declarable."""
    if not product_ids:
        return []
    return _choices(_newest(session, ProductResult.product_id.in_(list(product_ids))))


def product_choices(session: Session, product_id: int) -> list[PeriodChoice]:
    return choices(session, [product_id])


def organization_choices(session: Session, organization_id: int) -> list[PeriodChoice]:
    return organizations_choices(session, [organization_id])


def organizations_choices(
    session: Session, organization_ids: Collection[int]
) -> list[PeriodChoice]:
    """The periods in which any product of the organizations has a result (the overview)."""
    if not organization_ids:
        return []
    own = select(Product.id).where(Product.organization_id.in_(list(organization_ids)))
    return _choices(_newest(session, ProductResult.product_id.in_(own)))


def default(found: Iterable[PeriodChoice]) -> Period | None:
    """The latest complete period, else the latest with any result, else None."""
    listed = list(found)
    complete = [c.period for c in listed if c.complete]
    return complete[0] if complete else (listed[0].period if listed else None)


def chosen(wanted: Period | None, found: Iterable[PeriodChoice]) -> Period | None:
    """The reader's period when given (even one without results: the page says so), else the
    default."""
    return wanted if wanted is not None else default(found)


def _newest(session: Session, condition: ColumnElement[bool]) -> list[tuple[date, date, str, bool]]:
    """(start, end, basis, upstream_missing) of each product's newest result per period."""
    newest = newest_result_ids(condition)
    rows = session.execute(
        select(
            RollupRun.period_start,
            RollupRun.period_end,
            ProductResult.basis,
            ProductResult.upstream_missing,
        )
        .join(RollupRun, RollupRun.id == ProductResult.run_id)
        .where(ProductResult.id.in_(newest))
    ).all()
    return [(s, e, b, bool(m)) for s, e, b, m in rows]


def _choices(rows: list[tuple[date, date, str, bool]]) -> list[PeriodChoice]:
    complete: dict[Period, bool] = {}
    for start, end, basis, gap in rows:
        complete[(start, end)] = complete.get((start, end), False) or declarable(basis, gap)
    return [
        PeriodChoice(p, complete[p])
        for p in sorted(complete, key=lambda p: (p[1], p[0]), reverse=True)
    ]
