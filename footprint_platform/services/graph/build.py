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
arithmetic on them runs on numpy columns (bench/RESULTS.md, "Platform roll-up at scale")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.bulk import no_cycle_collection, plain_rows
from footprint_platform.models import (
    Product,
    Submission,
)
from footprint_platform.services.catalogue.factors import latest_release
from footprint_platform.services.graph.chain import ChainGraph, SubmissionMap, product_node, stages
from footprint_platform.services.graph.edges import Edges, converter
from footprint_platform.services.graph.fallbacks import (
    Generic,
    generic_factors,
    generic_value,
    worst_dqr,
)
from footprint_platform.services.graph.parties import Consent, active_shares, site_countries
from footprint_platform.services.graph.rows import (
    SUB_COLUMNS,
    ExternalLeaf,
    Inputs,
    SubRow,
    carried_forward,
    external_leaves,
    id_chunks,
    input_rows,
    input_rows_for,
    period_clause,
    products_by_id,
    sub_row,
    submission_rows,
)
from supply_graph import (
    RollupResult,
    SupplyGraph,
    rollup,
)
from supply_graph.model import encode_strings


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
    (services/insight/whatif.py)."""
    with no_cycle_collection():
        return _chain_graph(session, start, end, pinned, fallback_release_id, extra_leaves, as_of)


def _chain_graph(
    session: Session,
    start: date,
    end: date,
    pinned: Mapping[int, int] | None,
    fallback_release_id: int | None,
    extra_leaves: Sequence[tuple[str, str, str, float]],
    as_of: datetime | None,
) -> ChainGraph:
    fallback_release = fallback_release_id or latest_release(session).id
    products = plain_rows(
        session,
        select(
            Product.id, Product.category, Product.declared_unit, Product.organization_id
        ).order_by(Product.id),
    )
    subs = submission_rows(session, start, end, pinned)
    inputs = input_rows(session, start, end, pinned, {s[0] for s in subs})
    carried = carried_forward(session, start, products, {s[1] for s in subs}, pinned)
    inputs.rows += input_rows_for(session, [c[0] for c in carried])
    return _build(
        products,
        [*subs, *carried],
        inputs,
        generic_factors(session, fallback_release),
        fallback_release,
        extra_leaves,
        external_leaves(session, inputs.rows),  # an imported footprint is never common
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
    for part in id_chunks(wanted):
        found = session.execute(
            select(*SUB_COLUMNS).where(period_clause(start, end, pinned), Submission.id.in_(part))
        ).all()
        subs += [sub_row(r) for r in found]
    rows = input_rows_for(session, sorted(s[0] for s in subs))
    needed = {product_id, *(int(p) for p in pinned), *(s[1] for s in subs)}
    needed.update(int(r[7]) for r in rows if r[7] is not None)  # linked_product_id
    products = products_by_id(session, needed)
    # the pinned versions of earlier periods the declaration carried forward, as chain_graph
    carried = carried_forward(session, start, products, {s[1] for s in subs}, pinned)
    rows += input_rows_for(session, sorted(c[0] for c in carried))
    more = {int(r[7]) for r in rows if r[7] is not None} - needed
    if more:
        needed |= more
        products = products_by_id(session, needed)
    return _build(
        products,
        [*subs, *carried],
        rows,
        generic_factors(session, fallback_release_id),
        fallback_release_id,
        (),
        external_leaves(session, rows),
        active_shares(session, as_of, products=needed),
        carried={c[1] for c in carried},
        countries=site_countries(session),
    )


def _build(
    products: Sequence[Sequence[Any]],
    subs: Sequence[SubRow],
    rows: Sequence[Sequence[Any]] | Inputs,
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
    chosen: dict[tuple[str, str, str], float | None] = {}  # one choice per kind of product
    for i, product_id in enumerate(product_ids):
        if submitted[i]:
            continue
        kind = (categories[i], units[i], sites.get(product_id, ""))
        if kind not in chosen:
            chosen[kind] = generic_value(kind[0], kind[1], generic, kind[2])
        value = chosen[kind]
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
    edges = Edges(stage_names)
    edges.add_inputs(rows, by_sub, position, direct, externals or {}, consent, product_ids)
    edges.own_quality(primary, ratings)
    for code, stage, unit, value in extra_leaves:
        edges.leaf(code, stage, unit, value)
    node_ids = [product_node(p) for p in product_ids] + edges.leaf_ids
    provider = np.array(edges.provider, dtype=np.int64)
    consumer = np.array(edges.consumer, dtype=np.int64)
    # from_columns without naming each edge's ends only to look the names up again: the
    # node ids are distinct by construction (products by id, leaves by their key)
    graph = SupplyGraph.from_encoded(
        ids=node_ids,
        units=encode_strings(units + edges.leaf_units),
        direct=np.vstack([direct, edges.leaf_direct()]),
        stages=stage_names,
        primary=np.concatenate([primary, np.array(edges.leaf_primary, dtype=np.float64)]),
        dqr=np.concatenate([dqr, np.array(edges.leaf_dqr, dtype=np.float64)]),
        ratings=np.vstack([ratings, edges.leaf_ratings_array()]),
        categories=encode_strings(categories + edges.leaf_category),
        endpoints=lambda: (provider, consumer),
        edge_amount=np.array(edges.amount, dtype=np.float64),
        edge_units=encode_strings(edges.unit),
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


def graph_with_rows(
    chain: ChainGraph,
    product_id: int,
    submission_id: int,
    rows: Sequence[Sequence[Any]],
    consent: Consent,
    externals: Mapping[int, ExternalLeaf] | None = None,
) -> SupplyGraph:
    """The chain's graph with the product's inputs replaced by one submission's input rows
    (`input_rows_for`), turned into edges exactly as a roll-up would (a link without
    `consent` from its pending leaf): what the period's graph becomes if that submission is
    the product's current version. For loop checks only: edges from leaves the chain has no
    node for yet are left out (a leaf never closes a loop) and direct emissions are not
    computed."""
    g = chain.graph
    n = len(chain.product_ids)
    me = int(chain.product_rows([product_id])[0])
    edges = Edges(stages(), g.ids[n:].tolist())
    position = {p: i for i, p in enumerate(chain.product_ids)}
    direct = np.zeros((n, len(stages())))
    edges.add_inputs(
        rows, {submission_id: me}, position, direct, externals, consent, chain.product_ids
    )
    provider = np.array(edges.provider, dtype=np.int64)
    known = provider < g.n_nodes
    convert = converter()
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


def rollup_period(session: Session, start: date, end: date) -> tuple[ChainGraph, RollupResult]:
    """Every product's cradle-to-gate footprint for the period, from one solve."""
    chain = chain_graph(session, start, end)
    return chain, rollup(chain.graph)
