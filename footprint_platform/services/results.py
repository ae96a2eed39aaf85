"""Recomputing a period's footprints and keeping every run's results.

A run stores all products' results with bulk inserts (one statement), so what the engine does in
milliseconds is not undone by row-by-row writes. Submitting data triggers a run of its period.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

import supply_graph
from footprint_platform.models import Product, ProductResult, RollupRun
from footprint_platform.services.rollup import ChainGraph, chain_graph, product_node


def recompute(
    session: Session, start: date, end: date, trigger: str
) -> tuple[RollupRun, ChainGraph]:
    """Roll up the whole period and store a run with every product's result; the chain it was
    built from comes back too, for the declarations that follow the run."""
    t0 = time.perf_counter()
    chain = chain_graph(session, start, end)
    t1 = time.perf_counter()
    result = supply_graph.rollup(chain.graph)
    t2 = time.perf_counter()
    run = RollupRun(
        period_start=start,
        period_end=end,
        trigger=trigger[:64],
        engine_version=supply_graph.__version__,
        nodes=chain.graph.n_nodes,
        edges=chain.graph.n_edges,
        fallback_release_id=chain.fallback_release_id,
        build_ms=round((t1 - t0) * 1000),
        solve_ms=round((t2 - t1) * 1000),
        submissions={str(p): s.id for p, s in chain.submissions.items()},
    )
    session.add(run)
    session.flush()
    missing = set(chain.missing)
    upstream_missing = chain.reachable(missing, "down") - missing
    rows = []
    for product_id in session.scalars(select(Product.id)):
        r = result[product_node(product_id)]
        basis = (
            "submitted"
            if product_id in chain.submissions
            else "missing"
            if product_id in missing
            else "generic"
        )
        rows.append(
            {
                "run_id": run.id,
                "product_id": product_id,
                "total": Decimal(repr(r.total)),
                "by_stage": r.by_stage,
                "primary_data_share": Decimal(f"{r.primary_data_share:.6f}"),
                "dqr": Decimal(f"{r.dqr:.2f}") if r.dqr is not None else None,
                "basis": basis,
                "upstream_missing": product_id in upstream_missing,
            }
        )
    if rows:
        session.execute(insert(ProductResult), rows)
    session.commit()
    return run, chain


@dataclass(frozen=True)
class LatestResult:
    result: ProductResult
    run: RollupRun


def latest_results(session: Session, organization_id: int) -> dict[int, LatestResult]:
    """The newest result of each of the organization's products (result ids grow with runs)."""
    newest = (
        select(func.max(ProductResult.id))
        .join(Product, Product.id == ProductResult.product_id)
        .where(Product.organization_id == organization_id)
        .group_by(ProductResult.product_id)
    )
    stmt = select(ProductResult, RollupRun).join(RollupRun).where(ProductResult.id.in_(newest))
    return {r.product_id: LatestResult(r, run) for r, run in session.execute(stmt)}
