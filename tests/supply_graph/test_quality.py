"""Primary-data share and contribution-weighted data-quality rating (PACT)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given

from supply_graph import Node, SupplyGraph, rollup
from supply_graph.quality import quality_columns

from .conftest import dense_solution, make_graph, random_graphs


def test_primary_share_and_dqr_by_hand() -> None:
    """cell (primary, dqr 1.5, direct 3.2) uses 0.62 kg Li2CO3 (primary, dqr 1.8, 6.4/kg)
    and 40 kWh of grid (secondary, dqr 2.5, 0.58/kWh). Contributions: 3.2, 3.968, 23.2;
    total 30.368. Primary share = (3.2 + 3.968)/30.368; dqr = (3.2·1.5 + 3.968·1.8 +
    23.2·2.5)/30.368."""
    graph = make_graph(
        [3.2, 6.4, 0.58],
        [("li2co3", "cell", 0.62), ("grid", "cell", 40)],
        units={"cell": "kWh", "li2co3": "kg", "grid": "kWh"},
        primary=["cell", "li2co3"],
        dqr={"cell": 1.5, "li2co3": 1.8, "grid": 2.5},
    )
    cell = rollup(graph)["cell"]
    assert cell.total == pytest.approx(30.368)
    assert cell.primary_data_share == pytest.approx(7.168 / 30.368)
    assert cell.dqr == pytest.approx((4.8 + 3.968 * 1.8 + 58.0) / 30.368)


def test_dqr_ignores_unrated_contributors_and_is_absent_without_any() -> None:
    """Rated a (dqr 2, 1 kg CO2e) and unrated b (3 kg CO2e) into p: dqr_p = 2 (only a counts);
    b alone has no rated contributor, so its dqr is absent."""
    graph = make_graph([1.0, 3.0, 0.0], [("n0", "n2", 1), ("n1", "n2", 1)], dqr={"n0": 2.0})
    result = rollup(graph)
    assert result["n2"].dqr == pytest.approx(2.0)
    assert result["n1"].dqr is None


@given(random_graphs(loops=True))
def test_primary_share_is_a_fraction(graph: SupplyGraph) -> None:
    share = rollup(graph).primary_data_share
    assert np.all((share >= -1e-12) & (share <= 1 + 1e-12))


@given(random_graphs(loops=True))
def test_all_primary_means_share_one(graph: SupplyGraph) -> None:
    everything = SupplyGraph(**{**graph.__dict__, "primary": np.ones(graph.n_nodes, bool)})
    result = rollup(everything)
    positive = result.total > 0
    assert result.primary_data_share[positive] == pytest.approx(1.0)


@given(random_graphs(loops=True))
def test_dqr_is_a_weighted_mean_within_range(graph: SupplyGraph) -> None:
    """Weighted mean of ratings in [1, 5] with non-negative weights stays in [1, 5], and equals
    the dense Σ x_i b_i dqr_i / Σ x_i b_i."""
    dqr = rollup(graph).dqr
    rated = ~np.isnan(dqr)
    assert np.all((dqr[rated] >= 1 - 1e-9) & (dqr[rated] <= 5 + 1e-9))
    a = graph.technosphere.toarray()
    solved = np.linalg.solve(np.eye(graph.n_nodes) - a.T, quality_columns(graph))
    with np.errstate(invalid="ignore", divide="ignore"):
        k = solved.shape[1] - 2  # one rating column for a graph rated by dqr alone, else 3
        expected = solved[:, 1 : 1 + k].mean(axis=1) / solved[:, 1 + k]
    assert dqr[rated] == pytest.approx(expected[rated], rel=1e-9)
    assert dense_solution(graph).shape == graph.direct.shape


def test_zero_footprint_has_share_zero() -> None:
    graph = SupplyGraph.from_records([Node("free", "kg", 0.0, primary=True)], [])
    assert rollup(graph)["free"].primary_data_share == 0.0


def test_a_primary_share_and_three_ratings_weight_by_contribution() -> None:
    """A node whose own emissions are 30 % primary and a rated supplier: the product's share
    and each rating are Σ contribution × value / Σ contribution, computed here by hand."""
    from supply_graph import Edge, Node

    graph = SupplyGraph.from_records(
        [
            Node("salt", "kg", 4.0, primary=0.3, dqi=(1.0, 2.0, 5.0)),
            Node("dataset", "kg", 2.0, dqr=3.0),
            Node("cell", "kWh", 1.0, primary=True, dqi=(2.0, 2.0, 2.0)),
        ],
        [Edge("salt", "cell", 0.5), Edge("dataset", "cell", 1.0)],
    )
    result = rollup(graph)["cell"]
    parts = {"salt": 0.5 * 4.0, "dataset": 1.0 * 2.0, "cell": 1.0}
    total = sum(parts.values())
    assert result.total == pytest.approx(total)
    assert result.primary_data_share == pytest.approx((0.3 * 2.0 + 1.0) / total)
    expected = (
        (1 * 2.0 + 3 * 2.0 + 2 * 1.0) / total,
        (2 * 2.0 + 3 * 2.0 + 2 * 1.0) / total,
        (5 * 2.0 + 3 * 2.0 + 2 * 1.0) / total,
    )
    assert result.dqi == pytest.approx(expected)
    assert result.dqr == pytest.approx(sum(expected) / 3)


def test_a_primary_share_outside_0_to_1_is_refused() -> None:
    from supply_graph import InvalidValue, Node

    with pytest.raises(InvalidValue, match="primary share"):
        SupplyGraph.from_records([Node("x", "kg", 1.0, primary=1.5)], [])


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_shares_and_ratings_survive_the_file_formats(tmp_path: Any, suffix: str) -> None:
    from supply_graph import Edge, load_graph, write_graph

    graph = SupplyGraph.from_records(
        [
            Node("salt", "kg", 4.0, primary=0.25, dqi=(1.0, 2.0, 5.0)),
            Node("cell", "kWh", 1.0, primary=True, dqr=2.0),
        ],
        [Edge("salt", "cell", 0.5)],
    )
    path = tmp_path / f"g{suffix}"
    write_graph(graph, path)
    again = load_graph(path)
    assert again.primary.tolist() == [0.25, 1.0]
    assert again.dqi.tolist() == [[1.0, 2.0, 5.0], [2.0, 2.0, 2.0]]
    assert rollup(again)["cell"].dqi == pytest.approx(rollup(graph)["cell"].dqi)
