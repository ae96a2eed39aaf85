"""A product's latest stored result, explained for its maker: where the footprint comes from
(by stage, tier and category, and as flows along the chain) and which inputs pull its data
quality down.

The stored result holds only totals. The explanation rebuilds the graph of exactly the run that
computed it (the run pins every submission version and the fallback factor release, as a
declaration does) and asks `supply_graph.contributions` for the breakdown; it checks that the
recomputed footprint is the stored one (to 1e-9 relative) before showing it. Upstream nodes
are only ever grouped by tier and category here: another organization's inputs and named
figures never leave this module (DESIGN.md "Who may see what").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy.orm import Session

import supply_graph
from footprint_platform.errors import NotFound
from footprint_platform.models import Product
from footprint_platform.policy import Action, Actor, authorize
from footprint_platform.services.results import LatestResult, latest_results, run_pins
from footprint_platform.services.rollup import chain_graph, product_node

# The same tolerance declarations are verified to (services/declarations.py).
RELATIVE_TOLERANCE = 1e-9
# product_result.total is NUMERIC(24, 10): PostgreSQL keeps ten decimals, so tiny totals are
# only that exact in absolute terms.
STORED_SCALE = 1e-10


@dataclass(frozen=True)
class QualityGroup:
    """Upstream nodes of one tier and category: their part of the footprint, how much of it is
    primary data, their contribution-weighted rating (1 best … 5 worst; None: no rating) and
    `impact` = rating × contribution, what pulls the product's own rating down most."""

    tier: int
    category: str
    contribution: float
    share: float
    primary_share: float
    dqr: float | None
    impact: float


@dataclass(frozen=True)
class Explanation:
    product: Product
    latest: LatestResult | None  # None: nothing computed for the product yet
    parts: supply_graph.Contributions | None  # None without a result, or a missing product
    quality: tuple[QualityGroup, ...] = ()
    consistent: bool = True  # the recomputed footprint is the stored one


def explain_latest(session: Session, actor: Actor | None, product_id: int) -> Explanation:
    """The product's newest result and its breakdown, for members of the maker."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("no such product")
    authorize(actor, Action.VIEW_RESULTS, product.organization_id)
    latest = latest_results(session, product.organization_id).get(product_id)
    if latest is None or latest.result.basis == "missing":
        return Explanation(product, latest, None)
    run = latest.run
    pins = run_pins(session, run)
    chain = chain_graph(session, run.period_start, run.period_end, pins, run.fallback_release_id)
    result = supply_graph.rollup(chain.graph)
    parts = supply_graph.contributions(chain.graph, result, product_node(product_id))
    consistent = math.isclose(
        parts.total, float(latest.result.total), rel_tol=RELATIVE_TOLERANCE, abs_tol=STORED_SCALE
    )
    return Explanation(product, latest, parts, quality_groups(chain.graph, parts), consistent)


def quality_groups(
    graph: supply_graph.SupplyGraph, parts: supply_graph.Contributions
) -> tuple[QualityGroup, ...]:
    """Contributions grouped by (tier, category) with their data quality, largest impact first.

    Weighted by each node's own contribution c_i = x_i e_i, as the engine weighs the product's
    ratios (supply_graph README): Σ_groups primary part / total is the product's primary-data
    share and Σ c·dqr / Σ c (rated) its rating, so the groups add up to the stored figures.
    """
    sums: dict[tuple[int, str], list[float]] = {}
    for node in parts.by_node:
        i = graph.node_index(node.id)
        rating = float(graph.dqr[i])
        s = sums.setdefault((node.tier, node.category), [0.0, 0.0, 0.0, 0.0])
        s[0] += node.contribution
        s[1] += node.contribution if bool(graph.primary[i]) else 0.0
        if not math.isnan(rating):
            s[2] += node.contribution * rating
            s[3] += node.contribution
    groups = [
        QualityGroup(
            tier=tier,
            category=category,
            contribution=c,
            share=c / parts.total if parts.total else 0.0,
            primary_share=primary / c if c else 0.0,
            dqr=weighted / rated if rated else None,
            impact=weighted,
        )
        for (tier, category), (c, primary, weighted, rated) in sums.items()
    ]
    return tuple(sorted(groups, key=lambda g: (-g.impact, g.tier, g.category)))
