"""The typed JSON reader (msgspec, slice by slice): the same graph as the reference reader
(orjson documents through `graph_from_document`) for any valid file, and for any malformed
file the same one-line error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from supply_graph import (
    GraphFormatError,
    SupplyGraph,
    SupplyGraphError,
    fileformat,
    load_graph,
    write_graph,
)
from supply_graph.fileformat import graph_from_document
from supply_graph.idtable import IdTable

from .conftest import random_graphs

GRAPH = "tanlian.supply-graph/1"


def _node(node_id: str, **extra: object) -> dict[str, object]:
    return {"id": node_id, "unit": "kg", "direct": {"production": 1.0}, **extra}


def _doc(nodes: list[object], edges: list[object], **extra: object) -> dict[str, object]:
    return {"format": GRAPH, "stages": ["raw_material", "production"], "nodes": nodes,
            "edges": edges, **extra}  # fmt: skip


def _same(a: SupplyGraph, b: SupplyGraph) -> None:
    for name in ("ids", "unit_code", "direct", "primary", "dqr", "category_code", "provider",
                 "consumer", "amount"):  # fmt: skip
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y, err_msg=name)
    assert (a.stages, a.unit_names, a.category_names) == (b.stages, b.unit_names, b.category_names)
    assert a.allocations == b.allocations


@pytest.fixture
def typed_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Valid files must never reach the reference reader."""

    def refuse(document: object) -> SupplyGraph:
        raise AssertionError("the reference reader was used for a valid file")

    monkeypatch.setattr(fileformat, "graph_from_document", refuse)


@pytest.fixture
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut at every element boundary, so every slice-joining path runs on small files."""
    monkeypatch.setattr(fileformat, "_SLICE", 1)


def _write(tmp_path: Path, document: object, pretty: bool = False) -> Path:
    path = tmp_path / "g.json"
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2 if pretty else 0))
    return path


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(random_graphs(loops=True))
def test_typed_reader_gives_the_reference_graph(
    tmp_path: Path, typed_only: None, small_slices: None, graph: SupplyGraph
) -> None:
    write_graph(graph, tmp_path / "g.json")
    reference = graph_from_document(orjson.loads((tmp_path / "g.json").read_bytes()))
    _same(load_graph(tmp_path / "g.json"), reference)


@pytest.mark.parametrize("pretty", [False, True])
def test_awkward_but_valid_files_take_the_typed_path(
    tmp_path: Path, typed_only: None, small_slices: None, pretty: bool
) -> None:
    """Ids holding `},{`, extra fields with nested arrays of objects, edges before nodes,
    whitespace between elements, a plain-number direct on a one-stage graph."""
    nodes = [
        _node('a"},{"id":"x'),
        _node("b", extra=[{"k": 1}, {"k": [{}, {}]}], dqr=2.5, primary=True, category="ore"),
        _node("c", allocation={"basis": "mass", "share": 0.25}, dqr=None),
    ]
    edges = [
        {"from": 'a"},{"id":"x', "to": "b", "amount": 2, "unit": "g", "note": {"x": [{}]}},
        {"from": "b", "to": "c", "amount": 0.5},
        {"from": "b", "to": "c", "amount": 1.5, "unit": "t"},
    ]
    document = {"edges": edges, **_doc(nodes, [])}
    document["edges"] = edges  # listed before the nodes
    path = _write(tmp_path, document, pretty)
    graph = load_graph(path)
    assert graph.ids.tolist() == ['a"},{"id":"x', "b", "c"]
    np.testing.assert_allclose(graph.amount, [0.002, 0.5, 1500.0])
    assert graph.allocations[2].share == 0.25 and graph.primary.tolist() == [False, True, False]
    one_stage = {"format": GRAPH, "nodes": [{"id": "a", "unit": "kWh", "direct": 3}]}
    assert load_graph(_write(tmp_path, one_stage)).direct.tolist() == [[3.0]]


MALFORMED = {
    "not an object": ([1, 2], "not a graph file: 'format' must be 'tanlian.supply-graph/1'"),
    "wrong format": ({"format": "x", "nodes": []}, "not a graph file"),
    "nodes not a list": ({"format": GRAPH, "nodes": {}}, "'nodes' and 'edges' must be lists"),
    "edges null": ({"format": GRAPH, "nodes": [], "edges": None}, "must be lists"),
    "node without unit": (_doc([_node("a"), {"id": "b"}], []), "node #1: needs 'id' and 'unit'"),
    "id not a string": (_doc([{"id": 3, "unit": "kg"}], []), "every node 'id' must be a string"),
    "edge without amount": (
        _doc([_node("a")], [{"from": "a", "to": "a", "amount": 1}, {"from": "a", "to": "a"}]),
        "edge #1: needs 'from', 'to' and 'amount'",
    ),
    "amount a word": (
        _doc([_node("a"), _node("b")], [{"from": "a", "to": "b", "amount": "lots"}]),
        "edge #0 a -> b: amount is not a number",
    ),
    "unknown stage": (
        _doc([{"id": "a", "unit": "kg", "direct": {"use": 1}}], []),
        "node 'a' has emissions for undeclared stage 'use'",
    ),
    "number for stages": (
        _doc([{"id": "a", "unit": "kg", "direct": 1}], []),
        "node 'a': direct must map stage names to numbers",
    ),
    "allocation without share": (
        _doc([_node("a", allocation={"basis": "mass"})], []),
        "node 'a': allocation needs 'basis' and 'share'",
    ),
    "duplicate id": (
        _doc([_node("a"), _node("b"), _node("a")], []),
        "node 'a' is declared more than once",
    ),
    "unknown provider, later slice": (
        _doc(
            [_node("a"), _node("b")],
            [{"from": "a", "to": "b", "amount": 1}] * 3
            + [{"from": "a", "to": "zz", "amount": 1}, {"from": "yy", "to": "b", "amount": 1}],
        ),
        "unknown node 'yy' (edge provider of edge #4)",
    ),
    "unknown consumer": (
        _doc([_node("a"), _node("b")], [{"from": "a", "to": "zz", "amount": 1}]),
        "unknown node 'zz' (edge consumer of edge #0)",
    ),
    "negative amount": (
        _doc([_node("a"), _node("b")], [{"from": "a", "to": "b", "amount": -2}]),
        "edge #0 a -> b: amount -2.0 must be a finite number >= 0",
    ),
    "unit mismatch": (
        _doc([_node("a"), _node("b")], [{"from": "a", "to": "b", "amount": 2, "unit": "kWh"}]),
        "edge #0 a -> b (2 kWh): unit 'kWh' does not convert to the provider's declared unit 'kg'",
    ),
    "not a unit": (
        _doc([{"id": "a", "unit": "blorp", "direct": {"production": 1}}], []),
        "node 'a': declared unit 'blorp' is not a unit",
    ),
    "dqr out of range": (_doc([_node("a", dqr=9)], []), "is outside 1..5"),
    "bad allocation share": (
        _doc([_node("a", allocation={"basis": "mass", "share": 2})], []),
        "node 'a': allocation needs a share in (0, 1]",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_files_give_the_reference_error(
    case: str, tmp_path: Path, small_slices: None
) -> None:
    document, message = MALFORMED[case]
    with pytest.raises(SupplyGraphError) as reference:
        graph_from_document(document)
    with pytest.raises(SupplyGraphError) as typed:
        load_graph(_write(tmp_path, document))
    assert message in str(typed.value)
    assert (type(typed.value), str(typed.value)) == (type(reference.value), str(reference.value))


def test_broken_json_keeps_its_message(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_bytes(b'{"format": "tanlian.supply-graph/1", "nodes": [}')
    with pytest.raises(GraphFormatError) as exc:
        load_graph(path)
    try:
        orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as reason:
        assert str(exc.value) == f"{path}: not valid JSON ({reason})"


def test_id_table_finds_rows_and_refuses_strangers() -> None:
    ids = np.array([f"node-{i}" for i in range(5000)] + ["", "ü-β"], dtype=np.str_)
    table = IdTable.build(ids, np.fromiter(map(hash, ids.tolist()), np.int64, ids.shape[0]))
    assert table is not None
    names = ["node-4999", "", "ü-β", "node-5000", "node-1", "node-1x", "node-"]
    assert table.find(names).tolist() == [4999, 5000, 5001, -1, 1, -1, -1]
    # names longer than every id are compared at a fixed width: never cut down to an id
    longer = ["node-4999" + "9" * k for k in range(1, 4)] + ["node-1" + "x" * 20]
    assert table.find(longer).tolist() == [-1, -1, -1, -1]
    assert IdTable.build(ids[:2], np.array([7, 7], dtype=np.int64)) is None
    empty = IdTable.build(np.array([], dtype=np.str_), np.array([], dtype=np.int64))
    assert empty is not None and empty.find(["a"]).tolist() == [-1]


def test_a_nodes_own_edges_field_does_not_end_the_nodes(
    tmp_path: Path, typed_only: None, small_slices: None
) -> None:
    """A file in write_graph's layout is read without a pass over the whole text: the nodes end
    at the first `],"edges":[`. A node may hold that very text as an unknown nested field; the
    reader must notice and still read the file, on the typed path."""
    nodes = [_node("a", extra=[{"k": 1}], edges=[{"from": "b"}]), _node("b")]
    document = _doc(nodes, [{"from": "a", "to": "b", "amount": 2}])
    path = _write(tmp_path, document)
    assert b'}],"edges":[{"from":"b"}]' in path.read_bytes()
    _same(load_graph(path), graph_from_document(document))


@pytest.mark.parametrize("case", ["trailing text", "extra bracket", "cut short"])
def test_written_layout_refuses_what_json_refuses(tmp_path: Path, case: str) -> None:
    good = orjson.dumps(_doc([_node("a"), _node("b")], [{"from": "a", "to": "b", "amount": 1}]))
    body = {"trailing text": good + b" x", "extra bracket": good + b"]", "cut short": good[:-1]}
    path = tmp_path / "g.json"
    path.write_bytes(body[case])
    with pytest.raises(orjson.JSONDecodeError) as why:
        orjson.loads(body[case])
    with pytest.raises(GraphFormatError) as exc:
        load_graph(path)
    assert str(exc.value) == f"{path}: not valid JSON ({why.value})"


def test_only_json_whitespace_separates_elements(tmp_path: Path) -> None:
    """A vertical tab is whitespace to a regular expression, not to JSON."""
    good = orjson.dumps(_doc([_node("a"), _node("b")], []))
    body = good.replace(b'},{"id":"b"', b'}\x0b,{"id":"b"')
    assert body != good
    path = tmp_path / "g.json"
    path.write_bytes(body)
    with pytest.raises(GraphFormatError, match="not valid JSON"):
        load_graph(path)
