"""The typed JSON reader (msgspec, slice by slice): the same graph as the reference reader
(orjson documents through `graph_from_document`) for any valid file, and for any malformed
file the same one-line error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supply_graph import (
    GraphFormatError,
    SupplyGraph,
    SupplyGraphError,
    fileformat,
    load_graph,
    write_graph,
)
from supply_graph.edgescan import UnitCodes
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


# --- edges read by `edgescan` (the layout write_graph writes) ------------------------------


def _scans(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record whether each offered edge slice was taken by the scan."""
    taken: list[bool] = []
    original = fileformat._EdgeColumns.scan

    def spy(self: object, text: object, size: int) -> bool:
        got = original(self, text, size)  # type: ignore[arg-type]
        taken.append(got)
        return got

    monkeypatch.setattr(fileformat._EdgeColumns, "scan", spy)
    return taken


def _without_scan(path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    """What the reader gives with every edge slice decoded by msgspec: a graph or the error."""
    with monkeypatch.context() as m:
        m.setattr(fileformat, "NodeNames", type("NoNames", (), {"build": staticmethod(
            lambda ids, array: None)}))  # fmt: skip
        return _outcome(path)


def _outcome(path: Path) -> object:
    try:
        return load_graph(path)
    except SupplyGraphError as exc:
        return (type(exc), str(exc))


def _same_outcome(a: object, b: object) -> None:
    if isinstance(a, SupplyGraph) and isinstance(b, SupplyGraph):
        _same(a, b)
        np.testing.assert_array_equal(a.amount, b.amount)
    else:
        assert a == b


IDS = ["ore", "ü-β", "a},{b", "x" * 40, "cell@plant-c", "", "grid-1"]


def _edges_file(tmp_path: Path, edges: list[bytes], units: dict[str, str] | None = None) -> Path:
    """A graph file in write_graph's layout with the edges' text as given."""
    units = units or {}
    nodes = [_node(i, unit=units.get(i, "kg")) for i in IDS]
    head = orjson.dumps(_doc(nodes, []))
    body = head[: head.rindex(b"[]")] + b"[" + b",".join(edges) + b"]}"
    path = tmp_path / "g.json"
    path.write_bytes(body)
    return path


def _edge(provider: str, consumer: str, amount: bytes, unit: str = "kg") -> bytes:
    return (b'{"from":' + orjson.dumps(provider) + b',"to":' + orjson.dumps(consumer)
            + b',"amount":' + amount + b',"unit":' + orjson.dumps(unit) + b"}")  # fmt: skip


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(random_graphs(loops=True))
def test_scanned_edges_give_the_msgspec_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, typed_only: None, graph: SupplyGraph
) -> None:
    """A file written by write_graph: every edge slice taken by the scan, same graph (ids,
    rows, amounts bit for bit, unit codes) as when msgspec decodes every slice."""
    path = tmp_path / "g.json"
    write_graph(graph, path)
    taken = _scans(monkeypatch)
    scanned = load_graph(path)
    if graph.n_edges:
        assert taken and all(taken)
    _same_outcome(scanned, _without_scan(path, monkeypatch))


@pytest.mark.parametrize("slice_bytes", [1, 1 << 20])
def test_scanned_edges_with_awkward_names_and_units(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slice_bytes: int
) -> None:
    """Non-ASCII, empty, long ids and ids holding `},{`; several units, first met in different
    slices; an escaped id (`"` inside) leaves its slice to msgspec. Same graph either way."""
    monkeypatch.setattr(fileformat, "_SLICE", slice_bytes)
    units = {"grid-1": "kWh", "x" * 40: "t"}
    edges = [
        _edge("ore", "ü-β", b"2", "g"),
        _edge("ü-β", "a},{b", b"0.25"),
        _edge("grid-1", "a},{b", b"1.5e-3", "MJ"),
        _edge("x" * 40, "", b"3", "kg"),
        _edge("", "cell@plant-c", b"-0", "t"),
        _edge("a},{b", "cell@plant-c", b"12.5", "kg"),
        _edge("grid-1", "cell@plant-c", b"7E+1", "kWh"),
    ]
    path = _edges_file(tmp_path, edges, units)
    taken = _scans(monkeypatch)
    graph = load_graph(path)
    assert any(taken)
    _same_outcome(graph, _without_scan(path, monkeypatch))
    np.testing.assert_allclose(graph.amount, [0.002, 0.25, 1.5e-3 / 3.6, 0.003, 0.0, 12.5, 70])
    long_number = _edges_file(tmp_path, [*edges, _edge("ore", "", b"0." + b"1" * 40)])
    _same_outcome(_outcome(long_number), _without_scan(long_number, monkeypatch))
    escaped = _edges_file(tmp_path, [*edges, _edge('q"q', "ore", b"1")])
    _same_outcome(_outcome(escaped), _without_scan(escaped, monkeypatch))


AMOUNTS = [b"01", b"1.", b".5", b"+1", b"1e999", b"-2", b"null", b"true", b"[1]", b"1 ", b" 1",
           b"1 2", b"NaN", b'"1"', b"1,2", b"", b"1}",
           b"1." + b"0" * 29, b"1." + b"0" * 29 + b"1", b"2." + b"5" * 60]  # fmt: skip


@pytest.mark.parametrize("amount", AMOUNTS, ids=[a.decode() or "empty" for a in AMOUNTS])
@pytest.mark.parametrize("slice_bytes", [1, 1 << 20])
def test_scanned_edges_keep_every_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, amount: bytes, slice_bytes: int
) -> None:
    """Whatever the scan is offered — a number JSON refuses, one out of range, an unknown id,
    a unit that is none or does not convert, a control character — the reader's outcome (the
    graph, or the exact error line) is the one it gives without the scan."""
    monkeypatch.setattr(fileformat, "_SLICE", slice_bytes)
    good = [_edge("ore", "ü-β", b"1"), _edge("ü-β", "grid-1", b"2")]
    for edges in (
        [*good, _edge("ore", "grid-1", amount)],
        [*good, _edge("ore", "zz", b"1"), _edge("yy", "ore", b"1")],
        [*good, _edge("ore", "grid-1", b"1", "blorp")],
        [*good, _edge("ore", "grid-1", b"1", "kWh")],
        [*good, _edge("ore", "grid-1", b"1", "")],
        [*good, _edge("ore", "grid\x01-1", b"1").replace(b"\\u0001", b"\x01")],  # raw
        [*good, _edge("ore", "grid-1", b"1", "k\x01g")],
        [*good, _edge("ore", "grid-1", b"1", "k\x01g").replace(b"\\u0001", b"\x01")],
    ):
        path = _edges_file(tmp_path, edges)
        _same_outcome(_outcome(path), _without_scan(path, monkeypatch))


def test_ids_holding_nul_are_not_scanned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Names are compared as zero-padded words, so an id holding NUL ("ab" against "ab\\0")
    leaves every edge slice to msgspec; the graph is the same."""
    nodes = [_node("ab"), _node("ab\x00"), _node("c")]
    edges = [{"from": "ab\x00", "to": "c", "amount": 2.0, "unit": "kg"},
             {"from": "ab", "to": "c", "amount": 3.0, "unit": "kg"}]  # fmt: skip
    path = _write(tmp_path, _doc(nodes, edges))
    taken = _scans(monkeypatch)
    graph = load_graph(path)
    assert not any(taken)
    assert graph.provider.tolist() == [1, 0]
    _same_outcome(graph, _without_scan(path, monkeypatch))


_BYTES = b'{}[]:,"\\ 0123456789.eE+-abkgtWh\x01\x00\xc3\xbc'
_NAMES, _UNITS = st.sampled_from(IDS), st.sampled_from(["kg", "g", "t"])
_EDITS = st.sampled_from(["put", "insert", "delete"])


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edges=st.lists(
        st.tuples(_NAMES, _NAMES, st.sampled_from(["1", "2.5", "1e-3"]), _UNITS),
        min_size=1,
        max_size=6,
    ),
    edits=st.lists(
        st.tuples(st.floats(0, 1), _EDITS, st.integers(0, len(_BYTES) - 1)),
        min_size=1,
        max_size=3,
    ),
    slice_bytes=st.sampled_from([1, 64, 1 << 20]),
)
def test_edited_edge_text_gives_the_same_outcome_with_and_without_the_scan(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    edges: list[tuple[str, str, str, str]],
    edits: list[tuple[float, str, int]],
    slice_bytes: int,
) -> None:
    """Edges as write_graph writes them, then a few bytes put, inserted or deleted anywhere in
    the edges' text (quotes, escapes, control bytes, digits, brackets): whatever the file has
    become, the reader's outcome with the scan equals its outcome without it."""
    monkeypatch.setattr(fileformat, "_SLICE", slice_bytes)
    path = _edges_file(tmp_path, [_edge(p, c, a.encode(), u) for p, c, a, u in edges])
    text = bytearray(path.read_bytes())
    start = text.index(b'"edges":[') + 9
    for where, how, which in edits:
        at = start + int(where * (len(text) - 2 - start))
        if how == "put":
            text[at] = _BYTES[which]
        elif how == "insert":
            text.insert(at, _BYTES[which])
        else:
            del text[at]
    path.write_bytes(bytes(text))
    _same_outcome(_outcome(path), _without_scan(path, monkeypatch))


def test_unit_names_sharing_their_first_words_get_their_own_codes() -> None:
    """Edge units are matched by their words: "abcdefgh" fills a whole word, so "abcdefghij"
    agrees with it in the first; each still gets its own code, in order of appearance, and a
    slice with more distinct names than a chain has is left to msgspec."""
    names = [b"abcdefgh", b"abcdefghij", b"abcdefgh", b"kg", b"abcdefghij", b"kg"]
    codes = fileformat._CodeTable({None: -1})
    units = UnitCodes(codes)
    text = b"".join(names) + bytes(64)
    length = np.array([len(n) for n in names], dtype=np.int64)
    start = np.concatenate(([0], np.cumsum(length)[:-1]))
    found = units.code(np.frombuffer(text, dtype=np.uint8), start, length)
    assert found.tolist() == [0, 1, 0, 2, 1, 2]
    assert list(codes) == [None, "abcdefgh", "abcdefghij", "kg"]
    # the next slice: a name seen before, then one that only the shorter name's word starts
    more = [b"kg", b"abcdefghi", b"abcdefgh"]
    text = b"".join(more) + bytes(64)
    length = np.array([len(n) for n in more], dtype=np.int64)
    start = np.concatenate(([0], np.cumsum(length)[:-1]))
    assert units.code(np.frombuffer(text, dtype=np.uint8), start, length).tolist() == [2, 3, 0]
    many = [b"u%d" % k for k in range(100)]
    text = b"".join(many) + bytes(64)
    length = np.array([len(n) for n in many], dtype=np.int64)
    start = np.concatenate(([0], np.cumsum(length)[:-1]))
    assert units.code(np.frombuffer(text, dtype=np.uint8), start, length) is None
