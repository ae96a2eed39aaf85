"""The compiled kernel (`supply_graph.native`, built by `make install`) against the numpy path it
stands in for: the same footprints bit for bit on random DAGs listed in any order, loops left to
the loop plan as before, and a topological order that really is one."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from supply_graph import SingularLoop, SupplyGraph, boundary_members, native, quality, rollup
from supply_graph.rollup import RollupResult

from .conftest import dense_solution, make_graph, random_graphs


def _kernel_or_skip() -> None:
    """Without a C compiler `make install` builds no kernel and these tests skip, unless
    TANLIAN_REQUIRE_KERNEL=1 (CI, which installs the compiler) makes that a failure."""
    if native.available():
        return
    if os.environ.get("TANLIAN_REQUIRE_KERNEL") == "1":
        pytest.fail("supply_graph/_sweep.so is not built or does not load; make install builds it")
    pytest.skip("supply_graph/_sweep.so not built (make install builds it)")


@pytest.fixture(autouse=True)
def _kernel(request: pytest.FixtureRequest) -> None:
    if "without_kernel" not in request.keywords:
        _kernel_or_skip()


FIELDS = ("by_stage", "primary_data_share", "dqr", "dqi", "boundary")


def _relisted(graph: SupplyGraph, seed: int) -> SupplyGraph:
    rng = np.random.default_rng(seed)
    return graph.relisted(rng.permutation(graph.n_nodes), rng.permutation(graph.n_edges))


def _without_kernel(graph: SupplyGraph, **kwargs: object) -> RollupResult:
    kernel = native.KERNEL
    native.KERNEL = None
    try:
        return rollup(graph, **kwargs)  # type: ignore[arg-type]
    finally:
        native.KERNEL = kernel


def _assert_identical(a: RollupResult, b: RollupResult) -> None:
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert np.array_equal(x, y, equal_nan=True), name


@given(random_graphs(loops=False), st.integers(0, 2**32 - 1))
def test_a_dag_in_any_order_gives_the_numpy_paths_numbers_bit_for_bit(
    graph: SupplyGraph, seed: int
) -> None:
    """Each row adds its providers' terms in the order its edges are listed, as scipy's kernel
    does after the numpy path's renumbering: the same floats, whatever order the rows finish."""
    relisted = _relisted(graph, seed)
    boundaries = boundary_members(relisted, [{"cat0"}, {"cat1", "cat2"}])
    with_kernel = rollup(relisted, boundaries=boundaries)
    _assert_identical(with_kernel, _without_kernel(relisted, boundaries=boundaries))
    assert with_kernel.by_stage.flags.c_contiguous  # a view of a block laid on cache lines
    np.testing.assert_allclose(with_kernel.by_stage, dense_solution(relisted), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("n_stages", [1, 4, 5, 9])
def test_wide_blocks_are_summed_four_columns_at_a_time_as_numpy_sums_them(n_stages: int) -> None:
    """The kernel adds up to four columns of a row at once: blocks of 1 to 9 stages and 3 to 9
    quality and boundary columns give the numpy path's numbers all the same."""
    rng = np.random.default_rng(n_stages)
    n, stages = 60, [f"s{k}" for k in range(n_stages)]
    src, dst = rng.integers(0, n, 240), rng.integers(0, n, 240)
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    edges = [
        (f"n{a}", f"n{b}", float(rng.uniform(0, 2))) for a, b in zip(lo, hi, strict=True) if a != b
    ]
    direct = [
        dict(zip(stages, rng.uniform(0, 5, n_stages).tolist(), strict=True)) for _ in range(n)
    ]
    names = [f"n{i}" for i in range(n)]
    graph = make_graph(
        direct,
        edges,
        stages=stages,
        primary=names[::3],
        dqr={name: float(rng.uniform(1, 5)) for name in names[::2]},
        categories={name: f"cat{i % 7}" for i, name in enumerate(names)},
    )
    relisted = _relisted(graph, n_stages)
    sets = [{f"cat{k}"} for k in range(n_stages % 7)]
    boundaries = boundary_members(relisted, sets) if sets else None
    _assert_identical(
        rollup(relisted, boundaries=boundaries),
        _without_kernel(relisted, boundaries=boundaries),
    )


@pytest.mark.parametrize("n_ratings", [1, 3])
def test_the_quality_columns_are_numpys_products_bit_for_bit(
    n_ratings: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Negative, zero, infinite and NaN emissions, ratings missing alone or in part: the
    kernel's one pass writes what numpy's passes write, into a view of a wider block too."""
    rng = np.random.default_rng(n_ratings)
    n = 400
    direct = rng.normal(0, 5, (n, 3)) * (rng.random((n, 1)) < 0.8)
    direct[rng.random((n, 3)) < 0.02] = np.inf
    direct[rng.random((n, 3)) < 0.02] = np.nan
    ratings = rng.uniform(1, 5, (n, n_ratings))
    ratings[rng.random((n, n_ratings)) < 0.2] = np.nan
    primary = rng.random(n) * (rng.random(n) < 0.7)
    wide = np.full((n, n_ratings + 5), 7.0)
    with_kernel = wide[:, 1 : n_ratings + 3]
    quality._fill_quality(with_kernel, primary, ratings, direct)
    monkeypatch.setattr(native, "KERNEL", None)
    without = np.full((n, n_ratings + 2), 7.0)
    with np.errstate(invalid="ignore"):  # inf · 0, as the kernel gives it
        quality._fill_quality(without, primary, ratings, direct)
    assert np.array_equal(with_kernel, without, equal_nan=True)
    assert np.array_equal(np.signbit(with_kernel), np.signbit(without))
    assert (wide[:, 0] == 7.0).all() and (wide[:, n_ratings + 3 :] == 7.0).all()


@pytest.mark.parametrize("n_ratings", [1, 3])
def test_the_shares_are_numpys_divisions_bit_for_bit(
    n_ratings: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Zero, negative, infinite and NaN totals and weights: the kernel's one pass gives numpy's
    shares and ratings to the bit (NaN where nothing is rated, 0 where nothing is emitted)."""
    rng = np.random.default_rng(10 + n_ratings)
    n = 400
    wide = rng.normal(0, 3, (n, n_ratings + 4))
    wide[rng.random((n, n_ratings + 4)) < 0.1] = 0.0
    wide[rng.random((n, n_ratings + 4)) < 0.02] = np.inf
    wide[rng.random((n, n_ratings + 4)) < 0.02] = np.nan
    total = rng.normal(0, 3, n) * (rng.random(n) < 0.8)
    total[rng.random(n) < 0.02] = np.nan
    solved = wide[:, 1 : n_ratings + 3]  # a view: rows further apart than its columns
    with np.errstate(all="ignore"):
        with_kernel = quality.quality_from_solution(total, solved)
        monkeypatch.setattr(native, "KERNEL", None)
        without = quality.quality_from_solution(total, solved)
    for name in ("primary_data_share", "dqr", "dqi"):
        a, b = getattr(with_kernel, name), getattr(without, name)
        assert np.array_equal(a.view(np.uint64), b.view(np.uint64)), name


@given(random_graphs(loops=True, max_nodes=12), st.integers(0, 2**32 - 1))
def test_loops_in_any_order_go_through_the_loop_plan_as_before(
    graph: SupplyGraph, seed: int
) -> None:
    relisted = _relisted(graph, seed)
    _assert_identical(rollup(relisted), _without_kernel(relisted))


def test_a_non_physical_loop_is_named_as_without_the_kernel() -> None:
    """A recycler returning more than it takes (gain 1.25): the same error, the same loop."""
    graph = make_graph(
        [1.0, 2.0, 0.0], [("n2", "n0", 1.0), ("n1", "n0", 0.5), ("n0", "n1", 2.5), ("n0", "n2", 1)]
    )
    with pytest.raises(SingularLoop) as with_kernel:
        rollup(graph)
    with pytest.raises(SingularLoop) as without:
        _without_kernel(graph)
    assert with_kernel.value.nodes == without.value.nodes


@given(random_graphs(loops=True, max_nodes=14))
def test_the_order_runs_every_edge_forwards_or_reports_a_loop(graph: SupplyGraph) -> None:
    order = native.topological_order(graph.n_nodes, graph.provider, graph.consumer)
    reach = np.zeros((graph.n_nodes, graph.n_nodes), dtype=np.int64)
    reach[graph.provider, graph.consumer] = 1
    for _ in range(graph.n_nodes.bit_length()):  # paths of every length up to n
        reach = np.minimum(reach + reach @ reach, 1)
    has_loop = bool(np.diag(reach).any())  # some node reaches itself
    if has_loop:
        assert order is None
        return
    assert order is not None
    assert sorted(order.tolist()) == list(range(graph.n_nodes))
    position = np.empty(graph.n_nodes, dtype=np.int64)
    position[order] = np.arange(graph.n_nodes)
    assert (position[graph.provider] < position[graph.consumer]).all()


def test_a_self_edge_is_a_loop_for_the_kernel() -> None:
    provider = np.array([0, 1, 2], dtype=np.int64)
    consumer = np.array([1, 2, 2], dtype=np.int64)
    assert native.topological_order(3, provider, consumer) is None
    with native.ordered(3, provider, consumer, np.full(3, 0.5)) as order:
        assert order.has_loop
        with pytest.raises(ValueError):
            order.sweep(np.ones((3, 2)), np.ones((3, 1)))


def test_a_loop_is_found_before_any_right_hand_side_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The loop plan takes over with nothing spent on blocks the kernel will not sweep."""
    rollup_module = importlib.import_module("supply_graph.rollup")
    graph = _relisted(make_graph([3.0, 1.0, 0.0], [("n1", "n0", 0.5), ("n0", "n1", 0.2)]), 1)
    calls: list[object] = []
    real = rollup_module.quality_columns

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(rollup_module, "quality_columns", counted)
    assert rollup(graph)["n0"].total == pytest.approx(3.5 / 0.9)
    assert not calls


def test_blocks_must_be_contiguous_float64_with_a_row_per_node() -> None:
    provider, consumer = np.array([0]), np.array([1])
    with native.ordered(2, provider, consumer, np.ones(1)) as order:
        assert order.nodes().tolist() == [0, 1]
        with pytest.raises(ValueError):
            order.sweep(np.ones((2, 2)).T, np.ones((2, 1)))
        with pytest.raises(ValueError):
            order.sweep(np.ones((3, 2)), np.ones((3, 1)))
        f, g = np.ones((2, 2)), np.ones((2, 1))
        order.sweep(f, g)
        assert f.tolist() == [[1.0, 1.0], [2.0, 2.0]] and g.tolist() == [[1.0], [2.0]]


@pytest.mark.without_kernel
def test_a_library_that_cannot_be_loaded_leaves_the_numpy_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Not built, or a file that is no library: no kernel, and the roll-up still runs."""
    monkeypatch.setattr(native, "LIBRARY", tmp_path / "missing.so")
    assert native._load() is None
    (tmp_path / "garbage.so").write_bytes(b"not a shared object")
    monkeypatch.setattr(native, "LIBRARY", tmp_path / "garbage.so")
    assert native._load() is None
    monkeypatch.setattr(native, "KERNEL", None)
    assert not native.available()
    graph = make_graph([1.0, 2.0], [("n1", "n0", 0.5)])
    assert rollup(graph).total.tolist() == pytest.approx([2.0, 2.0])


@pytest.mark.skipif(not native.available(), reason="the compiled kernel is not built")
def test_an_order_without_amounts_or_after_its_block_refuses_to_sweep() -> None:
    """A sweep needs the amounts the order was made with, and the order itself: refused with a
    reason instead of the kernel reading a null or freed pointer."""
    provider, consumer = np.array([1], dtype=np.int64), np.array([0], dtype=np.int64)
    f, g = np.zeros((2, 1)), np.zeros((2, 1))
    with (
        native.ordered(2, provider, consumer) as order,
        pytest.raises(ValueError, match="without the amounts"),
    ):
        order.sweep(f, g)
    with native.ordered(2, provider, consumer, np.array([0.5])) as kept:
        kept.sweep(f, g)
    with pytest.raises(ValueError, match="freed"):
        kept.sweep(f, g)
