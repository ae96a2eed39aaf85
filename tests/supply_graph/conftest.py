"""Factories and hypothesis strategies for supply graphs."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from supply_graph import Edge, Node, SupplyGraph

settings.register_profile(
    "supply_graph",
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same cases on every run: a red CI is reproducible
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("SUPPLY_GRAPH_HYPOTHESIS", "supply_graph"))

STAGES = ("raw_material", "production", "distribution")


def make_graph(
    direct: Sequence[float | dict[str, float]],
    edges: Sequence[tuple[str, str, float] | tuple[str, str, float, str]],
    *,
    units: dict[str, str] | None = None,
    stages: Sequence[str] | None = None,
    primary: Sequence[str] = (),
    dqr: dict[str, float] | None = None,
    categories: dict[str, str] | None = None,
) -> SupplyGraph:
    """Nodes named n0, n1, … (or by `units` keys order) with the given direct emissions."""
    names = list(units) if units else [f"n{i}" for i in range(len(direct))]
    nodes = [
        Node(
            id=name,
            unit=(units or {}).get(name, "kg"),
            direct=d,
            primary=name in primary,
            dqr=(dqr or {}).get(name),
            category=(categories or {}).get(name),
        )
        for name, d in zip(names, direct, strict=True)
    ]
    return SupplyGraph.from_records(nodes, [Edge(*e) for e in edges], stages=stages)


@st.composite
def random_graphs(draw: st.DrawFn, loops: bool = True, max_nodes: int = 18) -> SupplyGraph:
    """Random graphs over 3 stages. Without loops, edges run from lower to higher index (a DAG)
    with amounts up to 3; with loops, any direction, and every column of A sums to < 1 so the
    spectral radius is < 1 and a physical solution exists."""
    n = draw(st.integers(2, max_nodes))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    m = int(rng.integers(0, 3 * n + 1))
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    if not loops:
        lo, hi = np.minimum(src, dst), np.maximum(src, dst)
        keep = lo != hi
        src, dst = lo[keep], hi[keep]
        amount = rng.uniform(0, 3, src.size)
    else:
        amount = rng.uniform(0, 1, src.size)
        column = np.bincount(dst, weights=amount, minlength=n)
        amount = amount / np.maximum(column[dst], 1e-12) * rng.uniform(0.05, 0.95, src.size)
    direct = rng.uniform(0, 10, (n, len(STAGES))) * (rng.random((n, 1)) < 0.8)
    dqr = rng.uniform(1, 5, n)
    nodes = [
        Node(
            id=f"p{i}",
            unit="kg",
            direct=dict(zip(STAGES, direct[i].tolist(), strict=True)),
            primary=bool(rng.random() < 0.5),
            dqr=float(dqr[i]) if rng.random() < 0.7 else None,
            category=f"cat{int(rng.integers(0, 3))}" if rng.random() < 0.8 else None,
        )
        for i in range(n)
    ]
    edges = [
        Edge(f"p{s}", f"p{d}", float(a))
        for s, d, a in zip(src.tolist(), dst.tolist(), amount.tolist(), strict=True)
    ]
    return SupplyGraph.from_records(nodes, edges, stages=STAGES)


def dense_solution(graph: SupplyGraph) -> np.ndarray:
    """F = (I − Aᵀ)⁻¹ E with dense numpy: the reference every solver is checked against."""
    a = graph.technosphere.toarray()
    return np.linalg.solve(np.eye(graph.n_nodes) - a.T, graph.effective_direct)


@pytest.fixture
def spec_example() -> dict[str, object]:
    """The example graph of docs/specs/supply-graph-file.md."""
    return {
        "format": "tanlian.supply-graph/1",
        "stages": ["raw_material", "production", "distribution", "end_of_life"],
        "nodes": [
            {
                "id": "li2co3@plant-a",
                "unit": "kg",
                "direct": {"raw_material": 4.1, "production": 2.3},
                "primary": True,
                "dqr": 1.8,
            },
            {
                "id": "grid:CN-East",
                "unit": "kWh",
                "direct": {"production": 0.58},
                "primary": False,
                "dqr": 2.5,
            },
            {
                "id": "cell@plant-c",
                "unit": "kWh",
                "direct": {"production": 3.2},
                "primary": True,
                "dqr": 1.5,
            },
        ],
        "edges": [
            {"from": "li2co3@plant-a", "to": "cell@plant-c", "amount": 0.62, "unit": "kg"},
            {"from": "grid:CN-East", "to": "cell@plant-c", "amount": 40, "unit": "kWh"},
        ],
    }
