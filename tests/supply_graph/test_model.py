"""Validation of nodes and edges: each error names the node or edge at fault."""

from __future__ import annotations

import numpy as np
import pytest

from supply_graph import (
    Allocation,
    DuplicateNode,
    Edge,
    InvalidValue,
    NegativeAmount,
    Node,
    SupplyGraph,
    SupplyGraphError,
    UnknownNode,
    UnknownStage,
    rollup,
)

from .conftest import make_graph


def test_duplicate_node() -> None:
    with pytest.raises(DuplicateNode, match="'a'"):
        SupplyGraph.from_records([Node("a", "kg"), Node("a", "kg")], [])


def test_unknown_node_in_edge() -> None:
    with pytest.raises(UnknownNode, match=r"'ghost' \(edge provider of edge #0\)"):
        make_graph([1.0], [("ghost", "n0", 1.0)])


@pytest.mark.parametrize("amount", [-0.1, float("nan"), float("inf")])
def test_negative_or_non_finite_amount(amount: float) -> None:
    with pytest.raises(NegativeAmount, match="n0 -> n1"):
        make_graph([1.0, 1.0], [("n0", "n1", amount)])


def test_dqr_outside_range() -> None:
    with pytest.raises(InvalidValue, match=r"'n0'.*dqr"):
        make_graph([1.0], [], dqr={"n0": 6})


def test_unknown_stage() -> None:
    with pytest.raises(UnknownStage, match=r"'n0'.*'use'"):
        make_graph([{"use": 1.0}], [], stages=["production"])


def test_declared_unit_must_be_a_unit() -> None:
    with pytest.raises(InvalidValue, match=r"'n0'.*'bananas'"):
        SupplyGraph.from_records([Node("n0", "bananas")], [])


def test_errors_share_one_base_class() -> None:
    for error in (DuplicateNode, UnknownNode, NegativeAmount, InvalidValue, UnknownStage):
        assert issubclass(error, SupplyGraphError)


def test_parallel_edges_add_up() -> None:
    """Two edges n0 -> n1 of 1 and 2 kg: f1 = 0 + (1 + 2)·5 = 15."""
    graph = make_graph([5.0, 0.0], [("n0", "n1", 1.0), ("n0", "n1", 2.0)])
    assert rollup(graph)["n1"].total == pytest.approx(15.0)


def test_allocation_scales_burden_of_a_multi_output_process() -> None:
    """A refinery makes nickel sulphate with 70 % of the burden by mass: direct 2 and
    1 kg of ore (3 kg CO2e/kg) per kg, so f = 0.7·(2 + 1·3) = 3.5."""
    nodes = [
        Node("ore", "kg", 3.0),
        Node("niso4", "kg", 2.0, allocation=Allocation("mass", 0.7)),
    ]
    graph = SupplyGraph.from_records(nodes, [Edge("ore", "niso4", 1.0)])
    assert rollup(graph)["niso4"].total == pytest.approx(3.5)


def test_allocation_share_must_be_in_range() -> None:
    with pytest.raises(InvalidValue, match=r"'x'.*allocation"):
        SupplyGraph.from_records([Node("x", "kg", allocation=Allocation("mass", 1.5))], [])


def test_relisting_moves_rows_not_footprints() -> None:
    """The allocation example listed downstream first (consumer before provider): the same
    3.5 for nickel sulphate, with its allocation carried to its new row."""
    nodes = [
        Node("ore", "kg", 3.0),
        Node("niso4", "kg", 2.0, allocation=Allocation("mass", 0.7)),
        Node("slag", "kg", 0.5),
    ]
    edges = [Edge("ore", "niso4", 1.0), Edge("ore", "slag", 2.0)]
    graph = SupplyGraph.from_records(nodes, edges)
    relisted = graph.relisted(np.array([2, 1, 0]), np.array([1, 0]))
    assert relisted.ids.tolist() == ["slag", "niso4", "ore"]
    assert relisted.allocations[1].share == 0.7
    result = rollup(relisted)
    assert result["niso4"].total == pytest.approx(3.5)
    assert result["slag"].total == pytest.approx(0.5 + 2 * 3.0)
    with pytest.raises(ValueError, match="every node exactly once"):
        graph.relisted(np.array([0, 0, 1]))
