"""The `tanlian.supply-graph/1` file (JSON, and a binary .npz twin for large graphs) and the
`tanlian.rollup/1` result file. The only module of the engine that touches files.

JSON is parsed with orjson and turned into columns with list comprehensions (no per-node objects);
a graph of a million nodes parses into several GiB of Python dicts, so `write_graph(g, "x.npz")`
stores the same validated columns in numpy's uncompressed .npz, which loads in well under a second.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import methodcaller
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from supply_graph.errors import GraphFormatError
from supply_graph.model import DEFAULT_STAGE, Allocation, SupplyGraph, direct_matrix
from supply_graph.quality import row_sums
from supply_graph.rollup import RollupResult

GRAPH_FORMAT = "tanlian.supply-graph/1"
RESULT_FORMAT = "tanlian.rollup/1"
_CHUNK = 65536


def load_graph(path: str | Path) -> SupplyGraph:
    """Read a graph file: `.npz` (binary twin) or JSON in the `tanlian.supply-graph/1` format."""
    path = Path(path)
    if path.suffix == ".npz":
        return _load_npz(path)
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise GraphFormatError(f"{path}: not valid JSON ({exc})") from None
    return graph_from_document(document)


def graph_from_document(document: Any) -> SupplyGraph:
    """Build a graph from the parsed JSON document (see docs/specs/graph-format.md)."""
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
        primary=[bool(n.get("primary", False)) for n in nodes],
        dqr=[n.get("dqr") for n in nodes],
        categories=[n.get("category") for n in nodes],
        allocations=_allocations(nodes),
        edge_from=edge_from,
        edge_to=edge_to,
        edge_amount=amounts,
        edge_unit=[e.get("unit") for e in edges],
    )


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


def write_graph(graph: SupplyGraph, path: str | Path) -> None:
    """Write a graph as JSON, or as the binary .npz twin when `path` ends in .npz."""
    path = Path(path)
    if path.suffix == ".npz":
        alloc = sorted(graph.allocations.items())
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
        node["primary"] = bool(graph.primary[i])
        if not np.isnan(graph.dqr[i]):
            node["dqr"] = float(graph.dqr[i])
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
            primary=z["primary"],
            dqr=z["dqr"],
            category_names=tuple(z["category_names"].tolist()),
            category_code=z["category_code"],
            provider=provider,
            consumer=consumer,
            amount=amount,
            allocations=allocations,
        )


def write_result(result: RollupResult, path: str | Path) -> None:
    """Write `tanlian.rollup/1`: one entry per node; `dqr` left out where it is undefined.

    Numbers are formatted by orjson a whole column at a time (numpy arrays), ids one by one,
    and every row is one bytes %-format: no per-node dicts."""
    head = orjson.dumps({"format": RESULT_FORMAT, "stages": list(result.stages)})
    keys = [orjson.dumps(stage) + b":%b" for stage in result.stages]
    row = b'{"id":%b,"total":%b,"by_stage":{' + b",".join(keys) + b'},"primary_data_share":%b'
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


def _result_chunk(result: RollupResult, row: bytes, start: int, stop: int) -> bytes:
    by_stage = result.by_stage[start:stop]
    columns = [_numbers(row_sums(by_stage))]
    columns += [_numbers(by_stage[:, c]) for c in range(by_stage.shape[1])]
    columns.append(_numbers(result.primary_data_share[start:stop]))
    fields = zip(map(orjson.dumps, result.ids[start:stop].tolist()), *columns, strict=True)
    dqr = _numbers(result.dqr[start:stop])
    return b",".join(
        row % f + (b"}" if d == b"null" else b',"dqr":' + d + b"}")
        for f, d in zip(fields, dqr, strict=True)
    )
