"""Incremental updates equal a full re-solve."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from supply_graph import (
    Scenario,
    SetAmount,
    SetDirect,
    SingularLoop,
    SupplyGraph,
    Updater,
    evaluate_scenario,
    rollup,
)

from .conftest import STAGES, make_graph, random_graphs


def test_supplier_update_by_hand() -> None:
    """ore (2) -> 1.5 kg salt (1) -> 0.4 kg cathode (3): f_cathode = 4.6. The mine cuts its
    emissions to 1: x_cathode[ore] = 0.6, so f_cathode = 4.6 + 0.6·(1 − 2) = 4.0."""
    graph = make_graph([2.0, 1.0, 3.0], [("n0", "n1", 1.5), ("n1", "n2", 0.4)])
    updater = Updater(graph, ["n2"])
    assert updater.footprint("n2").total == pytest.approx(4.6)
    updater.set_direct("n0", 1.0)
    assert updater.footprint("n2").total == pytest.approx(4.0)


def test_edge_update_by_hand() -> None:
    """Same chain; the cathode now needs 0.5 kg of salt (f_salt = 4): 3 + 0.5·4 = 5."""
    graph = make_graph([2.0, 1.0, 3.0], [("n0", "n1", 1.5), ("n1", "n2", 0.4)])
    updater = Updater(graph, ["n2"])
    updater.set_amount("n1", "n2", 0.5)
    assert updater.footprint("n2").total == pytest.approx(5.0)
    assert updater.result()["n2"].total == pytest.approx(5.0)


def test_update_closing_a_non_physical_loop() -> None:
    graph = make_graph([1.0, 1.0], [("n0", "n1", 2.0)])
    updater = Updater(graph, ["n1"])
    with pytest.raises(SingularLoop, match="n1 -> n0"):
        updater.set_amount("n1", "n0", 0.5)


@given(random_graphs(loops=True), st.data())
def test_updates_equal_full_resolve(graph: SupplyGraph, data: st.DataObject) -> None:
    ids = graph.ids.tolist()
    watched = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
    updater = Updater(graph, watched)
    changes: list = []
    for _ in range(data.draw(st.integers(1, 4))):
        if data.draw(st.booleans()) or not graph.n_edges:
            values = data.draw(st.lists(st.floats(0, 10), min_size=3, max_size=3))
            change = SetDirect(
                data.draw(st.sampled_from(ids)), dict(zip(STAGES, values, strict=True))
            )
            updater.set_direct(change.node, change.direct)
        else:
            k = data.draw(st.integers(0, graph.n_edges - 1))
            amount = data.draw(st.floats(0, 0.2))
            provider, consumer = ids[graph.provider[k]], ids[graph.consumer[k]]
            change = SetAmount(provider, consumer, amount)
            try:
                updater.set_amount(provider, consumer, amount)
            except SingularLoop:
                return
        changes.append(change)
    expected = evaluate_scenario(graph, Scenario(changes))
    for product in watched:
        got = updater.footprint(product)
        assert got.total == pytest.approx(expected[product].total, rel=1e-8, abs=1e-8)
        if abs(got.total) < 1e-9:
            continue  # a share of (rounding noise) / (rounding noise) means nothing
        assert got.primary_data_share == pytest.approx(
            expected[product].primary_data_share, rel=1e-7, abs=1e-7
        )
    assert updater.result().by_stage == pytest.approx(expected.by_stage, rel=1e-8, abs=1e-8)
    assert rollup(graph).by_stage.shape == expected.by_stage.shape


def _by_stage(values) -> dict[str, float]:
    return dict(zip(STAGES, values, strict=True))


def _check_against_scenario(graph: SupplyGraph, updater: Updater, changes: list, watched) -> None:
    expected = evaluate_scenario(graph, Scenario(changes))
    for product in watched:
        got = updater.footprint(product)
        want = expected[product]
        assert got.by_stage == pytest.approx(want.by_stage, rel=1e-9, abs=1e-9)
        if abs(got.total) > 1e-9:
            assert got.primary_data_share == pytest.approx(
                want.primary_data_share, rel=1e-7, abs=1e-7
            )
    assert updater.result().by_stage == pytest.approx(expected.by_stage, rel=1e-9, abs=1e-9)


@given(random_graphs(loops=True), st.data())
def test_mixed_change_sequences_equal_full_resolve(graph: SupplyGraph, data: st.DataObject) -> None:
    """Long mixed sequences: emission changes, changes of existing amounts (repeatedly the same
    edge too), new edges (which may close loops), products watched mid-way, refused changes."""
    ids = graph.ids.tolist()
    watched = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True))
    updater = Updater(graph, watched)
    changes: list = []
    for _ in range(data.draw(st.integers(1, 12))):
        kind = data.draw(st.sampled_from(["direct", "edge", "new edge", "watch"]))
        if kind == "direct":
            values = data.draw(st.lists(st.floats(0, 10), min_size=3, max_size=3))
            change = SetDirect(data.draw(st.sampled_from(ids)), _by_stage(values))
            updater.set_direct(change.node, change.direct)
        elif kind == "watch":
            product = data.draw(st.sampled_from(ids))
            updater.watch(product)
            watched = [*watched, product] if product not in watched else watched
            continue
        else:
            if kind == "edge" and graph.n_edges:
                k = data.draw(st.integers(0, graph.n_edges - 1))
                provider, consumer = ids[graph.provider[k]], ids[graph.consumer[k]]
            else:
                provider, consumer = (
                    data.draw(st.sampled_from(ids)),
                    data.draw(st.sampled_from(ids)),
                )
            change = SetAmount(provider, consumer, data.draw(st.floats(0, 0.3)))
            try:
                updater.set_amount(change.provider, change.consumer, change.amount)
            except SingularLoop:
                continue  # refused: the updater's state must be as before
        changes.append(change)
    _check_against_scenario(graph, updater, changes, watched)


@pytest.mark.parametrize("loops", [False, True])
def test_many_edge_changes_span_replans(loops: bool) -> None:
    """More edge changes than the updater keeps as correction terms: it re-plans on the way."""
    rng = np.random.default_rng(7)
    graph = _fixed_graph(loops)
    ids = graph.ids.tolist()
    watched = ids[-3:]
    updater = Updater(graph, watched)
    changes: list = []
    replans = 0
    for step in range(120):
        if step % 4 == 3:
            change = SetDirect(ids[int(rng.integers(len(ids)))], _by_stage(rng.uniform(0, 5, 3)))
            updater.set_direct(change.node, change.direct)
        else:
            k = int(rng.integers(graph.n_edges))
            amount = float(rng.uniform(0, 0.9 if not loops else 0.3))
            change = SetAmount(ids[graph.provider[k]], ids[graph.consumer[k]], amount)
            before = len(updater._terms)
            updater.set_amount(change.provider, change.consumer, amount)
            replans += len(updater._terms) < before
        changes.append(change)
    assert replans >= 2
    _check_against_scenario(graph, updater, changes, watched)


def _fixed_graph(loops: bool) -> SupplyGraph:
    """20 nodes in tiers; with `loops`, three recycling edges back down (columns stay < 1)."""
    rng = np.random.default_rng(11)
    edges = []
    for j in range(4, 20):
        for i in rng.choice(j, size=3, replace=False).tolist():
            edges.append((f"n{i}", f"n{j}", float(rng.uniform(0.05, 0.3))))
    if loops:
        edges += [("n19", "n2", 0.1), ("n15", "n5", 0.05), ("n12", "n12", 0.2)]
    direct = [_by_stage(rng.uniform(0, 5, 3).tolist()) for _ in range(20)]
    return make_graph(direct, edges, stages=STAGES)
