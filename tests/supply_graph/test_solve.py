"""The roll-up f = e + Aᵀ f: hand-worked chains and loops, and properties on random graphs."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from supply_graph import (
    RELATIVE_TOLERANCE,
    SingularLoop,
    SupplyGraph,
    build_plan,
    rollup,
    supply_vector,
)
from supply_graph.rollup import graph_plan
from supply_graph.solve import in_given_order, lower_triangle, solve, topological_order

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
    assert _relative_residual(graph, result.by_stage) < RELATIVE_TOLERANCE
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


def _relisted(graph: SupplyGraph, seed: int) -> SupplyGraph:
    """The same graph with its nodes and its edges each listed in a random order."""
    rng = np.random.default_rng(seed)
    return graph.relisted(rng.permutation(graph.n_nodes), rng.permutation(graph.n_edges))


@given(random_graphs(loops=False), st.integers(0, 2**32 - 1))
def test_a_dag_in_any_order_gives_the_plans_numbers(graph: SupplyGraph, seed: int) -> None:
    """Three ways to the same footprints: the DAG listed upstream first (no order computed),
    the same DAG relisted at random (Kahn's order, renumbered) and the level-scheduled plan."""
    relisted = _relisted(graph, seed)
    listed_first = rollup(graph)
    plan = rollup(graph, graph_plan(graph))  # the edges as listed, like the other two
    any_order = rollup(relisted)
    back = np.array([relisted.index[i] for i in graph.ids.tolist()], dtype=np.int64)
    # same sums in the same order per row: bit for bit
    assert np.array_equal(listed_first.by_stage, plan.by_stage)
    assert np.array_equal(listed_first.dqr, plan.dqr, equal_nan=True)
    # the relisted edges add up in another order: equal to rounding
    np.testing.assert_allclose(any_order.by_stage[back], plan.by_stage, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        any_order.primary_data_share[back], plan.primary_data_share, rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(any_order.dqr[back], plan.dqr, rtol=1e-12, atol=1e-12)


def test_a_dag_listed_upstream_first_needs_no_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Edges that all run forwards are solved as listed: no order is computed, no plan made."""
    rollup_module = importlib.import_module(
        "supply_graph.rollup"
    )  # the package's name is the function

    graph = _graph_for(0)
    expected = dense_solution(graph)

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the given order should have been used")

    monkeypatch.setattr(rollup_module, "topological_order", refuse)
    monkeypatch.setattr(rollup_module, "plan_from_edges", refuse)
    np.testing.assert_allclose(rollup(graph).by_stage, expected, rtol=1e-9, atol=1e-9)


def test_a_dag_in_random_order_is_renumbered_without_a_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rollup_module = importlib.import_module(
        "supply_graph.rollup"
    )  # the package's name is the function

    graph = _relisted(_graph_for(2), 7)
    assert not in_given_order(graph.provider, graph.consumer)
    expected = dense_solution(graph)
    monkeypatch.setattr(rollup_module, "plan_from_edges", None)  # calling it would fail
    np.testing.assert_allclose(rollup(graph).by_stage, expected, rtol=1e-9, atol=1e-9)


def test_a_loop_in_random_order_still_goes_through_the_plan() -> None:
    graph = _relisted(_graph_for(1), 3)
    assert topological_order(graph.n_nodes, graph.provider, graph.consumer)[0] is None
    np.testing.assert_allclose(rollup(graph).by_stage, dense_solution(graph), rtol=1e-9, atol=1e-9)


def test_given_order_is_checked_edge_by_edge_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A backward edge or a self-edge anywhere, also past the first chunk, means "not in order"."""
    from supply_graph import solve as solve_module

    monkeypatch.setattr(solve_module, "_CHUNK", 4)
    provider = np.arange(10, dtype=np.int64)
    consumer = provider + 1
    assert in_given_order(provider, consumer)
    assert in_given_order(provider[:0], consumer[:0])
    for k, bad in ((9, 3), (9, 9), (0, 0)):
        edited = consumer.copy()
        edited[k] = bad
        assert not in_given_order(provider, edited)


@pytest.mark.parametrize("grouped", [True, False])
def test_lower_triangle_is_the_transpose(grouped: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Aᵀ's rows as CSR, from edges grouped by consumer (used as they are) or in any order
    (sorted), duplicates kept: the same matrix as the technosphere's transpose."""
    from supply_graph import solve as solve_module

    monkeypatch.setattr(solve_module, "_CHUNK", 8)
    graph = _graph_for(4)
    k = np.argsort(graph.consumer, kind="stable") if grouped else np.arange(graph.n_edges)
    provider, consumer, amount = graph.provider[k], graph.consumer[k], graph.amount[k]
    indptr, indices, data = lower_triangle(graph.n_nodes, provider, consumer, amount)
    if grouped:
        assert np.shares_memory(indices, provider) and np.shares_memory(data, amount)
    n = graph.n_nodes
    at = sp.csr_matrix((data, indices, indptr), shape=(n, n))
    np.testing.assert_allclose(at.toarray(), graph.technosphere.T.toarray(), rtol=1e-15)
