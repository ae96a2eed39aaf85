"""The `tanlian.supply-graph/1` file (JSON, and a binary .npz twin for large graphs) and the
`tanlian.rollup/1` result file. The only module of the engine that touches files.

JSON is read by msgspec into typed structs a slice of the mapped file at a time, and each slice's
columns are taken into numpy before the next is decoded (`_read_typed`), so a million-node graph
never exists as Python records all at once. Whatever that reader would question goes to the
reference reader (orjson documents, `graph_from_document`), which gives the exact error.
`write_graph(g, "x.npz")` stores the same validated columns in numpy's uncompressed .npz, which
loads in well under a second.

One module because it is the engine's only file-format module (the JSON and .npz readers and
writers and their exact error messages), kept apart from the arithmetic.
"""

from __future__ import annotations

import contextlib
import mmap
import re
from collections.abc import Callable, Iterator, Mapping
from operator import attrgetter, eq, methodcaller
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import orjson

from supply_graph.edgescan import MAX_WORDS, NodeNames, UnitCodes, scan
from supply_graph.errors import GraphFormatError, UnknownNode
from supply_graph.idtable import IdTable
from supply_graph.model import DEFAULT_STAGE, Allocation, SupplyGraph, direct_matrix
from supply_graph.quality import row_sums
from supply_graph.rollup import RollupResult

GRAPH_FORMAT = "tanlian.supply-graph/1"
RESULT_FORMAT = "tanlian.rollup/1"
_CHUNK = 8192  # result rows per write: its temporaries stay in the cache (65536: 25 % slower)
_SLICE = 1 << 20  # bytes of JSON text decoded at a time
_WIDENINGS = 4  # a slice cut inside a string or nested value is widened this often at most
_BETWEEN = re.compile(rb"\}[ \t\n\r]*,[ \t\n\r]*\{")


def load_graph(path: str | Path) -> SupplyGraph:
    """Read a graph file: `.npz` (binary twin) or JSON in the `tanlian.supply-graph/1` format."""
    path = Path(path)
    if path.suffix == ".npz":
        return _load_npz(path)
    try:
        return _read_mapped(path)
    except _Fallback:
        pass
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise GraphFormatError(f"{path}: not valid JSON ({exc})") from None
    return graph_from_document(document)


def graph_from_document(document: Any) -> SupplyGraph:
    """Build a graph from the parsed JSON document (see docs/specs/supply-graph-file.md)."""
    if not isinstance(document, Mapping) or document.get("format") != GRAPH_FORMAT:
        raise GraphFormatError(f"not a graph file: 'format' must be {GRAPH_FORMAT!r}")
    stages = tuple(document.get("stages") or (DEFAULT_STAGE,))
    nodes, edges = document.get("nodes"), document.get("edges", [])
    if not isinstance(nodes, list) or not isinstance(edges, list):
        raise GraphFormatError("'nodes' and 'edges' must be lists")
    try:
        ids = [n["id"] for n in nodes]
        units = [n["unit"] for n in nodes]
        edge_from = [e["from"] for e in edges]
        edge_to = [e["to"] for e in edges]
        amounts = np.array([e["amount"] for e in edges], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        raise GraphFormatError(_first_bad_record(nodes, edges)) from None
    if not all(isinstance(i, str) for i in ids):
        raise GraphFormatError("every node 'id' must be a string")
    directs = [n.get("direct", 0.0) for n in nodes]
    return SupplyGraph.from_columns(
        ids=ids,
        units=units,
        direct=_direct_columns(directs, stages, ids, "stages" in document),
        stages=stages,
        primary=[float(n.get("primary", False)) for n in nodes],
        dqr=[n.get("dqr") for n in nodes],
        categories=[n.get("category") for n in nodes],
        allocations=_allocations(nodes),
        edge_from=edge_from,
        edge_to=edge_to,
        edge_amount=amounts,
        edge_unit=[e.get("unit") for e in edges],
        ratings=_node_ratings([n.get("dqi") for n in nodes], [n.get("dqr") for n in nodes]),
    )


def _node_ratings(dqi: list[Any], dqr: list[Any]) -> list[list[Any]] | None:
    """The nodes' three ratings (`dqi`: technological, temporal, geographical), a node without
    them rated `dqr` in all three; None when no node has them."""
    if all(d is None for d in dqi):
        return None
    out = []
    for d, single in zip(dqi, dqr, strict=True):
        if d is not None and (not isinstance(d, list) or len(d) != 3):
            raise GraphFormatError("a node's 'dqi' must list three ratings")
        out.append(list(d) if d is not None else [single] * 3)
    return out


def _direct_columns(
    directs: list[Any], stages: tuple[str, ...], ids: list[str], staged: bool
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """(n, stages) direct emissions; fast per-stage comprehension, exact errors on the slow path."""
    try:
        if not staged:
            return np.array(directs, dtype=np.float64).reshape(-1, 1)
        if set().union(*directs) <= set(stages):
            out = np.empty((len(directs), len(stages)))
            for column, stage in enumerate(stages):
                out[:, column] = np.fromiter(
                    map(methodcaller("get", stage, 0.0), directs), np.float64, len(directs)
                )
            return out
    except (TypeError, ValueError, AttributeError):
        pass
    return direct_matrix(directs, stages, ids)


def _allocations(nodes: list[Any]) -> dict[int, Allocation]:
    out: dict[int, Allocation] = {}
    for i, node in enumerate(nodes):
        alloc = node.get("allocation")
        if alloc is not None:
            try:
                out[i] = Allocation(basis=str(alloc["basis"]), share=float(alloc["share"]))
            except (KeyError, TypeError, ValueError):
                raise GraphFormatError(
                    f"node {node.get('id')!r}: allocation needs 'basis' and 'share'"
                ) from None
    return out


def _first_bad_record(nodes: list[Any], edges: list[Any]) -> str:
    for k, node in enumerate(nodes):
        if not isinstance(node, Mapping) or "id" not in node or "unit" not in node:
            return f"node #{k}: needs 'id' and 'unit'"
    for k, edge in enumerate(edges):
        if not isinstance(edge, Mapping) or not {"from", "to", "amount"} <= edge.keys():
            return f"edge #{k}: needs 'from', 'to' and 'amount'"
        try:
            float(edge["amount"])
        except (TypeError, ValueError):
            return f"edge #{k} {edge['from']} -> {edge['to']}: amount is not a number"
    return "malformed nodes or edges"


class _Fallback(Exception):
    """The fast reader met something it does not take; the reference reader gives the error."""


_NO_EDGES = msgspec.Raw(b"[]")


class _Header(msgspec.Struct, gc=False):
    format: str
    nodes: msgspec.Raw
    stages: list[str] | None = None
    edges: msgspec.Raw = _NO_EDGES


class _Allocation(msgspec.Struct, gc=False, forbid_unknown_fields=False):
    basis: str
    share: float


class _Edge(msgspec.Struct, gc=False):
    provider: str = msgspec.field(name="from")
    consumer: str = msgspec.field(name="to")
    amount: float
    unit: str | None = None


_EDGES = msgspec.json.Decoder(list[_Edge])


def _read_mapped(path: Path) -> SupplyGraph:
    """The typed reader on the file mapped into memory: pages already decoded are handed back
    to the kernel as the reader goes, so the text does not add its size to the peak."""
    with path.open("rb") as file:
        try:
            data = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except (ValueError, OSError):  # empty, or not a regular file
            raise _Fallback from None
    try:
        return _read_typed(data)
    finally:
        with contextlib.suppress(BufferError):  # a view still held: the collector unmaps it
            data.close()


def _read_typed(data: Any) -> SupplyGraph:
    """Decode into typed structs a slice of nodes or edges at a time and build the columns
    slice by slice, so no more than one slice's records exist at once; anything the
    reference reader would question raises `_Fallback`, so that reader gives the exact error.

    A file laid out as this module writes it (`format`, `stages`, `nodes`, `edges`, in that
    order) is read without a first pass over the whole text (`_layout`); any other layout, or
    anything that layout's reading questions, is read after a header pass that finds the arrays
    wherever they are."""
    layout = _layout(data)
    if layout is not None:
        try:
            return _read_columns(data, *layout)
        except _Fallback:
            pass
    try:
        header = msgspec.json.decode(data, type=_Header)
    except msgspec.MsgspecError:
        raise _Fallback from None
    if header.format != GRAPH_FORMAT:
        raise _Fallback
    _decoded(data, 0, len(data))
    stages = tuple(header.stages or (DEFAULT_STAGE,))
    nodes, edges = _span(data, header.nodes), _span(data, header.edges)
    del header
    return _read_columns(data, stages, nodes, edges)


_SPACE = rb"[ \t\n\r]*"  # JSON's whitespace (not regex \s: that also takes \v and \f)
_HEAD = re.compile(
    _SPACE.join(
        [rb"", rb"\{", rb'"format"', rb":", rb'"tanlian\.supply-graph/1"', rb",", rb'"stages"',
         rb":", rb"(\[[^\]]*\])", rb",", rb'"nodes"', rb":", rb"\["]
    )
)  # fmt: skip
_NODES_END = re.compile(_SPACE.join([rb"\]", rb",", rb'"edges"', rb":", rb"\["]))
_TAIL = b" \t\n\r"


def _layout(data: Any) -> tuple[tuple[str, ...], tuple[int, int], tuple[int, int]] | None:
    """(stages, nodes span, edges span) of a file laid out as `write_graph` writes it, found
    without reading the arrays, or None. A span runs from an array's `[` to just past its `]`.

    The nodes array ends at the first `],"edges":[` (quotes cannot appear unescaped inside a
    string, so that text is structure, though possibly a node's own nested field: then the last
    nodes slice cannot decode and the header pass takes over); the edges array then runs to the
    `]` before the document's closing `}`. Every byte between is decoded by the slices, so
    nothing is accepted that the header pass would refuse."""
    head = _HEAD.match(data)
    if head is None:
        return None
    try:
        stages = tuple(msgspec.json.decode(head.group(1), type=list[str]))
    except msgspec.MsgspecError:
        return None
    nodes_end = _NODES_END.search(data, head.end())
    if nodes_end is None:
        return None
    stop = len(data)
    while stop and data[stop - 1] in _TAIL:
        stop -= 1
    if stop < 2 or data[stop - 1] != ord("}"):
        return None
    stop -= 1
    while stop and data[stop - 1] in _TAIL:
        stop -= 1
    if data[stop - 1] != ord("]") or stop - 1 < nodes_end.end() - 1:
        return None
    nodes = (head.end() - 1, nodes_end.start() + 1)
    return stages or (DEFAULT_STAGE,), nodes, (nodes_end.end() - 1, stop)


def _span(data: Any, raw: msgspec.Raw) -> tuple[int, int]:
    """Where the array `raw` (a view into `data`) lies in `data`."""
    if raw is _NO_EDGES:
        return 0, 0
    view = np.frombuffer(raw, dtype=np.uint8)
    start = view.ctypes.data - np.frombuffer(data, dtype=np.uint8).ctypes.data
    return start, start + view.shape[0]


def _read_columns(
    data: Any, stages: tuple[str, ...], node_span: tuple[int, int], edge_span: tuple[int, int]
) -> SupplyGraph:
    """The graph from the nodes and edges arrays at these spans of `data`."""
    if len(set(stages)) != len(stages):
        raise _Fallback
    nodes = _NodeColumns(stages)
    for records in _slices(data, *node_span, nodes.decoder):
        nodes.add(records)
    ids = np.array(nodes.ids, dtype=np.str_)
    names = NodeNames.build(nodes.ids, ids)  # None: two ids share their bytes' hash, or ...
    table = None if names is not None else _string_table(nodes.ids, ids)
    edges = _EdgeColumns(lambda: _string_table(nodes.ids, ids), names, table)
    for records in _slices(data, *edge_span, _EDGES, edges.scan):
        edges.add(records)
    return SupplyGraph.from_encoded(
        ids=nodes.ids,
        ids_array=ids,
        units=nodes.units.encoded(),
        direct=np.concatenate(nodes.direct) if nodes.direct else np.empty((0, len(stages))),
        stages=stages,
        primary=_joined(nodes.primary, np.float64),
        dqr=_joined(nodes.dqr, np.float64),
        categories=nodes.categories.encoded(),
        endpoints=edges.endpoints,
        edge_amount=_joined(edges.amount, np.float64),
        edge_units=edges.units.encoded(),
        allocations=nodes.allocations,
        ratings=nodes.ratings(),
    )


def _string_table(ids: list[str], array: np.ndarray[Any, Any]) -> IdTable:
    """The ids by their strings' `hash()`, for edge slices msgspec decodes (and to tell
    duplicate ids when the bytes' table could not be built)."""
    table = IdTable.build(array, np.fromiter(map(hash, ids), np.int64, len(ids)))
    if table is None:  # duplicate ids (or two sharing a hash): the reference reader decides
        raise _Fallback
    return table


def _decoded(data: Any, start: int, stop: int) -> None:
    """Let the kernel drop the mapped pages of data[start:stop] (they are read again if needed)."""
    if isinstance(data, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        lo, hi = -(-start // mmap.PAGESIZE) * mmap.PAGESIZE, stop // mmap.PAGESIZE * mmap.PAGESIZE
        if hi > lo:
            data.madvise(mmap.MADV_DONTNEED, lo, hi - lo)


def _slices(
    data: Any,
    start: int,
    stop: int,
    decoder: msgspec.json.Decoder[Any],
    fast: Callable[[np.ndarray[Any, np.dtype[np.uint8]], int], bool] | None = None,
) -> Iterator[Any]:
    """The elements of the JSON array data[start:stop], decoded ~_SLICE bytes at a time.

    A slice ends at a `},{` (JSON whitespace allowed). Such a cut inside a string or a nested
    value leaves the slice inside that string or unbalanced, so it cannot decode: the slice is
    then widened to the next `},{` (a few times, then the reference reader takes the file). A
    slice that decodes therefore ends between two elements. `fast(text, size)` is offered each
    slice's text first (text[:size], with room after it); when it takes the slice (True) no
    records are decoded for it. A slice it refuses is decoded, so nothing is read differently."""
    if start == stop:  # no such array in the file
        return
    if start < 0 or stop > len(data) or data[start] != ord("[") or data[stop - 1] != ord("]"):
        raise _Fallback
    pos, stop = start + 1, stop - 1
    buffer = bytearray()  # "[" + a slice's text + "]", reused: one copy of the text per slice
    while pos < stop:
        cut, after = None, pos + _SLICE
        for _ in range(_WIDENINGS):
            cut = _BETWEEN.search(data, after, stop) if after < stop else None
            end = stop if cut is None else cut.start() + 1
            if len(buffer) < end - pos + _ROOM:
                buffer = bytearray((end - pos + _ROOM) * 9 // 8)
            if fast is not None and _offered(fast, data, pos, end, buffer):
                _decoded(data, pos, end)
                break
            try:
                records = _decode_between(decoder, data, pos, end, buffer)
            except msgspec.ValidationError:
                raise _Fallback from None
            except msgspec.DecodeError:
                if cut is None:
                    raise _Fallback from None
                after = cut.end()
                continue
            _decoded(data, pos, end)
            yield records
            break
        else:
            raise _Fallback
        pos = stop if cut is None else cut.end() - 1


_ROOM = 8 * MAX_WORDS + 64  # bytes of a slice's buffer past its text: "[", "]", whole words


def _offered(
    fast: Callable[[np.ndarray[Any, np.dtype[np.uint8]], int], bool],
    data: Any,
    pos: int,
    end: int,
    buffer: bytearray,
) -> bool:
    """`fast` on data[pos:end] copied into `buffer` (from its second byte on, where
    `_decode_between` puts it too); a refused slice's text is then copied again."""
    size = end - pos
    with memoryview(data) as text, memoryview(buffer) as into:
        into[1 : size + 1] = text[pos:end]
    return fast(np.frombuffer(buffer, dtype=np.uint8)[1:], size)


def _decode_between(
    decoder: msgspec.json.Decoder[Any], data: Any, pos: int, end: int, buffer: bytearray
) -> Any:
    """`decoder.decode(b"[" + data[pos:end] + b"]")` with one copy of the text (into `buffer`,
    reused from slice to slice) instead of three fresh ones."""
    size = end - pos + 2
    buffer[0], buffer[size - 1] = 0x5B, 0x5D  # [ ]
    with memoryview(data) as text, memoryview(buffer) as into:
        into[1 : size - 1] = text[pos:end]
        return decoder.decode(into[:size])


def _joined(parts: list[np.ndarray[Any, Any]], dtype: Any) -> np.ndarray[Any, Any]:
    return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)


class _CodeTable(dict[str | None, int]):
    """Name -> code, a new name getting the next code as it is first met (so one lookup per
    value, no separate pass for the distinct names)."""

    def __missing__(self, name: str | None) -> int:
        code = len(self) - 1
        self[name] = code
        return code


class _Codes:
    """Dictionary-encoding of a string column built slice by slice (codes as `_encode`'s:
    in order of first appearance, None -1)."""

    def __init__(self) -> None:
        self.code = _CodeTable({None: -1})
        self.parts: list[np.ndarray[Any, np.dtype[np.int64]]] = []

    def add(self, values: Iterator[str | None], count: int) -> None:
        self.parts.append(np.fromiter(map(self.code.__getitem__, values), np.int64, count))

    def encoded(self) -> tuple[tuple[str, ...], np.ndarray[Any, np.dtype[np.int64]]]:
        names = tuple(name for name in self.code if name is not None)
        return names, _joined(self.parts, np.int64)


class _NodeColumns:
    def __init__(self, stages: tuple[str, ...]) -> None:
        fields = [f"s{k}" for k in range(len(stages))]
        direct = msgspec.defstruct(
            "Direct",
            [(f, float, 0.0) for f in fields],
            rename=dict(zip(fields, stages, strict=True)),
            forbid_unknown_fields=True,
            gc=False,
        )
        node = msgspec.defstruct(
            "Node",
            [
                ("id", str),
                ("unit", str),
                ("direct", direct | float, 0.0),
                ("primary", bool | float, False),
                ("dqr", float | None, None),
                ("dqi", tuple[float, float, float] | None, None),
                ("category", str | None, None),
                ("allocation", _Allocation | None, None),
            ],
            gc=False,
        )
        self.decoder = msgspec.json.Decoder(list[node])  # type: ignore[valid-type]
        self.getters = [attrgetter(f) for f in fields]
        self.ids: list[str] = []
        self.units, self.categories = _Codes(), _Codes()
        self.direct: list[np.ndarray[Any, Any]] = []
        self.primary: list[np.ndarray[Any, Any]] = []
        self.dqr: list[np.ndarray[Any, Any]] = []
        self.dqi: dict[int, tuple[float, float, float]] = {}
        self.allocations: dict[int, Allocation] = {}

    def ratings(self) -> np.ndarray[Any, Any] | None:
        """(n, 3) ratings when any node has `dqi` (the others rated their `dqr`), else None."""
        if not self.dqi:
            return None
        dqr = _joined(self.dqr, np.float64)
        out = np.repeat(dqr[:, None], 3, axis=1)
        for k, d in self.dqi.items():
            out[k] = d
        return out

    def add(self, nodes: list[Any]) -> None:
        offset, n = len(self.ids), len(nodes)
        ids = list(map(_ID, nodes))
        self.ids += ids
        self.units.add(map(_UNIT, nodes), n)
        self.categories.add(map(_CATEGORY, nodes), n)
        self.direct.append(self._direct(list(map(_DIRECT, nodes))))
        self.primary.append(np.fromiter(map(_PRIMARY, nodes), np.float64, n))
        dqr = [_NAN if d is None else d for d in map(_DQR, nodes)]
        self.dqr.append(np.fromiter(dqr, np.float64, n))
        dqi, allocations = list(map(_DQI, nodes)), list(map(_ALLOCATION, nodes))
        if dqi.count(None) < n:  # a C pass; the Python loop only for slices that have some
            for k, d in enumerate(dqi, start=offset):
                if d is not None:
                    self.dqi[k] = d
        if allocations.count(None) < n:
            for k, alloc in enumerate(allocations, start=offset):
                if alloc is not None:
                    self.allocations[k] = Allocation(alloc.basis, alloc.share)

    def _direct(self, directs: list[Any]) -> np.ndarray[Any, Any]:
        out = np.empty((len(directs), len(self.getters)))
        if len(self.getters) == 1:
            values = [d if d.__class__ is float else d.s0 for d in directs]
            out[:, 0] = np.fromiter(values, np.float64, len(directs))
            return out
        try:
            for column, getter in enumerate(self.getters):
                out[:, column] = np.fromiter(map(getter, directs), np.float64, len(directs))
        except AttributeError:  # a plain number where stages need a mapping
            raise _Fallback from None
        return out


class _EdgeColumns:
    def __init__(
        self,
        table: Callable[[], IdTable],
        names: NodeNames | None = None,
        built: IdTable | None = None,
    ) -> None:
        """`table` builds the ids' string table when a slice first needs it (`built`: already
        built); `names`: the ids' bytes, for slices the scan takes."""
        self.make_table, self._table = table, built
        self.names = names
        self.provider: list[np.ndarray[Any, Any]] = []
        self.consumer: list[np.ndarray[Any, Any]] = []
        self.amount: list[np.ndarray[Any, Any]] = []
        self.units = _Codes()
        self.unit_codes = UnitCodes(self.units.code)
        self.count = 0
        self.missing: dict[str, tuple[str, int]] = {}  # role -> first unknown id, edge number

    def scan(self, text: np.ndarray[Any, np.dtype[np.uint8]], size: int) -> bool:
        """Take a slice's columns by `edgescan.scan` (edges exactly as `write_graph` writes
        them, every endpoint an id); False leaves the slice to msgspec."""
        if self.names is None:
            return False
        found = scan(text, size, self.names)
        if found is None:
            return False
        units = self.unit_codes.code(text, found.unit_start, found.unit_length)
        if units is None:
            return False
        self.provider.append(found.provider)
        self.consumer.append(found.consumer)
        self.amount.append(found.amount)
        self.units.parts.append(units)
        self.count += found.amount.shape[0]
        return True

    def add(self, edges: list[_Edge]) -> None:
        n = len(edges)
        self.provider.append(self._rows(list(map(_FROM, edges)), "edge provider", False))
        self.consumer.append(self._rows(list(map(_TO, edges)), "edge consumer", True))
        self.count += n
        self.amount.append(np.fromiter(map(_AMOUNT, edges), np.float64, n))
        self.units.add(map(_EDGE_UNIT, edges), n)

    @property
    def table(self) -> IdTable:
        if self._table is None:
            self._table = self.make_table()
        return self._table

    def _rows(self, names: list[str], role: str, grouped: bool) -> np.ndarray[Any, Any]:
        """`grouped`: names usually come in runs (consumers: a chain's edges are usually
        listed by consumer), so each run is looked up once."""
        rows = _runs(self.table, names) if grouped else self.table.find(names)
        unknown = np.flatnonzero(rows < 0)
        if unknown.size and role not in self.missing:
            k = int(unknown[0])
            self.missing[role] = (names[k], self.count + k)
        return rows

    def endpoints(self) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Provider and consumer rows, or the first unknown id as `from_columns` names it."""
        for role in ("edge provider", "edge consumer"):
            if role in self.missing:
                name, k = self.missing[role]
                raise UnknownNode(name, f"{role} of edge #{k}")
        return _joined(self.provider, np.int64), _joined(self.consumer, np.int64)


def _runs(table: IdTable, names: list[str]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Rows of names, each run of one name looked up once (a chain's edges usually come
    grouped by consumer)."""
    if len(names) < 2:
        return table.find(names)
    same = np.fromiter(map(eq, names[1:], names[:-1]), np.bool_, len(names) - 1)
    heads = np.flatnonzero(np.concatenate(([True], ~same)))
    if heads.shape[0] > len(names) // 2:
        return table.find(names)
    found = table.find(list(map(names.__getitem__, heads.tolist())))
    return np.repeat(found, np.diff(np.append(heads, len(names))))


_NAN = float("nan")
_ID, _UNIT, _DIRECT, _PRIMARY, _DQR, _CATEGORY, _ALLOCATION = map(
    attrgetter, ("id", "unit", "direct", "primary", "dqr", "category", "allocation")
)
_DQI = attrgetter("dqi")
_FROM, _TO, _AMOUNT, _EDGE_UNIT = map(attrgetter, ("provider", "consumer", "amount", "unit"))


def write_graph(graph: SupplyGraph, path: str | Path) -> None:
    """Write a graph as JSON, or as the binary .npz twin when `path` ends in .npz."""
    path = Path(path)
    if path.suffix == ".npz":
        alloc = sorted(graph.allocations.items())
        ratings: dict[str, Any] = {} if graph.ratings is None else {"ratings": graph.ratings}
        np.savez(
            path,
            format=np.array(GRAPH_FORMAT),
            ids=graph.ids,
            stages=np.array(graph.stages),
            unit_names=np.array(graph.unit_names, dtype=np.str_),
            unit_code=graph.unit_code,
            direct=graph.direct,
            primary=graph.primary,
            dqr=graph.dqr,
            **ratings,
            category_names=np.array(graph.category_names, dtype=np.str_),
            category_code=graph.category_code,
            provider=graph.provider,
            consumer=graph.consumer,
            amount=graph.amount,
            alloc_node=np.array([i for i, _ in alloc], dtype=np.int64),
            alloc_basis=np.array([a.basis for _, a in alloc], dtype=np.str_),
            alloc_share=np.array([a.share for _, a in alloc], dtype=np.float64),
        )
        return
    path.write_bytes(orjson.dumps(graph_document(graph)))


def graph_document(graph: SupplyGraph) -> dict[str, Any]:
    """The JSON document of a graph (amounts in each provider's declared unit)."""
    ids = graph.ids.tolist()
    units = [graph.unit_names[c] for c in graph.unit_code.tolist()]
    cats = graph.category_code.tolist()
    nodes: list[dict[str, Any]] = []
    for i, row in enumerate(graph.direct.tolist()):
        node: dict[str, Any] = {"id": ids[i], "unit": units[i]}
        node["direct"] = dict(zip(graph.stages, row, strict=True))
        share = float(graph.primary[i])
        node["primary"] = share if 0.0 < share < 1.0 else bool(share)
        if not np.isnan(graph.dqr[i]):
            node["dqr"] = float(graph.dqr[i])
        if graph.ratings is not None and not np.isnan(graph.ratings[i]).any():
            node["dqi"] = [float(v) for v in graph.ratings[i]]
        if cats[i] >= 0:
            node["category"] = graph.category_names[cats[i]]
        if i in graph.allocations:
            alloc = graph.allocations[i]
            node["allocation"] = {"basis": alloc.basis, "share": alloc.share}
        nodes.append(node)
    edges = [
        {"from": ids[p], "to": ids[c], "amount": a, "unit": units[p]}
        for p, c, a in zip(
            graph.provider.tolist(), graph.consumer.tolist(), graph.amount.tolist(), strict=True
        )
    ]
    return {"format": GRAPH_FORMAT, "stages": list(graph.stages), "nodes": nodes, "edges": edges}


def _load_npz(path: Path) -> SupplyGraph:
    with np.load(path, allow_pickle=False) as z:
        if str(z["format"]) != GRAPH_FORMAT:
            raise GraphFormatError(f"{path}: not a {GRAPH_FORMAT} .npz file")
        n = z["ids"].shape[0]
        provider, consumer, amount = z["provider"], z["consumer"], z["amount"]
        for name, idx in (("provider", provider), ("consumer", consumer)):
            if idx.size and (idx.min() < 0 or idx.max() >= n):
                raise GraphFormatError(f"{path}: edge {name} index out of range")
        if not (np.isfinite(amount).all() and (amount >= 0).all()):
            raise GraphFormatError(f"{path}: edge amounts must be finite and >= 0")
        allocations = {
            int(i): Allocation(str(b), float(s))
            for i, b, s in zip(z["alloc_node"], z["alloc_basis"], z["alloc_share"], strict=True)
        }
        return SupplyGraph(
            ids=z["ids"],
            stages=tuple(z["stages"].tolist()),
            unit_names=tuple(z["unit_names"].tolist()),
            unit_code=z["unit_code"],
            direct=z["direct"],
            primary=np.asarray(z["primary"], dtype=np.float64),
            dqr=z["dqr"],
            ratings=z["ratings"] if "ratings" in z.files else None,
            category_names=tuple(z["category_names"].tolist()),
            category_code=z["category_code"],
            provider=provider,
            consumer=consumer,
            amount=amount,
            allocations=allocations,
        )


def write_result(result: RollupResult, path: str | Path) -> None:
    """Write `tanlian.rollup/1`: one entry per node; `dqr` left out where it is undefined.

    Numbers are formatted by orjson a whole column at a time (numpy arrays), the ids as one
    list, and a whole chunk of rows is one bytes %-format of a repeated row template over the
    interleaved fields: no per-row Python work at all."""
    head = orjson.dumps({"format": RESULT_FORMAT, "stages": list(result.stages)})
    keys = [orjson.dumps(stage) + b":%b" for stage in result.stages]
    row = b'{"id":"%b","total":%b,"by_stage":{' + b",".join(keys) + b'},"primary_data_share":%b%b'
    with Path(path).open("wb") as out:
        out.write(head[:-1] + b',"results":[')
        for start in range(0, result.ids.shape[0], _CHUNK):
            if start:
                out.write(b",")
            out.write(_result_chunk(result, row, start, start + _CHUNK))
        out.write(b"]}")


def _numbers(values: np.ndarray[Any, Any]) -> list[bytes]:
    """JSON numbers of a float column, as orjson writes them (NaN becomes null)."""
    text: bytes = orjson.dumps(np.ascontiguousarray(values), option=orjson.OPT_SERIALIZE_NUMPY)
    return text[1:-1].split(b",") if values.shape[0] else []


def _strings(values: list[str]) -> list[bytes]:
    """The JSON string bodies (between the quotes) of `values`, as orjson writes them.

    One document for the whole list, cut at its `","` separators: inside an encoded string a
    quote is always escaped (`\\"`), so that sequence only ever separates two elements."""
    if not values:
        return []
    return orjson.dumps(values)[2:-2].split(b'","')


def _result_chunk(result: RollupResult, row: bytes, start: int, stop: int) -> bytes:
    by_stage = result.by_stage[start:stop]
    columns = [_strings(result.ids[start:stop].tolist()), _numbers(row_sums(by_stage))]
    columns += [_numbers(by_stage[:, c]) for c in range(by_stage.shape[1])]
    columns.append(_numbers(result.primary_data_share[start:stop]))
    dqr = result.dqr[start:stop]
    rated = ~np.isnan(dqr)
    ends = np.full(dqr.shape[0], b"}", dtype=object)
    ends[rated] = list(map(b',"dqr":%b}'.__mod__, _numbers(dqr[rated])))
    columns.append(ends.tolist())
    width, count = len(columns), dqr.shape[0]
    fields: list[bytes] = [b""] * (width * count)
    for k, column in enumerate(columns):
        fields[k::width] = column
    return b",".join([row] * count) % tuple(fields)
