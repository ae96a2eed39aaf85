"""Monte Carlo uncertainty: sampled terms solved in blocks, checked against closed forms and a
per-sample dense reference; pedigree σ against the guideline's formula."""

from __future__ import annotations

import math

import numpy as np
import pytest

from supply_graph import Allocation, Edge, Node, SupplyGraph, rollup
from supply_graph import uncertainty as mc
from supply_graph.uncertainty import (
    LOGNORMAL,
    UNIFORM,
    Terms,
    monte_carlo,
    pedigree_sigma,
)

Z975 = 1.959963984540054


def chain() -> SupplyGraph:
    """a -> b -> c, listed upstream first: c = 0.5 + 3 (1 + 2 a)."""
    return SupplyGraph.from_records(
        [Node("a", "kg", 2.0), Node("b", "kg", 1.0), Node("c", "kg", 0.5)],
        [Edge("a", "b", 2.0), Edge("b", "c", 3.0)],
    )


def test_one_lognormal_term_gives_the_closed_form_interval() -> None:
    """c = 3.5 + 6 a with a = 2 exp(σ z): its median and percentiles are known exactly, its mean
    is 3.5 + 12 exp(σ²/2)."""
    sigma = 0.3
    interval = monte_carlo(chain(), Terms.build([0], [2.0], [LOGNORMAL], [sigma]), samples=40000)
    mean, median, low, high = interval["c"]
    assert median == pytest.approx(15.5, rel=0.01)
    assert low == pytest.approx(3.5 + 12 * math.exp(-Z975 * sigma), rel=0.02)
    assert high == pytest.approx(3.5 + 12 * math.exp(Z975 * sigma), rel=0.02)
    assert mean == pytest.approx(3.5 + 12 * math.exp(sigma**2 / 2), rel=0.01)
    # a node upstream of nothing uncertain stays exact
    assert monte_carlo(chain(), Terms.build([2], [0.5], [LOGNORMAL], [0.0]))["a"] == (2, 2, 2, 2)


def test_a_stated_range_is_uniform_between_its_bounds() -> None:
    """b's own 1.0 ranges over 0.8 .. 1.5: c = 0.5 + 3 (b_own + 4) spans 14.9 .. 17.0."""
    terms = Terms.build([1], [1.0], [UNIFORM], [0.2], [0.5])
    interval = monte_carlo(chain(), terms, samples=20000, seed=3)
    mean, _median, low, high = interval["c"]
    assert low == pytest.approx(14.9 + 0.025 * 2.1, abs=0.02)
    assert high == pytest.approx(14.9 + 0.975 * 2.1, abs=0.02)
    assert mean == pytest.approx(14.9 + 0.5 * 2.1, abs=0.01)


def test_the_sweep_agrees_with_a_dense_solve_of_every_sample() -> None:
    """Every sample column equals (I − Aᵀ)⁻¹ e_sampled by dense LU, in any node order, with a
    loop and with allocation: only the statistics are compared, so take few samples and
    recompute them from the dense solves with the same streams."""
    nodes = [
        Node("ore", "kg", 1.0),
        Node("salt", "kg", 2.0),
        Node("cell", "kWh", 5.0, allocation=Allocation("mass", 0.8)),
        Node("scrap", "kg", 0.1),
    ]
    edges = [
        Edge("ore", "salt", 1.5),
        Edge("salt", "cell", 0.7),
        Edge("cell", "scrap", 0.2),
        Edge("scrap", "salt", 0.3),  # closed-loop recycling, gain < 1
    ]
    graph = SupplyGraph.from_records(nodes, edges)
    terms = Terms.build(
        [0, 1, 2, 2], [1.0, 1.5, 4.0, 1.0], [0, 0, 1, 0], [0.2, 0.4, 0.1, 0.6], [0, 0, 0.3, 0]
    )
    got = monte_carlo(graph, terms, samples=64, seed=11)
    expected = _dense_reference(graph, terms, samples=64, seed=11)
    np.testing.assert_allclose(got.mean, expected.mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(got.median, np.median(expected, axis=1), rtol=1e-6)
    reversed_graph = graph.relisted(np.arange(graph.n_nodes)[::-1])
    again = monte_carlo(reversed_graph, _renumbered(terms, graph.n_nodes), samples=64, seed=11)
    np.testing.assert_allclose(again.mean[::-1], got.mean, rtol=1e-12)


def test_the_deterministic_roll_up_is_the_zero_spread_limit() -> None:
    graph = chain().relisted(np.array([2, 0, 1]))  # not upstream first: Kahn's order is used
    terms = Terms.build([1, 2], [2.0, 1.0], [LOGNORMAL, UNIFORM], [0.0, 0.0], [0.0, 0.0])
    interval = monte_carlo(graph, terms, samples=5)
    total = rollup(graph).total
    for values in (interval.mean, interval.median, interval.low, interval.high):
        np.testing.assert_allclose(values, total, rtol=1e-7)


def test_seed_and_sample_count_fix_the_result_whatever_the_block(monkeypatch) -> None:
    terms = Terms.build([0, 1], [2.0, 1.0], [LOGNORMAL, UNIFORM], [0.5, 0.1], [0.0, 0.4])
    first = monte_carlo(chain(), terms, samples=100, seed=7)
    monkeypatch.setattr(mc, "_BLOCK_BYTES", 8 * 3 * mc.CHUNK)  # one chunk per block
    second = monte_carlo(chain(), terms, samples=100, seed=7)
    np.testing.assert_array_equal(first.low, second.low)
    np.testing.assert_allclose(first.mean, second.mean, rtol=1e-12)
    other = monte_carlo(chain(), terms, samples=100, seed=8)
    assert not np.array_equal(first.low, other.low)


def test_sampled_edge_amounts_match_a_dense_solve_per_sample() -> None:
    graph = chain()
    sigma = np.array([0.3, 0.0])
    got = monte_carlo(graph, Terms.build([], [], [], []), samples=200, seed=5, edge_sigma=sigma)
    z = np.concatenate([mc.chunk_stream(5, 2, c).standard_normal((mc.CHUNK, 1)) for c in range(13)])
    totals = [0.5 + 3 * (1 + 2.0 * math.exp(0.3 * zs) * 2) for zs in z[:200, 0]]
    assert got["c"][0] == pytest.approx(float(np.mean(totals)), rel=1e-12)
    assert got["c"][1] == pytest.approx(float(np.median(totals)), rel=1e-6)


def test_only_the_chosen_nodes_are_kept() -> None:
    interval = monte_carlo(chain(), Terms.build([0], [2.0], [0], [0.1]), samples=10, nodes=[2])
    assert list(interval.ids) == ["c"] and interval.mean.shape == (1,)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (dict(kind=[2]), "kind"),
        (dict(p1=[-0.1]), ">= 0"),
        (dict(kind=[UNIFORM], p1=[1.5]), "below zero"),
        (dict(value=[math.nan]), "finite"),
    ],
)
def test_bad_terms_are_refused(bad: dict[str, list[float]], message: str) -> None:
    columns = dict(node=[0], value=[1.0], kind=[LOGNORMAL], p1=[0.1], p2=[0.0]) | bad
    with pytest.raises(ValueError, match=message):
        Terms.build(**columns)  # type: ignore[arg-type]


def test_pedigree_sigma_follows_the_guideline_formula() -> None:
    """σ² = Σ (ln U)² / 4: scores 1 add nothing; scores (2, 3, 4, 5, 5) add the factors of the
    ecoinvent v3 table; between two scores the worse column applies."""
    assert pedigree_sigma() == 0.0
    assert pedigree_sigma(reliability=1, technological=1) == 0.0
    expected = math.sqrt(sum(math.log(u) ** 2 for u in (1.05, 1.05, 1.20, 1.10, 2.00)) / 4)
    got = pedigree_sigma(reliability=2, completeness=3, temporal=4, geographical=5, technological=5)
    assert got == pytest.approx(expected, rel=1e-15)
    assert pedigree_sigma(temporal=2.2) == pedigree_sigma(temporal=3)
    assert pedigree_sigma(technological=3, basic_variance=0.0006) == pytest.approx(
        math.sqrt(math.log(1.2) ** 2 / 4 + 0.0006)
    )
    with pytest.raises(ValueError, match=r"1\.\.5"):
        pedigree_sigma(temporal=6)


def _renumbered(terms: Terms, n: int) -> Terms:
    return Terms(n - 1 - terms.node, terms.value, terms.kind, terms.p1, terms.p2)


def _dense_reference(graph: SupplyGraph, terms: Terms, samples: int, seed: int) -> np.ndarray:
    """(n, samples) totals, one dense solve per sample, with the module's streams."""
    a = graph.technosphere.toarray()
    m = np.eye(graph.n_nodes) - a.T
    base = graph.effective_direct.sum(axis=1)
    share = graph.allocation_share
    logn = np.flatnonzero(terms.kind == LOGNORMAL)
    unif = np.flatnonzero(terms.kind == UNIFORM)
    chunks = range(-(-samples // mc.CHUNK))
    draw = [
        mc.chunk_stream(seed, 0, c).standard_normal((logn.size, mc.CHUNK), np.float32)
        for c in chunks
    ]
    z = np.concatenate(draw, axis=1).T.astype(np.float64)
    draw = [mc.chunk_stream(seed, 1, c).random((unif.size, mc.CHUNK), np.float32) for c in chunks]
    u = np.concatenate(draw, axis=1).T.astype(np.float64)
    out = np.empty((graph.n_nodes, samples))
    for s in range(samples):
        e = base.copy()
        for k, t in enumerate(logn):
            node = terms.node[t]
            e[node] += share[node] * terms.value[t] * (math.exp(terms.p1[t] * z[s, k]) - 1)
        for k, t in enumerate(unif):
            node, low, high = terms.node[t], terms.p1[t], terms.p2[t]
            e[node] += share[node] * terms.value[t] * (u[s, k] * (low + high) - low)
        out[:, s] = np.linalg.solve(m, e)
    return out


def test_one_product_by_its_supply_vector_matches_the_whole_sweep() -> None:
    """When every term lies upstream of the product, the supply-vector path draws the same
    numbers as the sweep, so the statistics agree to float32 rounding; the terms' order, not
    the graph's node order, fixes the draws."""
    terms = Terms.build(
        [0, 1, 2], [2.0, 1.0, 0.5], [LOGNORMAL, UNIFORM, LOGNORMAL], [0.4, 0.2, 0.1], [0, 0.3, 0]
    )
    whole = monte_carlo(chain(), terms, samples=333, seed=4)
    one = mc.monte_carlo_of(chain(), terms, 2, samples=333, seed=4)
    np.testing.assert_allclose(
        [one.mean[0], one.median[0], one.low[0], one.high[0]], whole["c"], rtol=1e-6
    )
    order = np.array([2, 0, 1])  # row i of the relisted graph is old node order[i]
    relisted = chain().relisted(order)
    position = np.argsort(order)
    moved = Terms(position[terms.node], terms.value, terms.kind, terms.p1, terms.p2)
    again = mc.monte_carlo_of(relisted, moved, int(position[2]), samples=333, seed=4)
    np.testing.assert_allclose(again.low, one.low, rtol=1e-6)
    # terms not upstream of the node are not drawn: b's interval ignores c's term
    only_b = mc.monte_carlo_of(chain(), terms, 1, samples=333, seed=4)
    assert only_b.low[0] < 5.0 < only_b.high[0]
