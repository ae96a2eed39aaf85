"""Boundary columns: the part of a footprint emitted by the nodes of a set of categories,
solved as extra right-hand sides of the one roll-up (a rule's "main product production")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from supply_graph import boundary_columns, rollup
from supply_graph.solve import build_plan

from .conftest import STAGES, make_graph, random_graphs


def test_boundary_by_hand_excludes_the_kept_stage_and_other_categories() -> None:
    """ore (mine, 2 raw) → cam (material, 3 production) → cell (cell, 4 production + 1
    distribution) → pack (pack, 0.5 production + 0.25 distribution); amounts 2, 1.5, 1.
    Set {cell, pack} over the cradle-to-gate stages: 4 + 0.5 = 4.5 of the pack's total
    1.5·2·2 + 1.5·3 + 5 + 0.75 = 16.25; the distribution labels stay out of it."""
    graph = make_graph(
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
    columns = boundary_columns(
        graph, [{"cell", "pack"}, {"pack"}], stages={"raw_material", "production"}
    )
    result = rollup(graph, boundaries=columns)
    assert result.boundary is not None
    pack = graph.index["pack"]
    assert result.total[pack] == pytest.approx(16.25)
    assert result.boundary[pack].tolist() == pytest.approx([4.5, 0.5])
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
    nodes = np.array([True, False])
    result = rollup(graph, boundaries=boundary_columns(graph, [{"cell", "pack"}], nodes=nodes))
    assert result.boundary is not None
    assert result.boundary[graph.index["pack"], 0] == pytest.approx(8.0)


@given(random_graphs())
def test_boundary_equals_supply_weighted_own_emissions_on_every_path(graph) -> None:  # type: ignore[no-untyped-def]
    """g_j = Σ_i x_i b_i [cat_i ∈ set] with x the supply vector of j, on graphs with and
    without loops, through the given-order, planned and splu paths alike."""
    sets = [{"cat0"}, {"cat1", "cat2"}]
    columns = boundary_columns(graph, sets, stages={"raw_material", "production"})
    a = graph.technosphere.toarray()
    x = np.linalg.inv(np.eye(graph.n_nodes) - a)  # column j: supply vector of j
    expected = x.T @ columns
    results = [
        rollup(graph, boundaries=columns),
        rollup(graph, plan=build_plan(graph.technosphere, graph.ids), boundaries=columns),
        rollup(graph, method="splu", boundaries=columns),
    ]
    for result in results:
        assert result.boundary is not None
        np.testing.assert_allclose(result.boundary, expected, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(result.by_stage, rollup(graph).by_stage, rtol=1e-12, atol=1e-12)
