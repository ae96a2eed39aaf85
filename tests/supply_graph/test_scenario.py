"""What-if scenarios equal a full re-solve of the changed graph."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from supply_graph import (
    Edge,
    NegativeAmount,
    Node,
    ReplaceProvider,
    ScaleAmount,
    Scenario,
    SetAmount,
    SetDirect,
    SingularLoop,
    SupplyGraph,
    UnitMismatch,
    evaluate_scenario,
    rollup,
)

from .conftest import STAGES, make_graph, random_graphs


def _apply(graph: SupplyGraph, scenario: Scenario) -> SupplyGraph:
    """The changed graph, built the slow obvious way (the oracle)."""
    direct = graph.direct.copy()
    a = graph.technosphere.toarray()
    for change in scenario.changes:
        if isinstance(change, SetDirect):
            assert isinstance(change.direct, dict)
            i = graph.index[change.node]
            direct[i] = [change.direct.get(s, 0.0) for s in graph.stages]
        elif isinstance(change, SetAmount):
            a[graph.index[change.provider], graph.index[change.consumer]] = change.amount
        elif isinstance(change, ScaleAmount):
            a[graph.index[change.provider], graph.index[change.consumer]] *= change.factor
        elif isinstance(change, ReplaceProvider):
            k = graph.index[change.consumer]
            old, new = graph.index[change.old], graph.index[change.new]
            moved, a[old, k] = a[old, k], 0.0
            a[new, k] += moved
    ids = graph.ids.tolist()
    nodes = [
        Node(ids[i], "kg", dict(zip(graph.stages, direct[i].tolist(), strict=True)))
        for i in range(graph.n_nodes)
    ]
    edges = [Edge(ids[i], ids[k], float(a[i, k])) for i, k in zip(*np.nonzero(a), strict=True)]
    return SupplyGraph.from_records(nodes, edges, stages=graph.stages)


def test_replace_provider_by_hand() -> None:
    """cell takes 0.6 kg cathode from supplier a (10/kg); switching to b (6/kg) with 3 kWh
    direct emissions 1: f = 1 + 0.6·10 = 7 before and 1 + 0.6·6 = 4.6 after."""
    graph = make_graph(
        [10.0, 6.0, 1.0], [("a", "cell", 0.6)], units={"a": "kg", "b": "kg", "cell": "kWh"}
    )
    after = evaluate_scenario(graph, Scenario([ReplaceProvider("cell", "a", "b")]))
    assert rollup(graph)["cell"].total == pytest.approx(7.0)
    assert after["cell"].total == pytest.approx(4.6)


def test_replace_provider_converts_units() -> None:
    """0.6 kg from a (per kg) moved to b declared per t: 0.0006 t at 6000/t = 3.6 + 1."""
    graph = make_graph(
        [10.0, 6000.0, 1.0], [("a", "cell", 0.6)], units={"a": "kg", "b": "t", "cell": "kWh"}
    )
    after = evaluate_scenario(graph, Scenario([ReplaceProvider("cell", "a", "b")]))
    assert after["cell"].total == pytest.approx(4.6)


def test_replace_provider_with_other_unit_fails() -> None:
    graph = make_graph([1, 1, 1], [("a", "cell", 1)], units={"a": "kg", "b": "kWh", "cell": "kg"})
    with pytest.raises(UnitMismatch, match="a -> cell replaced by b"):
        evaluate_scenario(graph, Scenario([ReplaceProvider("cell", "a", "b")]))


def test_scenario_closing_a_non_physical_loop() -> None:
    graph = make_graph([1.0, 1.0], [("n0", "n1", 2.0)])
    with pytest.raises(SingularLoop, match=r"n0|n1"):
        evaluate_scenario(graph, Scenario([SetAmount("n1", "n0", 0.5)]))


def test_negative_amount_in_scenario() -> None:
    graph = make_graph([1.0, 1.0], [("n0", "n1", 2.0)])
    with pytest.raises(NegativeAmount, match="n0 -> n1"):
        evaluate_scenario(graph, Scenario([SetAmount("n0", "n1", -1.0)]))


@st.composite
def scenarios(draw: st.DrawFn, graph: SupplyGraph) -> Scenario:
    ids = graph.ids.tolist()
    pairs = sorted({(int(i), int(k)) for i, k in zip(graph.provider, graph.consumer, strict=True)})
    changes: list = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["direct", "scale", "replace", "set"]))
        if kind == "direct" or not pairs:
            values = draw(st.lists(st.floats(0, 10), min_size=3, max_size=3))
            changes.append(SetDirect(draw(st.sampled_from(ids)), _by_stage(values)))
            continue
        i, k = draw(st.sampled_from(pairs))
        if kind == "scale":
            changes.append(ScaleAmount(ids[i], ids[k], draw(st.floats(0, 1))))
        elif kind == "replace":
            new = draw(st.sampled_from(ids))
            changes.append(ReplaceProvider(ids[k], ids[i], new))
        else:
            changes.append(SetAmount(ids[i], ids[k], draw(st.floats(0, 0.3))))
    return Scenario(changes)


@given(random_graphs(loops=True), st.data())
def test_scenario_equals_full_resolve(graph: SupplyGraph, data: st.DataObject) -> None:
    scenario = data.draw(scenarios(graph))
    try:
        expected = rollup(_apply(graph, scenario))
    except SingularLoop:
        with pytest.raises(SingularLoop):
            evaluate_scenario(graph, scenario)
        return
    got = evaluate_scenario(graph, scenario)
    assert got.by_stage == pytest.approx(expected.by_stage, rel=1e-8, abs=1e-8)


def _by_stage(values: list[float]) -> dict[str, float]:
    return dict(zip(STAGES, values, strict=True))
