"""Incremental updates: a supplier changes its data, watched products' footprints follow in O(1).

For a watched product t with supply vector x_t = (I − A)⁻¹ δ_t (computed once, cached),
f_t = Σ_i x_t[i] b_i, so a change Δb_i of node i's direct emissions gives

    Δf_t = x_t[i] Δb_i.

A change δ of A[i, k] (amount of i per unit of k) is a rank-one change of I − Aᵀ; by
Sherman–Morrison, with x_i the supply vector of i under the current amounts and f_i = x_i · b,

    Δf_t = x_t[k] δ f_i / (1 − δ x_i[k]),      x_t ← x_t + x_i δ x_t[k] / (1 − δ x_i[k]).

x_i only lives on i's upstream, so it is solved on that subgraph. 1 − δ x_i[k] <= 0 means the
change closes a loop in which a product needs >= 1 unit of itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from supply_graph.errors import NegativeAmount, SingularLoop
from supply_graph.model import FloatArray, IntArray, SupplyGraph, direct_matrix
from supply_graph.quality import quality_from_solution, right_hand_side_row, right_hand_sides
from supply_graph.rollup import NodeResult, RollupResult, result_from_solution
from supply_graph.solve import SolverPlan, build_plan, gather_ranges, solve, supply_vector


class Updater:
    """Keeps the footprints of watched products current under a stream of small changes.

    The base graph is never modified: the updater owns its current right-hand sides and, once
    an edge changes, its own copy of the amounts matrix.
    """

    def __init__(
        self, graph: SupplyGraph, products: Sequence[str], plan: SolverPlan | None = None
    ) -> None:
        self.graph = graph
        self._plan = plan if plan is not None else build_plan(graph.technosphere, graph.ids)
        self._rhs = right_hand_sides(graph)
        self._a: sp.csc_matrix = graph.technosphere.tocsc()
        self._edges_changed = False
        self._supply: dict[int, FloatArray] = {}
        self._value: dict[int, FloatArray] = {}
        for product in products:
            self.watch(product)

    def watch(self, product: str) -> None:
        """Start following `product` (one supply-vector solve, then O(1) per change)."""
        t = self.graph.node_index(product)
        if t in self._supply:
            return
        x = self._local_supply(t) if self._edges_changed else supply_vector(self._plan, t)
        self._supply[t] = x
        self._value[t] = x @ self._rhs

    def footprint(self, product: str) -> NodeResult:
        """Current result of a watched product."""
        t = self.graph.node_index(product)
        row = self._value[t]
        s = len(self.graph.stages)
        total = np.array([row[:s].sum()])
        quality = quality_from_solution(total, row[None, s:])
        dqr = float(quality.dqr[0])
        return NodeResult(
            id=product,
            total=float(total[0]),
            by_stage=dict(zip(self.graph.stages, map(float, row[:s]), strict=True)),
            primary_data_share=float(quality.primary_data_share[0]),
            dqr=None if np.isnan(dqr) else dqr,
        )

    def set_direct(self, node: str, direct: Mapping[str, float] | float) -> None:
        """Node `node` now emits `direct` per declared unit: Δf_t = x_t[i] Δb_i."""
        i = self.graph.node_index(node)
        row = right_hand_side_row(
            self.graph, i, direct_matrix([direct], self.graph.stages, [node])[0]
        )
        change = row - self._rhs[i]
        self._rhs[i] = row
        for t, x in self._supply.items():
            if x[i]:
                self._value[t] = self._value[t] + x[i] * change

    def set_amount(self, provider: str, consumer: str, amount: float) -> None:
        """`consumer` now uses `amount` of `provider` per unit (Sherman–Morrison, see above)."""
        i, k = self.graph.node_index(provider), self.graph.node_index(consumer)
        if not amount >= 0 or not np.isfinite(amount):
            raise NegativeAmount(f"{provider} -> {consumer}", amount)
        new = amount * self.graph.allocation_share[k]
        delta = new - float(self._a[i, k])
        if not delta:
            return
        x_i = self._local_supply(i)
        denominator = 1.0 - delta * x_i[k]
        if denominator <= 0:
            raise SingularLoop(
                [provider, consumer, provider],
                f"with {amount:g} per unit, {consumer} needs >= 1 unit of itself",
            )
        f_i = x_i @ self._rhs
        for t, x in self._supply.items():
            if x[k]:
                gain = delta * x[k] / denominator
                self._value[t] = self._value[t] + gain * f_i
                self._supply[t] = x + gain * x_i
        self._set_entry(i, k, new)

    def result(self) -> RollupResult:
        """Every node's footprint now (one full solve; replanned if an edge changed)."""
        plan = build_plan(sp.csr_matrix(self._a), self.graph.ids) if self._edges_changed else None
        return result_from_solution(self.graph, solve(plan or self._plan, self._rhs))

    def _local_supply(self, node: int) -> FloatArray:
        """x_node under the current amounts, solved on node's upstream only."""
        upstream = _upstream(self._a, node)
        sub = sp.csr_matrix(self._a[upstream][:, upstream])
        local = build_plan(sub)
        x = np.zeros(self.graph.n_nodes)
        x[upstream] = supply_vector(local, int(np.searchsorted(upstream, node)))
        return x

    def _set_entry(self, i: int, k: int, value: float) -> None:
        a = self._a
        lo, hi = a.indptr[k], a.indptr[k + 1]
        hit = np.flatnonzero(a.indices[lo:hi] == i)
        if hit.size:
            a.data[lo + hit[0]] = value
            a.data[lo + hit[1:]] = 0.0
        else:
            n = a.shape[0]
            self._a = sp.csc_matrix(a + sp.csc_matrix(([value], ([i], [k])), shape=(n, n)))
        self._edges_changed = True


def _upstream(a: sp.csc_matrix, node: int) -> IntArray:
    """Sorted indices of `node` and every node it uses directly or indirectly (providers)."""
    indptr = a.indptr.astype(np.int64)
    seen = np.zeros(a.shape[0], dtype=np.bool_)
    seen[node] = True
    frontier = np.array([node], dtype=np.int64)
    while frontier.size:
        reached = a.indices[gather_ranges(indptr, frontier)]
        reached = np.unique(reached[~seen[reached]]).astype(np.int64)
        seen[reached] = True
        frontier = reached
    return np.flatnonzero(seen)
