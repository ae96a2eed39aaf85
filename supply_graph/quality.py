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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from supply_graph.model import FloatArray, IntArray, SupplyGraph

RATINGS = ("technological", "temporal", "geographical")
N_QUALITY_COLUMNS = 2 + len(RATINGS)  # primary, the three ratings, the rating weight


def row_sums(values: FloatArray) -> FloatArray:
    """Σ over columns per row; a matrix-vector product with ones, ~10× faster than
    `sum(axis=1)` on a tall array with few columns (same value up to rounding)."""
    sums: FloatArray = values @ np.ones(values.shape[1])
    return sums


def quality_columns(
    graph: SupplyGraph, direct: FloatArray | None = None, rows: IntArray | None = None
) -> FloatArray:
    """The extra right-hand sides (n, 5): b∘primary, b∘r_k for the three ratings, b∘[rated];
    with `rows`, those nodes in that order (`direct` then holds their effective direct
    emissions)."""
    direct = graph.effective_direct if direct is None else direct
    out = np.empty((direct.shape[0], N_QUALITY_COLUMNS))
    if rows is None:
        _fill_quality(out, graph.primary, graph.dqi, direct)
    else:
        _fill_quality(out, graph.primary[rows], graph.dqi[rows], direct)
    return out


def _fill_quality(
    out: FloatArray, primary: FloatArray, dqi: FloatArray, direct: FloatArray
) -> None:
    """Write b∘primary, b∘r_k (k = 1..3) and b∘[rated] into the columns of `out`; a node is
    rated when all three ratings are set."""
    own = row_sums(direct)
    has = np.logical_not(np.isnan(dqi).any(axis=1))
    np.multiply(own, primary, out=out[:, 0])
    out[:, 1:4] = 0.0
    np.multiply(own[:, None], dqi, out=out[:, 1:4], where=has[:, None])
    np.multiply(own, has, out=out[:, 4])


@dataclass(frozen=True)
class Quality:
    """Per-node primary-data share (0..1), contribution-weighted ratings (n, 3) and their mean
    `dqr` (NaN where no contributing node carries a rating)."""

    primary_data_share: FloatArray
    dqr: FloatArray
    dqi: FloatArray


def quality_from_solution(total: FloatArray, solved: FloatArray) -> Quality:
    """Shares from the solved quality columns; a node with zero footprint has share 0 (nothing
    to attribute), and the ratings are NaN where no contributing node carries one."""
    share = np.zeros(total.shape[0])
    np.divide(solved[:, 0], total, out=share, where=total != 0)
    weight = solved[:, 4]
    dqi = np.full((total.shape[0], len(RATINGS)), np.nan)
    np.divide(solved[:, 1:4], weight[:, None], out=dqi, where=weight[:, None] != 0)
    return Quality(primary_data_share=share, dqr=dqi.mean(axis=1), dqi=dqi)


def right_hand_sides(graph: SupplyGraph, rows: IntArray | None = None) -> FloatArray:
    """[E_effective | quality columns], shape (n, stages + 5): everything one solve needs;
    with `rows`, only those rows in that order (e.g. a plan's level order)."""
    direct = graph.effective_direct if rows is None else np.take(graph.effective_direct, rows, 0)
    s = direct.shape[1]
    out = np.empty((direct.shape[0], s + N_QUALITY_COLUMNS))
    out[:, :s] = direct
    primary, dqi = (
        (graph.primary, graph.dqi) if rows is None else (graph.primary[rows], graph.dqi[rows])
    )
    _fill_quality(out[:, s:], primary, dqi, direct)
    return out


def right_hand_side_row(graph: SupplyGraph, node: int, direct: FloatArray) -> FloatArray:
    """The row of `right_hand_sides` for `node` if its direct emissions were `direct` (by stage,
    before allocation): used by scenarios and incremental updates."""
    e = direct * graph.allocation_share[node]
    out = np.empty((1, N_QUALITY_COLUMNS))
    _fill_quality(out, graph.primary[node : node + 1], graph.dqi[node : node + 1], e[None, :])
    return np.concatenate([e, out[0]])
