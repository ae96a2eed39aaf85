"""Cradle-to-gate roll-up: F = (I − Aᵀ)⁻¹ [E | quality columns] in one sparse solve."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from supply_graph import native
from supply_graph.errors import SingularLoop, UnknownNode
from supply_graph.loops import BadLoop
from supply_graph.model import BoolArray, FloatArray, IntArray, SupplyGraph
from supply_graph.quality import (
    n_quality_columns,
    quality_columns,
    quality_from_solution,
    right_hand_sides,
    row_sums,
)
from supply_graph.solve import (
    Index,
    SolverPlan,
    csr_arrays,
    given_order_available,
    in_given_order,
    lower_triangle,
    plan_from_edges,
    substitute,
    sweep,
    topological_order,
)

Method = Literal["levels", "splu"]


@dataclass(frozen=True)
class NodeResult:
    """One node's result, per declared unit: kg CO2e total and by stage, with its quality."""

    id: str
    total: float
    by_stage: dict[str, float]
    primary_data_share: float
    dqr: float | None
    # technological, temporal, geographical (PACT v3 dqi), None where unrated
    dqi: tuple[float, float, float] | None = None


@dataclass(frozen=True, eq=False)
class RollupResult:
    """Footprints of every node, rows in graph order: f_j = e_j + Σ_i A[i, j] f_i by stage."""

    ids: npt.NDArray[np.str_]
    stages: tuple[str, ...]
    by_stage: FloatArray  # (n, stages)
    primary_data_share: FloatArray
    dqr: FloatArray  # NaN where no contributing node has a rating
    index: dict[str, int] | None = None
    dqi: FloatArray | None = None  # (n, 3) technological, temporal, geographical; NaN: unrated
    # (n, K) when the roll-up was given a boundary membership: column k of row j is the part
    # of j's footprint emitted by the nodes of boundary set k (quality.boundary_members)
    boundary: FloatArray | None = None

    @property
    def total(self) -> FloatArray:
        return row_sums(self.by_stage)

    def __getitem__(self, node_id: str) -> NodeResult:
        """Look one node up by id."""
        index = self.index if self.index is not None else {}
        i = index.get(node_id)
        if i is None:
            hits = np.flatnonzero(self.ids == node_id)
            if not hits.size:
                raise UnknownNode(node_id, "in the roll-up result")
            i = int(hits[0])
        dqr = float(self.dqr[i])
        return NodeResult(
            id=node_id,
            total=float(self.by_stage[i].sum()),
            by_stage={s: float(v) for s, v in zip(self.stages, self.by_stage[i], strict=True)},
            primary_data_share=float(self.primary_data_share[i]),
            dqr=None if np.isnan(dqr) else dqr,
            dqi=_ratings(self.dqi, i),
        )


def _ratings(dqi: FloatArray | None, i: int) -> tuple[float, float, float] | None:
    if dqi is None or np.isnan(dqi[i]).any():
        return None
    t, m, g = (float(v) for v in dqi[i])
    return (t, m, g)


def rollup(
    graph: SupplyGraph,
    plan: SolverPlan | None = None,
    method: Method = "levels",
    boundaries: BoolArray | None = None,
) -> RollupResult:
    """All footprints, stage columns and quality columns from one solve, with one more
    right-hand side per column of the `boundaries` membership (n, K; `boundary_members`),
    b ∘ member_k, solved alongside into `result.boundary`.

    `method="levels"` (default, measured fastest) is forward substitution in a topological
    order: without a `plan` given, a graph without loops is solved in the order its nodes are
    listed when that order is topological, else by the compiled kernel (`native`) or, without
    it, in Kahn's order, with no plan made; a graph with a
    loop, or a `plan` given to reuse, goes through the level-scheduled plan of
    `supply_graph.solve`. `"splu"` is SuperLU on the topologically renumbered I − Aᵀ, kept as a
    cross-check and benchmark reference.
    """
    if plan is None and method == "levels" and given_order_available():
        if in_given_order(graph.provider, graph.consumer):
            return _rollup_dag(graph, None, boundaries)
        if native.available(graph.n_nodes, graph.n_edges):
            solved = _rollup_any_order(graph, boundaries)
            if solved is not None:
                return solved
            # a loop: the structure a plan with loops starts from, not Kahn's levels again
            by_provider = csr_arrays(graph.n_nodes, graph.provider, graph.consumer, None)[:2]
            plan = graph_plan(graph, by_provider)
        else:
            order, structure = topological_order(graph.n_nodes, graph.provider, graph.consumer)
            if order is not None:
                return _rollup_dag(graph, order, boundaries)
            plan = graph_plan(graph, structure)  # loops: Kahn's structure reused, not redone
    plan = plan if plan is not None else graph_plan(graph)
    if method == "splu":
        rhs = right_hand_sides(graph, boundaries=boundaries)
        return result_from_solution(graph, solve_splu(plan, graph, rhs))
    # built in level order: no permuting copy
    f = right_hand_sides(graph, rows=plan.order, boundaries=boundaries)
    substitute(plan, f)
    return result_from_solution(graph, f, rows=plan.position)


def _rollup_dag(
    graph: SupplyGraph, order: IntArray | None, boundaries: BoolArray | None = None
) -> RollupResult:
    """The roll-up of a graph without loops, with no plan kept: Aᵀ in a topological order (the
    nodes as given when `order` is None, else renumbered by `order`), then the stage block and
    the quality block each solved in place by one forward sweep. Nodes listed upstream first
    need no renumbering at all, and their stage block is the result as it stands."""
    n, amount = graph.n_nodes, _edge_amounts(graph)
    if order is None:
        position = None
        by_stage = np.array(graph.effective_direct, dtype=np.float64, order="C")
    else:
        position = np.empty(n, dtype=np.int64)
        position[order] = np.arange(n, dtype=np.int64)
        by_stage = np.take(graph.effective_direct, order, axis=0)
    extra = quality_columns(graph, by_stage, rows=order, boundaries=boundaries)
    lower = lower_triangle(n, graph.provider, graph.consumer, amount, position)
    sweep(lower, by_stage)
    sweep(lower, extra)
    del lower  # freed before the result's arrays are made, which then reuse its memory
    if position is not None:
        by_stage = np.take(by_stage, position, axis=0)
        extra = np.take(extra, position, axis=0)
    return _result(graph, by_stage, extra)


def _rollup_any_order(graph: SupplyGraph, boundaries: BoolArray | None) -> RollupResult | None:
    """`_rollup_dag` for nodes listed in any order, by the compiled kernel (`native`): Aᵀ grouped
    by consumer, an order and both sweeps in the graph's own numbering (no renumbering, no
    gathers into an order and back). None when the graph has a loop, known before any
    right-hand side is built."""
    amount = _edge_amounts(graph)
    with native.ordered(graph.n_nodes, graph.provider, graph.consumer, amount) as order:
        if order.has_loop:
            return None
        by_stage = _on_cache_lines(graph.n_nodes, len(graph.stages))
        by_stage[...] = graph.effective_direct
        extra = quality_columns(graph, by_stage, boundaries=boundaries)
        order.sweep(by_stage, extra)
    return _result(graph, by_stage, extra)


def _on_cache_lines(n: int, k: int) -> FloatArray:
    """An empty C-contiguous (n, k) block from a 64-byte boundary: a row of four stages then
    lies in one cache line, never across two, and the kernel reads a provider's row in a random
    place per edge (at 100k nodes in random order its sweep ~0.45 ms faster)."""
    memory = np.empty(n * k + 8)
    start = (-memory.ctypes.data % 64) // 8
    block: FloatArray = memory[start : start + n * k].reshape(n, k)
    return block


def _edge_amounts(graph: SupplyGraph) -> FloatArray:
    """Amount of each edge as it enters A: scaled by the consumer's allocation share."""
    if graph.allocations:
        return graph.amount * graph.allocation_share[graph.consumer]
    return graph.amount


def graph_plan(graph: SupplyGraph, loop_structure: tuple[Index, Index] | None = None) -> SolverPlan:
    """`build_plan(graph.technosphere, graph.ids)` without building A: straight from the edge
    columns (the amounts scaled by the consumer's allocation share, as in A). `loop_structure`:
    the provider-major structure of a graph `topological_order` found a loop in."""
    amount = _edge_amounts(graph)
    return plan_from_edges(
        graph.n_nodes,
        graph.provider,
        graph.consumer,
        amount,
        graph.ids,
        out=loop_structure,
        has_loops=loop_structure is not None,
    )


def nonphysical_loops(graph: SupplyGraph) -> list[BadLoop]:
    """Every strongly connected component of the graph whose loop has no physical footprint
    (rho(A_cc) >= 1 or I − A_cc singular), each with its members and one cycle; [] when all
    loops are physical, such as closed-loop recycling with a gain below 1.

    The same check `rollup` makes before it solves, without solving: a graph without loops is
    recognised as `rollup` recognises it (one comparison per edge, else Kahn) and costs nothing
    more; otherwise the plan's factorisation certifies only the components with a cycle.
    """
    if given_order_available() and in_given_order(graph.provider, graph.consumer):
        return []
    order, structure = topological_order(graph.n_nodes, graph.provider, graph.consumer)
    if order is not None:
        return []
    try:
        graph_plan(graph, structure)
    except SingularLoop as exc:
        return exc.loops
    return []


def result_from_solution(
    graph: SupplyGraph, solved: FloatArray, rows: IntArray | None = None
) -> RollupResult:
    """Split a solution [F | quality] into a result; a non-finite value means no solution.

    `rows`: node j's row of `solved` is rows[j] (a solution left in level order)."""
    s = len(graph.stages)
    if rows is None:
        by_stage, extra = np.ascontiguousarray(solved[:, :s]), solved[:, s:]
    else:  # np.take: several times faster than solved[rows, :s] on a tall array
        by_stage, extra = np.take(solved[:, :s], rows, axis=0), np.take(solved[:, s:], rows, axis=0)
    return _result(graph, by_stage, extra)


def _result(graph: SupplyGraph, by_stage: FloatArray, extra: FloatArray) -> RollupResult:
    """The result from solved stage columns and quality columns, rows in graph order."""
    total = row_sums(by_stage)
    if not np.isfinite(total).all():  # a non-finite stage value makes its row sum non-finite
        bad = np.flatnonzero(~np.isfinite(by_stage).all(axis=1))
        if bad.size:
            raise SingularLoop([str(graph.ids[bad[0]])], "the footprint is not a finite number")
    q = n_quality_columns(graph)
    quality = quality_from_solution(total, extra[:, :q])
    boundary = extra[:, q:] if extra.shape[1] > q else None
    return RollupResult(
        ids=graph.ids,
        stages=graph.stages,
        by_stage=by_stage,
        primary_data_share=quality.primary_data_share,
        dqr=quality.dqr,
        index=graph.__dict__.get("index"),
        dqi=quality.dqi,
        boundary=None if boundary is None else np.ascontiguousarray(boundary),
    )


def solve_splu(plan: SolverPlan, graph: SupplyGraph, rhs: FloatArray) -> FloatArray:
    """Reference: splu(I − Aᵀ renumbered by levels, NATURAL order, no pivoting), then solve."""
    a = graph.technosphere
    order, position = plan.order, plan.position
    m = sp.identity(graph.n_nodes, format="csr") - sp.csr_matrix(a.T.tocsr())
    permuted = sp.csc_matrix(m[order][:, order])
    import scipy.sparse.linalg as spla  # here: a third of the engine's import time

    lu = spla.splu(permuted, permc_spec="NATURAL", diag_pivot_thresh=0.0)
    solved: FloatArray = lu.solve(np.ascontiguousarray(rhs[order]))[position]
    return solved
