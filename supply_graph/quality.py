"""Primary-data share and data-quality ratings (PACT) as extra right-hand sides of the one solve.

With b_i = Σ_s e_is the node's own total, the footprint splits over contributing nodes as
f_j = Σ_i x_i b_i (x the supply vector of j), so any weighted sum over contributions is the same
linear solve with another right-hand side:

    primary part   p = (I − Aᵀ)⁻¹ (b ∘ primary)      primary_data_share_j = p_j / f_j
    rating k       q_k = (I − Aᵀ)⁻¹ (b ∘ r_k)        DQR_kj = q_kj / w_j
    rating weight  w = (I − Aᵀ)⁻¹ (b ∘ [rated])

`primary` is the share (0..1) of a node's own emissions from primary data (the platform sums
its rows' provenance into it); r_k are its technological, temporal and geographical ratings
(PACT v3 `dqi`, each 1..5), each its rows' emission-weighted mean. The single rating `dqr` is
derived: the mean of the three.

A boundary set (the node categories whose own emissions form, say, a rule's "main product
production") is one more such column: g = (I − Aᵀ)⁻¹ (b ∘ member), member the node's membership
(`boundary_members`), so g_j is the part of f_j emitted by nodes of the set anywhere upstream of
j, from the same solve. Boundary columns follow the quality columns.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from supply_graph import native
from supply_graph.model import BoolArray, FloatArray, IntArray, SupplyGraph

RATINGS = ("technological", "temporal", "geographical")
# [primary, r_1, r_2, r_3, weight]; a graph without its own three ratings (each node's `dqr`
# stands for all three) solves the three-column form [primary, dqr, weight] and repeats the one
# solved rating: the same numbers with 40 % less work in the quality block.
N_QUALITY_COLUMNS = 2 + len(RATINGS)
N_SINGLE_COLUMNS = 3


def n_quality_columns(graph: SupplyGraph) -> int:
    return N_SINGLE_COLUMNS if graph.ratings is None else N_QUALITY_COLUMNS


def row_sums(values: FloatArray) -> FloatArray:
    """Σ over columns per row; a matrix-vector product with ones, ~10× faster than
    `sum(axis=1)` on a tall array with few columns (same value up to rounding)."""
    sums: FloatArray = values @ np.ones(values.shape[1])
    return sums


def _node_ratings(graph: SupplyGraph, rows: IntArray | None) -> FloatArray:
    """(n, 3) ratings, or (n, 1) the single `dqr` when the graph has no three of its own."""
    if graph.ratings is None:
        dqr = graph.dqr if rows is None else graph.dqr[rows]
        return dqr[:, None]
    return graph.ratings if rows is None else graph.ratings[rows]


def quality_columns(
    graph: SupplyGraph,
    direct: FloatArray | None = None,
    rows: IntArray | None = None,
    boundaries: BoolArray | None = None,
) -> FloatArray:
    """The extra right-hand sides: b∘primary, b∘r_k for the ratings, b∘[rated] (five columns,
    or three for a graph rated by `dqr` alone), followed by b∘member_k for each column of the
    `boundaries` membership (n, K, bool; `boundary_members`) when given; with `rows`, those
    nodes in that order (`direct` then holds their effective direct emissions, `boundaries`
    stays in graph order)."""
    direct = graph.effective_direct if direct is None else direct
    ratings = _node_ratings(graph, rows)
    q = ratings.shape[1] + 2
    k = 0 if boundaries is None else boundaries.shape[1]
    out = np.empty((direct.shape[0], q + k))
    primary = graph.primary if rows is None else graph.primary[rows]
    own = _fill_quality(out[:, :q], primary, ratings, direct)
    if boundaries is not None:
        member = boundaries if rows is None else boundaries[rows]
        np.multiply(own[:, None], member, out=out[:, q:])
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


def _fill_quality(
    out: FloatArray, primary: FloatArray, ratings: FloatArray, direct: FloatArray
) -> FloatArray:
    """Write b∘primary, b∘r_k and b∘[rated] into the columns of `out` and return b; a node is
    rated when all its ratings are set. The compiled kernel, when loaded, writes the same
    products in one pass over the rows (numpy: one per column, with temporaries)."""
    own = row_sums(direct)
    if native.fill_quality(out, own, primary, ratings):
        return own
    k = ratings.shape[1]
    has = ratings[:, 0] == ratings[:, 0] if k == 1 else np.logical_not(np.isnan(ratings).any(1))
    np.multiply(own, primary, out=out[:, 0])
    for c in range(k):
        out[:, 1 + c] = 0.0
        np.multiply(own, ratings[:, c], out=out[:, 1 + c], where=has)
    np.multiply(own, has, out=out[:, 1 + k])
    return own


@dataclass(frozen=True)
class Quality:
    """Per-node primary-data share (0..1), contribution-weighted ratings (n, 3) and their mean
    `dqr` (NaN where no contributing node carries a rating)."""

    primary_data_share: FloatArray
    dqr: FloatArray
    dqi: FloatArray


def quality_from_solution(total: FloatArray, solved: FloatArray) -> Quality:
    """Shares from the solved quality columns (five, or three for single ratings: `solved` holds
    exactly those, without boundary columns); a node with
    zero footprint has share 0 (nothing to attribute), and the ratings are NaN where no
    contributing node carries one."""
    k = solved.shape[1] - 2
    shares = native.quality_shares(total, solved)  # the same divisions in one pass
    if shares is not None:
        share, rated = shares
    else:
        share = np.zeros(total.shape[0])
        np.divide(solved[:, 0], total, out=share, where=total != 0)
        weight = solved[:, 1 + k]
        rated = np.full((total.shape[0], k), np.nan)
        np.divide(solved[:, 1 : 1 + k], weight[:, None], out=rated, where=weight[:, None] != 0)
    if k == 1:
        dqr = rated[:, 0]
        return Quality(share, dqr, np.repeat(rated, len(RATINGS), axis=1))
    return Quality(share, rated.mean(axis=1), rated)


def right_hand_sides(
    graph: SupplyGraph, rows: IntArray | None = None, boundaries: BoolArray | None = None
) -> FloatArray:
    """[E_effective | quality columns | boundary columns], shape (n, stages + 5 (or 3) + K):
    everything one solve needs; with `rows`, only those rows in that order (e.g. a plan's
    level order)."""
    direct = graph.effective_direct if rows is None else np.take(graph.effective_direct, rows, 0)
    s = direct.shape[1]
    ratings = _node_ratings(graph, rows)
    q = ratings.shape[1] + 2
    k = 0 if boundaries is None else boundaries.shape[1]
    out = np.empty((direct.shape[0], s + q + k))
    out[:, :s] = direct
    primary = graph.primary if rows is None else graph.primary[rows]
    own = _fill_quality(out[:, s : s + q], primary, ratings, direct)
    if boundaries is not None:
        member = boundaries if rows is None else boundaries[rows]
        np.multiply(own[:, None], member, out=out[:, s + q :])
    return out


def right_hand_side_row(
    graph: SupplyGraph,
    node: int,
    direct: FloatArray,
    member: BoolArray | None = None,
    primary: float | None = None,
) -> FloatArray:
    """The row of `right_hand_sides` for `node` if its direct emissions were `direct` (by stage,
    before allocation), with its boundary membership `member` (K) when the sides have one:
    used by scenarios and incremental updates. `primary`: the node's primary share of these
    emissions, when it is not the graph's (its rows' emissions changed, not their provenance)."""
    e = direct * graph.allocation_share[node]
    rows = np.array([node], dtype=np.int64)
    ratings = _node_ratings(graph, rows)
    out = np.empty((1, ratings.shape[1] + 2))
    share = graph.primary[rows] if primary is None else np.array([primary], dtype=np.float64)
    _fill_quality(out, share, ratings, e[None, :])
    bounded = np.zeros(0) if member is None else float(e.sum()) * member.astype(np.float64)
    return np.concatenate([e, out[0], bounded])
