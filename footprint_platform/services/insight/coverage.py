"""Coverage: how much of a product's footprint rests on primary supplier data, and which missing
submissions would raise that most.

From the product's breakdown (`breakdowns.explain_latest`, cached per run): every upstream node
is primary (a submission), generic (a product on its category's dataset), missing (no data: it
counts as zero) or a dataset (an input entered as a generic dataset). A generic or missing
supplier's product that submits data turns its part of the footprint into primary data, so the
secondary nodes ranked by contribution are the submissions worth asking for.

Confidentiality (footprint_platform/visibility.py): a product and its maker are named only
where the organization may name them — its own products, products linked in its own
submissions, products shared with it, products with a published declaration. Every other
upstream product is shown by tier and category only. A named supplier's part of the footprint
is shown only where that part is no supplier's data (a generic dataset, or a link awaiting the
supplier's consent, valued with one) or where the organization may see the figure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from footprint_platform import visibility
from footprint_platform.models import DataRequest, Product
from footprint_platform.policy import Actor
from footprint_platform.services.graph import breakdowns
from footprint_platform.services.graph.breakdowns import Explanation
from footprint_platform.services.graph.chain import pending_product

# The parts of a footprint by where their numbers come from, in the order they are drawn.
PARTS = ("own_primary", "suppliers_primary", "own_generic", "suppliers_generic", "datasets")
SECONDARY = ("generic", "missing", "pending")
PRIMARY = ("primary", "carried")  # a supplier's own data, of the period or carried forward
Status = Callable[[int], tuple[DataRequest | None, str | None]]


@dataclass(frozen=True)
class Gap:
    """A secondary upstream product, or a group of them (same tier, category and basis) when
    they may not be named: what primary data for it would add to the primary-data share."""

    tier: int
    category: str
    basis: str  # generic | missing | pending (a link awaiting its supplier's consent)
    contribution: float  # kg CO2e per declared unit
    share: float  # of the footprint
    count: int  # products in the group (1 when named)
    product: Product | None = None  # only when it may be named
    request: DataRequest | None = None  # the organization's newest request for it
    state: str | None = None  # that request's state: pending, overdue, answered …


@dataclass(frozen=True)
class Supplier:
    """A named upstream product of another organization, with the request status for it."""

    product: Product
    tier: int
    basis: str  # primary | generic | missing | pending
    share: float | None  # of the footprint; None where it would reveal the supplier's data
    request: DataRequest | None
    state: str | None


@dataclass(frozen=True)
class Coverage:
    explanation: Explanation
    parts: dict[str, float]  # PARTS -> kg CO2e per declared unit; they add up to the footprint
    primary_share: float  # own_primary + suppliers_primary, over the footprint
    gaps: tuple[Gap, ...]  # largest contribution first; missing products (zero) last
    suppliers: tuple[Supplier, ...]  # by tier, then part number
    datasets: tuple[tuple[int, float], ...] = ()  # (tier, share) of inputs entered as datasets
    awaiting: tuple[Product, ...] = ()  # own links valued secondary until their maker consents


def coverage(
    session: Session,
    actor: Actor | None,
    product_id: int,
    today: date | None = None,
    period: tuple[date, date] | None = None,
) -> Coverage:
    """The product's coverage in the period (else its default one), for members of its maker
    (the breakdown authorizes)."""
    e = breakdowns.explain_latest(session, actor, product_id, period)
    if e.parts is None:
        return Coverage(e, dict.fromkeys(PARTS, 0.0), 0.0, (), ())
    org = e.product.organization_id
    amounts = composition(e)
    total = e.parts.total
    primary = (amounts["own_primary"] + amounts["suppliers_primary"]) / total if total else 0.0
    rule = visibility.for_organization(session, org)
    upstream = {
        _product_id(n.id): n
        for n in e.parts.by_node
        if n.tier > 0 and _product_id(n.id) and _may_show(rule, n.id)
    }
    named = rule.nameable(set(upstream))
    products = _products(session, named)
    assert e.period is not None  # a breakdown has its period
    requests = _newest_requests(session, org, set(named) - _own(products, org), e.period)
    day = today or date.today()

    def status(pid: int) -> tuple[DataRequest | None, str | None]:
        r = requests.get(pid)
        return r, (r.state(day) if r else None)

    gaps = _gaps(e, {upstream[p].id: products[p] for p in products}, status)
    suppliers = []
    for pid, product in products.items():
        if product.organization_id == org:
            continue
        node = upstream[pid]
        basis = e.bases[node.id]
        visible = basis not in PRIMARY or rule.may_see_figure(pid)
        suppliers.append(
            Supplier(product, node.tier, basis, node.share if visible else None, *status(pid))
        )
    suppliers.sort(key=lambda s: (s.tier, s.product.part_number))
    return Coverage(
        e, amounts, primary, gaps, tuple(suppliers), _datasets(e), awaiting_consent(session, e)
    )


def awaiting_consent(session: Session, e: Explanation) -> tuple[Product, ...]:
    """The products the maker links whose makers have not consented yet: the pages say these
    inputs are valued with a secondary dataset, awaiting that consent (a deeper supplier's
    own links are no business of the reader's: grouped like any other node)."""
    if e.parts is None:
        return ()
    rule = visibility.for_organization(session, e.product.organization_id)
    ids = {
        pid
        for n in e.parts.by_node
        if (pid := pending_product(n.id)) is not None and _may_show(rule, n.id)
    }
    return tuple(sorted(_products(session, ids).values(), key=lambda p: p.part_number))


def composition(e: Explanation) -> dict[str, float]:
    """The footprint split by where its numbers come from (PARTS); Σ = the footprint."""
    assert e.parts is not None
    out = dict.fromkeys(PARTS, 0.0)
    for node in e.parts.by_node:
        basis = e.bases[node.id]
        if basis == "dataset":
            key = "datasets"
        else:
            side = "own" if node.tier == 0 else "suppliers"
            key = f"{side}_{'primary' if basis in PRIMARY else 'generic'}"
        out[key] += node.contribution
    return out


def _may_show(rule: visibility.Visibility, node_id: str) -> bool:
    """A link awaiting consent is shown as such only where it is the organization's own (it
    links the product and its maker has not shared it with it); another's is grouped."""
    pid = pending_product(node_id)
    return pid is None or (pid in rule.linked and pid not in rule.shared)


def _gaps(e: Explanation, products: Mapping[str, Product], status: Status) -> tuple[Gap, ...]:
    """Secondary upstream products (`products`: node id -> product, for those that may be
    named): named where they may be, else grouped by tier, category and basis; largest
    contribution first, missing products (they count as zero) last."""
    assert e.parts is not None
    total = e.parts.total
    named: list[Gap] = []
    grouped: dict[tuple[int, str, str], tuple[float, int]] = {}
    for node in e.parts.by_node:
        basis = e.bases[node.id]
        if node.tier == 0 or basis not in SECONDARY:
            continue
        if node.id in products:
            share = node.contribution / total if total else 0.0
            product = products[node.id]
            request, state = (
                (None, None)
                if product.organization_id == e.product.organization_id
                else status(product.id)
            )
            named.append(
                Gap(
                    node.tier,
                    node.category,
                    basis,
                    node.contribution,
                    share,
                    1,
                    product,
                    request,
                    state,
                )
            )
        else:
            # a deeper supplier's link awaiting consent is its own business: a generic part
            key = (node.tier, node.category, "generic" if basis == "pending" else basis)
            c, n = grouped.get(key, (0.0, 0))
            grouped[key] = (c + node.contribution, n + 1)
    groups = [
        Gap(tier, cat, basis, c, c / total if total else 0.0, n)
        for (tier, cat, basis), (c, n) in grouped.items()
    ]
    return tuple(
        sorted(
            named + groups,
            key=lambda g: (g.basis == "missing", -g.contribution, g.tier, g.category),
        )
    )


def _datasets(e: Explanation) -> tuple[tuple[int, float], ...]:
    """The part of the footprint entered as generic datasets, by tier: no submission replaces
    these, linking the input to a supplier's product does."""
    assert e.parts is not None
    by: dict[int, float] = {}
    for node in e.parts.by_node:
        if e.bases[node.id] == "dataset":
            by[node.tier] = by.get(node.tier, 0.0) + node.contribution
    total = e.parts.total
    return tuple((t, c / total if total else 0.0) for t, c in sorted(by.items()))


def _product_id(node_id: str) -> int:
    """The product id of a `product:<id>` node or of a link awaiting its maker's consent
    (`pending:<id>`), 0 for a dataset."""
    if node_id.startswith("product:"):
        return int(node_id.split(":", 1)[1])
    return pending_product(node_id) or 0


def _products(session: Session, ids: set[int]) -> dict[int, Product]:
    if not ids:
        return {}
    found = session.scalars(
        select(Product).where(Product.id.in_(ids)).options(joinedload(Product.organization))
    )
    return {p.id: p for p in found}


def _own(products: Mapping[int, Product], organization_id: int) -> set[int]:
    return {pid for pid, p in products.items() if p.organization_id == organization_id}


def _newest_requests(
    session: Session, organization_id: int, product_ids: set[int], period: tuple[date, date]
) -> dict[int, DataRequest]:
    """The organization's newest request per product (as buyer) for the period shown: a
    request for another year neither answers nor blocks asking for this one."""
    if not product_ids:
        return {}
    found = session.scalars(
        select(DataRequest)
        .where(
            DataRequest.buyer_id == organization_id,
            DataRequest.product_id.in_(product_ids),
            DataRequest.period_start == period[0],
            DataRequest.period_end == period[1],
        )
        .order_by(DataRequest.id)
    )
    return {r.product_id: r for r in found if r.product_id is not None}
