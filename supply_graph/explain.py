"""Where a product's footprint comes from: contributions by node, tier, category and stage, and
Sankey flows between nodes with every loop drawn once and everything not shown in "other".

For product j the supply vector x = (I − A)⁻¹ δ_j gives the units of every node needed per unit
of j; node i contributes c_i = x_i e_i (by stage) and Σ_i c_i = f_j. The emissions embodied in
the flow over edge i → k are g_ik = x_k A[i, k] f_i; at every node other than j,
inflow + own contribution = outflow, which is what makes a Sankey balance.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from supply_graph.model import FloatArray, IntArray, SupplyGraph
from supply_graph.rollup import RollupResult
from supply_graph.solve import SolverPlan, build_plan, gather_ranges, supply_vector

OTHER = "other"
UNCATEGORISED = "uncategorised"


@dataclass(frozen=True)
class NodeContribution:
    """Node i in product j's footprint: x_i units needed, c_i = x_i e_i kg CO2e, its tier."""

    id: str
    amount: float
    contribution: float
    share: float
    tier: int
    category: str


@dataclass(frozen=True)
class SankeyNode:
    """A node of the Sankey: one supply-graph node, or one loop (its members) drawn once."""

    key: str
    members: tuple[str, ...]
    direct: float


@dataclass(frozen=True)
class SankeyFlow:
    """kg CO2e per unit of the product carried from `source` into `target`."""

    source: str
    target: str
    value: float


@dataclass(frozen=True)
class Sankey:
    """Shown nodes and flows; `other` is a pure source holding everything not shown, so
    Σ shown direct + Σ flows out of "other" = total (nothing is dropped)."""

    nodes: tuple[SankeyNode, ...]
    flows: tuple[SankeyFlow, ...]
    other: float


@dataclass(frozen=True)
class Purchase:
    """The part of a shared leaf's contribution one buyer takes: c_i x_k A[i, k] / x_i, its
    emissions flowing into node k (the Sankey's flow i → k)."""

    buyer: str
    tier: int  # the buyer's
    category: str  # the buyer's
    contribution: float


@dataclass(frozen=True)
class GroupPart:
    """A node's contribution, or a shared leaf's part of it, in the group it is counted in:
    (tier, category), and for a shared leaf the buyer's category (`bought_for`) one tier
    below whom it sits. What the treemap, the quality table and the Sankey all group by."""

    node: str
    tier: int
    category: str
    bought_for: str | None
    contribution: float

    @property
    def group(self) -> tuple[int, str, str | None]:
        return (self.tier, self.category, self.bought_for)


@dataclass(frozen=True)
class Contributions:
    """Product j's footprint f_j broken down; every grouping adds up to `total`."""

    product: str
    total: float
    by_node: tuple[NodeContribution, ...]  # largest |contribution| first, nodes with x_i > 0
    by_tier: dict[int, float]
    by_category: dict[str, float]
    by_stage: dict[str, float]
    sankey: Sankey
    # leaves of the `shared` categories (generic datasets several makers buy): their
    # contribution split by buyer, largest first; the parts add up to the leaf's contribution
    bought_by: dict[str, tuple[Purchase, ...]] = field(default_factory=dict)

    def parts(self) -> tuple[GroupPart, ...]:
        """Every contribution in its group (`GroupPart`): a node in its own tier and category;
        a shared leaf split between its buyers, each part one tier below its buyer under the
        buyer's category. The one attribution every grouping of these contributions uses,
        so the same dataset counts the same in each; the parts add up to `total`."""
        out = []
        for n in self.by_node:
            bought = self.bought_by.get(n.id)
            if not bought:
                out.append(GroupPart(n.id, n.tier, n.category, None, n.contribution))
                continue
            out.extend(
                GroupPart(n.id, p.tier + 1, n.category, p.category, p.contribution) for p in bought
            )
        return tuple(out)

    def top(self, n: int) -> tuple[tuple[NodeContribution, ...], float]:
        """The n largest contributors and the rest summed as "other"."""
        shown = self.by_node[:n]
        return shown, self.total - sum(c.contribution for c in shown)


def contributions(
    graph: SupplyGraph,
    result: RollupResult,
    product_id: str,
    plan: SolverPlan | None = None,
    sankey_nodes: int = 12,
    shared: Collection[str] = (),
) -> Contributions:
    """Break f_j down by node, tier (edges from the product), category, stage and Sankey flow;
    leaves of the `shared` categories also by the nodes buying them (`Contributions.parts`)."""
    j = graph.node_index(product_id)
    plan = plan if plan is not None else build_plan(graph.technosphere, graph.ids)
    x = supply_vector(plan, j)
    upstream = np.flatnonzero(x)
    parts = x[upstream, None] * graph.effective_direct[upstream]
    own = parts.sum(axis=1)
    total = float(result.by_stage[j].sum())
    tiers = tiers_from(graph, j)
    cats = graph.category_code[upstream]
    names = (*graph.category_names, UNCATEGORISED)
    rank = np.argsort(-np.abs(own), kind="stable")
    by_node = tuple(
        NodeContribution(
            id=str(graph.ids[i]),
            amount=float(x[i]),
            contribution=float(c),
            share=float(c / total) if total else 0.0,
            tier=int(tiers[i]),
            category=names[int(k)],
        )
        for i, c, k in zip(upstream[rank], own[rank], cats[rank], strict=True)
    )
    by_tier = np.bincount(tiers[upstream], weights=own)
    by_cat = np.bincount(np.where(cats < 0, len(names) - 1, cats), weights=own)
    return Contributions(
        product=product_id,
        total=total,
        by_node=by_node,
        by_tier={t: float(v) for t, v in enumerate(by_tier) if v},
        by_category={names[k]: float(v) for k, v in enumerate(by_cat) if v},
        by_stage=dict(zip(graph.stages, map(float, parts.sum(axis=0)), strict=True)),
        sankey=sankey(graph, result, plan, (j, x), sankey_nodes),
        bought_by=_bought_by(graph, j, x, tiers, by_node, shared),
    )


def _bought_by(
    graph: SupplyGraph,
    product: int,
    x: FloatArray,
    tiers: IntArray,
    by_node: tuple[NodeContribution, ...],
    shared: Collection[str],
) -> dict[str, tuple[Purchase, ...]]:
    """Each upstream leaf (no inputs) of a `shared` category, its contribution split between
    the nodes buying it in proportion to x_k A[i, k]: for a leaf f_i = e_i and
    x_i = Σ_k x_k A[i, k], so each part is the Sankey's flow i → k and the parts add up to c_i."""
    codes = [k for k, name in enumerate(graph.category_names) if name in shared]
    if not codes:
        return {}
    has_inputs = np.zeros(graph.n_nodes, dtype=bool)
    has_inputs[graph.consumer] = True
    leaf = np.isin(graph.category_code, codes) & ~has_inputs & (x > 0)
    leaf[product] = False
    edges = np.flatnonzero(leaf[graph.provider] & (x[graph.consumer] > 0))
    if not edges.size:
        return {}
    buyers = graph.consumer[edges]
    weight = _flows(graph, x, edges)
    contribution = {n.id: n.contribution for n in by_node}
    names = (*graph.category_names, UNCATEGORISED)
    split: dict[str, dict[int, float]] = {}
    for i, k, w in zip(
        graph.provider[edges].tolist(), buyers.tolist(), weight.tolist(), strict=True
    ):
        mine = split.setdefault(str(graph.ids[i]), {})
        mine[k] = mine.get(k, 0.0) + w
    out = {}
    for leaf_id, weights in split.items():
        whole = sum(weights.values())
        if not whole:
            continue
        c = contribution[leaf_id]
        out[leaf_id] = tuple(
            sorted(
                (
                    Purchase(
                        str(graph.ids[k]),
                        int(tiers[k]),
                        names[int(graph.category_code[k])],
                        c * w / whole,
                    )
                    for k, w in weights.items()
                ),
                key=lambda p: (-abs(p.contribution), p.buyer),
            )
        )
    return out


def _flows(graph: SupplyGraph, x: FloatArray, edges: IntArray) -> FloatArray:
    """x_k A[i, k] of each edge i → k: how much of its provider the product's supply draws
    through it (times the provider's footprint, the Sankey's flow; shares of a leaf's part)."""
    buyers = graph.consumer[edges]
    return x[buyers] * graph.amount[edges] * graph.allocation_share[buyers]


def tiers_from(graph: SupplyGraph, product: int) -> IntArray:
    """Shortest number of edges from each upstream node to the product (breadth-first over
    providers); -1 for nodes the product does not use. Tier 0 is the product itself."""
    providers = graph.technosphere.tocsc()
    tier = np.full(graph.n_nodes, -1, dtype=np.int64)
    tier[product] = 0
    frontier = np.array([product])
    depth = 0
    while frontier.size:
        depth += 1
        indptr = providers.indptr.astype(np.int64)
        reached = providers.indices[gather_ranges(indptr, frontier)].astype(np.int64)
        reached = np.unique(reached[tier[reached] < 0])
        tier[reached] = depth
        frontier = reached
    return tier


def sankey(
    graph: SupplyGraph,
    result: RollupResult,
    plan: SolverPlan,
    supply: tuple[int, FloatArray],
    limit: int,
) -> Sankey:
    """Sankey over the condensation (each loop one node) restricted to the product's upstream.

    Shown nodes are chosen greedily by throughput Σ x_k f_k from the product upstream, taking a
    node only once all its consumers are shown; so no flow runs from a shown node into "other",
    "other" is a pure source, and shown direct + flows from "other" = f_j exactly.
    """
    product, x = supply
    comp = plan.comp
    f = result.total
    edges = np.flatnonzero(x[graph.consumer] > 0)
    src, dst = graph.provider[edges], graph.consumer[edges]
    weight = _flows(graph, x, edges) * f[src]
    csrc, cdst = comp[src], comp[dst]
    cross = csrc != cdst
    csrc, cdst, weight = csrc[cross], cdst[cross], weight[cross]
    upstream = np.flatnonzero(x)
    own = x[upstream] * graph.effective_direct[upstream].sum(axis=1)
    own_by_comp: dict[int, float] = {}
    through: dict[int, float] = {}
    for c, v, t in zip(
        comp[upstream].tolist(), own.tolist(), (x * f)[upstream].tolist(), strict=True
    ):
        own_by_comp[c] = own_by_comp.get(c, 0.0) + v
        through[c] = through.get(c, 0.0) + abs(t)
    shown = _downstream_closed(int(comp[product]), csrc, cdst, through, limit)
    key = {c: _comp_key(graph, comp, c) for c in shown}
    flows: dict[tuple[str, str], float] = {}
    for s_c, d_c, w in zip(csrc.tolist(), cdst.tolist(), weight.tolist(), strict=True):
        s_key, d_key = key.get(s_c, OTHER), key.get(d_c, OTHER)
        if d_key != OTHER:
            flows[(s_key, d_key)] = flows.get((s_key, d_key), 0.0) + w
    nodes = tuple(
        SankeyNode(
            key[c],
            tuple(str(graph.ids[i]) for i in np.flatnonzero(comp == c)),
            own_by_comp.get(c, 0.0),
        )
        for c in shown
    )
    other = sum(v for (s_key, _), v in flows.items() if s_key == OTHER)
    return Sankey(
        nodes=nodes,
        flows=tuple(
            SankeyFlow(s, t, v) for (s, t), v in sorted(flows.items(), key=lambda kv: -kv[1])
        ),
        other=other,
    )


def _downstream_closed(
    product: int, csrc: IntArray, cdst: IntArray, through: dict[int, float], limit: int
) -> list[int]:
    """Greedy: largest-throughput component whose every consumer component is already shown."""
    pairs = np.unique(np.stack([csrc, cdst]), axis=1) if csrc.size else np.zeros((2, 0), np.int64)
    waiting: dict[int, int] = {}
    providers: dict[int, list[int]] = {}
    for s_c, d_c in pairs.T.tolist():
        waiting[s_c] = waiting.get(s_c, 0) + 1
        providers.setdefault(d_c, []).append(s_c)
    shown: list[int] = []
    heap: list[tuple[float, int]] = [(-through.get(product, 0.0), product)]
    while heap and len(shown) < max(limit, 1):
        _, c = heapq.heappop(heap)
        shown.append(c)
        for p in providers.get(c, []):
            waiting[p] -= 1
            if waiting[p] == 0:
                heapq.heappush(heap, (-through.get(p, 0.0), p))
    return shown


def _comp_key(graph: SupplyGraph, comp: IntArray, c: int) -> str:
    members = np.flatnonzero(comp == c)
    if members.size == 1:
        return str(graph.ids[members[0]])
    return "loop: " + " + ".join(sorted(str(graph.ids[i]) for i in members))
