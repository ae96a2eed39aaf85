"""Roll-up results: each run of the engine over a period, and every product's result in it.
Results are drafts for declarations; a declaration pins the run it came from."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, LargeBinary, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from footprint_platform.models.base import Base, UTCDateTime, utcnow

# Stored figures keep ten decimals (NUMERIC(24, 10)): PostgreSQL rounds there, so a tiny total is
# only that exact in absolute terms when compared with a recomputed one.
STORED_SCALE = 1e-10


class RollupRun(Base):
    __tablename__ = "rollup_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, index=True)
    period_end: Mapped[date] = mapped_column(Date)
    trigger: Mapped[str] = mapped_column(String(64))
    engine_version: Mapped[str] = mapped_column(String(32))
    nodes: Mapped[int] = mapped_column(Integer)
    edges: Mapped[int] = mapped_column(Integer)
    build_ms: Mapped[int] = mapped_column(Integer)
    solve_ms: Mapped[int] = mapped_column(Integer)
    # the factor release of products without data (generic fallbacks)
    fallback_release_id: Mapped[int] = mapped_column(ForeignKey("factor_release.id"))
    # submission ids used, by product id: what a declaration pins. A run patched from the
    # period's snapshot stores only the changes against the snapshot's run, `base_run_id`
    # (null: a product without one now); read the whole map with `period_graph.run_pins`. Deferred:
    # a full map is 100k entries at industry scale, and most readers of a run never need it.
    submissions: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    base_run_id: Mapped[int | None] = mapped_column(ForeignKey("rollup_run.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProductResult(Base):
    """One product's cradle-to-gate footprint per declared unit in one run."""

    __tablename__ = "product_result"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("rollup_run.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    total: Mapped[Decimal] = mapped_column(Numeric(24, 10))
    by_stage: Mapped[dict[str, float]] = mapped_column(JSON)
    primary_data_share: Mapped[Decimal] = mapped_column(Numeric(8, 6))
    dqr: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    # {"technological", "temporal", "geographical"}: contribution-weighted ratings as strings
    # (PACT v3 dqi), None where unrated or computed before they were stored; dqr is their mean
    dqi: Mapped[dict[str, str] | None] = mapped_column(JSON(none_as_null=True))
    # how the product's own data entered: submitted, generic fallback, or missing
    basis: Mapped[str] = mapped_column(String(12))
    upstream_missing: Mapped[bool] = mapped_column(Boolean, default=False)
    # what the footprint is made of: the shares from data carried forward from an earlier
    # period and from fallback datasets standing in for missing data (the rest: primary data
    # of the period and secondary datasets entered as inputs; primary_data_share includes
    # the carried part)
    carried_share: Mapped[Decimal] = mapped_column(
        Numeric(8, 6), default=Decimal(0), server_default="0"
    )
    fallback_share: Mapped[Decimal] = mapped_column(
        Numeric(8, 6), default=Decimal(0), server_default="0"
    )


class RollupJob(Base):
    """A requested recompute of a period, and the outbox that makes it durable: the row is
    written in the same transaction as the change that asks for it (a submission), so a
    process that dies after that commit leaves a "queued" row that any dispatcher (the worker's
    sweep, `flask rollup dispatch`, the next request without a queue) runs. Done in the request
    for small chains, on the background worker (RQ on Redis) for large ones; its status is
    what people see meanwhile."""

    __tablename__ = "rollup_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, index=True)
    period_end: Mapped[date] = mapped_column(Date)
    trigger: Mapped[str] = mapped_column(String(64))
    changed_product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    status: Mapped[str] = mapped_column(String(12), index=True)  # queued|running|done|failed
    run_id: Mapped[int | None] = mapped_column(ForeignKey("rollup_run.id"))
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The lease of the process running it, renewed by its heartbeat: a "running" job whose
    # lease has passed lost its process (killed, out of memory, a deploy) and is run again.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))  # the claim's token
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RollupSnapshot(Base):
    """The supply graph of a period's last full run, as numpy columns (services/graph/snapshots.py),
    so that the run after one submission patches that product instead of reading every input
    row again. A cache: one per period, replaced by each full run, never needed for a result
    to be reproduced (declarations recompute from their pins)."""

    __tablename__ = "rollup_snapshot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("rollup_run.id"))
    period_start: Mapped[date] = mapped_column(Date, index=True)
    period_end: Mapped[date] = mapped_column(Date)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
