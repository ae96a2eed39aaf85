"""What-if scenarios: a few changes evaluated against the base graph without copying it.

Edge changes are a low-rank change of the operator, M' = M − U Vᵀ with M = I − Aᵀ,
U = [δ_b e_{k_b}], V = [e_{i_b}] (amount of i_b per unit of k_b changes by δ_b). By Woodbury,

    F' = F0 + Z D (I − Z[i, :] D)⁻¹ F0[i, :],   F0 = M⁻¹ B',  Z = M⁻¹ [e_k1 … e_kr],  D = diag(δ)

so one solve with the base plan, over r + (stages + 3) columns, gives every node's footprint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from supply_graph.errors import NegativeAmount, SingularLoop, UnitMismatch
from supply_graph.model import BoolArray, FloatArray, SupplyGraph, direct_matrix
from supply_graph.quality import right_hand_side_row, right_hand_sides
from supply_graph.rollup import RollupResult, result_from_solution
from supply_graph.solve import SolverPlan, build_plan, solve
from supply_graph.units import conversion_factor


@dataclass(frozen=True)
class SetDirect:
    """Replace a node's direct emissions (kg CO2e per declared unit, by stage)."""

    node: str
    direct: Mapping[str, float] | float
    # the share of the new direct emissions that rests on primary data (as the roll-up's
    # own-row weighting gives it); None: the node's share as the graph has it
    primary: float | None = None


@dataclass(frozen=True)
class SetAmount:
    """Set the amount of `provider` per unit of `consumer` (in the provider's declared unit)."""

    provider: str
    consumer: str
    amount: float


@dataclass(frozen=True)
class ScaleAmount:
    """Multiply the amount of `provider` per unit of `consumer` by `factor`."""

    provider: str
    consumer: str
    factor: float


@dataclass(frozen=True)
class ReplaceProvider:
    """`consumer` buys from `new` instead of `old`: same quantity, converted to new's unit."""

    consumer: str
    old: str
    new: str


Change = SetDirect | SetAmount | ScaleAmount | ReplaceProvider


@dataclass(frozen=True)
class Scenario:
    """A named, ordered set of changes against a base graph."""

    changes: Sequence[Change]
    name: str = ""


EdgeKey = tuple[int, int]


def edge_deltas(graph: SupplyGraph, changes: Sequence[Change]) -> dict[EdgeKey, float]:
    """Changes δ of A[i, k] (after allocation) that the scenario's edge changes amount to."""
    a = graph.technosphere
    current: dict[EdgeKey, float] = {}

    def value(key: EdgeKey) -> float:
        return current[key] if key in current else float(a[key[0], key[1]])

    for change in changes:
        if isinstance(change, SetAmount):
            key = (graph.node_index(change.provider), graph.node_index(change.consumer))
            current[key] = change.amount * graph.allocation_share[key[1]]
        elif isinstance(change, ScaleAmount):
            key = (graph.node_index(change.provider), graph.node_index(change.consumer))
            current[key] = value(key) * change.factor
        elif isinstance(change, ReplaceProvider):
            k = graph.node_index(change.consumer)
            old, new = graph.node_index(change.old), graph.node_index(change.new)
            factor = conversion_factor(graph.unit_of(change.old), graph.unit_of(change.new))
            if factor is None:
                edge = f"{change.old} -> {change.consumer} replaced by {change.new}"
                raise UnitMismatch(edge, graph.unit_of(change.old), graph.unit_of(change.new))
            moved = value((old, k))
            current[(old, k)] = 0.0
            current[(new, k)] = value((new, k)) + moved * factor
    for (i, k), v in current.items():
        if not v >= 0 or not np.isfinite(v):
            raise NegativeAmount(f"{graph.ids[i]} -> {graph.ids[k]} (scenario)", v)
    return {key: v - float(a[key[0], key[1]]) for key, v in current.items()}


def patched_rhs(
    graph: SupplyGraph, changes: Sequence[Change], boundaries: BoolArray | None = None
) -> FloatArray:
    """B' = right-hand sides (with the boundary membership's columns, when given) with the
    scenario's direct-emission changes applied."""
    patched = right_hand_sides(graph, boundaries=boundaries)
    for change in changes:
        if isinstance(change, SetDirect):
            i = graph.node_index(change.node)
            row = direct_matrix([change.direct], graph.stages, [change.node])[0]
            member = None if boundaries is None else boundaries[i]
            patched[i] = right_hand_side_row(graph, i, row, member, change.primary)
    return patched


def evaluate_scenario(
    graph: SupplyGraph,
    scenario: Scenario,
    plan: SolverPlan | None = None,
    boundaries: BoolArray | None = None,
) -> RollupResult:
    """Footprints of every node under the scenario, from the base plan (Woodbury, see above),
    with `result.boundary` when a boundary membership is given (as `rollup`).

    A change that closes or alters a loop is checked exactly: the patched operator is planned
    afresh, so a loop needing >= 1 unit of itself raises `SingularLoop` naming its nodes.
    """
    plan = plan if plan is not None else build_plan(graph.technosphere, graph.ids)
    deltas = {key: d for key, d in edge_deltas(graph, scenario.changes).items() if d}
    rhs = patched_rhs(graph, scenario.changes, boundaries)
    if not deltas:
        return result_from_solution(graph, solve(plan, rhs))
    keys = list(deltas)
    providers = np.array([i for i, _ in keys])
    consumers = np.array([k for _, k in keys])
    delta = np.array([deltas[key] for key in keys])
    units = np.zeros((graph.n_nodes, len(keys)))
    units[consumers, np.arange(len(keys))] = 1.0
    y = solve(plan, np.hstack([rhs, units]))
    f0, z = y[:, : rhs.shape[1]], y[:, rhs.shape[1] :]
    coupling = z[providers, :] * delta
    if np.any(coupling):  # the change reaches back upstream of itself: a loop is involved
        return _replan(graph, keys, delta, rhs)
    capacitance = np.eye(len(keys)) - coupling
    solved = f0 + (z * delta) @ np.linalg.solve(capacitance, f0[providers, :])
    return result_from_solution(graph, solved)


def _replan(
    graph: SupplyGraph, keys: list[EdgeKey], delta: FloatArray, rhs: FloatArray
) -> RollupResult:
    """Exact path for loop-touching scenarios: plan the patched operator A + ΔA."""
    import scipy.sparse as sp

    n = graph.n_nodes
    rows = [i for i, _ in keys]
    cols = [k for _, k in keys]
    patched = graph.technosphere + sp.csr_matrix((delta, (rows, cols)), shape=(n, n))
    patched.eliminate_zeros()
    plan = build_plan(sp.csr_matrix(patched), graph.ids)
    solved = solve(plan, rhs)
    if not np.isfinite(solved).all():
        raise SingularLoop([str(graph.ids[k]) for k in cols], "the scenario has no finite result")
    return result_from_solution(graph, solved)
