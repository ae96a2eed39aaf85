"""Primary-data share and data-quality rating (PACT) as extra right-hand sides of the one solve.

With b_i = Σ_s e_is the node's own total, the footprint splits over contributing nodes as
f_j = Σ_i x_i b_i (x the supply vector of j), so any weighted sum over contributions is the same
linear solve with another right-hand side:

    primary part   p = (I − Aᵀ)⁻¹ (b ∘ primary)      primary_data_share_j = p_j / f_j
    dqr numerator  q = (I − Aᵀ)⁻¹ (b ∘ dqr)          dqr_j = q_j / w_j
    dqr weight     w = (I − Aᵀ)⁻¹ (b ∘ [has dqr])

A boundary set (the node categories whose own emissions form, say, a rule's "main product
production") is one more such column: g = (I − Aᵀ)⁻¹ (b ∘ member), member the node's membership
(`boundary_members`), so g_j is the part of f_j emitted by nodes of the set anywhere upstream of
j, from the same solve.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from supply_graph.model import BoolArray, FloatArray, IntArray, SupplyGraph

N_QUALITY_COLUMNS = 3


def row_sums(values: FloatArray) -> FloatArray:
    """Σ over columns per row; a matrix-vector product with ones, ~10× faster than
    `sum(axis=1)` on a tall array with few columns (same value up to rounding)."""
    sums: FloatArray = values @ np.ones(values.shape[1])
    return sums


def quality_columns(
    graph: SupplyGraph,
    direct: FloatArray | None = None,
    rows: IntArray | None = None,
    boundaries: BoolArray | None = None,
) -> FloatArray:
    """The three extra right-hand sides (n, 3): b∘primary, b∘dqr, b∘[has dqr], followed by
    b∘member_k for each column of the `boundaries` membership (n, K, bool; `boundary_members`)
    when given; with `rows`, those nodes in that order (`direct` then holds their effective
    direct emissions, `boundaries` stays in graph order)."""
    direct = graph.effective_direct if direct is None else direct
    k = 0 if boundaries is None else boundaries.shape[1]
    out = np.empty((direct.shape[0], N_QUALITY_COLUMNS + k))
    if rows is None:
        _fill_quality(out, graph.primary, graph.dqr, direct)
    else:
        _fill_quality(out, graph.primary[rows], graph.dqr[rows], direct)
    if boundaries is not None:
        member = boundaries if rows is None else boundaries[rows]
        np.multiply(row_sums(direct)[:, None], member, out=out[:, N_QUALITY_COLUMNS:])
    return out


def boundary_members(
    graph: SupplyGraph, sets: Sequence[Collection[str]], nodes: BoolArray | None = None
) -> BoolArray:
    """(n, len(sets)) membership for `rollup(graph, boundaries=…)`: a node belongs to set k
    when its category is in it and `nodes` (when given) holds. Solved with the footprint,
    column k of a node's `result.boundary` is the part of its footprint emitted (own, every
    stage, after allocation) by set k's nodes anywhere upstream."""
    out = np.zeros((graph.n_nodes, len(sets)), dtype=bool)
    for k, members in enumerate(sets):
        table = np.zeros(len(graph.category_names) + 1, dtype=bool)  # last: code -1
        for c, name in enumerate(graph.category_names):
            table[c] = name in members
        out[:, k] = table[graph.category_code]
        if nodes is not None:
            out[:, k] &= nodes
    return out


def _fill_quality(out: FloatArray, primary: BoolArray, dqr: FloatArray, direct: FloatArray) -> None:
    """Write b∘primary, b∘dqr, b∘[has dqr] into the three columns of `out` (no temporaries
    beyond b and the rating mask)."""
    own = row_sums(direct)
    has = dqr == dqr  # not NaN
    np.multiply(own, primary, out=out[:, 0])
    out[:, 1] = 0.0
    np.multiply(own, dqr, out=out[:, 1], where=has)
    np.multiply(own, has, out=out[:, 2])


@dataclass(frozen=True)
class Quality:
    """Per-node primary-data share (0..1) and contribution-weighted dqr (NaN where no rating)."""

    primary_data_share: FloatArray
    dqr: FloatArray


def quality_from_solution(total: FloatArray, solved: FloatArray) -> Quality:
    # `solved` may carry boundary columns after the three quality ones: not read here
    """Shares from the solved quality columns; a node with zero footprint has share 0 (nothing
    to attribute), and dqr is NaN where no contributing node carries a rating."""
    share = np.zeros(total.shape[0])
    np.divide(solved[:, 0], total, out=share, where=total != 0)
    weight = solved[:, 2]
    dqr = np.full(total.shape[0], np.nan)
    np.divide(solved[:, 1], weight, out=dqr, where=weight != 0)
    return Quality(primary_data_share=share, dqr=dqr)


def right_hand_sides(
    graph: SupplyGraph, rows: IntArray | None = None, boundaries: BoolArray | None = None
) -> FloatArray:
    """[E_effective | quality columns | boundary columns], shape (n, stages + 3 + K):
    everything one solve needs; with `rows`, only those rows in that order (e.g. a plan's
    level order)."""
    direct = graph.effective_direct if rows is None else np.take(graph.effective_direct, rows, 0)
    s = direct.shape[1]
    k = 0 if boundaries is None else boundaries.shape[1]
    out = np.empty((direct.shape[0], s + N_QUALITY_COLUMNS + k))
    if boundaries is not None:
        member = boundaries if rows is None else boundaries[rows]
        np.multiply(row_sums(direct)[:, None], member, out=out[:, s + N_QUALITY_COLUMNS :])
    out[:, :s] = direct
    primary, dqr = (
        (graph.primary, graph.dqr) if rows is None else (graph.primary[rows], graph.dqr[rows])
    )
    _fill_quality(out[:, s : s + N_QUALITY_COLUMNS], primary, dqr, direct)
    return out


def right_hand_side_row(
    graph: SupplyGraph, node: int, direct: FloatArray, member: BoolArray | None = None
) -> FloatArray:
    """The row of `right_hand_sides` for `node` if its direct emissions were `direct` (by stage,
    before allocation), with its boundary membership `member` (K) when the sides have one:
    used by scenarios and incremental updates."""
    e = direct * graph.allocation_share[node]
    own = float(e.sum())
    dqr = float(graph.dqr[node])
    has = dqr == dqr
    extra = [own if graph.primary[node] else 0.0, own * dqr if has else 0.0, own if has else 0.0]
    bounded = [] if member is None else (own * member).tolist()
    return np.concatenate([e, extra, bounded])
