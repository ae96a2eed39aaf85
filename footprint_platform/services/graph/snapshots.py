"""The last full run's supply graph, kept per period so that the run after one submission
patches that product's node and edges instead of reading every input row again.

Building the graph of 100k products reads ~540k input rows (seconds); the stored columns load
in a fraction of that, and a submission changes one product's row of them. The snapshot is a
cache and is only used when it provably describes today's data apart from the submissions that
came after it: same fallback factor release and engine, the same products (count, largest id,
sum of row versions: an edit bumps a version), the same shares (count, largest id, how many
revoked: a link's consent is part of the graph, so a share made or revoked since means a
fresh build), and every submission current now is either in it or newer than all of it.
Otherwise the graph is built from the database and the snapshot replaced. Declarations never
depend on it: `verify` recomputes from the pinned rows.

One module because saving a snapshot and patching it after one submission must stay the exact
inverse of each other (the patched graph equals a fresh build: tests compare them).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

import numpy as np
from sqlalchemy import delete, func, literal_column, select
from sqlalchemy.orm import Session

import supply_graph
from footprint_platform.bulk import int_column, is_postgres
from footprint_platform.models import (
    FootprintShare,
    Product,
    RollupSnapshot,
    Submission,
    SubmissionStatus,
)
from footprint_platform.services.catalogue.factors import latest_release
from footprint_platform.services.graph.chain import ChainGraph, SubmissionMap, product_node, stages
from footprint_platform.services.graph.edges import Edges, converter
from footprint_platform.services.graph.fallbacks import generic_factors
from footprint_platform.services.graph.parties import Consent, active_shares, site_countries
from footprint_platform.services.graph.rows import (
    SUB_COLUMNS,
    ExternalLeaf,
    external_leaves,
    input_rows_for,
    sub_row,
)
from supply_graph import Allocation, SupplyGraph

# Past this many changed products (or 1 % of them) since the snapshot, build afresh.
MAX_PATCHED = 200

# Written out, not bound: a partial index (ix_submission_current) serves a query only where the
# planner sees its condition, and PostgreSQL's generic plan of a prepared query would not.
SUBMITTED = Submission.status == literal_column(f"'{SubmissionStatus.SUBMITTED.value}'")


def _products(session: Session) -> list[int]:
    """Count, largest id and sum of versions of the catalogue: any edit or addition shows.
    The sum is the count plus what the edited products' versions add (version - 1, nonzero only
    for them), so it is read from their partial index (ix_product_edited), not every product."""
    row = session.execute(
        select(
            select(func.count()).select_from(Product).scalar_subquery(),
            select(func.max(Product.id)).scalar_subquery(),
            select(func.coalesce(func.sum(Product.version - 1), 0))
            .where(Product.version != literal_column("1"))
            .scalar_subquery(),
        )
    ).one()
    count, largest, added = (int(v or 0) for v in row)
    return [count, largest, count + added]


def consent_stamp(session: Session) -> list[int]:
    """Count, largest id and number revoked of the shares: any share made or revoked shows
    (three index look-ups, not a scan of every share)."""
    row = session.execute(
        select(
            select(func.count()).select_from(FootprintShare).scalar_subquery(),
            select(func.max(FootprintShare.id)).scalar_subquery(),
            select(func.count())
            .select_from(FootprintShare)
            .where(FootprintShare.revoked_at.is_not(None))
            .scalar_subquery(),
        )
    ).one()
    return [int(v or 0) for v in row]


def earlier_stamp(session: Session, start: date) -> list[int]:
    """Count and largest id of the current versions of earlier periods: a new or superseded
    earlier version changes what is carried forward, so the snapshot is built afresh."""
    row = session.execute(
        select(func.count(Submission.id), func.max(Submission.id)).where(
            SUBMITTED, Submission.period_end < start
        )
    ).one()
    return [int(v or 0) for v in row]


def save(session: Session, run_id: int, start: date, end: date, chain: ChainGraph) -> None:
    """Store the chain of a full run as the period's snapshot (replacing the previous one)."""
    g = chain.graph
    n = len(chain.product_ids)
    alloc = sorted(g.allocations)
    subs = chain.submissions
    arrays: dict[str, Any] = {
        "product_ids": np.array(chain.product_ids, dtype=np.int64),
        "leaf_ids": np.array(g.ids[n:].tolist(), dtype=str),
        "unit_names": np.array(g.unit_names, dtype=str),
        "unit_code": g.unit_code,
        "direct": g.direct,
        "primary": g.primary,
        "dqr": g.dqr,
        "ratings": g.dqi,
        "category_names": np.array(g.category_names, dtype=str),
        "category_code": g.category_code,
        "provider": g.provider,
        "consumer": g.consumer,
        "amount": g.amount,
        "alloc_index": np.array(alloc, dtype=np.int64),
        "alloc_basis": np.array([g.allocations[i].basis for i in alloc], dtype=str),
        "alloc_share": np.array([g.allocations[i].share for i in alloc], dtype=np.float64),
        "sub_product": subs.products,
        "sub_id": subs.ids,
        "sub_hash": subs.hashes,
        "fallback": np.array(chain.fallback, dtype=np.int64),
        "missing": np.array(chain.missing, dtype=np.int64),
        "carried": np.array(chain.carried, dtype=np.int64),
        "meta": np.array(
            [
                chain.fallback_release_id,
                *_products(session),
                int(subs.ids[~np.isin(subs.products, chain.carried)].max(initial=0)),
                *consent_stamp(session),
                *earlier_stamp(session, start),
            ],
            dtype=np.int64,
        ),
        "engine": np.array(supply_graph.__version__),
    }
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    session.execute(
        delete(RollupSnapshot).where(
            RollupSnapshot.period_start == start, RollupSnapshot.period_end == end
        )
    )
    snapshot = RollupSnapshot(
        run_id=run_id, period_start=start, period_end=end, data=buffer.getvalue()
    )
    session.add(snapshot)
    session.flush()
    key = (snapshot.id, run_id, snapshot.created_at, len(snapshot.data))
    _remember(session, start, end, key, arrays)


# The last snapshot read or written per (database, period), so that the runs after a
# submission in a long-lived process (the worker, a web process) do not fetch and decode ~15 MB
# at 100k products each time. An entry is used only while the stored row is the same one: same
# id, run, creation time and size (one indexed look-up, no data read).
_CACHE: dict[tuple[str, date, date], tuple[tuple[Any, ...], dict[str, Any]]] = {}
_CACHED_PERIODS = 4


def _remember(
    session: Session,
    start: date,
    end: date,
    key: tuple[Any, ...],
    arrays: dict[str, Any],
    owned: bool = False,
) -> dict[str, Any]:
    """Cache the columns, read-only (every later patch shares them), and return them: copies,
    unless the arrays are `owned` here (just decoded; nothing else refers to them)."""
    frozen = {}
    for name, value in arrays.items():
        value = value if owned else np.array(value, copy=True)
        value.flags.writeable = False
        frozen[name] = value
    where = (session.get_bind().url.render_as_string(hide_password=True), start, end)
    _CACHE.pop(where, None)
    while len(_CACHE) >= _CACHED_PERIODS:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[where] = (key, frozen)
    return frozen


def forget() -> None:
    """Empty the process's snapshot cache (the benchmark's cold runs)."""
    _CACHE.clear()


def _load(session: Session, start: date, end: date) -> tuple[int, dict[str, Any]] | None:
    """The period's snapshot: (its run id, its columns), from the process's cache while the
    stored row is the one cached."""
    row = session.execute(
        select(
            RollupSnapshot.id,
            RollupSnapshot.run_id,
            RollupSnapshot.created_at,
            func.length(RollupSnapshot.data),
        )
        .where(RollupSnapshot.period_start == start, RollupSnapshot.period_end == end)
        .order_by(RollupSnapshot.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    key = tuple(row)
    cached = _CACHE.get((session.get_bind().url.render_as_string(hide_password=True), start, end))
    if cached is not None and cached[0] == key:
        return int(row[1]), cached[1]
    with np.load(io.BytesIO(_data(session, row[0])), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    return int(row[1]), _remember(session, start, end, key, arrays, owned=True)


def _data(session: Session, snapshot_id: int) -> bytes:
    """The stored bytes; on PostgreSQL through a binary cursor (bytea as text is hex: twice
    the bytes to move and decode, 0.13–0.45 s instead of 0.05–0.07 s for 22 MB at 100k)."""
    if is_postgres(session):
        raw = session.connection().connection.driver_connection
        with raw.cursor(binary=True) as cursor:  # type: ignore[union-attr]
            cursor.execute("SELECT data FROM rollup_snapshot WHERE id = %s", (snapshot_id,))
            found = cursor.fetchone()
        return bytes(found[0])
    data = session.scalar(select(RollupSnapshot.data).where(RollupSnapshot.id == snapshot_id))
    return bytes(data)


def patched_chain(session: Session, start: date, end: date) -> ChainGraph | None:
    """Today's chain from the snapshot and the submissions after it, or None where the
    snapshot cannot be trusted (see the module's docstring) or too much changed."""
    loaded = _load(session, start, end)
    if loaded is None:
        return None
    base_run_id, s = loaded
    meta = s["meta"].tolist()
    if len(meta) != 10:  # a snapshot from before consents or carried data were part of it
        return None
    release, products, consents = meta[0], meta[1:4], meta[5:8]
    if (
        str(s["engine"]) != supply_graph.__version__
        or release != latest_release(session).id
        or products != _products(session)
        or consents != consent_stamp(session)
        or meta[8:] != earlier_stamp(session, start)
    ):
        return None
    period = (SUBMITTED, Submission.period_end == end, Submission.period_start == start)
    # The submissions to patch in are the period's current ones the snapshot does not hold, by
    # id: not "ids above the snapshot's largest", since a draft opened before the snapshot and
    # submitted after it has a smaller id than versions the snapshot holds.
    current = int_column(session, Submission.id, *period)  # 100k ids: one text, no rows
    fresh = current[~np.isin(current, s["sub_id"])]
    limit = max(MAX_PATCHED, len(s["sub_product"]) // 100)
    if fresh.size > limit:
        return None
    newer = (
        session.execute(
            select(*SUB_COLUMNS).where(Submission.id.in_(fresh.tolist())).order_by(Submission.id)
        ).all()
        if fresh.size
        else []
    )
    newer = [sub_row(r) for r in newer]
    changed = {int(r[1]) for r in newer}
    period_products = _derived(s).period_products
    added = len(changed) - int(np.isin(sorted(changed), period_products).sum())
    if current.size != len(period_products) + added:
        return None
    rows = input_rows_for(session, [int(r[0]) for r in newer])
    consent = _consent(session, release, [int(r[1]) for r in newer], rows)
    chain = _patch(s, newer, rows, consent, external_leaves(session, rows))
    chain.base_run_id = base_run_id
    return chain


def _consent(session: Session, release: int, changed: list[int], rows: list[Any]) -> Consent:
    """The consent of the changed products' links: their makers, the linked products' makers,
    categories and units, and the active shares."""
    linked = {int(r[7]) for r in rows if r[7] is not None}
    found = session.execute(
        select(Product.id, Product.organization_id, Product.category, Product.declared_unit).where(
            Product.id.in_(linked | set(changed))
        )
    ).all()
    generic: list[Any] = []

    def factors() -> list[Any]:
        if not generic:
            generic.extend(generic_factors(session, release))
        return generic

    return Consent(
        {int(p): int(o) for p, o, _, _ in found},
        active_shares(session, products=linked),
        {int(p): (str(c), str(u)) for p, _, c, u in found},
        factors,
        site_countries(session, linked),
    )


@dataclass(frozen=True)
class _Derived:
    """What every patch of one snapshot needs in Python form, built once per snapshot read
    (kept with the cached columns): 100k-entry lists and dicts cost tens of ms each."""

    product_ids: list[int]
    position: dict[int, int]
    node_ids: np.ndarray  # product nodes, then the snapshot's leaves
    categories: Mapping[int, str]
    base: SubmissionMap
    allocations: dict[int, Allocation]
    period_products: np.ndarray  # those with a version of the period (not carried forward)


def _derived(s: dict[str, Any]) -> _Derived:
    found = s.get("_derived")
    if found is None:
        product_ids: list[int] = s["product_ids"].tolist()
        names = s["category_names"].tolist()
        code = s["category_code"][: len(product_ids)].tolist()
        found = s["_derived"] = _Derived(
            product_ids,
            {p: i for i, p in enumerate(product_ids)},
            np.concatenate([_product_nodes(s["product_ids"]), s["leaf_ids"]]),
            MappingProxyType({p: names[c] for p, c in zip(product_ids, code, strict=True)}),
            SubmissionMap(s["sub_product"], s["sub_id"], s["sub_hash"]),
            {
                int(i): Allocation(str(b), float(v))
                for i, b, v in zip(
                    s["alloc_index"], s["alloc_basis"], s["alloc_share"], strict=True
                )
            },
            np.setdiff1d(s["sub_product"], s["carried"]),
        )
        found.node_ids.flags.writeable = False  # shared by every patched graph
    return found  # type: ignore[no-any-return]


def _product_nodes(product_ids: np.ndarray) -> np.ndarray:
    """`product_node` of each id, as one fixed-width string array (numpy's string functions:
    a list of 100k Python strings took twice as long)."""
    prefix = product_node(0)[:-1]
    if not len(product_ids):
        return np.zeros(0, dtype=f"U{len(prefix)}")
    width = len(prefix) + len(str(int(product_ids.max())))  # ids are positive
    digits = product_ids.astype(np.dtypes.StringDType())
    return np.strings.add(prefix, digits).astype(f"U{width}")


def _patch(
    s: dict[str, Any],
    newer: list[Any],
    rows: list[Any],
    consent: Consent,
    externals: dict[int, ExternalLeaf] | None = None,
) -> ChainGraph:
    d = _derived(s)
    product_ids, position, base = d.product_ids, d.position, d.base
    direct, primary, dqr = s["direct"].copy(), s["primary"].astype(np.float64), s["dqr"].copy()
    ratings = s["ratings"].copy()
    n = len(product_ids)
    own_ratings = ratings[:n]  # a view: own_quality writes into the product rows
    refs = base.replaced([(int(r[1]), int(r[0]), r[2]) for r in newer])
    by_sub: dict[int, int] = {}
    for sub_id, product_id, _, sub_dqr, sub_ratings in newer:
        i = position[product_id]
        by_sub[sub_id] = i
        direct[i] = 0.0
        primary[i] = 1.0
        dqr[i] = np.nan if sub_dqr is None else sub_dqr
        own_ratings[i] = sub_ratings if sub_ratings is not None else dqr[i]
    rows_changed = np.array(sorted(by_sub.values()), dtype=np.int64)
    leaf_ids: list[str] = s["leaf_ids"].tolist()
    edges = Edges(stages(), leaf_ids)
    edges.add_inputs(rows, by_sub, position, direct, externals or {}, consent, product_ids)
    edges.own_quality(primary[:n], own_ratings)
    unit_names = list(s["unit_names"].tolist())
    unit_code = s["unit_code"]
    new_leaf_units = np.array([_code(unit_names, u) for u in edges.leaf_units], dtype=np.int64)
    unit_code = np.concatenate([unit_code, new_leaf_units])
    convert = converter()
    amount = np.array(
        [
            a * (1.0 if u is None else convert(u, unit_names[unit_code[p]]))
            for p, a, u in zip(edges.provider, edges.amount, edges.unit, strict=True)
        ],
        dtype=np.float64,
    )
    if not (np.isfinite(amount) & (amount >= 0)).all():
        raise ValueError("a changed submission has an amount that is not a number >= 0")
    changed_row = np.zeros(len(d.node_ids), dtype=bool)
    changed_row[rows_changed] = True
    keep = ~changed_row[s["consumer"]]
    category_names = list(s["category_names"].tolist())
    leaf_codes = np.array([_code(category_names, c) for c in edges.leaf_category], dtype=np.int64)
    allocations = {i: a for i, a in d.allocations.items() if not changed_row[i]}
    allocations.update(edges.allocations)
    graph = SupplyGraph(
        ids=(
            np.concatenate([d.node_ids, np.array(edges.leaf_ids, dtype=str)])
            if edges.leaf_ids
            else d.node_ids  # no new dataset: the snapshot's ids as they are, not a copy
        ),
        stages=stages(),
        unit_names=tuple(unit_names),
        unit_code=unit_code,
        direct=np.vstack([direct, edges.leaf_direct()]),
        primary=np.concatenate([primary, np.array(edges.leaf_primary, dtype=np.float64)]),
        dqr=np.vstack([ratings, edges.leaf_ratings_array()]).mean(axis=1),
        ratings=np.vstack([ratings, edges.leaf_ratings_array()]),
        category_names=tuple(category_names),
        category_code=np.concatenate([s["category_code"], leaf_codes]),
        provider=np.concatenate([s["provider"][keep], np.array(edges.provider, dtype=np.int64)]),
        consumer=np.concatenate([s["consumer"][keep], np.array(edges.consumer, dtype=np.int64)]),
        amount=np.concatenate([s["amount"][keep], amount]),
        allocations=allocations,
    )
    changed = {product_ids[i] for i in rows_changed.tolist()}
    return ChainGraph(
        graph,
        refs,
        int(s["meta"][0]),
        [p for p in s["fallback"].tolist() if p not in changed],
        [p for p in s["missing"].tolist() if p not in changed],
        list(product_ids),
        d.categories,  # read-only, shared by every patch of the snapshot
        base_submissions=base,
        carried=[p for p in s["carried"].tolist() if p not in changed],
    )


def _code(names: list[str], name: str) -> int:
    """The code of `name` in a dictionary-encoded column, appending it if new."""
    if name not in names:
        names.append(name)
    return names.index(name)
