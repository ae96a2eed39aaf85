"""Incremental updates: a supplier changes its data, watched products' footprints follow in O(1).

For a watched product t with supply vector x_t = (I − A)⁻¹ δ_t (computed once, cached),
f_t = Σ_i x_t[i] b_i, so a change Δb_i of node i's direct emissions gives

    Δf_t = x_t[i] Δb_i.

A change δ of A[i, k] (amount of i per unit of k) is a rank-one change of I − A; by
Sherman–Morrison, with x_i the supply vector of i under the current amounts and f_i = x_i · b,

    Δf_t = x_t[k] δ f_i / (1 − δ x_i[k]),      x_t ← x_t + x_i δ x_t[k] / (1 − δ x_i[k]),

and the same formula carries any node's supply vector across the change. So x_i under the
current amounts is the base plan's x_i (one substitution walk, no new plan, no upstream
search) carried through the edge changes made so far: the updater keeps each change as a term
(k, δ, 1 − δ x_i[k], x_i sparse) and applies them in order. When the terms grow large
(`_MAX_TERMS`, `_TERM_BUDGET`) it re-plans the current amounts and starts a fresh list.
1 − δ x_i[k] <= 0 means the change closes a loop in which a product needs >= 1 unit of itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from supply_graph.errors import NegativeAmount, SingularLoop
from supply_graph.model import FloatArray, IntArray, SupplyGraph, direct_matrix
from supply_graph.quality import quality_from_solution, right_hand_side_row, right_hand_sides
from supply_graph.rollup import NodeResult, RollupResult, graph_plan, result_from_solution
from supply_graph.solve import SolverPlan, build_plan, solve, supply_vector

# Correction terms are kept until there are this many, or until their sparse supply vectors
# hold more than _TERM_BUDGET × n values; then the current amounts are planned afresh.
_MAX_TERMS = 256
_TERM_BUDGET = 2


class Updater:
    """Keeps the footprints of watched products current under a stream of small changes.

    The base graph is never modified: the updater owns its current right-hand sides and its
    own copy of the amounts matrix (new entries kept aside until a re-plan or `result()`).
    """

    def __init__(
        self, graph: SupplyGraph, products: Sequence[str], plan: SolverPlan | None = None
    ) -> None:
        self.graph = graph
        self._plan = plan if plan is not None else graph_plan(graph)
        self._rhs = right_hand_sides(graph)
        n = graph.n_nodes
        amount = graph.amount * graph.allocation_share[graph.consumer]
        self._a = sp.csc_matrix((amount, (graph.provider, graph.consumer)), shape=(n, n))
        self._extra: dict[tuple[int, int], float] = {}  # entries A lacks structurally
        self._terms: list[tuple[int, float, float, IntArray, FloatArray]] = []
        self._term_values = 0
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
        x = self._current_supply(t)
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
            dqi=None if np.isnan(dqr) else tuple(float(v) for v in quality.dqi[0]),  # type: ignore[arg-type]
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
        delta = new - self._entry(i, k)
        if not delta:
            return
        x_i = self._current_supply(i)
        denominator = 1.0 - delta * x_i[k]
        if denominator <= 0:
            raise SingularLoop(
                [provider, consumer, provider],
                f"with {amount:g} per unit, {consumer} needs >= 1 unit of itself",
            )
        support = np.flatnonzero(x_i)
        w = x_i[support]
        f_i = w @ self._rhs[support]
        for t, x in self._supply.items():
            if x[k]:
                gain = delta * x[k] / denominator
                self._value[t] = self._value[t] + gain * f_i
                x[support] += gain * w
        self._terms.append((k, delta, denominator, support, w))
        self._term_values += support.shape[0]
        self._set_entry(i, k, new)
        budget = _TERM_BUDGET * self.graph.n_nodes
        if len(self._terms) >= _MAX_TERMS or self._term_values > budget:
            self._replan()

    def result(self) -> RollupResult:
        """Every node's footprint now (one full solve; replanned if an edge changed)."""
        plan = (
            build_plan(self._current_a().tocsr(), self.graph.ids) if self._edges_changed else None
        )
        return result_from_solution(self.graph, solve(plan or self._plan, self._rhs))

    def _current_supply(self, node: int) -> FloatArray:
        """x_node under the current amounts: the base plan's, carried through the edge changes."""
        x = supply_vector(self._plan, node)
        for k, delta, denominator, support, w in self._terms:
            if x[k]:
                x[support] += (delta * x[k] / denominator) * w
        return x

    def _entry(self, i: int, k: int) -> float:
        extra = self._extra.get((i, k))
        return float(self._a[i, k]) if extra is None else extra

    def _set_entry(self, i: int, k: int, value: float) -> None:
        a = self._a
        lo, hi = a.indptr[k], a.indptr[k + 1]
        hit = np.flatnonzero(a.indices[lo:hi] == i)
        if hit.size:
            a.data[lo + hit[0]] = value
            a.data[lo + hit[1:]] = 0.0
        else:
            self._extra[(i, k)] = value
        self._edges_changed = True

    def _current_a(self) -> sp.csc_matrix:
        if not self._extra:
            return self._a
        n = self._a.shape[0]
        rows, cols = zip(*self._extra, strict=True)
        added = sp.csc_matrix((list(self._extra.values()), (rows, cols)), shape=(n, n))
        return sp.csc_matrix(self._a + added)

    def _replan(self) -> None:
        """Fold the new entries into A, plan the current amounts, drop the correction terms."""
        self._a = self._current_a()
        self._extra.clear()
        self._plan = build_plan(self._a.tocsr(), self.graph.ids)
        self._terms.clear()
        self._term_values = 0
