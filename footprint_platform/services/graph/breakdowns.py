"""A product's latest stored result, explained for its maker: where the footprint comes from
(by stage, tier and category, and as flows along the chain) and which inputs pull its data
quality down.

The stored result holds only totals. The explanation rebuilds the graph of exactly the run that
computed it (the run pins every submission version and the fallback factor release, as a
declaration does) and asks `supply_graph.contributions` for the breakdown; it checks that the
recomputed footprint is the stored one (to 1e-9 relative) before showing it. The graph comes
from the period's snapshot when the product's upstream in it is exactly the run's (same
fallback release, no changed submission upstream; a fraction of a second at 100k products
instead of seconds to read every input row), else from the pinned rows; each (run, product) is
explained once per process (`explain_cache`). Upstream nodes are only ever grouped by tier and
category here: another organization's inputs and named figures never leave this module
(docs/design.md "Who may see what").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

import supply_graph
from footprint_platform.errors import NotFound
from footprint_platform.models import Product, RollupRun
from footprint_platform.models.results import STORED_SCALE
from footprint_platform.policy import Action, Actor, authorize
from footprint_platform.services.graph import (
    explain_cache,
    parties,
    period_graph,
    periods,
    uncertainty,
)
from footprint_platform.services.graph.chain import (
    ChainGraph,
    pending_product,
    product_node,
    rollup_isolating,
)
from footprint_platform.services.graph.edges import DATASET
from footprint_platform.services.graph.periods import Period, PeriodChoice
from footprint_platform.services.graph.results import (
    LatestResult,
    changed_products,
    latest_results,
)
from supply_graph import RELATIVE_TOLERANCE

# Chain nodes the Sankey follows before gathering the rest as "other": the figure groups them
# by tier and category, so many nodes still draw as few boxes, while the engine's default (12)
# left almost half of a vehicle's footprint in "other" on the demo chain.
SANKEY_NODES = 120


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
    # generic datasets: the category of the buyers one tier down the chain (None otherwise)
    bought_for: str | None = None


@dataclass(frozen=True)
class Explanation:
    product: Product
    latest: LatestResult | None  # None: nothing computed for the product yet
    parts: supply_graph.Contributions | None  # None without a result, or a missing product
    quality: tuple[QualityGroup, ...] = ()
    consistent: bool = True  # the recomputed footprint is the stored one
    # each upstream node's data: primary | carried (its maker's primary data of an earlier
    # period, carried forward) | generic (a product on its rule's fallback dataset) |
    # missing (no data, counts as zero) | dataset (an input entered as a generic dataset) |
    # pending (a linked product valued with its category's dataset until its maker consents)
    bases: Mapping[str, str] = field(default_factory=dict)
    period: Period | None = None  # the period shown (None: the product has no result at all)
    periods: tuple[PeriodChoice, ...] = ()  # every period with a result, newest first
    interval: uncertainty.ProductInterval | None = None  # the total's 95 % interval


@dataclass(frozen=True)
class Breakdown:
    """What is cached per (run, product): everything of an Explanation the run determines."""

    parts: supply_graph.Contributions
    quality: tuple[QualityGroup, ...]
    bases: Mapping[str, str]
    consistent: bool
    interval: uncertainty.ProductInterval | None = None  # the total's 95 % interval

    @property
    def size(self) -> int:
        return len(self.parts.by_node)


def explain_latest(
    session: Session, actor: Actor | None, product_id: int, period: Period | None = None
) -> Explanation:
    """The product's newest result in the period and its breakdown, for members of the maker;
    without a period, in the product's default one (`periods.default`)."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("no such product")
    authorize(actor, Action.VIEW_RESULTS, product.organization_id)
    found = periods.product_choices(session, product_id)
    period = periods.chosen(period, found)
    if period is None:
        return Explanation(product, None, None, periods=tuple(found))
    latest = latest_results(session, product.organization_id, period).get(product_id)
    if latest is None or latest.result.basis == "missing":
        return Explanation(product, latest, None, period=period, periods=tuple(found))
    run, stored = latest.run, float(latest.result.total)
    key = (str(session.get_bind().url), run.id, run.started_at, product_id)
    b = explain_cache.cached(key, lambda: breakdown(session, run, product_id, stored))
    return Explanation(
        product,
        latest,
        b.parts,
        b.quality,
        b.consistent,
        b.bases,
        period,
        tuple(found),
        b.interval,
    )


def breakdown(session: Session, run: RollupRun, product_id: int, stored: float) -> Breakdown:
    """The product's breakdown in the run, from the snapshot's graph if it is the run's; if
    that does not reproduce the stored footprint, from the pinned rows after all."""
    chain = _snapshot_of(session, run, product_id)
    if chain is not None:
        found = _breakdown(session, chain, product_id, stored)
        if found.consistent:
            return found
    chain = period_graph.as_of_run(session, run)
    return _breakdown(session, chain, product_id, stored)


def _snapshot_of(session: Session, run: RollupRun, product_id: int) -> ChainGraph | None:
    """The period's snapshot graph, patched to today, when the product's part of it is the
    run's: same fallback release, and no product whose submission (or links' consent) differs
    between the run and today is upstream of the product (or the product itself). A submission
    only sets the edges into its own product, so a changed product upstream in the run's graph
    would also be upstream (or leave a changed product upstream) today; with none, the product's
    whole upstream, nodes and edges, is the run's. Typical: the product's newest result comes
    from an older run exactly because nothing upstream of it changed since."""
    chain = period_graph.snapshot(session, run.period_start, run.period_end)
    if chain is None or chain.fallback_release_id != run.fallback_release_id:
        return None
    changed = changed_products(period_graph.run_pins(session, run), chain.submissions)
    # a product whose links' consent changed since the run has other edges today, like one
    # with a new submission
    changed |= parties.changed_since(session, run.started_at)
    if changed and product_id in chain.reachable(changed, "down"):
        return None
    return chain


def _breakdown(session: Session, chain: ChainGraph, product_id: int, stored: float) -> Breakdown:
    solved = rollup_isolating(chain)  # a bad loop elsewhere must not stop this product's page
    parts = supply_graph.contributions(
        solved.graph,
        solved.result,
        product_node(product_id),
        sankey_nodes=SANKEY_NODES,
        # one dataset may be bought by many makers: its contribution is counted beside each
        # buyer (`Contributions.parts`) in the treemap, the quality table and the Sankey alike
        shared=(DATASET,),
    )
    consistent = math.isclose(parts.total, stored, rel_tol=RELATIVE_TOLERANCE, abs_tol=STORED_SCALE)
    interval = uncertainty.product_interval(
        session, chain, solved.graph, solved.result.total, product_id
    )
    return Breakdown(
        parts, quality_groups(chain.graph, parts), bases(chain, parts), consistent, interval
    )


def bases(chain: ChainGraph, parts: supply_graph.Contributions) -> dict[str, str]:
    """Where each upstream node's numbers come from (see `Explanation.bases`)."""
    g = chain.graph
    missing = {product_node(p) for p in chain.missing}
    carried = {product_node(p) for p in chain.carried}
    own = chain.own_data()
    out = {}
    for node in parts.by_node:
        if bool(own[g.node_index(node.id)]):  # the maker's own data, primary or estimated
            out[node.id] = "carried" if node.id in carried else "primary"
        elif pending_product(node.id) is not None:
            out[node.id] = "pending"
        elif not node.id.startswith("product:"):
            out[node.id] = "dataset"
        else:
            out[node.id] = "missing" if node.id in missing else "generic"
    return out


def quality_groups(
    graph: supply_graph.SupplyGraph, parts: supply_graph.Contributions
) -> tuple[QualityGroup, ...]:
    """Contributions grouped as every figure groups them (`Contributions.parts`: tier and
    category, a generic dataset beside each group buying it) with their data quality, largest
    impact first.

    Weighted by each node's own contribution c_i = x_i e_i, as the engine weighs the product's
    ratios (supply_graph README): Σ_groups primary part / total is the product's primary-data
    share and Σ c·dqr / Σ c (rated) its rating, so the groups add up to the stored figures.
    """
    sums: dict[tuple[int, str, str | None], list[float]] = {}
    for part in parts.parts():
        i = graph.node_index(part.node)
        rating = float(graph.dqr[i])
        s = sums.setdefault(part.group, [0.0, 0.0, 0.0, 0.0])
        s[0] += part.contribution
        s[1] += part.contribution * float(graph.primary[i])  # the node's primary share
        if not math.isnan(rating):
            s[2] += part.contribution * rating
            s[3] += part.contribution
    groups = [
        QualityGroup(
            tier=tier,
            category=category,
            contribution=c,
            share=c / parts.total if parts.total else 0.0,
            primary_share=primary / c if c else 0.0,
            dqr=weighted / rated if rated else None,
            impact=weighted,
            bought_for=bought_for,
        )
        for (tier, category, bought_for), (c, primary, weighted, rated) in sums.items()
    ]
    return tuple(sorted(groups, key=lambda g: (-g.impact, g.tier, g.category, g.bought_for or "")))


def as_groups(found: Explanation) -> dict[str, Any]:
    """An explanation as plain values grouped by tier and category (the API's breakdown):
    nothing in it names an upstream node."""
    latest = found.latest
    computed = latest is not None and found.parts is not None
    return {
        "product_id": found.product.id,
        "computed": computed,
        "period_start": latest.run.period_start if latest else None,
        "period_end": latest.run.period_end if latest else None,
        "run_id": latest.run.id if latest else None,
        "total": latest.result.total if computed and latest else None,
        "by_stage": dict(latest.result.by_stage) if computed and latest else {},
        "consistent": found.consistent,
        "groups": [vars(g) for g in found.quality],
    }
