"""What a chain reaches up (suppliers) and down (customers) from some products: the walk over
edges grouped by consumer and the scan of the edge columns give what a plain breadth-first
search gives, on graphs with loops, leaves, repeated edges and several starts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pytest

from footprint_platform.services.graph.chain import ChainGraph


@dataclass
class _Graph:
    """The part of a SupplyGraph a walk reads."""

    provider: np.ndarray
    consumer: np.ndarray
    n_nodes: int


def _chain(graph: _Graph, n_products: int) -> ChainGraph:
    chain = ChainGraph.__new__(ChainGraph)
    chain.graph = graph  # type: ignore[assignment]
    chain.product_ids = list(range(1, n_products + 1))  # product id k is row k - 1
    return chain


def _plain(graph: _Graph, starts: list[int], direction: str) -> set[int]:
    follows: dict[int, list[int]] = defaultdict(list)
    for p, c in zip(graph.provider.tolist(), graph.consumer.tolist(), strict=True):
        if direction == "down":
            follows[p].append(c)
        else:
            follows[c].append(p)
    seen, todo = set(starts), list(starts)
    while todo:
        for nxt in follows[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@pytest.mark.parametrize("seed", range(40))
def test_the_walks_reach_what_a_plain_search_reaches(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    m = int(rng.integers(0, 300))
    graph = _Graph(rng.integers(0, n, m), rng.integers(0, n, m), n)
    n_products = int(rng.integers(1, n + 1))  # the rest are leaves (datasets)
    chain = _chain(graph, n_products)
    starts = rng.choice(np.arange(n_products), size=min(3, n_products), replace=False).tolist()
    for direction in ("up", "down"):
        got = chain.reachable_rows([s + 1 for s in starts], direction)
        want = _plain(graph, starts, direction)
        assert np.flatnonzero(got).tolist() == sorted(r for r in want if r < n_products)
        assert chain.reachable([s + 1 for s in starts], direction) == {
            r + 1 for r in want if r < n_products
        }


def test_a_walk_up_follows_the_graph_it_is_given_after_the_graph_is_swapped() -> None:
    """A what-if replaces the chain's graph (its bad loops isolated): the next walk uses the
    new edges, not the grouping made for the old ones."""
    chain = _chain(_Graph(np.array([1]), np.array([0]), 3), 3)
    assert np.flatnonzero(chain.reachable_rows([1], "up")).tolist() == [0, 1]
    chain.graph = _Graph(np.array([2]), np.array([0]), 3)  # type: ignore[assignment]
    assert np.flatnonzero(chain.reachable_rows([1], "up")).tolist() == [0, 2]
