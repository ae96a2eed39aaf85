"""Contributions of one product: by node, tier, category, stage and Sankey flows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supply_graph import SupplyGraph, contributions, rollup
from supply_graph.explain import OTHER

from .conftest import make_graph, random_graphs


def _chain() -> SupplyGraph:
    """ore (2/kg, tier 3) -> 1.5 kg salt (1/kg, tier 2) -> 0.4 kg cathode (3/kg, tier 1)
    -> 2 kg into cell (0.5/kWh, tier 0), plus 10 kWh grid (0.6/kWh, tier 1).
    x = cell 1, cathode 2, salt 0.8, ore 1.2, grid 10; contributions
    0.5, 6, 0.8, 2.4, 6 -> total 15.7."""
    return make_graph(
        [2.0, 1.0, 3.0, 0.5, 0.6],
        [
            ("ore", "salt", 1.5),
            ("salt", "cathode", 0.4),
            ("cathode", "cell", 2.0),
            ("grid", "cell", 10),
        ],
        units={"ore": "kg", "salt": "kg", "cathode": "kg", "cell": "kWh", "grid": "kWh"},
        categories={"ore": "mining", "salt": "refining", "cathode": "cathode", "grid": "energy"},
        stages=None,
    )


def test_contributions_by_hand() -> None:
    graph = _chain()
    found = contributions(graph, rollup(graph), "cell")
    assert found.total == pytest.approx(15.7)
    by_id = {c.id: c for c in found.by_node}
    assert by_id["ore"].amount == pytest.approx(1.2)
    assert by_id["ore"].contribution == pytest.approx(2.4)
    assert by_id["ore"].tier == 3 and by_id["grid"].tier == 1 and by_id["cell"].tier == 0
    assert found.by_tier == pytest.approx({0: 0.5, 1: 12.0, 2: 0.8, 3: 2.4})
    assert found.by_category == pytest.approx(
        {"mining": 2.4, "refining": 0.8, "cathode": 6.0, "energy": 6.0, "uncategorised": 0.5}
    )
    assert [c.id for c in found.by_node[:2]] == ["cathode", "grid"]


def test_top_with_other_adds_up() -> None:
    graph = _chain()
    found = contributions(graph, rollup(graph), "cell")
    shown, other = found.top(2)
    assert sum(c.contribution for c in shown) + other == pytest.approx(found.total)
    assert other == pytest.approx(15.7 - 12.0)


def test_sankey_draws_a_loop_once() -> None:
    """cathode <-> recycler loop (see test_solve) feeding a cell: one Sankey node for the loop,
    a flow loop -> cell of 2 f_cathode = 7/0.9, nothing else."""
    graph = make_graph(
        [3.0, 1.0, 0.0],
        [("recycler", "cathode", 0.5), ("cathode", "recycler", 0.2), ("cathode", "cell", 2.0)],
        units={"cathode": "kg", "recycler": "kg", "cell": "kWh"},
    )
    sankey = contributions(graph, rollup(graph), "cell").sankey
    keys = [n.key for n in sankey.nodes]
    assert keys == ["cell", "loop: cathode + recycler"]
    assert [(f.source, f.target) for f in sankey.flows] == [("loop: cathode + recycler", "cell")]
    assert sankey.flows[0].value == pytest.approx(7 / 0.9)


@given(random_graphs(loops=True), st.data(), st.integers(1, 6))
def test_everything_adds_up(graph: SupplyGraph, data: st.DataObject, shown: int) -> None:
    """By node, tier, category, stage and (shown direct + flows from other) all equal f_j;
    at every shown node except the product, inflow + direct = outflow."""
    product = data.draw(st.sampled_from(graph.ids.tolist()))
    result = rollup(graph)
    found = contributions(graph, result, product, sankey_nodes=shown)
    total = result[product].total
    tol = {"rel": 1e-9, "abs": 1e-9}
    assert sum(c.contribution for c in found.by_node) == pytest.approx(total, **tol)
    assert sum(found.by_tier.values()) == pytest.approx(total, **tol)
    assert sum(found.by_category.values()) == pytest.approx(total, **tol)
    assert sum(found.by_stage.values()) == pytest.approx(total, **tol)
    sankey = found.sankey
    assert sum(n.direct for n in sankey.nodes) + sankey.other == pytest.approx(total, **tol)
    assert len(sankey.nodes) <= shown
    for node in sankey.nodes[1:]:
        inflow = sum(f.value for f in sankey.flows if f.target == node.key)
        outflow = sum(f.value for f in sankey.flows if f.source == node.key)
        assert inflow + node.direct == pytest.approx(outflow, **tol)
    assert all(f.target != OTHER for f in sankey.flows)


def test_a_shared_leaf_is_split_between_its_buyers_as_its_flows() -> None:
    """Grid power bought by the cell (10 kWh) and by the cathode (5 kWh per kg, 2 kg per cell):
    its contribution 12 kg is split 6 / 6 between them, each part the Sankey's flow into that
    buyer, one tier below it; every part together is the footprint."""
    graph = make_graph(
        [3.0, 0.5, 0.6],
        [("cathode", "cell", 2.0), ("grid", "cell", 10), ("grid", "cathode", 5)],
        units={"cathode": "kg", "cell": "kWh", "grid": "kWh"},
        categories={"cathode": "cathode", "cell": "cell", "grid": "energy"},
    )
    result = rollup(graph)
    found = contributions(graph, result, "cell", shared=("energy",))
    assert set(found.bought_by) == {"grid"}
    parts = {p.buyer: p for p in found.bought_by["grid"]}
    assert parts["cell"].contribution == pytest.approx(6.0)
    assert parts["cathode"].contribution == pytest.approx(6.0)
    flows = {(f.source, f.target): f.value for f in found.sankey.flows}
    for buyer, p in parts.items():
        assert p.contribution == pytest.approx(flows[("grid", buyer)])
    groups = {g.group: g.contribution for g in found.parts() if g.node == "grid"}
    assert groups == pytest.approx({(1, "energy", "cell"): 6.0, (2, "energy", "cathode"): 6.0})
    assert sum(g.contribution for g in found.parts()) == pytest.approx(found.total)
    assert contributions(graph, result, "cell").bought_by == {}  # only the categories asked
