"""Command line: `python -m supply_graph rollup|contributions` (docs/specs/supply-graph-file.md).

Errors in the graph exit with status 2 and one line naming the nodes or edge at fault.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import sys
import time
from collections.abc import Sequence

import orjson

from supply_graph.errors import SupplyGraphError
from supply_graph.explain import contributions
from supply_graph.fileformat import load_graph, write_result
from supply_graph.rollup import rollup

EXIT_GRAPH_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "rollup":
            return _rollup(args.graph, args.out, args.timings)
        return _contributions(args.graph, args.product, args.top)
    except SupplyGraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"error: cannot read or write {exc.filename}: {exc.strerror}", file=sys.stderr)
    return EXIT_GRAPH_ERROR


def tune_process() -> None:
    """Memory settings for the command line's own process (a library caller keeps its own).

    A JSON run fills many large arrays once each and frees them. numpy's default asks the
    kernel for 2 MiB pages, which it zeroes (and often first compacts) at each fault; glibc's
    default gives blocks over its adaptive threshold back to the kernel when freed and hands
    the heap's top back past another, so the next array faults its pages in again. A 1M-node
    run spent 1.0-1.9 s in the kernel; with ordinary pages, blocks up to 32 MiB from the heap
    and no trimming, 0.6-0.8 s, and its peak is no higher (bench/RESULTS.md, ninth round)."""
    with contextlib.suppress(ImportError):  # numpy's private switch; a later numpy may move it
        from numpy._core import multiarray

        setter = getattr(multiarray, "_set_madvise_hugepage", None)
        if setter is not None:
            setter(False)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            mallopt = ctypes.CDLL(None).mallopt  # glibc's; absent from some other C libraries
            mallopt(_M_MMAP_THRESHOLD, 32 << 20)  # glibc's largest
            mallopt(_M_TRIM_THRESHOLD, (1 << 31) - 1)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters (malloc.h)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m supply_graph", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    roll = commands.add_parser("rollup", help="footprint of every node, by stage, with quality")
    roll.add_argument("graph", help="graph file (tanlian.supply-graph/1 JSON, or its .npz twin)")
    roll.add_argument("--out", required=True, help="result file (tanlian.rollup/1 JSON)")
    roll.add_argument("--timings", action="store_true", help="print timings as JSON to stderr")
    contrib = commands.add_parser("contributions", help="largest contributors to one product")
    contrib.add_argument("graph")
    contrib.add_argument("--product", required=True, help="node id of the product")
    contrib.add_argument("--top", type=int, default=10, help="how many nodes to list (10)")
    return parser


def _rollup(graph_path: str, out: str, timings: bool) -> int:
    t0 = time.perf_counter()
    graph = load_graph(graph_path)
    t1 = time.perf_counter()
    result = rollup(graph)
    t2 = time.perf_counter()
    write_result(result, out)
    t3 = time.perf_counter()
    if timings:
        line = {
            "load_s": round(t1 - t0, 4),
            "solve_s": round(t2 - t1, 4),
            "write_s": round(t3 - t2, 4),
            "nodes": graph.n_nodes,
            "edges": graph.n_edges,
        }
        print(orjson.dumps(line).decode(), file=sys.stderr)
    return 0


def _contributions(graph_path: str, product: str, top: int) -> int:
    graph = load_graph(graph_path)
    result = rollup(graph)
    found = contributions(graph, result, product)
    unit = graph.unit_of(product)
    print(f"{product}: {found.total:.6g} kg CO2e per {unit}")
    shown, other = found.top(max(top, 0))
    for rank, part in enumerate(shown, start=1):
        share = _share(part.contribution, found.total)
        print(f"{rank:>4}  {share}  {part.contribution:12.6g}  {part.id}")
    rest = len(found.by_node) - len(shown)
    if rest:
        print(f"{'':>4}  {_share(other, found.total)}  {other:12.6g}  other ({rest} nodes)")
    return 0


def _share(value: float, total: float) -> str:
    return f"{100 * value / total:6.2f}%" if total else "     -%"
