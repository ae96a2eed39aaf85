"""From the database to the roll-up engine: the supply graph of one reference period.

Each product is a node. A submitted product's own activity (energy, process gases, transport,
waste: the supplier's measured data times a factor) is its direct, primary part; a material
bought as a generic dataset is a secondary leaf node `factor:<code>@<stage>`; a material linked
to a supplier's product is an edge to that product's node, so the supplier's result replaces the
generic factor. A material valued by a partner's footprint imported over PACT is an external leaf
`external:<id>` (category "external"): its per-unit value, split by stage when the footprint
carries our extension, its own data-quality rating, and its primary-data share as a second,
primary leaf `external:<id>#primary` feeding it that share of the value (the engine's primary
flag is per node, so the share is carried by a node of its own). A product without a submission
falls back to its category's generic factor and counts as secondary; with none, it stays at zero
and is reported missing.

A link to another organization's product counts only with that organization's consent (an
active share of the product with the buyer: `Consent`); until then the input is an edge from a
secondary leaf `pending:<product id>` valued exactly as that product would be without a
submission (its category's generic dataset), so the supplier's own figure never reaches the
buyer's result. Links between one organization's own products always count.

The graph is built from a few column selects (products, submissions, their input rows joined to
their factors), never from ORM objects: a period of 100k products has ~700k input rows, and the
arithmetic on them runs on numpy columns (bench/RESULTS.md, "Platform roll-up at scale").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import cache, cached_property
from typing import Any

import numpy as np
from sqlalchemy import Float, String, and_, cast, func, select, type_coerce
from sqlalchemy.orm import Session, aliased

from footprint_platform import stages as stages_module
from footprint_platform.models import (
    PRIMARY_PROVENANCE,
    EmissionFactor,
    ExternalFootprint,
    FactorRelease,
    FootprintShare,
    Product,
    Site,
    Submission,
    SubmissionInput,
    SubmissionStatus,
)
from footprint_platform.reference import load_reference
from footprint_platform.rules import (
    DECLARED_UNDER,
    NO_END_OF_LIFE,
    EndOfLife,
    load_rules,
    rule_for_category,
)
from footprint_platform.services.factors import latest_release
from supply_graph import (
    Allocation,
    BadLoop,
    RollupResult,
    SingularLoop,
    SupplyGraph,
    UnknownNode,
    rollup,
)
from supply_graph.circular import CFF, CUT_OFF, cff, cut_off, input_weights
from supply_graph.units import conversion_factor

# Secondary generic datasets carry no supplier rating; PACT v3.0.3's dqi and ours both run
# 1 (best) to 5: a generic literature value entered as an input is rated 3 on each of the three
# indicators unless its row rates it ("fair"). A product
# standing in for missing data (a fallback dataset, or nothing) carries its rule's worst rating
# (`[missing_data] worst_dqr`), so a gap never improves a result's rating.
GENERIC_DQR = 3.0
MISSING_DQR = 5.0


PENDING = "pending:"  # the leaf of a linked product whose maker has not consented yet


def product_node(product_id: int) -> str:
    return f"product:{product_id}"


def pending_product(node_id: str) -> int | None:
    """The product of a `pending:<id>` leaf (a link awaiting its maker's consent), else None."""
    return int(node_id[len(PENDING) :]) if node_id.startswith(PENDING) else None


Generic = tuple[str, str, float, str]  # a release's dataset: code, unit, value, geography


def site_countries(session: Session, product_ids: Iterable[int] | None = None) -> dict[int, str]:
    """Product id -> the country of its site (of the given products only, if given): the
    geography a fallback dataset should represent (`fallback_dataset`)."""
    stmt = select(Product.id, Site.country).join(Site, Site.id == Product.site_id)
    if product_ids is None:
        return {int(p): str(c or "") for p, c in session.execute(stmt)}
    out: dict[int, str] = {}
    for part in _parts(sorted(set(product_ids))):
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

    def allows(self, consumer: int, linked: int) -> bool:
        buyer = self.owners[consumer]
        return self.owners[linked] == buyer or (linked, buyer) in self.shares


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
    return {(int(p), int(b)) for p, b in session.execute(stmt)}


@dataclass(frozen=True)
class SubmissionRef:
    """What a roll-up keeps of a submission version: its id and content hash (the pins)."""

    id: int
    content_hash: str | None


class SubmissionMap(Mapping[int, SubmissionRef]):
    """Product id -> the submission version used, over sorted arrays: a period of 100k
    products would otherwise hold 100k objects that a run after one submission must rebuild."""

    def __init__(self, products: Any, ids: Any, hashes: Any) -> None:
        order = np.argsort(products, kind="stable")
        self.products = np.asarray(products, dtype=np.int64)[order]
        self.ids = np.asarray(ids, dtype=np.int64)[order]
        self.hashes = np.asarray(hashes, dtype="S64")[order]  # b"" where none

    def _find(self, product_id: object) -> int:
        if not isinstance(product_id, int | np.integer):
            return -1
        k = int(np.searchsorted(self.products, product_id))
        return k if k < len(self.products) and self.products[k] == product_id else -1

    def __getitem__(self, product_id: int) -> SubmissionRef:
        k = self._find(product_id)
        if k < 0:
            raise KeyError(product_id)
        return SubmissionRef(int(self.ids[k]), self.hashes[k].decode() or None)

    def __contains__(self, product_id: object) -> bool:
        return self._find(product_id) >= 0

    def __iter__(self) -> Iterator[int]:
        return iter(self.products.tolist())

    def __len__(self) -> int:
        return len(self.products)

    def pins_of(self, product_ids: np.ndarray) -> dict[str, list[Any]]:
        """{"product id": [submission id, content hash]} of the given sorted products that
        have a submission here: what a declaration pins (one vectorised lookup)."""
        k = np.searchsorted(self.products, product_ids)
        k = np.minimum(k, max(len(self.products) - 1, 0))
        found = self.products[k] == product_ids if len(self.products) else k < 0
        k = k[found]
        return {
            str(p): [i, h.decode() or None]
            for p, i, h in zip(
                self.products[k].tolist(),
                self.ids[k].tolist(),
                self.hashes[k].tolist(),
                strict=True,
            )
        }

    def id_map(self) -> dict[str, int]:
        """{"product id": submission id}, what a run stores as its pins."""
        return dict(zip(map(str, self.products.tolist()), self.ids.tolist(), strict=True))

    def replaced(self, newer: Sequence[tuple[int, int, str | None]]) -> SubmissionMap:
        """With (product id, submission id, hash) entries replacing or adding versions."""
        keep = ~np.isin(self.products, [p for p, _, _ in newer], assume_unique=True)
        return SubmissionMap(
            np.concatenate([self.products[keep], [p for p, _, _ in newer]]),
            np.concatenate([self.ids[keep], [i for _, i, _ in newer]]),
            np.concatenate([self.hashes[keep], np.array([h or "" for _, _, h in newer], "S64")]),
        )


@dataclass
class ChainGraph:
    """The period's graph; products are its first nodes, in product-id order (`product_ids`),
    then the generic datasets. A chain patched from the period's snapshot also names the run
    the snapshot was taken from and that run's pins (`base_run_id`, `base_submissions`), so
    the run it feeds can store its pins as the few changes against that run."""

    graph: SupplyGraph
    submissions: SubmissionMap  # product id -> the version used
    fallback_release_id: int
    fallback: list[int] = field(default_factory=list)  # products on a generic factor
    missing: list[int] = field(default_factory=list)  # products with no data at all
    product_ids: list[int] = field(default_factory=list)
    categories: dict[int, str] = field(default_factory=dict)  # product id -> category
    base_run_id: int | None = None
    base_submissions: SubmissionMap | None = None
    carried: list[int] = field(default_factory=list)  # products on an earlier period's data

    def own_data(self) -> np.ndarray:
        """(nodes,) the nodes that carry their maker's own data: products with a submitted or
        carried-forward version, not those valued by a fallback dataset or left as gaps; never
        a leaf (generic dataset, imported footprint, link awaiting consent)."""
        mask = np.zeros(self.graph.n_nodes, dtype=bool)
        mask[: len(self.product_ids)] = True
        without = [*self.fallback, *self.missing]
        if without:
            mask[self.product_rows(without)] = False
        return mask

    @cached_property
    def product_array(self) -> np.ndarray:
        """`product_ids` as a sorted int64 array (row i of the graph is product_array[i])."""
        return np.asarray(self.product_ids, dtype=np.int64)

    def product_rows(self, product_ids: Iterable[int]) -> np.ndarray:
        """The graph rows of the given products (each must be in the chain)."""
        wanted = np.fromiter(product_ids, dtype=np.int64)
        rows = np.searchsorted(self.product_array, wanted)
        rows = np.minimum(rows, max(len(self.product_ids) - 1, 0))
        if len(wanted) and not (self.product_array[rows] == wanted).all():
            bad = wanted[self.product_array[rows] != wanted]
            raise UnknownNode(product_node(int(bad[0])))
        return rows

    def reachable_rows(self, product_ids: Iterable[int], direction: str) -> np.ndarray:
        """As `reachable`, as a boolean mask over the product rows (no Python set of ids)."""
        g = self.graph
        seen = np.zeros(g.n_nodes, dtype=bool)
        seen[self.product_rows(product_ids)] = True
        frontier = seen.copy()
        source, target = (
            (g.provider, g.consumer) if direction == "down" else (g.consumer, g.provider)
        )
        while frontier.any():
            reached = target[frontier[source]]
            new = reached[~seen[reached]]
            frontier = np.zeros(g.n_nodes, dtype=bool)
            frontier[new] = True
            seen[new] = True
        return seen[: len(self.product_ids)]

    def pending_leaves(self, with_value: bool) -> list[int]:
        """Rows of the leaves standing for links awaiting consent: those valued by a fallback
        dataset (`with_value`), else those left without any value (a gap)."""
        g = self.graph
        n = len(self.product_ids)
        pending = np.char.startswith(g.ids[n:].astype(str), PENDING)
        valued = g.direct[n:].any(axis=1)
        return (np.flatnonzero(pending & (valued == with_value)) + n).tolist()

    def awaiting_without_data(self) -> set[int]:
        """Products using a link that awaits its maker's consent where the linked product's
        rule gives no fallback: that input is a gap, as a missing product is."""
        n = len(self.product_ids)
        users = self.graph.consumer[np.isin(self.graph.provider, self.pending_leaves(False))]
        return set(self.product_array[users[users < n]].tolist())

    def origin_masks(self) -> np.ndarray:
        """(nodes, 2) booleans: the nodes whose own emissions are carried-forward data, and
        those that are fallback datasets standing in for missing data (products on their
        rule's dataset, links awaiting consent valued by one). What `composition` solves."""
        masks = np.zeros((self.graph.n_nodes, 2), dtype=bool)
        masks[self.product_rows(self.carried), 0] = True
        masks[self.product_rows(self.fallback), 1] = True
        masks[self.pending_leaves(True), 1] = True
        return masks

    def reachable(self, product_ids: Iterable[int], direction: str) -> set[int]:
        """The given products and every product reachable from them: "up" their suppliers
        (what they use), "down" their customers (what uses them). One frontier sweep over the
        edge columns per tier, whatever the number of starts."""
        rows = self.reachable_rows(product_ids, direction)
        return set(self.product_array[rows].tolist())


@cache
def stages() -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for rule in load_rules().values():
        for code in rule.stage_codes:
            seen.setdefault(code, None)
    return tuple(seen)


def chain_graph(
    session: Session,
    start: date,
    end: date,
    pinned: Mapping[int, int] | None = None,
    fallback_release_id: int | None = None,
    extra_leaves: Sequence[tuple[str, str, str, float]] = (),
    as_of: datetime | None = None,
) -> ChainGraph:
    """Every product of the catalogue as a node, built from the period's current submissions,
    or from exactly the `pinned` ones (product id -> submission id) with the pinned fallback
    release and the consents of `as_of` (the run's start), to recompute a declaration as it
    was computed. `extra_leaves` (code, stage, unit, value) adds generic datasets nothing uses
    yet, after the others (so no result changes), for a what-if scenario to link
    (services/whatif.py)."""
    fallback_release = fallback_release_id or latest_release(session).id
    products = session.execute(
        select(
            Product.id, Product.category, Product.declared_unit, Product.organization_id
        ).order_by(Product.id)
    ).all()
    subs = _submissions(session, start, end, pinned)
    rows = _input_rows(session, start, end, pinned, {s[0] for s in subs})
    carried = carried_forward(session, start, products, {s[1] for s in subs}, pinned)
    rows = [*rows, *_input_rows_for(session, [c[0] for c in carried])]
    return _build(
        products,
        [*subs, *carried],
        rows,
        _generic_factors(session, fallback_release),
        fallback_release,
        extra_leaves,
        external_leaves(session, rows),
        active_shares(session, as_of),
        carried={c[1] for c in carried},
        countries=site_countries(session),
    )


def pinned_upstream_graph(
    session: Session,
    product_id: int,
    start: date,
    end: date,
    pinned: Mapping[int, int],
    fallback_release_id: int,
    as_of: datetime | None = None,
) -> ChainGraph:
    """The part of `chain_graph(session, start, end, pinned, fallback_release_id, as_of=as_of)`
    that
    `product_id`'s footprint depends on, read from the database by the pins alone: the pinned
    submissions (the same period and status filter), their input rows, and the products those
    name. Every edge of the pinned graph comes from a pinned submission's row, so no product
    outside this set can feed one inside it, and the product's footprint is the one the whole
    pinned graph gives (the same rows in the same order, so the same sums); what this skips
    is reading the period's other ~700k input rows and building nodes nothing here uses."""
    wanted = sorted(set(pinned.values()))
    subs: list[SubRow] = []
    for part in _parts(wanted):
        found = session.execute(
            select(*SUB_COLUMNS).where(_period(start, end, pinned), Submission.id.in_(part))
        ).all()
        subs += [sub_row(r) for r in found]
    rows: list[Sequence[Any]] = []
    for part in _parts(sorted(s[0] for s in subs)):
        rows += _input_rows_for(session, part)
    needed = {product_id, *(int(p) for p in pinned), *(s[1] for s in subs)}
    needed.update(int(r[7]) for r in rows if r[7] is not None)  # linked_product_id
    products = _products_by_id(session, needed)
    # the pinned versions of earlier periods the declaration carried forward, as chain_graph
    carried = carried_forward(session, start, products, {s[1] for s in subs}, pinned)
    for part in _parts(sorted(c[0] for c in carried)):
        rows += _input_rows_for(session, part)
    more = {int(r[7]) for r in rows if r[7] is not None} - needed
    if more:
        needed |= more
        products = _products_by_id(session, needed)
    return _build(
        products,
        [*subs, *carried],
        rows,
        _generic_factors(session, fallback_release_id),
        fallback_release_id,
        (),
        external_leaves(session, rows),
        active_shares(session, as_of, products=needed),
        carried={c[1] for c in carried},
        countries=site_countries(session),
    )


def _products_by_id(session: Session, ids: set[int]) -> list[Sequence[Any]]:
    products: list[Sequence[Any]] = []
    for part in _parts(sorted(ids)):
        products += session.execute(
            select(
                Product.id, Product.category, Product.declared_unit, Product.organization_id
            ).where(Product.id.in_(part))
        ).all()
    return sorted(products, key=lambda p: int(p[0]))


_IN_LIST = 5000  # ids per IN (...) list: well under SQLite's and PostgreSQL's bound-parameter caps


def _parts(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for k in range(0, len(ids), _IN_LIST):
        yield ids[k : k + _IN_LIST]


# submission id, product id, hash, dqr, (technological, temporal, geographical) or None
SubRow = tuple[int, int, str | None, float | None, "Ratings | None"]
Ratings = tuple[float, float, float]

# The columns of a submission the graph needs (`sub_row` turns one into a SubRow).
SUB_COLUMNS = (
    Submission.id,
    Submission.product_id,
    Submission.content_hash,
    cast(Submission.dqr, Float),
    cast(Submission.dqr_technological, Float),
    cast(Submission.dqr_temporal, Float),
    cast(Submission.dqr_geographical, Float),
)


def sub_row(r: Sequence[Any]) -> SubRow:
    """(id, product, hash, dqr, ratings): the three ratings when all are set, else None."""
    ratings = None if any(v is None for v in r[4:7]) else (float(r[4]), float(r[5]), float(r[6]))
    return (int(r[0]), int(r[1]), r[2], None if r[3] is None else float(r[3]), ratings)


def age_in_years(earlier: date, start: date) -> int:
    """Whole reporting years between an earlier period's start and the period's start."""
    return max(round((start - earlier).days / 365.25), 0)


def carried_forward(
    session: Session,
    start: date,
    products: Sequence[Sequence[Any]],
    submitted: set[int],
    pinned: Mapping[int, int] | None = None,
) -> list[SubRow]:
    """For each product without a submission of the period whose rule carries data forward:
    the supplier's latest submitted earlier period within the rule's maximum age, its rating
    lowered by the rule's step per year of age. Pinned, exactly the pinned versions of earlier
    periods (a declaration's carried inputs, whatever was submitted since)."""
    rules = {int(p[0]): rule_for_category(str(p[1])).missing_data for p in products}
    oldest = max((r.max_age_years for r in rules.values()), default=0)
    columns = (*SUB_COLUMNS, Submission.period_start)
    if pinned is None:
        stmt = select(*columns).where(
            Submission.status == SubmissionStatus.SUBMITTED,
            Submission.period_end < start,
            Submission.period_start >= date(start.year - oldest, start.month, 1),
        )
    else:
        wanted = [s for p, s in pinned.items() if p not in submitted]
        if not wanted:
            return []
        stmt = select(*columns).where(Submission.id.in_(wanted), Submission.period_end < start)
    newest: dict[int, tuple[Any, ...]] = {}
    for row in session.execute(stmt.order_by(Submission.period_start, Submission.id)):
        product = int(row[1])
        rule = rules.get(product)
        if product in submitted or rule is None or "carry_forward" not in rule.order:
            continue
        if age_in_years(row[7], start) <= rule.max_age_years:
            newest[product] = tuple(row)  # later periods, then later ids, win
    out: list[SubRow] = []
    for product, row in sorted(newest.items()):
        sub_id, _, content_hash, dqr, ratings = sub_row(row)
        age = age_in_years(row[7], start)
        rule = rules[product]
        out.append(
            (
                sub_id,
                product,
                content_hash,
                rule.carried_dqr(dqr, age),
                None if ratings is None else rule.carried_ratings(ratings, age),
            )
        )
    return out


@dataclass(frozen=True)
class ExternalLeaf:
    """What the graph needs of an imported partner footprint (models.ExternalFootprint)."""

    unit: str
    per_unit: float
    by_stage: dict[str, float]
    primary_share: float
    dqr: float


EXTERNAL_COLUMN = 8  # position of external_footprint_id in an input row


def external_leaves(session: Session, rows: Sequence[Sequence[Any]]) -> dict[int, ExternalLeaf]:
    """The imported footprints the rows name."""
    wanted = {int(r[EXTERNAL_COLUMN]) for r in rows if r[EXTERNAL_COLUMN] is not None}
    if not wanted:
        return {}
    found = session.execute(
        select(
            ExternalFootprint.id,
            ExternalFootprint.unit,
            ExternalFootprint.per_unit,
            ExternalFootprint.by_stage,
            ExternalFootprint.primary_data_share,
            ExternalFootprint.dqr,
        ).where(ExternalFootprint.id.in_(wanted))
    ).all()
    return {
        int(pk): ExternalLeaf(
            unit=str(unit),
            per_unit=float(per_unit),
            by_stage={k: float(v) for k, v in (by_stage or {}).items()},
            primary_share=float(share or 0),
            dqr=np.nan if dqr is None else float(dqr),
        )
        for pk, unit, per_unit, by_stage, share, dqr in found
    }


def _period(start: date, end: date, pinned: Mapping[int, int] | None) -> Any:
    """Current versions, or (pinned) any submitted version of the period, filtered by id after."""
    status = (
        Submission.status == SubmissionStatus.SUBMITTED
        if pinned is None
        else Submission.status.in_([SubmissionStatus.SUBMITTED, SubmissionStatus.SUPERSEDED])
    )
    return and_(Submission.period_start == start, Submission.period_end == end, status)


def _submissions(
    session: Session, start: date, end: date, pinned: Mapping[int, int] | None
) -> list[SubRow]:
    rows = session.execute(select(*SUB_COLUMNS).where(_period(start, end, pinned))).all()
    wanted = None if pinned is None else set(pinned.values())
    return [sub_row(r) for r in rows if wanted is None or r[0] in wanted]


_RECYCLED = aliased(EmissionFactor, name="recycled_factor")
_VIRGIN = aliased(EmissionFactor, name="virgin_factor")
_TD = aliased(EmissionFactor, name="td_factor")
# The columns of an input row the graph needs, with its factor's unit and value when it names one.
_INPUT_COLUMNS = (
    SubmissionInput.submission_id,
    SubmissionInput.position,
    type_coerce(SubmissionInput.kind, String),
    SubmissionInput.stage,
    cast(SubmissionInput.quantity, Float),
    SubmissionInput.unit,
    SubmissionInput.factor_code,
    SubmissionInput.linked_product_id,
    SubmissionInput.external_footprint_id,
    cast(SubmissionInput.distance_km, Float),
    SubmissionInput.allocation_basis,
    cast(SubmissionInput.allocation_share, String),
    EmissionFactor.unit,
    # An instrument's kWh carry the transmission and distribution factor the rule added
    # (submission_input.td_factor_code, same release, per kWh like the row's factor).
    cast(EmissionFactor.value + func.coalesce(_TD.value, 0), Float),
    # recycled content and end of life (supply_graph/circular.py): R1 or R2, the recycled
    # dataset (Erec or ErecEoL) and the virgin dataset (E*v), each with its unit and value
    cast(SubmissionInput.recycled_share, Float).label("recycled_share"),
    SubmissionInput.recycled_factor_code,
    _RECYCLED.unit.label("recycled_unit"),
    cast(_RECYCLED.value, Float).label("recycled_value"),
    _VIRGIN.unit.label("virgin_unit"),
    cast(_VIRGIN.value, Float).label("virgin_value"),
    SubmissionInput.provenance,
    cast(SubmissionInput.dqr_technological, Float),
    cast(SubmissionInput.dqr_temporal, Float),
    cast(SubmissionInput.dqr_geographical, Float),
)


def _inputs_select() -> Any:
    def factor(alias: Any, code: Any) -> Any:
        return and_(alias.release_id == Submission.factor_release_id, alias.code == code)

    return (
        select(*_INPUT_COLUMNS)
        .join(Submission, Submission.id == SubmissionInput.submission_id)
        .outerjoin(EmissionFactor, factor(EmissionFactor, SubmissionInput.factor_code))
        .outerjoin(_RECYCLED, factor(_RECYCLED, SubmissionInput.recycled_factor_code))
        .outerjoin(_VIRGIN, factor(_VIRGIN, SubmissionInput.virgin_factor_code))
        .outerjoin(_TD, factor(_TD, SubmissionInput.td_factor_code))
    )


def _input_rows(
    session: Session,
    start: date,
    end: date,
    pinned: Mapping[int, int] | None,
    wanted: set[int],
) -> list[Sequence[Any]]:
    """The input rows of exactly the `wanted` submissions (those `_submissions` read). The two
    reads are separate statements: a submission committed between them would bring rows of a
    version not read, or take away those of one read, so rows are kept by submission id and the
    few missing are read by id."""
    rows = session.execute(_inputs_select().where(_period(start, end, pinned))).all()
    kept = _with_fuel_upstream(session, [r for r in rows if r[0] in wanted])
    gone = wanted - {int(r[0]) for r in kept}
    return kept + _input_rows_for(session, sorted(gone)) if gone else kept


def _input_rows_for(session: Session, submission_ids: Sequence[int]) -> list[Sequence[Any]]:
    """The input rows of a few submissions (the ones a snapshot is patched with)."""
    if not submission_ids:
        return []
    stmt = _inputs_select().where(SubmissionInput.submission_id.in_(submission_ids))
    return _with_fuel_upstream(session, list(session.execute(stmt).all()))


def _with_fuel_upstream(session: Session, rows: list[Sequence[Any]]) -> list[Sequence[Any]]:
    """The rows plus, for each input valued with a combustion-only fuel factor that the
    product's rule pairs with its supply chain (`[fuel_upstream]`, from the release it
    names), a row of the same quantity valued with the paired well-to-tank factor of the
    submission's own release, in the raw-material stage, after the input it pairs. A
    submission that enters that upstream factor itself keeps its own row and gets none."""
    pairs = {c for r in load_rules().values() if r.fuel_upstream for c in r.fuel_upstream.pairs}
    wanted = [r for r in rows if r[6] in pairs and r[2] != "material"]
    if not wanted:
        return rows
    subs = sorted({int(r[0]) for r in wanted})
    described = {
        int(sub): (str(category), int(release), str(version))
        for sub, category, release, version in session.execute(
            select(Submission.id, Product.category, FactorRelease.id, FactorRelease.version)
            .join(Product, Product.id == Submission.product_id)
            .join(FactorRelease, FactorRelease.id == Submission.factor_release_id)
            .where(Submission.id.in_(subs))
        )
    }
    upstream_codes = {
        code
        for r in load_rules().values()
        if r.fuel_upstream
        for code in r.fuel_upstream.pairs.values()
    }
    values = {
        (int(release), str(code)): (str(unit), float(value))
        for release, code, unit, value in session.execute(
            select(
                EmissionFactor.release_id,
                EmissionFactor.code,
                EmissionFactor.unit,
                cast(EmissionFactor.value, Float),
            ).where(
                EmissionFactor.release_id.in_({d[1] for d in described.values()}),
                EmissionFactor.code.in_(upstream_codes),
            )
        )
    }
    entered: dict[int, set[str]] = {}
    for r in rows:
        entered.setdefault(int(r[0]), set()).add(str(r[6]))
    added = []
    for r in wanted:
        category, release, version = described[int(r[0])]
        rule = rule_for_category(category).fuel_upstream
        code = rule.upstream_for(r[6], version, entered[int(r[0])]) if rule else None
        if code is None or (release, code) not in values:
            continue
        unit, value = values[(release, code)]
        pair = list(r)  # the input's own columns, but for what the paired factor changes
        pair[1], pair[3], pair[6] = r[1] + 0.5, "raw_material", code
        pair[7:12] = [None] * 5  # not linked, not imported, no distance, no allocation
        pair[12:14] = [unit, value]
        pair[14:20] = [None] * 6  # no recycled content, no end of life
        pair[20] = "secondary"  # a database value, whatever the fuel row's own provenance
        added.append(tuple(pair))
    return [*rows, *added]


def _generic_factors(session: Session, release_id: int) -> list[Generic]:
    """(code, unit, value, geography) of the fallback release, sorted by code (a stable
    order; which one stands in is `fallback_dataset`'s choice)."""
    rows = session.execute(
        select(
            EmissionFactor.code,
            EmissionFactor.unit,
            cast(EmissionFactor.value, Float),
            EmissionFactor.geography,
        ).where(EmissionFactor.release_id == release_id)
    ).all()
    return sorted(tuple(r) for r in rows)  # type: ignore[misc]  # code order, not collation


def _build(
    products: Sequence[Sequence[Any]],
    subs: Sequence[tuple[int, int, str | None, float | None]],
    rows: Sequence[Sequence[Any]],
    generic: Sequence[Generic],
    fallback_release: int,
    extra_leaves: Sequence[tuple[str, str, str, float]] = (),
    externals: Mapping[int, ExternalLeaf] | None = None,
    shares: set[tuple[int, int]] | None = None,
    carried: set[int] | None = None,
    countries: Mapping[int, str] | None = None,
) -> ChainGraph:
    """Columns in, graph out: product nodes (in id order), then the generic datasets.
    `products` rows are (id, category, declared unit, organization id); `shares` the active
    (product, buyer) pairs that make a link to another organization's product count;
    `carried` the products whose submission in `subs` is an earlier period's (carried
    forward: primary data, of another period)."""
    stage_names = stages()
    n = len(products)
    product_ids = [int(p[0]) for p in products]
    position = {p: i for i, p in enumerate(product_ids)}
    units = [str(p[2]) for p in products]
    categories = [str(p[1]) for p in products]
    direct = np.zeros((n, len(stage_names)))
    primary = np.zeros(n)
    dqr = np.full(n, np.nan)
    ratings = np.full((n, 3), np.nan)
    by_sub: dict[int, int] = {}  # submission id -> product row
    refs = SubmissionMap([s[1] for s in subs], [s[0] for s in subs], [s[2] or "" for s in subs])
    submitted = np.zeros(n, dtype=bool)
    for sub_id, product_id, _, sub_dqr, sub_ratings in subs:
        i = position[product_id]
        by_sub[sub_id] = i
        submitted[i] = True
        primary[i] = 1.0
        dqr[i] = np.nan if sub_dqr is None else sub_dqr
        ratings[i] = sub_ratings if sub_ratings is not None else dqr[i]
    fallback, missing = [], []
    sites = countries or {}
    for i, product_id in enumerate(product_ids):
        if submitted[i]:
            continue
        value = _generic_value(categories[i], units[i], generic, sites.get(product_id, ""))
        dqr[i] = ratings[i] = worst_dqr(categories[i])
        if value is None:
            missing.append(product_id)
        else:
            fallback.append(product_id)
            direct[i, stage_names.index("raw_material")] = value
    consent = Consent(
        {int(p[0]): int(p[3]) for p in products},
        shares or set(),
        dict(zip(product_ids, zip(categories, units, strict=True), strict=True)),
        lambda: generic,
        sites,
    )
    edges = _Edges(stage_names)
    edges.add_inputs(rows, by_sub, position, direct, externals or {}, consent, product_ids)
    edges.own_quality(primary, ratings)
    for code, stage, unit, value in extra_leaves:
        edges.leaf(code, stage, unit, value)
    node_ids = [product_node(p) for p in product_ids] + edges.leaf_ids
    graph = SupplyGraph.from_columns(
        ids=node_ids,
        units=units + edges.leaf_units,
        direct=np.vstack([direct, edges.leaf_direct()]),
        stages=stage_names,
        primary=np.concatenate([primary, np.array(edges.leaf_primary, dtype=np.float64)]),
        dqr=np.concatenate([dqr, np.array(edges.leaf_dqr, dtype=np.float64)]),
        ratings=np.vstack([ratings, edges.leaf_ratings_array()]),
        categories=categories + edges.leaf_category,
        edge_from=[node_ids[k] for k in edges.provider],
        edge_to=[node_ids[k] for k in edges.consumer],
        edge_amount=edges.amount,
        edge_unit=edges.unit,
        allocations=edges.allocations,
    )
    return ChainGraph(
        graph,
        refs,
        fallback_release,
        fallback,
        missing,
        product_ids,
        dict(zip(product_ids, categories, strict=True)),
        carried=sorted(carried or ()),
    )


def worst_dqr(category: str) -> float:
    """The rating a gap or a fallback of the category carries: its rule's worst."""
    return rule_for_category(category).missing_data.worst_dqr


def fallback_dataset(
    category: str, unit: str, generic: Sequence[Generic], country: str = ""
) -> tuple[str, float] | None:
    """The secondary dataset standing in for a product of the category without data, as its
    rule says: (code, value per declared unit) of the dataset the rule names for the
    category (and the site's country), else of the highest applicable one among the most
    representative geography (`MissingData.geography`: the site's country first, so a
    Chinese chain's gap takes the Chinese dataset, not a lower one of another route; then
    the rule's listed geographies, then any): conservative within the representative
    datasets, a gap never lowers a footprint by an accident of code order. None where the
    rule allows no secondary fallback or the release has none."""
    rule = rule_for_category(category).missing_data
    prefix = load_reference().categories[category].generic_factor
    if "secondary" not in rule.order or not prefix:
        return None
    named = rule.named(category, country)
    found: list[tuple[int, float, str]] = []
    for code, factor_unit, value, geography in generic:
        k = conversion_factor(unit, factor_unit)
        if code.startswith(prefix + ".") and k is not None:
            if code == named:
                return code, value * k
            found.append((-_representative(geography, country, rule.geography), value * k, code))
    if not found:
        return None
    _, value, code = max(found)
    return code, value


def _representative(geography: str, country: str, order: Sequence[str]) -> int:
    """A dataset's place in the rule's geography order (0 = most representative): "site"
    matches the site's country and its regions (CN-E for CN), a listed code itself; a
    geography the order does not list comes last."""
    for rank, wanted in enumerate(order):
        target = country if wanted == "site" else wanted
        if target and (geography == target or geography.startswith(target + "-")):
            return rank
    return len(order)


def _generic_value(
    category: str, unit: str, generic: Sequence[Generic], country: str = ""
) -> float | None:
    """The value of `fallback_dataset`, else None for a product left missing."""
    chosen = fallback_dataset(category, unit, generic, country)
    return None if chosen is None else chosen[1]


@cache
def _end_of_life_for(category: str | None) -> EndOfLife:
    return rule_for_category(category).end_of_life if category else NO_END_OF_LIFE


def end_of_life_of(consent: Consent, product_id: int) -> EndOfLife:
    """How the rule of a consumer's category treats recycled content and end of life."""
    described = consent.described.get(product_id)
    return _end_of_life_for(described[0] if described else None)


def end_of_life_declared(consent: Consent, product_id: int) -> EndOfLife:
    """`end_of_life_of` inside `rules.declared_under`: the declaring rule's approach for the
    categories it applies to (a declaration under a rule other than the category default)."""
    described = consent.described.get(product_id)
    category = described[0] if described else None
    chosen = DECLARED_UNDER.get()
    if chosen is not None and category in chosen.applies_to:
        return chosen.end_of_life
    return _end_of_life_for(category)


@dataclass(frozen=True)
class Circular:
    """A row's recycled content or end of life as the graph reads it: the share (R1 of a
    material, R2 of waste), the row's own dataset code (Ev, or ED), the recycled dataset
    (Erec, or ErecEoL) and the virgin dataset E*v, each with unit and value."""

    share: float | None
    factor_code: str | None
    recycled_code: str | None
    r_unit: str | None
    r_value: float | None
    v_unit: str | None
    v_value: float | None

    def is_scrap(self, linked: Any, external: Any) -> bool:
        """Scrap fed to a recycler (share 1, no dataset, no link): burden-free."""
        return (
            self.share == 1.0
            and self.factor_code is None
            and self.recycled_code is None
            and linked is None
            and external is None
        )

    def waste_value(
        self,
        eol: EndOfLife,
        qty: float,
        unit: str,
        ed_amount: float,
        ed_value: float,
        convert: Callable[[str, str], float],
    ) -> float:
        """kg CO2e per declared unit from a waste or end-of-life row with a share recycled:
        the rule's formula over the row's quantity (linear in each dataset, so the datasets
        times the row's amount in their units stand in for the per-unit values). CFF:
        (1 − A) R2 (ErecEoL − E*v Qsout/Qp) + (1 − R2 − R3) ED; cut-off: (1 − R2) ED."""
        r2 = float(self.share or 0.0)
        ed = ed_amount * ed_value
        params = eol.for_dataset(self.recycled_code)
        if not eol.is_cff or params is None or self.r_unit is None or self.v_unit is None:
            return cut_off(r2=r2, ed=ed).end_of_life
        erec_eol = qty * convert(unit, self.r_unit) * float(self.r_value or 0.0)
        ev_star = qty * convert(unit, self.v_unit) * float(self.v_value or 0.0)
        return cff(
            params.parameters, r2=r2, erec_eol=erec_eol, ev_star=ev_star, r3=params.r3, ed=ed
        ).end_of_life


class _Edges:
    """Input rows turned into edges, generic-dataset leaves, direct emissions and allocations,
    in product order then input position (so sums and leaf numbering are stable)."""

    def __init__(self, stage_names: tuple[str, ...], known_leaves: Sequence[str] = ()) -> None:
        """`known_leaves`: the leaves of a stored graph being patched (new ones follow them)."""
        self.stage_column = {s: c for c, s in enumerate(stage_names)}
        self.known = len(known_leaves)
        self.leaf_ids: list[str] = []  # new leaves only
        self.leaf_units: list[str] = []
        self.leaf_values: list[list[tuple[int, float]]] = []  # (stage column, value) each
        self.leaf_primary: list[float] = []
        self.leaf_dqr: list[float] = []
        self.leaf_ratings: list[Ratings] = []
        # the supplier's own activity rows: (product row, kg CO2e, primary?, ratings or None)
        self.own: list[tuple[int, float, bool, Ratings | None]] = []
        self.leaf_category: list[str] = []
        self.leaf_index: dict[str, int] = {leaf: k for k, leaf in enumerate(known_leaves)}
        self.provider: list[int] = []
        self.consumer: list[int] = []
        self.amount: list[float] = []
        self.unit: list[str | None] = []
        self.allocations: dict[int, Allocation] = {}

    def leaf_ratings_array(self) -> np.ndarray:
        return np.array(self.leaf_ratings, dtype=np.float64).reshape(len(self.leaf_ids), 3)

    def own_quality(self, primary: np.ndarray, ratings: np.ndarray) -> None:
        """Each product row's primary share and three ratings from its own activity rows,
        weighted by their emissions: primary[i] = Σ e of rows whose provenance is primary
        (measured, calculated from measured) / Σ e; ratings[i] = Σ e·r / Σ e with each row's
        own ratings, else the submission's defaults already in `ratings[i]`. A product whose
        own rows emit nothing keeps what it has (the share of nothing does not matter)."""
        if not self.own:
            return
        rows = np.array([o[0] for o in self.own], dtype=np.int64)
        value = np.array([o[1] for o in self.own], dtype=np.float64)
        is_primary = np.array([o[2] for o in self.own], dtype=np.float64)
        rated = ratings[rows].copy()
        for k, o in enumerate(self.own):
            if o[3] is not None:
                rated[k] = o[3]
        n = primary.shape[0]
        total = np.bincount(rows, value, minlength=n)
        part = np.bincount(rows, value * is_primary, minlength=n)
        has = ~np.isnan(rated).any(axis=1)
        weight = np.bincount(rows, value * has, minlength=n)
        emitting = total > 0
        primary[emitting] = part[emitting] / total[emitting]
        weighted = weight > 0
        for c in range(3):
            sums = np.bincount(
                rows, np.where(has, value * np.nan_to_num(rated[:, c]), 0), minlength=n
            )
            ratings[weighted, c] = sums[weighted] / weight[weighted]

    def leaf_direct(self) -> np.ndarray:
        out = np.zeros((len(self.leaf_ids), len(self.stage_column)))
        for k, values in enumerate(self.leaf_values):
            for column, value in values:
                out[k, column] += value
        return out

    def add_inputs(
        self,
        rows: Sequence[Sequence[Any]],
        by_sub: Mapping[int, int],
        position: Mapping[int, int],
        direct: np.ndarray,
        externals: Mapping[int, ExternalLeaf] | None,
        consent: Consent,
        product_ids: Sequence[int],
    ) -> None:
        """Edges, leaves and allocations of the rows' products; their direct emissions are
        added into `direct` (rows by product position). `externals`: the imported footprints
        the rows name (external_leaves); a link without `consent` is an edge from the linked
        product's pending leaf (`product_ids[row]` is the product of a row)."""
        n = len(position)
        ordered = sorted(rows, key=lambda r: (by_sub[r[0]], r[1]))
        coproduct: dict[int, tuple[Decimal, str]] = {}
        direct_rows, direct_cols, direct_vals = [], [], []
        convert = _converter()
        # looked up once: a row-by-row check would cost the cold roll-up ~0.1 µs a row
        eol_of = end_of_life_of if DECLARED_UNDER.get() is None else end_of_life_declared
        for (
            sub_id,
            _,
            kind,
            stage,
            qty,
            unit,
            code,
            linked,
            external,
            km,
            basis,
            share,
            f_unit,
            f_value,
            r_share,
            r_code,
            r_unit,
            r_value,
            v_unit,
            v_value,
            provenance,
            *row_ratings,
        ) in ordered:
            me = by_sub[sub_id]
            circular = Circular(r_share, code, r_code, r_unit, r_value, v_unit, v_value)
            if kind == "material" and circular.is_scrap(linked, external):
                continue  # scrap fed to a recycler: burden-free (supply_graph/circular.py)
            if kind == "coproduct":
                total, old_basis = coproduct.get(me, (Decimal(0), "mass"))
                coproduct[me] = (total + Decimal(share or 0), basis or old_basis)
                continue
            if linked is not None:
                if consent.allows(product_ids[me], int(linked)):
                    self._edge(position[linked], me, qty, unit)
                else:
                    self._edge(n + self._pending(int(linked), consent), me, qty, unit)
                continue
            if external is not None:
                leaf = self._external(int(external), stage, (externals or {})[int(external)], n)
                self._edge(n + leaf, me, qty, unit)
                continue
            if f_unit is None and kind == "waste" and code is None and r_share is not None:
                eol = eol_of(consent, product_ids[me])
                direct_rows.append(me)
                direct_cols.append(self.stage_column[stage])
                value = circular.waste_value(eol, qty, unit, 0.0, 0.0, convert)
                direct_vals.append(value)
                counted = provenance is None or provenance in PRIMARY_PROVENANCE
                self.own.append((me, value, counted, None))
                continue
            if f_unit is None:
                raise ValueError(f"submission {sub_id}: factor {code!r} is not in its release")
            if kind == "transport" and km is not None:
                amount = qty * convert(unit, "t") * km
            else:
                amount = qty * convert(unit, f_unit)
            rated = None if any(r is None for r in row_ratings) else tuple(row_ratings)
            eol = eol_of(consent, product_ids[me])
            if kind == "material":
                self._material(
                    me, n, stage, code, f_unit, f_value, amount, circular, eol, convert, rated
                )
                continue
            direct_rows.append(me)
            direct_cols.append(self.stage_column[stage])
            if kind == "waste" and r_share is not None:
                value = circular.waste_value(eol, qty, unit, amount, f_value, convert)
            else:
                value = amount * f_value
            direct_vals.append(value)
            counted = provenance is None or provenance in PRIMARY_PROVENANCE  # None: 0029
            self.own.append((me, value, counted, rated))  # type: ignore[arg-type]
        np.add.at(direct, (direct_rows, direct_cols), direct_vals)
        for me, (total, basis) in coproduct.items():
            if total:
                self.allocations[me] = Allocation(basis, float(1 - total))

    def _material(
        self,
        me: int,
        n: int,
        stage: str,
        code: str,
        f_unit: str,
        f_value: float,
        amount: float,
        circular: Circular,
        eol: EndOfLife,
        convert: Callable[[str, str], float],
        rated: Ratings | None = None,
    ) -> None:
        """A material bought as a dataset: an edge from its leaf (rated by the row where it
        rates the dataset); with recycled content, the input side of the rule's formula as two
        edges, virgin (Ev) and recycled (Erec)."""
        if not circular.share or circular.r_unit is None or circular.r_value is None:
            self._edge(n + self.leaf(code, stage, f_unit, f_value, rated), me, amount, f_unit)
            return
        params = eol.for_dataset(code)
        method = CFF if eol.is_cff and params is not None else CUT_OFF
        w_virgin, w_recycled = input_weights(
            method, circular.share, None if params is None else params.parameters
        )
        leaf = self.leaf(code, stage, f_unit, f_value, rated)
        self._edge(n + leaf, me, amount * w_virgin, f_unit)
        r_code = circular.recycled_code
        r_leaf = self.leaf(r_code, stage, circular.r_unit, circular.r_value)
        r_amount = amount * convert(f_unit, circular.r_unit) * w_recycled
        self._edge(n + r_leaf, me, r_amount, circular.r_unit)

    def _edge(self, provider: int, consumer: int, amount: float, unit: str | None) -> None:
        self.provider.append(provider)
        self.consumer.append(consumer)
        self.amount.append(amount)
        self.unit.append(unit)

    def leaf(
        self, code: str, stage: str, unit: str, value: float, ratings: Ratings | None = None
    ) -> int:
        """A factor dataset's leaf, rated GENERIC_DQR on all three; a row that rates the
        dataset itself gets a leaf of its own with those ratings (`…#t,m,g`)."""
        key = f"factor:{code}@{stage}"
        if ratings is None:
            return self._new_leaf(key, unit, [(self.stage_column[stage], value)])
        suffix = ",".join(f"{r:g}" for r in ratings)
        return self._new_leaf(
            f"{key}#{suffix}",
            unit,
            [(self.stage_column[stage], value)],
            dqr=sum(ratings) / 3,
            ratings=ratings,
        )

    def _new_leaf(
        self,
        leaf: str,
        unit: str,
        values: list[tuple[int, float]],
        primary: bool = False,
        dqr: float = GENERIC_DQR,
        category: str = "dataset",
        ratings: Ratings | None = None,
    ) -> int:
        """The leaf's index among the leaves, made on first use."""
        k = self.leaf_index.get(leaf)
        if k is None:
            k = self.leaf_index[leaf] = self.known + len(self.leaf_ids)
            self.leaf_ids.append(leaf)
            self.leaf_units.append(unit)
            self.leaf_values.append(values)
            self.leaf_primary.append(float(primary))
            self.leaf_dqr.append(dqr)
            self.leaf_ratings.append(ratings if ratings is not None else (dqr, dqr, dqr))
            self.leaf_category.append(category)
        return k

    def _pending(self, product_id: int, consent: Consent) -> int:
        """The secondary leaf standing for a linked product without its maker's consent:
        per declared unit, its rule's fallback dataset (`fallback_dataset`, in the
        raw-material stage; never carried-forward data: the buyer has no consent to any
        period's figure), zero where the rule gives none (a gap); rated as a gap, the rule's
        worst. Its category is the product's."""
        key = f"{PENDING}{product_id}"
        if key in self.leaf_index:
            return self.leaf_index[key]
        category, unit = consent.described[product_id]
        value = _generic_value(
            category, unit, consent.generic(), consent.countries.get(product_id, "")
        )
        return self._new_leaf(
            key,
            unit,
            [(self.stage_column["raw_material"], value or 0.0)],
            dqr=worst_dqr(category),
            category=category,
        )

    def _external(self, pk: int, stage: str, ext: ExternalLeaf, n: int) -> int:
        """An imported footprint's leaf (per stage of its own split, else all in the input's
        stage), and the primary leaf that feeds it its primary-data share of the value."""
        split = ext.by_stage or {stage: ext.per_unit}
        key = f"external:{pk}" if ext.by_stage else f"external:{pk}@{stage}"
        share = min(max(ext.primary_share, 0.0), 1.0)
        cols = [(self.stage_column[s], v) for s, v in split.items() if s in self.stage_column]
        known = key in self.leaf_index
        split_off = 0.0 < share < 1.0
        main = self._new_leaf(
            key,
            ext.unit,
            [(c, v * (1 - share) if split_off else v) for c, v in cols],
            primary=share >= 1.0,
            dqr=ext.dqr,
            category="external",
        )
        if split_off and not known:
            part = self._new_leaf(
                f"{key}#primary",
                ext.unit,
                [(c, v * share) for c, v in cols],
                primary=True,
                dqr=ext.dqr,
                category="external",
            )
            self._edge(n + part, n + main, 1.0, ext.unit)
        return main


def _converter() -> Any:
    """conversion_factor(unit, target) memoised per pair for one build (pint is slow per call)."""
    memo: dict[tuple[str, str], float] = {}

    def convert(unit: str, target: str) -> float:
        k = memo.get((unit, target))
        if k is None:
            found = conversion_factor(unit, target)
            if found is None:
                raise ValueError(f"{unit} does not convert to {target}")
            k = memo[(unit, target)] = float(found)
        return k

    return convert


def graph_with_rows(
    chain: ChainGraph,
    product_id: int,
    submission_id: int,
    rows: Sequence[Sequence[Any]],
    consent: Consent,
    externals: Mapping[int, ExternalLeaf] | None = None,
) -> SupplyGraph:
    """The chain's graph with the product's inputs replaced by one submission's input rows
    (`_input_rows_for`), turned into edges exactly as a roll-up would (a link without
    `consent` from its pending leaf): what the period's graph becomes if that submission is
    the product's current version. For loop checks only: edges from leaves the chain has no
    node for yet are left out (a leaf never closes a loop) and direct emissions are not
    computed."""
    g = chain.graph
    n = len(chain.product_ids)
    me = int(chain.product_rows([product_id])[0])
    edges = _Edges(stages(), g.ids[n:].tolist())
    position = {p: i for i, p in enumerate(chain.product_ids)}
    direct = np.zeros((n, len(stages())))
    edges.add_inputs(
        rows, {submission_id: me}, position, direct, externals, consent, chain.product_ids
    )
    provider = np.array(edges.provider, dtype=np.int64)
    known = provider < g.n_nodes
    convert = _converter()
    amount = np.array(
        [
            a * (1.0 if u is None else convert(u, g.unit_names[int(g.unit_code[p])]))
            for p, a, u, ok in zip(provider, edges.amount, edges.unit, known, strict=True)
            if ok
        ],
        dtype=np.float64,
    )
    keep = g.consumer != me
    allocations = {i: a for i, a in g.allocations.items() if i != me}
    allocations.update(edges.allocations)
    return replace(
        g,
        provider=np.concatenate([g.provider[keep], provider[known]]),
        consumer=np.concatenate(
            [g.consumer[keep], np.array(edges.consumer, dtype=np.int64)[known]]
        ),
        amount=np.concatenate([g.amount[keep], amount]),
        allocations=allocations,
    )


@dataclass(frozen=True)
class Isolated:
    """A roll-up that went through whatever the loops: `graph` is the chain's graph with the
    amounts inside each bad loop set to zero (use it, not the chain's, for contributions of the
    same result), `loops` the loops without a physical footprint, `not_computed` the products
    on them and downstream of them, whose numbers in `result` mean nothing."""

    graph: SupplyGraph
    result: RollupResult
    loops: list[BadLoop]
    not_computed: set[int]


def rollup_isolating(chain: ChainGraph) -> Isolated:
    """The chain's roll-up, whatever its loops.

    A loop without a physical footprint (a product needing one unit or more of itself) is
    refused when it is submitted (services/loops.py), but one can still reach a period: a row
    written past the services, or a later change that raises a loop's gain. Such a loop must
    not stop the period for every organization. Its internal amounts are set to zero, so the
    solve goes through and every product outside it and not downstream of it gets its exact
    footprint (it never depends on the loop); the loop's products and everything downstream of
    them are returned as not computed. Without a bad loop this is one `rollup` call. The
    rules' boundary columns (footprint_platform/stages.py) are solved with it, so every
    result can be split into its rule's stages."""
    columns = stages_module.boundary_members(chain.graph, chain.own_data())
    try:
        return Isolated(chain.graph, rollup(chain.graph, boundaries=columns), [], set())
    except SingularLoop as exc:
        if not exc.loops:
            raise  # not a loop: a non-finite value, which no isolation can fix
        loops = exc.loops
    g = chain.graph
    inside = np.zeros(g.n_edges, dtype=bool)
    members: list[int] = []
    for loop in loops:
        rows = np.array([g.index[node] for node in loop.members], dtype=np.int64)
        inside |= np.isin(g.provider, rows) & np.isin(g.consumer, rows)
        members.extend(int(n.split(":", 1)[1]) for n in loop.members if n.startswith("product:"))
    cut = replace(g, amount=np.where(inside, 0.0, g.amount))
    return Isolated(cut, rollup(cut, boundaries=columns), loops, chain.reachable(members, "down"))


ORIGINS = ("carried_forward", "fallback")  # the columns of `ChainGraph.origin_masks`


def composition(graph: SupplyGraph, masks: np.ndarray, total: np.ndarray) -> np.ndarray:
    """(nodes, origins) shares of each footprint whose emissions are of each origin: the same
    linear solve as the footprint, with each node's own emissions kept only where its mask
    holds (one roll-up of the graph with these columns as its stages; the engine untouched,
    its quality columns unused). Zero where a footprint is zero."""
    own = graph.direct.sum(axis=1)
    tagged = replace(
        graph,
        direct=own[:, None] * masks,
        stages=tuple(f"origin{k}" for k in range(masks.shape[1])),
        primary=np.zeros(graph.n_nodes, dtype=bool),
        dqr=np.full(graph.n_nodes, np.nan),
    )
    solved = rollup(tagged).by_stage
    shares = np.zeros_like(solved)
    np.divide(solved, total[:, None], out=shares, where=total[:, None] != 0)
    return np.clip(shares, 0.0, 1.0)


def rollup_period(session: Session, start: date, end: date) -> tuple[ChainGraph, RollupResult]:
    """Every product's cradle-to-gate footprint for the period, from one solve."""
    chain = chain_graph(session, start, end)
    return chain, rollup(chain.graph)
