"""Read-side queries of the public disclosure pages: the searchable list of published
declarations and the industry overview. Only published declarations are read; an overview
group's figures are shown only when it holds at least `min_group` declarations (docs/design.md:
benchmarks and distributions only for groups of at least five), so no single company's figure
can be told from a group. A smaller group says how many declarations it holds and lists them,
each already public on its own page, without figures."""

from __future__ import annotations

import hashlib
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload

from footprint_platform.battery import per_unit_to_per_kwh
from footprint_platform.models import (
    Declaration,
    DeclarationStatus,
    Organization,
    Product,
    Site,
    Verification,
)
from footprint_platform.queries import product_text_matches
from footprint_platform.reference import load_reference

# The public list's orders. A footprint is per declared unit, so ordering by it compares like
# with like only within a category (the page says so next to the choice).
SORTS: dict[str, tuple[Any, ...]] = {
    "newest": (Declaration.published_at.desc(),),
    "footprint": (Product.category, Declaration.total),
    "product": (Product.part_number,),
    "company": (Organization.name_en, Product.part_number),
}


def published_query(
    q: str | None = None,
    category: str | None = None,
    chemistry: str | None = None,
    include_past: bool = False,
    sort: str = "newest",
) -> Select[Any]:
    """Published declarations, newest first (or by `sort`: one of SORTS); the current ones only
    unless `include_past` (then superseded and withdrawn ones too, which stay public, marked)."""
    stmt = (
        select(Declaration)
        .join(Product, Product.id == Declaration.product_id)
        .join(Organization, Organization.id == Product.organization_id)
        .where(Declaration.published_at.is_not(None))
        .options(joinedload(Declaration.product).joinedload(Product.organization))
        .order_by(*SORTS.get(sort, SORTS["newest"]), Declaration.id.desc())
    )
    if not include_past:
        stmt = stmt.where(
            Declaration.status == DeclarationStatus.PUBLISHED, Declaration.withdrawn_at.is_(None)
        )
    if category:
        stmt = stmt.where(Product.category == category)
    if chemistry:
        stmt = stmt.where(Product.chemistry == chemistry)
    if q:
        stmt = stmt.where(
            or_(
                *product_text_matches(q),
                func.lower(Organization.name_en).like(f"%{q.lower()}%"),
                Organization.name_zh.like(f"%{q}%"),
            )
        )
    return stmt


def history(session: Session, d: Declaration) -> list[Declaration]:
    """The published versions of the same product and period, newest first."""
    return list(
        session.scalars(
            select(Declaration)
            .where(
                Declaration.product_id == d.product_id,
                Declaration.period_start == d.period_start,
                Declaration.period_end == d.period_end,
                Declaration.published_at.is_not(None),
            )
            .order_by(Declaration.version.desc())
        )
    )


@dataclass(frozen=True)
class Listed:
    """A published declaration as the public list names it (its page is public): what a
    group below the minimum shows instead of figures."""

    public_id: str
    part_number: str
    name_en: str
    name_zh: str | None
    company_en: str
    company_zh: str | None

    def name(self, locale: str) -> str:
        return (self.name_zh or self.name_en) if locale.startswith("zh") else self.name_en

    def company(self, locale: str) -> str:
        return (self.company_zh or self.company_en) if locale.startswith("zh") else self.company_en


@dataclass(frozen=True)
class Group:
    """One group of an overview: how many declarations and the spread of their figures."""

    label: tuple[str, ...]
    count: int
    low: float | None = None  # None: too few to show anything but that they exist
    q1: float | None = None
    median: float | None = None
    q3: float | None = None
    high: float | None = None
    values: tuple[float, ...] = ()  # for charts: only ever filled for shown groups
    # Below the minimum: its published declarations, each public on its own page already
    # (docs/design.md: the public sees published declarations; only the spread waits for five).
    listed: tuple[Listed, ...] = ()

    @property
    def shown(self) -> bool:
        """Big enough to show its figures (and, for class counts, its count)."""
        return self.median is not None


@dataclass(frozen=True)
class Overview:
    min_group: int
    published: int  # current published declarations, all categories
    batteries_by_chemistry: list[Group]
    batteries_by_region: list[Group]
    vehicles_by_segment: list[Group]
    classes: list[Group]  # (category, class): counts shown only from min_group on


def _group(
    label: tuple[str, ...],
    values: list[float],
    min_group: int,
    listed: Iterable[Listed] = (),
) -> Group:
    if len(values) < min_group:
        return Group(label, len(values), listed=tuple(listed))
    if len(values) == 1:  # only with min_group 1 (tests, a private installation)
        q1 = median = q3 = values[0]
    else:
        q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return Group(label, len(values), min(values), q1, median, q3, max(values), tuple(values))


def _groups(
    items: Iterable[tuple[tuple[str, ...], float, Declaration]],
    min_group: int,
    listing: bool = True,
) -> list[Group]:
    """Groups by label; a group below the minimum lists its declarations where `listing`
    (not for class counts: how many declarations hold a class is itself a distribution)."""
    by: dict[tuple[str, ...], list[float]] = defaultdict(list)
    members: dict[tuple[str, ...], list[Declaration]] = defaultdict(list)
    for label, value, d in items:
        by[label].append(value)
        members[label].append(d)
    return [  # only a group below the minimum lists its members: the others would drop them
        _group(
            label,
            sorted(v),
            min_group,
            _members(members[label]) if listing and len(v) < min_group else (),
        )
        for label, v in sorted(by.items())
    ]


def _members(found: list[Declaration]) -> list[Listed]:
    """A group's declarations as its listing names them, by part number."""
    return sorted((_listed(d) for d in found), key=lambda m: m.part_number)


def _listed(d: Declaration) -> Listed:
    p, o = d.product, d.product.organization
    return Listed(d.public_id, p.part_number, p.name_en, p.name_zh, o.name_en, o.name_zh)


def _region(site: Site) -> str:
    return f"{site.country}-{site.province}" if site.province else site.country


def industry_overview(session: Session, min_group: int) -> Overview:
    """Battery footprints per kWh of rated capacity by chemistry and by production region,
    vehicle footprints per vehicle by category and segment, and class counts: from the
    current published declarations only."""
    current = session.scalars(
        published_query().options(
            joinedload(Declaration.product).joinedload(Product.site),
            joinedload(Declaration.product).joinedload(Product.organization),
        )
    ).unique()
    kinds = {c.code: c.kind for c in load_reference().categories.values()}
    batteries: list[tuple[Declaration, float]] = []
    vehicles: list[tuple[tuple[str, ...], float, Declaration]] = []
    classes: list[tuple[tuple[str, ...], float, Declaration]] = []
    published = 0
    for d in current:
        published += 1
        kind = kinds.get(d.product.category)
        if kind == "battery":
            per_kwh = per_unit_to_per_kwh(d.product, Decimal(d.total))
            if per_kwh is not None:
                batteries.append((d, float(per_kwh)))
        elif kind == "vehicle":
            segment = d.product.vehicle_category or "—"
            vehicles.append(((d.product.category, segment), float(d.total), d))
        if d.performance_class:
            classes.append(((d.product.category, d.performance_class), 1.0, d))
    by = _by(batteries)
    return Overview(
        min_group,
        published,
        _groups(by(lambda p: (p.category, p.chemistry or "—")), min_group),
        _groups(by(lambda p: (p.category, _region(p.site))), min_group),
        _groups(vehicles, min_group),
        _groups(classes, min_group, listing=False),
    )


def _by(
    batteries: list[tuple[Declaration, float]],
) -> Callable[
    [Callable[[Product], tuple[str, ...]]], list[tuple[tuple[str, ...], float, Declaration]]
]:
    return lambda key: [(key(d.product), v, d) for d, v in batteries]


def page_stamp(session: Session, public_id: str) -> tuple[Any, ...] | None:
    """What the content of a published declaration's page depends on that may change; None
    when no published declaration has this public id."""
    d = Declaration.__table__.c
    row = session.execute(
        select(
            d.id,
            d.status,
            d.withdrawn_at,
            d.published_at,
            d.product_id,
            d.period_start,
            d.period_end,
            *Product.__table__.c,
            *Organization.__table__.c,
            *Site.__table__.c,
        )
        .join(Product.__table__, Product.id == d.product_id)
        .join(Organization.__table__, Organization.id == Product.organization_id)
        .join(Site.__table__, Site.id == Product.site_id, isouter=True)
        .where(d.public_id == public_id, d.published_at.is_not(None))
    ).first()
    if row is None:
        return None
    versions = session.execute(
        select(d.id, d.status, d.withdrawn_at).where(
            d.product_id == row.product_id,
            d.period_start == row.period_start,
            d.period_end == row.period_end,
            d.published_at.is_not(None),
        )
    ).all()
    verification = session.execute(
        select(
            Verification.id,
            Verification.status,
            Verification.decided_at,
            Organization.name_zh,
            Organization.name_en,
        )
        .join(Organization, Organization.id == Verification.verifier_id)
        .where(Verification.declaration_id == row.id)
        .order_by(Verification.id.desc())
        .limit(1)
    ).first()
    digest = hashlib.sha256(repr((tuple(row), sorted(versions), verification)).encode())
    return (row.id, digest.hexdigest())
