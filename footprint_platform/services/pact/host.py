"""Tanlian as a PACT v3 host system: what a partner's client may read, filtered and paged.

A client reads the footprints of its data owner's published declarations (superseded and
withdrawn ones too, as Deprecated: PACT says the list SHOULD include them) whose product the
owner shares with the client's partner organization (FootprintShare). Drafts never leave.

Filters (PACT 3.0.3 ListFootprints): each criterion matches if ANY of its values matches, a
footprint must match EVERY criterion given; text comparisons ignore case; values that match
nothing give an empty list, never an error. `geography` matches one of the footprint's three
geography fields exactly, so `CN` does not match a `CN-JS` footprint (the conformance test TC22
checks exact equality). Validity: start <= validOn <= end, start > validAfter, end <
validBefore, with PACT's default (reference period end + 3 years) where a footprint states none.

Paging is a keyset on the declaration id, in a snapshot: a page holds footprints published, and
shared, no later than the first page's request time (`as_of`), after the last id the previous
page served. Links therefore give the same pages however often they are called, until access is
revoked (a revoked share disappears at once: confidentiality wins over stable pages).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from footprint_platform import json_schemas
from footprint_platform.errors import DomainError, InvalidInput, NotAllowed, NotFound
from footprint_platform.models import Declaration, FootprintShare, Product
from footprint_platform.policy import Action, Actor, PactGrant, authorize
from footprint_platform.services.catalogue import audit
from footprint_platform.services.pact import footprint as pact

log = logging.getLogger(__name__)
STATUSES = ("active", "deprecated")


@dataclass(frozen=True)
class Criteria:
    """ListFootprints' filters, values lower-cased; an empty set means no filter."""

    product_ids: frozenset[str] = frozenset()
    company_ids: frozenset[str] = frozenset()
    geographies: frozenset[str] = frozenset()
    classifications: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    valid_on: datetime | None = None
    valid_after: datetime | None = None
    valid_before: datetime | None = None

    def fingerprint(self) -> str:
        """A short hash of the filters, so a page link cannot be reused for other filters."""
        body = {
            k: sorted(v) if isinstance(v, frozenset) else (v.isoformat() if v else None)
            for k, v in self.__dict__.items()
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]

    def summary(self) -> dict[str, Any]:
        """The filters given, for the audit record (each value cut short)."""
        out: dict[str, Any] = {}
        for k, v in self.__dict__.items():
            if isinstance(v, frozenset) and v:
                out[k] = sorted(x[:80] for x in v)[:10]
            elif isinstance(v, datetime):
                out[k] = v.isoformat()
        return out


@dataclass(frozen=True)
class Facets:
    """What the filters look at in one footprint, computed from the declaration the same way
    `services.pact.footprint.product_footprint` writes it (shared helpers), without building it."""

    product_ids: frozenset[str]
    company_ids: frozenset[str]
    classifications: frozenset[str]
    geographies: frozenset[str]
    status: str
    valid_from: datetime
    valid_until: datetime


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def facets(d: Declaration, issuer_domain: str) -> Facets:
    ids = pact.identifiers(d, issuer_domain)
    start, end = pact.validity(d)
    return Facets(
        product_ids=frozenset(i.lower() for i in ids.product_ids),
        company_ids=frozenset(i.lower() for i in ids.company_ids),
        classifications=frozenset(i.lower() for i in ids.classifications),
        geographies=frozenset(v.lower() for v in pact.geography(d).values()),
        status=pact.status(d).lower(),
        valid_from=_moment(start),
        valid_until=_moment(end),
    )


def matches(f: Facets, c: Criteria) -> bool:
    pairs = (
        (c.product_ids, f.product_ids),
        (c.company_ids, f.company_ids),
        (c.classifications, f.classifications),
        (c.geographies, f.geographies),
        (c.statuses, frozenset({f.status})),
    )
    if any(wanted and not wanted & have for wanted, have in pairs):
        return False
    if c.valid_on is not None and not f.valid_from <= c.valid_on <= f.valid_until:
        return False
    if c.valid_after is not None and not f.valid_from > c.valid_after:
        return False
    return c.valid_before is None or f.valid_until < c.valid_before


def _grant(actor: Actor) -> PactGrant:
    if actor.pact is None:
        raise NotAllowed("not a PACT client")
    authorize(actor, Action.READ_PACT_FOOTPRINTS, actor.pact.owner_id)
    return actor.pact


def visible(grant: PactGrant, as_of: datetime) -> Select[tuple[Declaration]]:
    """The owner's published declarations of products shared with the partner by `as_of`."""
    shared = (
        select(FootprintShare.id)
        .where(
            FootprintShare.product_id == Declaration.product_id,
            FootprintShare.organization_id == grant.owner_id,
            FootprintShare.buyer_id == grant.partner_id,
            FootprintShare.revoked_at.is_(None),
            FootprintShare.created_at <= as_of,
        )
        .exists()
    )
    return select(Declaration).where(
        Declaration.organization_id == grant.owner_id,
        Declaration.published_at.is_not(None),
        Declaration.published_at <= as_of,
        shared,
    )


class Unrepresentable(DomainError):
    """A footprint that failed our PACT schema: a bug, answered as InternalError."""

    status = 500
    code = "internal_error"


def footprint(session: Session, d: Declaration, options: pact.Options) -> dict[str, Any]:
    """The ProductFootprint, checked against the stored PACT schema before it leaves."""
    pf = pact.product_footprint(session, d, options)
    problems = json_schemas.problems("pact", pf)
    if problems:
        log.error("PACT footprint %s fails the schema: %s", d.public_id, problems)
        raise Unrepresentable(f"Footprint {d.public_id} could not be produced.")
    return pf


@dataclass(frozen=True)
class Page:
    footprints: list[dict[str, Any]]
    next_after: int | None  # the last declaration id served, when more footprints follow


def expressible(rows: Iterable[Declaration]) -> Iterable[Declaration]:
    """Skip what PACT cannot say (a unit without equivalent, a negative total, a fossil carbon
    content neither known nor bounded), logged."""
    for d in rows:
        try:
            pact.declared_unit(d.declared_unit)
        except InvalidInput:
            log.warning("declaration %s: unit %s has no PACT equivalent", d.id, d.declared_unit)
            continue
        if d.total < 0:
            log.warning("declaration %s: negative total cannot be served over PACT", d.id)
            continue
        if not pact.carbon_expressible(d):
            log.warning("declaration %s: fossil carbon content neither known nor bounded", d.id)
            continue
        yield d


def list_footprints(
    session: Session,
    actor: Actor,
    criteria: Criteria,
    options: pact.Options,
    *,
    as_of: datetime,
    after: int,
    limit: int,
) -> Page:
    """Up to `limit` matching footprints with a declaration id above `after`, in id order."""
    grant = _grant(actor)
    rows = session.scalars(
        visible(grant, as_of)
        .where(Declaration.id > after)
        .options(selectinload(Declaration.product).selectinload(Product.site))
        .order_by(Declaration.id)
    )
    chosen: list[Declaration] = []
    more = False
    for d in expressible(rows):
        if not matches(facets(d, options.issuer_domain), criteria):
            continue
        if len(chosen) == limit:
            more = True
            break
        chosen.append(d)
    pfs = [footprint(session, d, options) for d in chosen]
    audit.record(
        session,
        actor,
        "pact.list",
        object_type="ProductFootprint",
        organization_id=grant.owner_id,
        details={
            "client": grant.client_pk,
            "filters": criteria.summary(),
            "after": after,
            "ids": [pf["id"] for pf in pfs],
        },
    )
    session.commit()
    return Page(pfs, chosen[-1].id if more and chosen else None)


def get_footprint(
    session: Session, actor: Actor, public_id: str, options: pact.Options, now: datetime
) -> dict[str, Any]:
    """One footprint by its PACT id: NotFound unless a published declaration has that id;
    NotAllowed (PACT AccessDenied) if it is not shared with this client's partner. Published
    ids are public anyway (the public page /d/<id>), so the 403 reveals nothing new."""
    grant = _grant(actor)
    d = session.scalar(
        select(Declaration).where(
            Declaration.public_id == public_id.lower(), Declaration.published_at.is_not(None)
        )
    )
    if d is None or not list(expressible([d])):
        raise NotFound("No footprint with this id.")
    shown = session.scalar(visible(grant, now).where(Declaration.id == d.id))
    if shown is None:
        audit.record(
            session,
            actor,
            "pact.get_denied",
            d,
            organization_id=d.organization_id,
            details={"client": grant.client_pk, "id": d.public_id},
        )
        session.commit()
        raise NotAllowed("This footprint is not shared with you.")
    pf = footprint(session, d, options)
    audit.record(
        session,
        actor,
        "pact.get",
        d,
        organization_id=grant.owner_id,
        details={"client": grant.client_pk, "id": d.public_id},
    )
    session.commit()
    return pf
