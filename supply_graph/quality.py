"""Primary-data share and data-quality rating (PACT) as extra right-hand sides of the one solve.

With b_i = Σ_s e_is the node's own total, the footprint splits over contributing nodes as
f_j = Σ_i x_i b_i (x the supply vector of j), so any weighted sum over contributions is the same
linear solve with another right-hand side:

    primary part   p = (I − Aᵀ)⁻¹ (b ∘ primary)      primary_data_share_j = p_j / f_j
    dqr numerator  q = (I − Aᵀ)⁻¹ (b ∘ dqr)          dqr_j = q_j / w_j
    dqr weight     w = (I − Aᵀ)⁻¹ (b ∘ [has dqr])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from supply_graph.model import FloatArray, SupplyGraph

N_QUALITY_COLUMNS = 3


def quality_columns(graph: SupplyGraph, direct: FloatArray | None = None) -> FloatArray:
    """The three extra right-hand sides (n, 3): b∘primary, b∘dqr, b∘[has dqr]."""
    own = (graph.effective_direct if direct is None else direct).sum(axis=1)
    has = ~np.isnan(graph.dqr)
    out = np.empty((graph.n_nodes, N_QUALITY_COLUMNS))
    out[:, 0] = np.where(graph.primary, own, 0.0)
    out[:, 1] = np.where(has, own * np.nan_to_num(graph.dqr), 0.0)
    out[:, 2] = np.where(has, own, 0.0)
    return out


@dataclass(frozen=True)
class Quality:
    """Per-node primary-data share (0..1) and contribution-weighted dqr (NaN where no rating)."""

    primary_data_share: FloatArray
    dqr: FloatArray


def quality_from_solution(total: FloatArray, solved: FloatArray) -> Quality:
    """Shares from the solved quality columns; a node with zero footprint has share 0 (nothing
    to attribute), and dqr is NaN where no contributing node carries a rating."""
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total != 0, solved[:, 0] / total, 0.0)
        weight = solved[:, 2]
        dqr = np.where(weight != 0, solved[:, 1] / weight, np.nan)
    return Quality(primary_data_share=share, dqr=dqr)


def right_hand_sides(graph: SupplyGraph) -> FloatArray:
    """[E_effective | quality columns], shape (n, stages + 3): everything one solve needs."""
    return np.hstack([graph.effective_direct, quality_columns(graph)])


def right_hand_side_row(graph: SupplyGraph, node: int, direct: FloatArray) -> FloatArray:
    """The row of `right_hand_sides` for `node` if its direct emissions were `direct` (by stage,
    before allocation): used by scenarios and incremental updates."""
    e = direct * graph.allocation_share[node]
    own = float(e.sum())
    dqr = float(graph.dqr[node])
    has = dqr == dqr
    extra = [own if graph.primary[node] else 0.0, own * dqr if has else 0.0, own if has else 0.0]
    return np.concatenate([e, extra])
