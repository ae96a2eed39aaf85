"""Read-side queries shaped for overview screens, beside the models they read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from footprint_platform import battery_code
from footprint_platform.models import (
    ApiToken,
    AuditEvent,
    Invitation,
    Membership,
    Organization,
    Product,
    ProductResult,
    RollupRun,
    Site,
)


@dataclass(frozen=True)
class OrganizationSummary:
    organization: Organization
    role: str
    members: int
    sites: int
    products_by_category: dict[str, int]
    sites_by_grid: dict[str, int]


def organization_summaries(session: Session, roles: dict[int, str]) -> list[OrganizationSummary]:
    """One summary per organization the person belongs to (`roles`: org id -> member role)."""
    if not roles:
        return []
    ids = list(roles)
    orgs = session.scalars(
        select(Organization).where(Organization.id.in_(ids)).order_by(Organization.name_en)
    ).all()
    members = dict(
        session.execute(
            select(Membership.organization_id, func.count())
            .where(Membership.organization_id.in_(ids))
            .group_by(Membership.organization_id)
        ).all()
    )
    products: dict[int, dict[str, int]] = {i: {} for i in ids}
    for org_id, category, n in session.execute(
        select(Product.organization_id, Product.category, func.count())
        .where(Product.organization_id.in_(ids))
        .group_by(Product.organization_id, Product.category)
    ):
        products[org_id][category] = n
    grids: dict[int, dict[str, int]] = {i: {} for i in ids}
    for org_id, grid, n in session.execute(
        select(Site.organization_id, Site.grid_region, func.count())
        .where(Site.organization_id.in_(ids))
        .group_by(Site.organization_id, Site.grid_region)
    ):
        grids[org_id][grid] = n
    return [
        OrganizationSummary(
            o,
            roles[o.id],
            members.get(o.id, 0),
            sum(grids[o.id].values()),
            products[o.id],
            grids[o.id],
        )
        for o in orgs
    ]


def audit_events_query(organization_id: int) -> Select[Any]:
    """An organization's audit trail, newest first (the acting person comes joined)."""
    return (
        select(AuditEvent)
        .where(AuditEvent.organization_id == organization_id)
        .order_by(AuditEvent.id.desc())
    )


def members_query(organization_id: int) -> Select[Any]:
    return (
        select(Membership)
        .where(Membership.organization_id == organization_id)
        .order_by(Membership.created_at)
    )


def open_invitations_query(organization_id: int) -> Select[Any]:
    return (
        select(Invitation)
        .where(
            Invitation.organization_id == organization_id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .order_by(Invitation.created_at)
    )


def api_tokens_query(organization_id: int) -> Select[Any]:
    return (
        select(ApiToken)
        .where(ApiToken.organization_id == organization_id)
        .order_by(ApiToken.created_at.desc())
    )


def product_text_matches(q: str) -> list[Any]:
    """A product whose part number, name or battery code holds `q` (case-insensitive; Chinese
    as typed); a whole GB/T 34014 code also finds its battery type by the design part, since
    the product records another unit's code."""
    like = f"%{q.lower()}%"
    matches = [
        func.lower(Product.part_number).like(like),
        func.lower(Product.name_en).like(like),
        Product.name_zh.like(f"%{q}%"),
        Product.battery_code.like(f"%{q.upper()}%"),
    ]
    if battery_code.looks_like_code(q):
        matches.append(
            Product.battery_design_code == battery_code.normalize(q)[: battery_code.DESIGN_LENGTH]
        )
    return matches


def newest_result_ids(*conditions: ColumnElement[bool]) -> Select[tuple[int]]:
    """The id of each product's newest result in each period (result ids grow with runs),
    among the results meeting `conditions` (on ProductResult and its RollupRun): what every
    page and file of stored results reads."""
    return (
        select(func.max(ProductResult.id))
        .join(RollupRun, RollupRun.id == ProductResult.run_id)
        .where(*conditions)
        .group_by(ProductResult.product_id, RollupRun.period_start, RollupRun.period_end)
    )
