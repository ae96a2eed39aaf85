"""The supply graph of one reference period as the platform holds it: node names, which submission
stands for each product, the `ChainGraph` (engine graph plus what the platform knows about each
node), and the roll-up of a chain with its origins (carried forward, fallback) kept apart."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from typing import Any

import numpy as np

from footprint_platform import stages as stages_module
from footprint_platform.rules import load_rules
from supply_graph import (
    BadLoop,
    RollupResult,
    SingularLoop,
    SupplyGraph,
    UnknownNode,
    rollup,
)

PENDING = "pending:"  # the leaf of a linked product whose maker has not consented yet


def product_node(product_id: int) -> str:
    return f"product:{product_id}"


def pending_product(node_id: str) -> int | None:
    """The product of a `pending:<id>` leaf (a link awaiting its maker's consent), else None."""
    return int(node_id[len(PENDING) :]) if node_id.startswith(PENDING) else None


@dataclass(frozen=True)
class SubmissionRef:
    """What a roll-up keeps of a submission version: its id and content hash (the pins)."""

    id: int
    content_hash: str | None


class SubmissionMap(Mapping[int, SubmissionRef]):
    """Product id -> the submission version used, over sorted arrays: a period of 100k
    products would otherwise hold 100k objects that a run after one submission must rebuild."""

    def __init__(self, products: Any, ids: Any, hashes: Any) -> None:
        order = np.argsort(products, kind="stable")
        self.products = np.asarray(products, dtype=np.int64)[order]
        self.ids = np.asarray(ids, dtype=np.int64)[order]
        self.hashes = np.asarray(hashes, dtype="S64")[order]  # b"" where none

    def _find(self, product_id: object) -> int:
        if not isinstance(product_id, int | np.integer):
            return -1
        k = int(np.searchsorted(self.products, product_id))
        return k if k < len(self.products) and self.products[k] == product_id else -1

    def _located(self, product_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each product is or would go in the sorted column, and whether it is there."""
        k = np.searchsorted(self.products, product_ids)
        found = k < len(self.products)
        found[found] = self.products[k[found]] == product_ids[found]
        return k, found

    def __getitem__(self, product_id: int) -> SubmissionRef:
        k = self._find(product_id)
        if k < 0:
            raise KeyError(product_id)
        return SubmissionRef(int(self.ids[k]), self.hashes[k].decode() or None)

    def __contains__(self, product_id: object) -> bool:
        return self._find(product_id) >= 0

    def __iter__(self) -> Iterator[int]:
        return iter(self.products.tolist())

    def __len__(self) -> int:
        return len(self.products)

    def pins_of(self, product_ids: np.ndarray) -> dict[str, list[Any]]:
        """{"product id": [submission id, content hash]} of the given sorted products that
        have a submission here: what a declaration pins (one vectorised lookup)."""
        k, found = self._located(product_ids)
        k = k[found]
        return {
            str(p): [i, h.decode() or None]
            for p, i, h in zip(
                self.products[k].tolist(),
                self.ids[k].tolist(),
                self.hashes[k].tolist(),
                strict=True,
            )
        }

    def id_map(self) -> dict[str, int]:
        """{"product id": submission id}, what a run stores as its pins."""
        return dict(zip(map(str, self.products.tolist()), self.ids.tolist(), strict=True))

    def replaced(self, newer: Sequence[tuple[int, int, str | None]]) -> SubmissionMap:
        """With (product id, submission id, hash) entries replacing or adding versions (one
        per product). The few entries go into copies of the sorted columns in place: no
        re-sort of 100k products after one submission."""
        products = np.array([p for p, _, _ in newer], dtype=np.int64)
        ids = np.array([i for _, i, _ in newer], dtype=np.int64)
        hashes = np.array([h or "" for _, _, h in newer], dtype="S64")
        k, present = self._located(products)
        out = SubmissionMap.__new__(SubmissionMap)
        out.ids, out.hashes = self.ids.copy(), self.hashes.copy()
        out.ids[k[present]], out.hashes[k[present]] = ids[present], hashes[present]
        added = np.flatnonzero(~present)
        added = added[np.argsort(products[added], kind="stable")]  # in order at one place
        out.products = np.insert(self.products, k[added], products[added])
        out.ids = np.insert(out.ids, k[added], ids[added])
        out.hashes = np.insert(out.hashes, k[added], hashes[added])
        return out


@dataclass
class ChainGraph:
    """The period's graph; products are its first nodes, in product-id order (`product_ids`),
    then the generic datasets. A chain patched from the period's snapshot also names the run
    the snapshot was taken from and that run's pins (`base_run_id`, `base_submissions`), so
    the run it feeds can store its pins as the few changes against that run."""

    graph: SupplyGraph
    submissions: SubmissionMap  # product id -> the version used
    fallback_release_id: int
    fallback: list[int] = field(default_factory=list)  # products on a generic factor
    missing: list[int] = field(default_factory=list)  # products with no data at all
    product_ids: list[int] = field(default_factory=list)
    categories: Mapping[int, str] = field(default_factory=dict)  # product id -> category
    base_run_id: int | None = None
    base_submissions: SubmissionMap | None = None
    carried: list[int] = field(default_factory=list)  # products on an earlier period's data

    def own_data(self) -> np.ndarray:
        """(nodes,) the nodes that carry their maker's own data: products with a submitted or
        carried-forward version, not those valued by a fallback dataset or left as gaps; never
        a leaf (generic dataset, imported footprint, link awaiting consent)."""
        mask = np.zeros(self.graph.n_nodes, dtype=bool)
        mask[: len(self.product_ids)] = True
        without = [*self.fallback, *self.missing]
        if without:
            mask[self.product_rows(without)] = False
        return mask

    @cached_property
    def product_array(self) -> np.ndarray:
        """`product_ids` as a sorted int64 array (row i of the graph is product_array[i])."""
        return np.asarray(self.product_ids, dtype=np.int64)

    def product_rows(self, product_ids: Iterable[int]) -> np.ndarray:
        """The graph rows of the given products (each must be in the chain)."""
        wanted = np.fromiter(product_ids, dtype=np.int64)
        rows = np.searchsorted(self.product_array, wanted)
        rows = np.minimum(rows, max(len(self.product_ids) - 1, 0))
        if len(wanted) and not (self.product_array[rows] == wanted).all():
            bad = wanted[self.product_array[rows] != wanted]
            raise UnknownNode(product_node(int(bad[0])))
        return rows

    def reachable_rows(self, product_ids: Iterable[int], direction: str) -> np.ndarray:
        """As `reachable`, as a boolean mask over the product rows (no Python set of ids)."""
        g = self.graph
        seen = np.zeros(g.n_nodes, dtype=bool)
        start = np.unique(self.product_rows(product_ids))
        seen[start] = True
        if direction == "up":
            return self._walk_up(start, seen)[: len(self.product_ids)]
        frontier = seen.copy()  # down: a few tiers, each one scan of the edge columns
        while frontier.any():
            reached = g.consumer[frontier[g.provider]]
            new = reached[~seen[reached]]
            frontier = np.zeros(g.n_nodes, dtype=bool)
            frontier[new] = True
            seen[new] = True
        return seen[: len(self.product_ids)]

    def _walk_up(self, frontier: np.ndarray, seen: np.ndarray) -> np.ndarray:
        """Marks in `seen` every supplier of the frontier's nodes, tier by tier, visiting only
        the frontier's own edges. A declaration's upstream is a few thousand of 300k edges
        and a batch of declarations walks it once per product; the edges grouped by consumer
        cost little to make, since a graph is built consumer by consumer (bench/RESULTS.md,
        "Tenth round": 12 walks 3 ms against 20–34 ms scanning every edge per tier)."""
        starts, suppliers = self._by_consumer()
        while frontier.size:
            first, count = starts[frontier], starts[frontier + 1] - starts[frontier]
            total = int(count.sum())
            if not total:
                break
            # the positions first[i] .. first[i] + count[i] of every frontier node, in one array
            offset = np.repeat(first - np.cumsum(count) + count, count) + np.arange(total)
            reached = np.unique(suppliers[offset])
            frontier = reached[~seen[reached]]
            seen[frontier] = True
        return seen

    def _by_consumer(self) -> tuple[np.ndarray, np.ndarray]:
        """The edges grouped by consumer: (start offset per node, the providers in order).
        Kept while the graph is the same object (a what-if may swap in the graph with its bad
        loops isolated)."""
        cache = self.__dict__.setdefault("_by_consumer_cache", [])
        if not cache or cache[0] is not self.graph:
            g = self.graph
            starts = np.zeros(g.n_nodes + 1, dtype=np.int64)
            np.cumsum(np.bincount(g.consumer, minlength=g.n_nodes), out=starts[1:])
            cache[:] = [g, starts, g.provider[np.argsort(g.consumer, kind="stable")]]
        return cache[1], cache[2]

    def pending_leaves(self, with_value: bool) -> list[int]:
        """Rows of the leaves standing for links awaiting consent: those valued by a fallback
        dataset (`with_value`), else those left without any value (a gap)."""
        g = self.graph
        n = len(self.product_ids)
        pending = np.char.startswith(g.ids[n:].astype(str), PENDING)
        valued = g.direct[n:].any(axis=1)
        return (np.flatnonzero(pending & (valued == with_value)) + n).tolist()

    def awaiting_without_data(self) -> set[int]:
        """Products using a link that awaits its maker's consent where the linked product's
        rule gives no fallback: that input is a gap, as a missing product is."""
        n = len(self.product_ids)
        users = self.graph.consumer[np.isin(self.graph.provider, self.pending_leaves(False))]
        return set(self.product_array[users[users < n]].tolist())

    def origin_masks(self) -> np.ndarray:
        """(nodes, 2) booleans: the nodes whose own emissions are carried-forward data, and
        those that are fallback datasets standing in for missing data (products on their
        rule's dataset, links awaiting consent valued by one). What `composition` solves."""
        masks = np.zeros((self.graph.n_nodes, 2), dtype=bool)
        masks[self.product_rows(self.carried), 0] = True
        masks[self.product_rows(self.fallback), 1] = True
        masks[self.pending_leaves(True), 1] = True
        return masks

    def reachable(self, product_ids: Iterable[int], direction: str) -> set[int]:
        """The given products and every product reachable from them: "up" their suppliers
        (what they use), "down" their customers (what uses them). One frontier sweep over the
        edge columns per tier, whatever the number of starts."""
        rows = self.reachable_rows(product_ids, direction)
        return set(self.product_array[rows].tolist())


@cache
def stages() -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for rule in load_rules().values():
        for code in rule.stage_codes:
            seen.setdefault(code, None)
    return tuple(seen)


@dataclass(frozen=True)
class Isolated:
    """A roll-up that went through whatever the loops: `graph` is the chain's graph with the
    amounts inside each bad loop set to zero (use it, not the chain's, for contributions of the
    same result), `loops` the loops without a physical footprint, `not_computed` the products
    on them and downstream of them, whose numbers in `result` mean nothing."""

    graph: SupplyGraph
    result: RollupResult
    loops: list[BadLoop]
    not_computed: set[int]


def rollup_isolating(chain: ChainGraph) -> Isolated:
    """The chain's roll-up, whatever its loops.

    A loop without a physical footprint (a product needing one unit or more of itself) is
    refused when it is submitted (services/intake/loops.py), but one can still reach a period: a row
    written past the services, or a later change that raises a loop's gain. Such a loop must
    not stop the period for every organization. Its internal amounts are set to zero, so the
    solve goes through and every product outside it and not downstream of it gets its exact
    footprint (it never depends on the loop); the loop's products and everything downstream of
    them are returned as not computed. Without a bad loop this is one `rollup` call. The
    rules' boundary columns (footprint_platform/stages.py) are solved with it, so every
    result can be split into its rule's stages.

    Solved once per chain and graph: a job's recompute, its declarations' exempted shares
    and a product page each ask for it (the caller must not change what it gets)."""
    cache = chain.__dict__.setdefault("_isolated_cache", [])
    if not cache or cache[0] is not chain.graph:
        cache[:] = [chain.graph, _rollup_isolating(chain)]
    return cache[1]  # type: ignore[no-any-return]


def _rollup_isolating(chain: ChainGraph) -> Isolated:
    columns = stages_module.boundary_members(chain.graph, chain.own_data())
    try:
        return Isolated(chain.graph, rollup(chain.graph, boundaries=columns), [], set())
    except SingularLoop as exc:
        if not exc.loops:
            raise  # not a loop: a non-finite value, which no isolation can fix
        loops = exc.loops
    g = chain.graph
    inside = np.zeros(g.n_edges, dtype=bool)
    members: list[int] = []
    for loop in loops:
        rows = np.array([g.index[node] for node in loop.members], dtype=np.int64)
        inside |= np.isin(g.provider, rows) & np.isin(g.consumer, rows)
        members.extend(int(n.split(":", 1)[1]) for n in loop.members if n.startswith("product:"))
    cut = replace(g, amount=np.where(inside, 0.0, g.amount))
    return Isolated(cut, rollup(cut, boundaries=columns), loops, chain.reachable(members, "down"))


ORIGINS = ("carried_forward", "fallback")  # the columns of `ChainGraph.origin_masks`


def composition(graph: SupplyGraph, masks: np.ndarray, total: np.ndarray) -> np.ndarray:
    """(nodes, origins) shares of each footprint whose emissions are of each origin: the same
    linear solve as the footprint, with each node's own emissions kept only where its mask
    holds (one roll-up of the graph with these columns as its stages; the engine untouched,
    its quality columns unused). Zero where a footprint is zero."""
    own = graph.direct.sum(axis=1)
    tagged = replace(
        graph,
        direct=own[:, None] * masks,
        stages=tuple(f"origin{k}" for k in range(masks.shape[1])),
        primary=np.zeros(graph.n_nodes, dtype=bool),
        dqr=np.full(graph.n_nodes, np.nan),
    )
    solved = rollup(tagged).by_stage
    shares = np.zeros_like(solved)
    np.divide(solved, total[:, None], out=shares, where=total[:, None] != 0)
    return np.clip(shares, 0.0, 1.0)
