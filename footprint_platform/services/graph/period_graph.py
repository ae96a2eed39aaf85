"""One entry to a period's supply graph, whichever way it must be had. Callers say what they
need the graph for; this module chooses how to get it:

- `now`: the graph as the data stand today. The period's snapshot patched to today when one is
  kept (after one submission only the changed products are read again), else built fresh; a
  full recompute asks for `rebuild`, and a what-if that adds leaves always builds fresh.
- `as_of_run`: the graph a stored run solved, from the run's pins, fallback release and the
  moment it read the links' consents (to explain or declare one of its results).
- `as_declared`: the graph of a declaration's pins (to recompute and verify it), whole or only
  the declared product's upstream.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.models import Declaration, RollupRun
from footprint_platform.services.graph import snapshots
from footprint_platform.services.graph.build import chain_graph, pinned_upstream_graph
from footprint_platform.services.graph.chain import ChainGraph


def now(
    session: Session,
    start: date,
    end: date,
    *,
    rebuild: bool = False,
    extra_leaves: Sequence[Any] | None = None,
) -> tuple[ChainGraph, bool]:
    """The period's graph as the data stand now, and whether it came from the patched snapshot
    (it equals a fresh build: tests/platform/test_consent.py and test_missing_data.py compare
    them)."""
    if not rebuild and not extra_leaves:
        chain = snapshots.patched_chain(session, start, end)
        if chain is not None:
            return chain, True
    return chain_graph(session, start, end, extra_leaves=list(extra_leaves or [])), False


def snapshot(session: Session, start: date, end: date) -> ChainGraph | None:
    """The period's snapshot patched to today, or None: for a caller that would rather fall back
    to a stored run's pinned graph than build the period afresh."""
    return snapshots.patched_chain(session, start, end)


def run_pins(session: Session, run: RollupRun) -> dict[int, int]:
    """A run's whole pins, product id -> submission id: its map, or its base run's map with
    its changes applied."""
    pins: dict[int, int] = {}
    if run.base_run_id is not None:
        base = session.scalar(select(RollupRun.submissions).where(RollupRun.id == run.base_run_id))
        pins = {int(p): s for p, s in (base or {}).items()}
    for p, s in run.submissions.items():
        if s is None:
            pins.pop(int(p), None)
        else:
            pins[int(p)] = s
    return pins


def as_of_run(session: Session, run: RollupRun) -> ChainGraph:
    """The graph the run solved: its pins, its fallback release, its links' consents."""
    return chain_graph(
        session,
        run.period_start,
        run.period_end,
        run_pins(session, run),
        run.fallback_release_id,
        as_of=run.started_at,
    )


def as_declared(
    session: Session, d: Declaration, pins: dict[int, int], *, upstream_only: bool = False
) -> ChainGraph:
    """The declaration's graph from its pins, with the links' consents as its run saw them;
    `upstream_only` reads only the declared product and what it draws on (verification)."""
    as_of = session.scalar(select(RollupRun.started_at).where(RollupRun.id == d.run_id))
    if upstream_only:
        return pinned_upstream_graph(
            session, d.product_id, d.period_start, d.period_end, pins, d.fallback_release_id, as_of
        )
    return chain_graph(
        session, d.period_start, d.period_end, pins, d.fallback_release_id, as_of=as_of
    )
