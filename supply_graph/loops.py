"""Loops without a physical footprint: the certificate of a loop block and the names of a bad one.

A strongly connected component c of the supply graph (closed-loop recycling, say) has a finite,
non-negative footprint exactly when the spectral radius of its block, rho(A_cc), is below 1. The
solver certifies that on the LU of (I − A_ccᵀ) it needs anyway: y = (I − A_ccᵀ)⁻¹ 1 must be
finite and > 0 (M-matrix theory: for rho > 1 the Perron vector u gives uᵀy = uᵀ1 / (1 − rho) < 0;
for rho = 1 the matrix is singular). Only components with a cycle are ever checked, so a graph
without loops pays nothing. This module has no solver state: `solve.py` factorises and calls
`certify`, and `describe` turns a failed component into a `BadLoop` for the error and for callers
(`nonphysical_loops` in `rollup.py`) that must isolate it rather than stop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

if TYPE_CHECKING:
    import scipy.sparse.linalg as spla

# Largest y in (I − A_ccᵀ) y = 1 that still counts as a finite loop multiplier.
MAX_LOOP_MULTIPLIER = 1e12
# Above this many nodes a loop's spectral radius is not computed (dense eigenvalues).
MAX_EIGEN_NODES = 2000

Names = Sequence[str] | npt.NDArray[np.str_]
Index = npt.NDArray[np.integer[Any]]


@dataclass(frozen=True)
class BadLoop:
    """One strongly connected component with no physical footprint.

    `members`: every node of the component, in graph order; `cycle`: the nodes along one cycle
    of it, the first repeated at the end (what a person reads); `spectral_radius`: rho(A_cc),
    >= 1, or None for a component too large to compute it for.
    """

    members: tuple[str, ...]
    cycle: tuple[str, ...]
    spectral_radius: float | None


def certify(block: sp.csc_matrix) -> tuple[spla.SuperLU | None, npt.NDArray[np.bool_]]:
    """The LU of `block` = (I − A_cc)ᵀ over one or more components, and a mask of the rows
    whose certificate fails (all rows when the block is exactly singular, lu None)."""
    import scipy.sparse.linalg as spla  # only graphs with loops need it (slow to import)

    try:
        lu = spla.splu(block, permc_spec="NATURAL", diag_pivot_thresh=0.0)
        y = lu.solve(np.ones(block.shape[0]))
    except RuntimeError:  # exactly singular
        return None, np.ones(block.shape[0], dtype=bool)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(y) | (y <= 0) | (y > MAX_LOOP_MULTIPLIER)
    return lu, bad


def describe(
    members: Index, src: Index, dst: Index, amount: npt.NDArray[np.float64], ids: Names | None
) -> BadLoop:
    """A failed component as a `BadLoop`: its members (node indices, sorted), one cycle through
    them (networkx, on the component's own edges only) and its spectral radius."""
    import networkx as nx  # for bad loops only: ~0.25 s of start-up otherwise

    members = np.sort(np.asarray(members, dtype=np.int64))
    inside = np.isin(src, members) & np.isin(dst, members)
    s, d, a = np.asarray(src)[inside], np.asarray(dst)[inside], np.asarray(amount)[inside]
    graph = nx.DiGraph(zip(s.tolist(), d.tolist(), strict=True))
    try:
        cycle = [int(u) for u, _ in nx.find_cycle(graph)]
    except nx.NetworkXNoCycle:  # pragma: no cover - a component with a failed block has one
        cycle = members.tolist()
    cycle.append(cycle[0])

    def name(i: int) -> str:
        return str(ids[i]) if ids is not None else f"node #{i}"

    return BadLoop(
        members=tuple(name(i) for i in members.tolist()),
        cycle=tuple(name(i) for i in cycle),
        spectral_radius=_spectral_radius(members, s, d, a),
    )


def _spectral_radius(
    members: Index, src: Index, dst: Index, amount: npt.NDArray[np.float64]
) -> float | None:
    """rho(A_cc) from the component's own edges (dense eigenvalues; loops are small)."""
    m = members.shape[0]
    if m > MAX_EIGEN_NODES:
        return None
    local = np.searchsorted(members, src), np.searchsorted(members, dst)
    a_cc = np.zeros((m, m))
    np.add.at(a_cc, local, amount)
    return float(max(abs(np.linalg.eigvals(a_cc))))


def detail(loops: Sequence[BadLoop]) -> str:
    """The reason shown in the engine's error, for one or more bad loops."""
    radii = ", ".join(
        "not computed for loops of more than 2000 nodes"
        if loop.spectral_radius is None
        else f"{loop.spectral_radius:.6g}"
        for loop in loops
    )
    return (
        "a product needs at least one unit of itself through the loop "
        f"(spectral radius of the loop block >= 1: {radii})"
    )


def path_through(
    ids: Names, provider: Index, consumer: Index, loop: BadLoop, start: str, ends: Sequence[str]
) -> list[str]:
    """The shortest walk inside `loop` from `start` to one of `ends` and back to `start` along
    an edge end -> start, as node ids; the loop's own cycle when no end is in it. This names a
    loop the way the one who closed it sees it: from its product to the product it linked."""
    import networkx as nx  # for bad loops only

    members = set(loop.members)
    targets = [e for e in ends if e in members]
    if start not in members or not targets:
        return list(loop.cycle)
    names = np.asarray(ids)
    inside = np.isin(names[provider], list(members)) & np.isin(names[consumer], list(members))
    graph = nx.DiGraph(
        zip(names[provider[inside]].tolist(), names[consumer[inside]].tolist(), strict=True)
    )
    back = {str(p) for p in names[provider[inside]][names[consumer[inside]] == start].tolist()}
    best: list[str] | None = None
    for end in targets:
        if end not in back or not nx.has_path(graph, start, end):
            continue
        path = [str(n) for n in nx.shortest_path(graph, start, end)]
        if best is None or len(path) < len(best):
            best = path
    return [*best, start] if best else list(loop.cycle)
