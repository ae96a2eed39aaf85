"""Boundary columns: the part of a footprint emitted by the nodes of a set of categories,
solved as extra right-hand sides of the one roll-up (a rule's "main product production")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from supply_graph import Scenario, SetAmount, SetDirect, boundary_members, evaluate_scenario, rollup
from supply_graph.solve import build_plan

from .conftest import STAGES, make_graph, random_graphs


def _chain():  # type: ignore[no-untyped-def]
    return make_graph(
        [
            {"raw_material": 2.0},
            {"production": 3.0},
            {"production": 4.0, "distribution": 1.0},
            {"production": 0.5, "distribution": 0.25},
        ],
        [("ore", "cam", 2.0), ("cam", "cell", 1.5), ("cell", "pack", 1.0)],
        units={"ore": "kg", "cam": "kg", "cell": "kg", "pack": "kg"},
        stages=STAGES,
        categories={"ore": "mine", "cam": "material", "cell": "cell", "pack": "pack"},
    )


def test_boundary_by_hand_counts_the_set_nodes_own_emissions_upstream() -> None:
    """ore (mine, 2) → cam (material, 3) → cell (cell, 4 + 1 distribution) → pack (pack,
    0.5 + 0.25 distribution); amounts 2, 1.5, 1. Pack total 1.5·2·2 + 1.5·3 + 5 + 0.75 =
    16.25; set {cell, pack}: 5 + 0.75 = 5.75 (own emissions of every stage); set {pack}: 0.75."""
    graph = _chain()
    members = boundary_members(graph, [{"cell", "pack"}, {"pack"}])
    result = rollup(graph, boundaries=members)
    assert result.boundary is not None
    pack = graph.index["pack"]
    assert result.total[pack] == pytest.approx(16.25)
    assert result.boundary[pack].tolist() == pytest.approx([5.75, 0.75])
    assert result.boundary[graph.index["cam"]].tolist() == [0.0, 0.0]
    plain = rollup(graph)
    assert plain.boundary is None
    np.testing.assert_array_equal(plain.by_stage, result.by_stage)  # stages untouched


def test_a_node_mask_leaves_out_nodes_of_the_set() -> None:
    """A pack valued without its own data (not in `nodes`) contributes nothing to the set."""
    graph = make_graph(
        [{"production": 4.0}, {"production": 1.0}],
        [("cell", "pack", 2.0)],
        units={"cell": "kg", "pack": "kg"},
        stages=STAGES,
        categories={"cell": "cell", "pack": "pack"},
    )
    members = boundary_members(graph, [{"cell", "pack"}], nodes=np.array([True, False]))
    result = rollup(graph, boundaries=members)
    assert result.boundary is not None
    assert result.boundary[graph.index["pack"], 0] == pytest.approx(8.0)


def test_scenarios_carry_the_boundary_columns() -> None:
    """A scenario's boundary column equals a fresh roll-up's of the changed graph: the cell's
    own emissions doubled, then the cell used twice per pack."""
    graph = _chain()
    members = boundary_members(graph, [{"cell", "pack"}])
    plan = build_plan(graph.technosphere, graph.ids)
    scenario = Scenario(
        [
            SetDirect("cell", {"production": 8.0, "distribution": 2.0}),
            SetAmount("cell", "pack", 2.0),
        ]
    )
    result = evaluate_scenario(graph, scenario, plan, boundaries=members)
    assert result.boundary is not None
    # cell own 10 per unit, 2 units per pack, + the pack's own 0.75
    assert result.boundary[graph.index["pack"], 0] == pytest.approx(20.75)
    assert evaluate_scenario(graph, scenario, plan).boundary is None


@given(random_graphs())
def test_boundary_equals_supply_weighted_own_emissions_on_every_path(graph) -> None:  # type: ignore[no-untyped-def]
    """g_j = Σ_i x_i b_i [cat_i ∈ set] with x the supply vector of j, on graphs with and
    without loops, through the given-order, planned and splu paths alike."""
    sets = [{"cat0"}, {"cat1", "cat2"}]
    members = boundary_members(graph, sets)
    own = graph.effective_direct.sum(axis=1)
    a = graph.technosphere.toarray()
    x = np.linalg.inv(np.eye(graph.n_nodes) - a)  # column j: supply vector of j
    expected = x.T @ (own[:, None] * members)
    results = [
        rollup(graph, boundaries=members),
        rollup(graph, plan=build_plan(graph.technosphere, graph.ids), boundaries=members),
        rollup(graph, method="splu", boundaries=members),
    ]
    for result in results:
        assert result.boundary is not None
        np.testing.assert_allclose(result.boundary, expected, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(result.by_stage, rollup(graph).by_stage, rtol=1e-12, atol=1e-12)
