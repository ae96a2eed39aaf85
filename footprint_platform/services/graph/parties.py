"""Who takes part in a period's graph and on what terms: each product's site country, and which
links count (an active share of the supplier's product with the buyer is its consent)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from footprint_platform.bulk import plain_rows
from footprint_platform.models import (
    FootprintShare,
    Product,
    Site,
    Submission,
    SubmissionInput,
    SubmissionStatus,
)
from footprint_platform.services.graph.fallbacks import Generic
from footprint_platform.services.graph.rows import id_chunks


def site_countries(session: Session, product_ids: Iterable[int] | None = None) -> dict[int, str]:
    """Product id -> the country of its site (of the given products only, if given): the
    geography a fallback dataset should represent (`fallback_dataset`)."""
    stmt = select(Product.id, Site.country).join(Site, Site.id == Product.site_id)
    if product_ids is None:
        return {int(p): str(c or "") for p, c in plain_rows(session, stmt)}
    out: dict[int, str] = {}
    for part in id_chunks(sorted(set(product_ids))):
        rows = session.execute(stmt.where(Product.id.in_(part)))
        out.update({int(p): str(c or "") for p, c in rows})
    return out


@dataclass
class Consent:
    """Which links count: a link from a product of organization B to a product of
    organization A counts when A = B or A shares that product with B. `described` gives each
    linked product's (category, declared unit) and `generic` the fallback release's datasets,
    read only when a link does not count."""

    owners: Mapping[int, int]  # product id -> organization id (consumers and linked products)
    shares: set[tuple[int, int]]  # (product id, buyer organization id), active
    described: Mapping[int, tuple[str, str]]
    generic: Callable[[], Sequence[Generic]]
    countries: Mapping[int, str] = field(default_factory=dict)  # product id -> site country
    _share_keys: np.ndarray | None = field(default=None, init=False, repr=False)

    def allows(self, consumer: int, linked: int) -> bool:
        buyer = self.owners[consumer]
        return self.owners[linked] == buyer or (linked, buyer) in self.shares

    def share_keys(self) -> np.ndarray:
        """The shares as 64-bit keys (product id << 32 | buyer id), made once: what
        `allows` asks of `shares`, for a whole column of links at a time (`np.isin`)."""
        if self._share_keys is None:
            keys = ((p << 32) | b for p, b in self.shares)
            self._share_keys = np.fromiter(keys, dtype=np.int64, count=len(self.shares))
        return self._share_keys


def consent_of(session: Session, product_ids: Iterable[int]) -> Consent:
    """The consents now between the given products (consumers and the products they link):
    their makers, the active shares among them and their descriptions, for building a graph
    outside a full roll-up (the loop check)."""
    wanted = sorted(set(product_ids))
    rows = session.execute(
        select(Product.id, Product.organization_id, Product.category, Product.declared_unit).where(
            Product.id.in_(wanted)
        )
    ).all()
    return Consent(
        {int(r[0]): int(r[1]) for r in rows},
        active_shares(session, products=wanted),
        {int(r[0]): (str(r[2]), str(r[3])) for r in rows},
        lambda: (),
    )


def active_shares(
    session: Session, as_of: datetime | None = None, products: Iterable[int] | None = None
) -> set[tuple[int, int]]:
    """(product id, buyer id) of the shares active now, or at `as_of` (a run's start: what a
    recompute from a run's pins must see again; a revoked share keeps its row); of the given
    `products` only, if given."""
    stmt = select(FootprintShare.product_id, FootprintShare.buyer_id)
    if products is not None:
        stmt = stmt.where(FootprintShare.product_id.in_(list(products)))
    if as_of is None:
        stmt = stmt.where(FootprintShare.revoked_at.is_(None))
    else:
        stmt = stmt.where(
            FootprintShare.created_at <= as_of,
            (FootprintShare.revoked_at.is_(None)) | (FootprintShare.revoked_at > as_of),
        )
    return {(int(p), int(b)) for p, b in plain_rows(session, stmt)}


def changed_since(session: Session, moment: datetime) -> set[int]:
    """The products whose links' consent changed after `moment` (a run's start): each buyer
    product currently linking a product whose share with that buyer was made or revoked since."""
    pairs = session.execute(
        select(FootprintShare.product_id, FootprintShare.buyer_id)
        .where(or_(FootprintShare.created_at > moment, FootprintShare.revoked_at > moment))
        .distinct()
    ).all()
    return {p for product, buyer in pairs for _s, _e, p in affected(session, product, buyer)}


def affected(session: Session, product_id: int, buyer_id: int) -> list[tuple[date, date, int]]:
    """(period start, period end, buyer's product) of the buyer's current submissions that
    link the product: what a consent given or taken back changes."""
    rows = session.execute(
        select(Submission.period_start, Submission.period_end, Submission.product_id)
        .join(SubmissionInput, SubmissionInput.submission_id == Submission.id)
        .where(
            Submission.organization_id == buyer_id,
            Submission.status == SubmissionStatus.SUBMITTED,
            SubmissionInput.linked_product_id == product_id,
        )
        .distinct()
        .order_by(Submission.period_start, Submission.product_id)
    ).all()
    return [(s, e, int(p)) for s, e, p in rows]
