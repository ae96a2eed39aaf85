"""Recomputing a period's footprints and keeping every run's results.

A full run stores every product's result in bulk (COPY on PostgreSQL, one executemany
elsewhere), so what the engine does in milliseconds is not undone by row-by-row writes.
Submitting data triggers a run of its period that stores results only for the products whose
numbers can have changed: those downstream of any product whose submission differs from the
previous run's (usually just the one submitted). Every other product's newest result is still
its result, and readers take the newest result per product (`latest_results`).

One module because a recompute and the storage of its results are one transaction (run, rows,
pins, loop reports), and the readers of stored results must agree with exactly how they were
written.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, defer

import supply_graph
from footprint_platform import stages
from footprint_platform.bulk import copy_rows, is_postgres, no_cycle_collection
from footprint_platform.models import AuditEvent, Product, ProductResult, RollupRun, utcnow
from footprint_platform.policy import SYSTEM
from footprint_platform.queries import newest_result_ids
from footprint_platform.rules import rule_for_category
from footprint_platform.services.catalogue import audit
from footprint_platform.services.graph import period_graph, snapshots
from footprint_platform.services.graph.chain import (
    ChainGraph,
    SubmissionMap,
    composition,
    rollup_isolating,
)
from footprint_platform.services.graph.fallbacks import worst_dqr
from footprint_platform.services.notify import webhooks
from supply_graph.quality import RATINGS


@dataclass(frozen=True)
class Timings:
    """Where a recompute's time went, in seconds (the benchmark reads these)."""

    build: float
    solve: float
    store: float  # result rows
    snapshot_commit: float  # writing the snapshot (full runs) and the commit
    stored: int  # result rows written
    patched: bool  # the graph came from the period's snapshot, patched


def recompute(
    session: Session,
    start: date,
    end: date,
    trigger: str,
    changed_product_id: int | None = None,
    *,
    commit: bool = True,
) -> tuple[RollupRun, ChainGraph]:
    """Roll up the whole period and store a run; the chain it was built from comes back too,
    for the declarations that follow the run. With `changed_product_id` (a submission landed)
    only the results that can differ from the previous run's are stored. Without `commit`
    the caller commits (a job: the run, its redeclarations and its status together)."""
    run, chain, _ = recompute_timed(session, start, end, trigger, changed_product_id, commit=commit)
    return run, chain


def lock_period(session: Session, start: date, end: date) -> None:
    """Serialise the writers of a period's runs and declarations until the transaction ends,
    so two recomputes never read the same "previous" run or declaration version: on
    PostgreSQL an advisory lock per period; SQLite has one writer at a time, taken here at
    once (a write) rather than at the first insert, after reads another writer could change."""
    if is_postgres(session):
        key = int.from_bytes(
            hashlib.sha256(f"rollup:{start}:{end}".encode()).digest()[:8], "big", signed=True
        )
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        session.execute(text("UPDATE rollup_job SET id = id WHERE id = -1"))


def recompute_timed(
    session: Session,
    start: date,
    end: date,
    trigger: str,
    changed_product_id: int | None = None,
    *,
    commit: bool = True,
) -> tuple[RollupRun, ChainGraph, Timings]:
    t0 = time.perf_counter()
    started = utcnow()  # before the build reads the consents (chain_graph's `as_of`)
    chain, patched = period_graph.now(session, start, end, rebuild=changed_product_id is None)
    t1 = time.perf_counter()
    isolated = rollup_isolating(chain)
    result, bad_loops, skipped = isolated.result, isolated.loops, isolated.not_computed
    t2 = time.perf_counter()
    affected = (
        None
        if changed_product_id is None
        else _affected(session, start, end, chain, changed_product_id)
    )
    run = RollupRun(
        period_start=start,
        period_end=end,
        trigger=trigger[:64],
        engine_version=supply_graph.__version__,
        nodes=chain.graph.n_nodes,
        edges=chain.graph.n_edges,
        fallback_release_id=chain.fallback_release_id,
        started_at=started,
        build_ms=round((t1 - t0) * 1000),
        solve_ms=round((t2 - t1) * 1000),
        **_pins_to_store(chain),
    )
    session.add(run)
    session.flush()
    origins = composition(isolated.graph, chain.origin_masks(), result.total)
    stored = _store(session, run.id, chain, result, affected, skipped, origins)
    if bad_loops:
        _report_loops(session, run, chain, bad_loops, skipped)
    webhooks.results_changed(session, run)
    t3 = time.perf_counter()
    if not patched:
        snapshots.save(session, run.id, start, end, chain)
    if commit:
        session.commit()
    else:
        session.flush()
    t4 = time.perf_counter()
    return run, chain, Timings(t1 - t0, t2 - t1, t3 - t2, t4 - t3, stored, patched)


LOOP_ERROR = "rollup.loop_error"


def _report_loops(
    session: Session,
    run: RollupRun,
    chain: ChainGraph,
    loops: list[supply_graph.BadLoop],
    skipped: set[int],
) -> None:
    """Tell the operator (its audit page lists these) which loops a run met and what it left
    uncomputed, by product ids and part numbers: the operator may see product names, and the
    makers of the products see "not computed: loop error" on their own products only."""
    ids = sorted(skipped)
    parts = dict(
        session.execute(select(Product.id, Product.part_number).where(Product.id.in_(ids))).all()
    )

    def part(node: str) -> str:
        return str(parts.get(int(node.split(":", 1)[1]), node))

    audit.record(
        session,
        SYSTEM,
        LOOP_ERROR,
        run,
        details={
            "period": f"{run.period_start}/{run.period_end}",
            "loops": [[part(node) for node in loop.cycle] for loop in loops],
            "loop_products": [sorted(part(node) for node in loop.members) for loop in loops],
            "not_computed": ids,
        },
    )


def loop_reports(session: Session, limit: int = 20) -> list[AuditEvent]:
    """The newest loop errors runs met, for the operator's page (`_report_loops`)."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == LOOP_ERROR)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )


def not_computed_now(session: Session, start: date, end: date) -> set[int]:
    """Products the period's newest run could not compute (a loop error)."""
    newest = session.scalar(
        select(func.max(RollupRun.id)).where(
            RollupRun.period_start == start, RollupRun.period_end == end
        )
    )
    return set() if newest is None else not_computed(session, [newest])


def not_computed(session: Session, run_ids: Collection[int]) -> set[int]:
    """Products the given runs left uncomputed because of a loop error (`_report_loops`)."""
    if not run_ids:
        return set()
    found = session.scalars(
        select(AuditEvent.details).where(
            AuditEvent.action == LOOP_ERROR,
            AuditEvent.object_type == "RollupRun",
            AuditEvent.object_id.in_([str(r) for r in run_ids]),
        )
    )
    return {int(p) for details in found for p in (details or {}).get("not_computed", [])}


def _affected(
    session: Session, start: date, end: date, chain: ChainGraph, changed_product_id: int
) -> set[int] | None:
    """Products whose result can differ from their newest stored one: downstream of the
    changed product, of every product whose submission differs from the previous run's, and
    of products that have no result yet. None (store all) when there is no comparable
    previous run: none yet, another factor release for the fallbacks, or another engine."""
    previous = session.scalars(
        select(RollupRun)
        .where(RollupRun.period_start == start, RollupRun.period_end == end)
        .order_by(RollupRun.id.desc())
        .limit(1)
    ).first()
    if (
        previous is None
        or previous.fallback_release_id != chain.fallback_release_id
        or previous.engine_version != supply_graph.__version__
    ):
        return None
    before = _previous_pins(session, previous, chain)
    changed = _changed(before, (chain.submissions.products, chain.submissions.ids))
    newest = session.scalar(select(func.max(ProductResult.product_id))) or 0
    changed.update(chain.product_array[chain.product_array > newest].tolist())  # ids only grow
    changed.add(changed_product_id)
    return chain.reachable(changed, "down")


Pairs = tuple[np.ndarray, np.ndarray]  # (product ids, submission ids), int64


def changed_products(before: dict[int, int], now: SubmissionMap) -> set[int]:
    """Products whose submission differs between a run's whole pins and a chain's."""
    products = np.fromiter(before, dtype=np.int64, count=len(before))
    ids = np.fromiter(before.values(), dtype=np.int64, count=len(before))
    order = np.argsort(products)
    return _changed((products[order], ids[order]), (now.products, now.ids))


def _changed(before: Pairs, now: Pairs) -> set[int]:
    """Products whose submission differs between two sets of pins: the pairs (product,
    submission) in one but not the other, as 64-bit keys (vectorised: 100k pins)."""
    pairs = np.setxor1d((before[0] << 32) | before[1], (now[0] << 32) | now[1], assume_unique=True)
    return set((pairs >> 32).tolist())


def _pins_to_store(chain: ChainGraph) -> dict[str, Any]:
    """A run's pins: the changes against the snapshot's run when the chain was patched from
    it (a few entries instead of the period's 100k), else the whole map."""
    if chain.base_run_id is None or chain.base_submissions is None:
        return {"submissions": chain.submissions.id_map(), "base_run_id": None}
    base, now = chain.base_submissions, chain.submissions
    changes: dict[str, int | None] = {}
    base_keys = (base.products << 32) | base.ids
    new = np.isin((now.products << 32) | now.ids, base_keys, invert=True, assume_unique=True)
    for p in np.setdiff1d(base.products, now.products, assume_unique=True).tolist():
        changes[str(p)] = None
    for p, i in zip(now.products[new].tolist(), now.ids[new].tolist(), strict=True):
        changes[str(p)] = i
    return {"submissions": changes, "base_run_id": chain.base_run_id}


def _apply(base: Pairs, changes: dict[str, int | None]) -> Pairs:
    """Pins (sorted by product) with a change list applied (None: the product has none)."""
    touched = np.fromiter(map(int, changes), dtype=np.int64, count=len(changes))
    keep = ~np.isin(base[0], touched, assume_unique=True)
    added = [(int(p), i) for p, i in changes.items() if i is not None]
    products = np.concatenate([base[0][keep], np.array([p for p, _ in added], dtype=np.int64)])
    ids = np.concatenate([base[1][keep], np.array([i for _, i in added], dtype=np.int64)])
    order = np.argsort(products, kind="stable")
    return products[order], ids[order]


def _previous_pins(session: Session, previous: RollupRun, chain: ChainGraph) -> Pairs:
    """The previous run's pins, from the snapshot the chain was patched from when the
    previous run is that snapshot's run or a change list against it (no 100k-entry parse)."""
    base = chain.base_submissions
    if base is not None and chain.base_run_id in (previous.id, previous.base_run_id):
        pairs = (base.products, base.ids)
        return pairs if previous.id == chain.base_run_id else _apply(pairs, previous.submissions)
    pins = period_graph.run_pins(session, previous)
    return (
        np.fromiter(pins, dtype=np.int64, count=len(pins)),
        np.fromiter(pins.values(), dtype=np.int64, count=len(pins)),
    )


def _store(
    session: Session,
    run_id: int,
    chain: ChainGraph,
    result: supply_graph.RollupResult,
    only: Collection[int] | None,
    skipped: Collection[int] = (),
    origins: np.ndarray | None = None,
) -> int:
    """Write the run's product results in bulk, none for the `skipped` products (their
    newest stored result stays theirs); returns how many."""
    with no_cycle_collection():  # 100k rows of new tuples, strings and floats: no cycles
        return _store_columns(
            session, _ResultColumns(run_id, chain, result, only, skipped, origins)
        )


def _store_columns(session: Session, columns: _ResultColumns) -> int:
    if not columns.product_ids:  # every affected product is on or below a bad loop
        return 0
    if is_postgres(session):
        rows = list(columns.dicts())
        names = list(rows[0])
        copy_rows(
            session,
            ProductResult.__table__,  # type: ignore[arg-type]
            names,
            ([_copy_value(c, r[c]) for c in names] for r in rows),
        )
    else:
        # the values as SQLAlchemy's types would bind them on SQLite (Numeric as float, JSON
        # as json.dumps text, NULL for no dqi), given to one DBAPI executemany: no bind
        # processing per value for a 100k-row run (bench/RESULTS.md, "Ninth round")
        listed = ", ".join(_RESULT_COLUMNS)
        marks = ", ".join("?" for _ in _RESULT_COLUMNS)
        session.connection().exec_driver_sql(
            f"INSERT INTO product_result ({listed}) VALUES ({marks})",
            list(columns.sqlite_rows()),
        )
    return len(columns.product_ids)


_RESULT_COLUMNS = (
    "run_id",
    "product_id",
    "total",
    "by_stage",
    "primary_data_share",
    "dqr",
    "dqi",
    "basis",
    "upstream_missing",
    "carried_share",
    "fallback_share",
)


def result_rows(
    run_id: int,
    chain: ChainGraph,
    result: supply_graph.RollupResult,
    only: Collection[int] | None = None,
    skipped: Collection[int] = (),
    origins: np.ndarray | None = None,
) -> Iterator[dict[str, Any]]:
    """One product_result row per product (the chain's first nodes are its products, in
    order), from the result's columns rather than a lookup per product; none for `skipped`.
    `origins`: the `composition` of every node (carried-forward and fallback shares).

    A result with a gap (its own data or an input upstream missing, valued at nothing) has
    no weight for the gap in its rating, so it is rated the worst of its rule's scale: the
    share the gap would have is unknown, and a gap must never improve a rating."""
    return _ResultColumns(run_id, chain, result, only, skipped, origins).dicts()


class _ResultColumns:
    """`result_rows` as columns of plain values, computed once: rows as dicts (the ORM's
    column values) or as SQLite binds them."""

    def __init__(
        self,
        run_id: int,
        chain: ChainGraph,
        result: supply_graph.RollupResult,
        only: Collection[int] | None,
        skipped: Collection[int],
        origins: np.ndarray | None,
    ) -> None:
        missing = set(chain.missing)
        upstream_missing = chain.reachable(missing, "down") - missing if missing else set()
        zero = chain.awaiting_without_data()  # links valued as a missing product would be
        upstream_missing |= chain.reachable(zero, "down") if zero else set()
        self.run_id = run_id
        self.stage_names = list(result.stages)
        rows = (
            np.arange(len(chain.product_ids))
            if only is None
            else np.flatnonzero(np.isin(chain.product_array, list(only), assume_unique=True))
        )
        if skipped:
            rows = rows[~np.isin(chain.product_array[rows], list(skipped))]
        self.by_stage = relative_stages(chain, result, rows).tolist()
        self.totals = result.total[rows].tolist()
        self.shares = result.primary_data_share[rows].tolist()
        dqrs = result.dqr[rows].tolist()
        dqis = (
            np.full((len(rows), 3), np.nan) if result.dqi is None else result.dqi[rows]
        ).tolist()
        if origins is None:
            origins = np.zeros((len(chain.product_ids), 2))
        self.carried_shares = origins[rows, 0].tolist()
        self.fallback_shares = origins[rows, 1].tolist()
        carried = set(chain.carried)
        submitted = set(chain.submissions.products.tolist())  # one set, not a search per product
        self.product_ids = [chain.product_ids[i] for i in rows.tolist()]
        self.basis = [
            "carried"
            if p in carried
            else "submitted"
            if p in submitted
            else "missing"
            if p in missing
            else "generic"
            for p in self.product_ids
        ]
        self.upstream_missing = [p in upstream_missing for p in self.product_ids]
        for k, p in enumerate(self.product_ids):
            if p in missing or p in upstream_missing:
                dqrs[k] = worst_dqr(chain.categories[p])
                dqis[k] = [dqrs[k]] * 3
        self.dqrs, self.dqis = dqrs, dqis

    def dicts(self) -> Iterator[dict[str, Any]]:
        for k, product_id in enumerate(self.product_ids):
            dqr = self.dqrs[k]
            yield {
                "run_id": self.run_id,
                "product_id": product_id,
                "total": Decimal(repr(self.totals[k])),
                "by_stage": dict(zip(self.stage_names, self.by_stage[k], strict=True)),
                "primary_data_share": Decimal(f"{self.shares[k]:.6f}"),
                "dqr": None if np.isnan(dqr) else Decimal(f"{dqr:.2f}"),
                "dqi": dqi_strings(self.dqis[k]),
                "basis": self.basis[k],
                "upstream_missing": self.upstream_missing[k],
                "carried_share": Decimal(f"{self.carried_shares[k]:.6f}"),
                "fallback_share": Decimal(f"{self.fallback_shares[k]:.6f}"),
            }

    def sqlite_rows(self) -> Iterator[tuple[Any, ...]]:
        """The rows in `_RESULT_COLUMNS` order as SQLAlchemy binds them on SQLite: each Decimal
        of `dicts` as the float it converts to (the same float: a shortest repr or a fixed-point
        string read once), each JSON value as `json.dumps` writes it."""
        by_stage = _json_template(self.stage_names, "%r")
        finite = bool(np.isfinite(np.asarray(self.by_stage, dtype=np.float64)).all())
        dqi = _json_template(RATINGS, '"%.2f"')
        for k, product_id in enumerate(self.product_ids):
            dqr, dqis = self.dqrs[k], self.dqis[k]
            stages_k = self.by_stage[k]
            yield (
                self.run_id,
                product_id,
                self.totals[k],
                by_stage % tuple(stages_k)
                if finite
                else json.dumps(dict(zip(self.stage_names, stages_k, strict=True))),
                float(f"{self.shares[k]:.6f}"),
                None if dqr != dqr else float(f"{dqr:.2f}"),
                None if any(v != v for v in dqis) else dqi % tuple(dqis),
                self.basis[k],
                self.upstream_missing[k],
                float(f"{self.carried_shares[k]:.6f}"),
                float(f"{self.fallback_shares[k]:.6f}"),
            )


def _json_template(keys: Sequence[str], value: str) -> str:
    """`json.dumps` of a dict with these keys as a %-template of its values (its separators)."""
    return "{" + ", ".join(f"{json.dumps(k)}: {value}" for k in keys) + "}"


def relative_stages(
    chain: ChainGraph, result: supply_graph.RollupResult, rows: np.ndarray
) -> np.ndarray:
    """The products' stages at `rows`, each relative to its own rule (stages.split), one
    vectorised split per rule (rules found per distinct category, not per product)."""
    g = chain.graph
    own = chain.own_data()
    out = np.array(result.by_stage[rows], dtype=np.float64)  # no category: labels as given
    codes = g.category_code[rows]
    rule_of = {
        c: rule_for_category(g.category_names[c]) for c in np.unique(codes).tolist() if c >= 0
    }
    for rule in {r.code: r for r in rule_of.values()}.values():
        mine = np.isin(codes, [c for c, r in rule_of.items() if r.code == rule.code])
        out[mine] = stages.split(rule, g, result, rows[mine], own)
    return out


@dataclass(frozen=True)
class LatestResult:
    """A product's newest stored result; `not_computed`: the newest run of its period could
    not compute it (a loop error), so this result is older than the period's data."""

    result: ProductResult
    run: RollupRun
    not_computed: bool = False


def latest_results(
    session: Session, organization_id: int, period: tuple[date, date] | None = None
) -> dict[int, LatestResult]:
    """The newest result of each of the organization's products (result ids grow with runs),
    in `period` when given (the pages always give one: a newer period must not hide an older
    one). The runs' pins (`submissions`, one entry per product of the period: megabytes at
    100k products) load only when read."""
    own = ProductResult.product_id.in_(
        select(Product.id).where(Product.organization_id == organization_id)
    )
    if period is not None:
        newest = newest_result_ids(
            own, RollupRun.period_start == period[0], RollupRun.period_end == period[1]
        )
    else:  # the newest of any period
        newest = select(func.max(ProductResult.id)).where(own).group_by(ProductResult.product_id)
    stmt = (
        select(ProductResult, RollupRun)
        .join(RollupRun)
        .where(ProductResult.id.in_(newest))
        .options(defer(RollupRun.submissions))
    )
    found = session.execute(stmt).all()
    failed = not_computed(session, _newest_runs(session, {run.period_start for _, run in found}))
    return {r.product_id: LatestResult(r, run, r.product_id in failed) for r, run in found}


def _newest_runs(session: Session, starts: Collection[date]) -> list[int]:
    """The newest run of each period starting on one of the given days."""
    if not starts:
        return []
    stmt = (
        select(func.max(RollupRun.id))
        .where(RollupRun.period_start.in_(list(starts)))
        .group_by(RollupRun.period_start, RollupRun.period_end)
    )
    return [int(i) for i in session.scalars(stmt)]


def dqi_strings(dqi: Sequence[float]) -> dict[str, str] | None:
    """The three contribution-weighted ratings as stored: decimal strings to two places keyed
    by PACT v3's indicator (technological, temporal, geographical); None where unrated."""
    if any(v != v for v in dqi):  # NaN
        return None
    return {name: f"{v:.2f}" for name, v in zip(RATINGS, dqi, strict=True)}


def _copy_value(column: str, value: Any) -> Any:
    """A value as COPY takes it: JSON columns serialised (a missing dqi as NULL)."""
    if column == "by_stage":
        return json.dumps(value)
    if column == "dqi":
        return None if value is None else json.dumps(value)
    return value
