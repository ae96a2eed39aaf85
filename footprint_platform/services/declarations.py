"""Declarations: a product's result pinned to the exact data, factors, rule and engine it came
from, with a content hash; `verify` recomputes each from its pins and reports any difference."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

import supply_graph
from footprint_platform.classes import classify_product
from footprint_platform.errors import InvalidInput, NotFound
from footprint_platform.models import (
    Declaration,
    DeclarationStatus,
    Organization,
    Product,
    ProductResult,
    RollupRun,
    Submission,
)
from footprint_platform.policy import SYSTEM, Action, Actor, authorize
from footprint_platform.reference import load_reference
from footprint_platform.rules import rule_for_category
from footprint_platform.services import audit, sharing
from footprint_platform.services.fingerprint import content_hash as submission_hash
from footprint_platform.services.rollup import ChainGraph, chain_graph, product_node

RELATIVE_TOLERANCE = 1e-9  # the engine's own guarantee (issue 5): f = e + Aᵀ f to 1e-9
MAX_NAMED = 50  # a refusal names at most this many upstream products


def _missing_primary(
    session: Session, product: Product, chain: ChainGraph, upstream: set[int]
) -> list[str]:
    """Upstream products a declaration cannot rest on: any with no data at all (it would count
    as zero), and, under a rule that names components needing primary data (EU Annex II),
    those categories and batteries (whose components are then unknown) without a submission.
    Decided on the chain's categories; only the few products named are read."""
    rule = rule_for_category(product.category)
    categories = load_reference().categories
    no_data = set(chain.missing)
    missing_ids = []
    for p in upstream:
        category = categories[chain.categories[p]]
        needs = rule.required_components and (
            category.annex_ii in rule.required_components or category.is_battery
        )
        if p in no_data or (needs and p not in chain.submissions):
            missing_ids.append(p)
    if not missing_ids:
        return []
    named = session.execute(
        select(Product.part_number, Organization.name_en)
        .join(Organization, Organization.id == Product.organization_id)
        .where(Product.id.in_(missing_ids[:MAX_NAMED]))
    ).all()
    names = sorted(f"{part} ({org})" for part, org in named)
    more = len(missing_ids) - len(names)
    return names + ([f"+{more}"] if more > 0 else [])


def canonical(d: Declaration) -> dict[str, Any]:
    return {
        "product_id": d.product_id,
        "period": [str(d.period_start), str(d.period_end)],
        "version": d.version,
        "declared_unit": d.declared_unit,
        "total": str(d.total),
        "by_stage": d.by_stage,
        "primary_data_share": str(d.primary_data_share),
        "dqr": None if d.dqr is None else str(d.dqr),
        "rule": [d.rule_code, d.rule_version],
        "class": [d.performance_class, d.class_scale_version],
        "engine": d.engine_version,
        "fallback_release_id": d.fallback_release_id,
        "pinned": d.pinned,
    }


def declaration_hash(d: Declaration) -> str:
    blob = json.dumps(canonical(d), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def declare(
    session: Session,
    actor: Actor,
    product_id: int,
    start: date,
    end: date,
    reason: str | None = None,
) -> Declaration:
    """Turn the period's latest result of a product into a declaration pinned to its inputs."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(str(_l("No such product.")))
    authorize(actor, Action.EDIT_SUBMISSIONS, product.organization_id)
    run = _latest_run(session, product.id, start, end)
    chain = chain_graph(session, start, end, _pins(run), run.fallback_release_id)
    return _declare(session, actor, product, run, chain, reason)


def _latest_run(session: Session, product_id: int, start: date, end: date) -> RollupRun:
    """The newest run of the period holding a result for the product. A run after a
    submission stores only what it changed, so this is the run of the product's newest
    result, whose pins equal today's for everything upstream of the product."""
    run = session.scalars(
        select(RollupRun)
        .join(ProductResult, ProductResult.run_id == RollupRun.id)
        .where(
            ProductResult.product_id == product_id,
            RollupRun.period_start == start,
            RollupRun.period_end == end,
        )
        .order_by(RollupRun.id.desc())
        .limit(1)
    ).first()
    if run is None:
        raise InvalidInput(str(_l("Nothing is computed for this period yet.")))
    return run


def _pins(run: RollupRun) -> dict[int, int]:
    return {int(p): s for p, s in run.submissions.items()}


def _declare(
    session: Session,
    actor: Actor,
    product: Product,
    run: RollupRun,
    chain: ChainGraph,
    reason: str | None,
) -> Declaration:
    upstream = chain.reachable([product.id], "up")
    missing = _missing_primary(session, product, chain, upstream)
    if missing:
        msg = str(_l("The rule needs primary data for: %(nodes)s.", nodes=", ".join(missing)))
        raise InvalidInput(msg, {"product_id": [msg]})
    result = session.scalar(
        select(ProductResult).where(
            ProductResult.run_id == run.id, ProductResult.product_id == product.id
        )
    )
    if result is None or result.basis != "submitted":
        msg = str(_l("Submit this product's own data first."))
        raise InvalidInput(msg, {"product_id": [msg]})
    return _store(session, actor, product, run, chain, upstream, result, reason)


def redeclare_downstream(
    session: Session, run: RollupRun, chain: ChainGraph, changed_product_id: int, reason: str
) -> list[Declaration]:
    """After new data for a product, every current declaration of the period that rests on it
    gets a new draft version from this run; published ones stay as they are until their owner
    publishes the new version. Declarations the new data cannot support are left alone."""
    current = session.scalars(
        select(Declaration).where(
            Declaration.period_start == run.period_start,
            Declaration.period_end == run.period_end,
            Declaration.status != DeclarationStatus.SUPERSEDED,
        )
    ).all()
    downstream = chain.reachable([changed_product_id], "down")
    affected = {d.product_id: d.product for d in current if d.product_id in downstream}
    made = []
    for product in affected.values():
        try:
            made.append(_declare(session, SYSTEM, product, run, chain, reason))
        except InvalidInput:
            session.rollback()
    return made


def _store(
    session: Session,
    actor: Actor,
    product: Product,
    run: RollupRun,
    chain: ChainGraph,
    upstream: set[int],
    result: ProductResult,
    reason: str | None,
) -> Declaration:
    previous = session.scalars(
        select(Declaration)
        .where(
            Declaration.product_id == product.id,
            Declaration.period_start == run.period_start,
            Declaration.period_end == run.period_end,
        )
        .order_by(Declaration.version.desc())
        .limit(1)
    ).first()
    rule = rule_for_category(product.category)
    subs = chain.submissions
    pinned = {str(p): [subs[p].id, subs[p].content_hash] for p in sorted(upstream) if p in subs}
    d = Declaration(
        organization_id=product.organization_id,
        product_id=product.id,
        period_start=run.period_start,
        period_end=run.period_end,
        version=(previous.version + 1) if previous else 1,
        status=DeclarationStatus.DRAFT,
        declared_unit=product.declared_unit,
        total=result.total,
        by_stage={k: repr(float(v)) for k, v in result.by_stage.items()},
        primary_data_share=result.primary_data_share,
        dqr=result.dqr,
        rule_code=rule.code,
        rule_version=rule.version,
        engine_version=run.engine_version,
        run_id=run.id,
        fallback_release_id=run.fallback_release_id,
        pinned=pinned,
        preceding_id=previous.id if previous else None,
        change_reason=reason,
        created_by_id=actor.user_id,
    )
    grade = classify_product(product, d.total)
    if grade is not None:
        d.performance_class, d.class_scale_version = grade.grade, grade.scale_version
    d.content_hash = declaration_hash(d)
    if previous is not None and previous.status is DeclarationStatus.DRAFT:
        previous.status = DeclarationStatus.SUPERSEDED  # a published one stays until replaced
    session.add(d)
    session.flush()
    audit.record(
        session,
        actor,
        "declaration.create",
        d,
        organization_id=d.organization_id,
        details={"version": d.version, "content_hash": d.content_hash, "total": str(d.total)},
    )
    session.commit()
    return d


@dataclass(frozen=True)
class Mismatch:
    declaration_id: int
    public_id: str
    reason: str


def verify(session: Session, declarations: list[Declaration] | None = None) -> list[Mismatch]:
    """Recompute every declaration (or the given ones) from its pins: the hash of what is
    stored, the pinned submissions' own hashes, and the numbers, to 1e-9 relative."""
    items = (
        declarations
        if declarations is not None
        else list(session.scalars(select(Declaration).order_by(Declaration.id)))
    )
    problems = []
    for d in items:
        reason = _check(session, d)
        if reason:
            problems.append(Mismatch(d.id, d.public_id, reason))
    return problems


def _check(session: Session, d: Declaration) -> str | None:
    if declaration_hash(d) != d.content_hash:
        return "stored content does not match its content hash"
    pins = {int(p): v[0] for p, v in d.pinned.items()}
    for sub in session.scalars(select(Submission).where(Submission.id.in_(pins.values()))):
        if submission_hash(sub) != d.pinned[str(sub.product_id)][1]:
            return f"pinned submission {sub.id} changed"
    chain = chain_graph(session, d.period_start, d.period_end, pins, d.fallback_release_id)
    again = supply_graph.rollup(chain.graph)[product_node(d.product_id)]
    stored = np.array([float(d.by_stage.get(s, 0.0)) for s in again.by_stage])
    fresh = np.array(list(again.by_stage.values()))
    if not np.allclose(fresh, stored, rtol=RELATIVE_TOLERANCE, atol=1e-12) or not math.isclose(
        float(d.total), again.total, rel_tol=RELATIVE_TOLERANCE
    ):
        return f"recomputed {again.total!r} differs from declared {d.total}"
    return None


@dataclass(frozen=True)
class Breakdown:
    parts: supply_graph.Contributions  # grouped by tier, category and stage: names no one
    named: list[sharing.NamedSupplier]  # upstream products the declaring organization may name


def breakdown(session: Session, d: Declaration) -> Breakdown:
    """Where a declared footprint comes from, by tier (0: the product's own site), category and
    stage, recomputed from its pins; by name only the upstream products shared with the
    declaring organization (or its own)."""
    pins = {int(p): v[0] for p, v in d.pinned.items()}
    chain = chain_graph(session, d.period_start, d.period_end, pins, d.fallback_release_id)
    result = supply_graph.rollup(chain.graph)
    parts = supply_graph.contributions(chain.graph, result, product_node(d.product_id))
    return Breakdown(parts, sharing.named_upstream(session, d.organization_id, parts, result))
