"""The roll-up f = e + Aᵀ f: hand-worked chains and loops, and properties on random graphs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from supply_graph import SingularLoop, SupplyGraph, build_plan, rollup, supply_vector
from supply_graph.solve import solve

from .conftest import STAGES, dense_solution, make_graph, random_graphs


def test_three_tier_chain_by_hand() -> None:
    """ore (2/kg) -> 1.5 kg into refined salt (direct 1) -> 0.4 kg into cathode (direct 3):
    f_ore = 2; f_salt = 1 + 1.5·2 = 4; f_cathode = 3 + 0.4·4 = 4.6."""
    graph = make_graph([2.0, 1.0, 3.0], [("n0", "n1", 1.5), ("n1", "n2", 0.4)])
    result = rollup(graph)
    assert result.total.tolist() == pytest.approx([2.0, 4.0, 4.6])


def test_diamond_shares_upstream_once_per_path() -> None:
    """mine m (1/kg) feeds a (0.5) and b (2); product p takes 1 of a and 1 of b, direct 0.
    f_a = 0.5·1 = 0.5, f_b = 2·1 = 2, f_p = 0.5 + 2 = 2.5."""
    graph = make_graph(
        [1.0, 0.0, 0.0, 0.0], [("n0", "n1", 0.5), ("n0", "n2", 2), ("n1", "n3", 1), ("n2", "n3", 1)]
    )
    assert rollup(graph)["n3"].total == pytest.approx(2.5)


def test_recycling_loop_solved_by_hand() -> None:
    """Closed-loop recycling: cathode c (direct 3) needs 0.5 kg of recovered material r; r
    (direct 1) needs 0.2 kg of cathode scrap (so it carries cathode burden back).
    f_c = 3 + 0.5 f_r, f_r = 1 + 0.2 f_c  =>  f_c = 3 + 0.5 + 0.1 f_c  =>  f_c = 3.5/0.9.
    f_r = 1 + 0.2·3.5/0.9 = (0.9 + 0.7)/0.9 = 1.6/0.9. A cell takes 2 kg of cathode:
    f_cell = 2·3.5/0.9 = 7/0.9."""
    graph = make_graph([3.0, 1.0, 0.0], [("n1", "n0", 0.5), ("n0", "n1", 0.2), ("n0", "n2", 2.0)])
    result = rollup(graph)
    assert result.total.tolist() == pytest.approx([3.5 / 0.9, 1.6 / 0.9, 7 / 0.9], rel=1e-12)


def test_self_loop() -> None:
    """A furnace uses 0.1 kg of its own product per kg: f = 2 + 0.1 f => f = 2/0.9."""
    graph = make_graph([2.0], [("n0", "n0", 0.1)])
    assert rollup(graph)["n0"].total == pytest.approx(2 / 0.9)


def test_non_physical_loop_names_its_nodes() -> None:
    """a needs 2 of b and b needs 0.6 of a: one a needs 1.2 a through the loop (rho = √1.2)."""
    graph = make_graph(
        [1.0, 1.0, 1.0],
        [("graphite", "anode", 2.0), ("anode", "graphite", 0.6), ("anode", "cell", 1.0)],
        units={"anode": "kg", "graphite": "kg", "cell": "kWh"},
    )
    with pytest.raises(SingularLoop) as err:
        rollup(graph)
    message = str(err.value)
    assert "anode" in message and "graphite" in message and "cell" not in message
    assert "1.09545" in message  # sqrt(1.2), the spectral radius


def test_exactly_singular_loop() -> None:
    """a needs exactly 1 of b and b 1 of a: I − Aᵀ is singular."""
    graph = make_graph([1.0, 1.0], [("n1", "n0", 1.0), ("n0", "n1", 1.0)])
    with pytest.raises(SingularLoop, match=r"n0|n1"):
        rollup(graph)


def test_self_loop_of_one_unit_or_more() -> None:
    graph = make_graph([1.0], [("n0", "n0", 1.0)])
    with pytest.raises(SingularLoop, match="n0 -> n0"):
        rollup(graph)


def _relative_residual(graph: SupplyGraph, f: np.ndarray) -> float:
    a = graph.technosphere
    residual = f - graph.effective_direct - a.T @ f
    return float(np.abs(residual).max() / max(np.abs(f).max(), 1e-300))


@given(random_graphs(loops=True))
def test_result_satisfies_defining_equation(graph: SupplyGraph) -> None:
    result = rollup(graph)
    assert _relative_residual(graph, result.by_stage) < 1e-9
    assert result.total == pytest.approx(dense_solution(graph).sum(axis=1), rel=1e-9, abs=1e-9)


@given(random_graphs(loops=True), st.floats(0.01, 100))
def test_scaling_emissions_scales_footprints(graph: SupplyGraph, factor: float) -> None:
    plan = build_plan(graph.technosphere)
    base = solve(plan, graph.direct)
    assert solve(plan, factor * graph.direct) == pytest.approx(factor * base, rel=1e-9, abs=1e-9)


@given(random_graphs(loops=True))
def test_levels_agree_with_splu_reference(graph: SupplyGraph) -> None:
    levels = rollup(graph).by_stage
    splu = rollup(graph, method="splu").by_stage
    assert levels == pytest.approx(splu, rel=1e-9, abs=1e-9)


@given(random_graphs(loops=False))
def test_dag_equals_plain_topological_sum(graph: SupplyGraph) -> None:
    """In a DAG (edges from lower to higher index) f_j = e_j + Σ A[i, j] f_i in index order."""
    f = graph.direct.copy()
    for j in range(graph.n_nodes):
        into = np.flatnonzero(graph.consumer == j)
        for k in into:
            f[j] += graph.amount[k] * f[graph.provider[k]]
    assert rollup(graph).by_stage == pytest.approx(f, rel=1e-9, abs=1e-9)


@given(random_graphs(loops=True), st.data())
def test_supply_vector_inverts_the_transpose(graph: SupplyGraph, data: st.DataObject) -> None:
    """x = (I − A)⁻¹ δ_j, and f_j = x · e for every stage."""
    j = data.draw(st.integers(0, graph.n_nodes - 1))
    x = supply_vector(build_plan(graph.technosphere), j)
    a = graph.technosphere.toarray()
    assert x == pytest.approx(np.linalg.solve(np.eye(graph.n_nodes) - a, np.eye(graph.n_nodes)[j]))
    assert x @ graph.direct == pytest.approx(rollup(graph).by_stage[j], rel=1e-9, abs=1e-9)
    assert len(STAGES) == graph.direct.shape[1]


@pytest.mark.parametrize("seed", range(6))
def test_without_scipy_private_kernels(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The numpy fallbacks (no `coo_tocsr` / `csr_matvecs`) give the same roll-up, loops too."""
    from supply_graph import solve as solve_module

    graph = _graph_for(seed)
    expected = rollup(graph).by_stage
    monkeypatch.setattr(solve_module, "_coo_tocsr", None)
    monkeypatch.setattr(solve_module, "_csr_matvecs", None)
    plan = build_plan(graph.technosphere)
    assert plan.lower  # per-level blocks are built when the kernel is missing
    np.testing.assert_allclose(rollup(graph, plan).by_stage, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rollup(graph).by_stage, dense_solution(graph), rtol=1e-9, atol=1e-9)


def _graph_for(seed: int) -> SupplyGraph:
    """A random graph with duplicate edges; odd seeds add loops (columns of A sum to < 1)."""
    rng = np.random.default_rng(seed)
    n = 30
    src, dst = rng.integers(0, n, 120), rng.integers(0, n, 120)
    if seed % 2 == 0:
        src, dst = np.minimum(src, dst), np.maximum(src, dst)
        keep = src != dst
        src, dst = src[keep], dst[keep]
    amount = rng.uniform(0.01, 1.0, src.size)
    column = np.bincount(dst, weights=amount, minlength=n)
    amount = amount / np.maximum(column[dst], 1e-12) * 0.9
    edges = [(f"n{s}", f"n{d}", float(a)) for s, d, a in zip(src, dst, amount, strict=True)]
    edges += edges[:5]  # duplicates add
    direct = [dict(zip(STAGES, rng.uniform(0, 5, 3).tolist(), strict=True)) for _ in range(n)]
    return make_graph(direct, edges, stages=STAGES)
