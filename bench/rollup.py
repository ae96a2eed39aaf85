"""Roll-up benchmark: supply_graph against a networkx recursion, Brightway (bw2calc) and a plain
scipy splu reference, on the same synthetic graphs; load, solve and write timed separately, each
engine in its own subprocess so that its peak memory (ru_maxrss) is its own.

    python bench/rollup.py [--sizes 10000 100000 1000000] [--loop] [--shuffle] [--skip-json-above N]

`--shuffle`: the same graphs with nodes and edges listed in random order (see bench/generate.py).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
NETWORKX_LIMIT = 100_000
PRODUCT = "vehicle-0"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _save(name: str, graph_path: Path, totals: np.ndarray) -> None:
    np.save(OUT / f"totals-{graph_path.stem}-{name}.npy", totals)


def engine_ours(graph_path: Path) -> dict[str, Any]:
    from supply_graph import load_graph, rollup, write_result

    t0 = time.perf_counter()
    graph = load_graph(graph_path)
    t1, c1 = time.perf_counter(), time.process_time()
    result = rollup(graph)
    t2, c2 = time.perf_counter(), time.process_time()
    write_result(result, OUT / f"result-{graph_path.stem}.json")
    t3 = time.perf_counter()
    _save("ours", graph_path, result.total)
    return {
        "load_s": t1 - t0,
        "solve_s": t2 - t1,
        "solve_cpu_s": c2 - c1,
        "write_s": t3 - t2,
        "columns": 7,
    }


def engine_ours_numpy(graph_path: Path) -> dict[str, Any]:
    """`ours-npz` without the compiled kernel (`supply_graph.native`): the numpy path, for
    paired comparisons on the same machine."""
    from supply_graph import native

    native.KERNEL = None
    return engine_ours(graph_path)


def engine_ours_warm(graph_path: Path) -> dict[str, Any]:
    """Cold roll-up of a freshly loaded graph in a process that has done one before (a worker):
    nothing of the graph is cached; imports, first-call set-up and the allocator are warm."""
    from supply_graph import load_graph, rollup

    rollup(load_graph(graph_path))
    times = []
    for _ in range(7):
        graph = load_graph(graph_path)
        t0 = time.perf_counter()
        rollup(graph)
        times.append(time.perf_counter() - t0)
        del graph
    return {
        "solve_s": float(np.median(times)),
        "solve_min_s": min(times),
        "solve_max_s": max(times),
        "columns": 7,
    }


# The platform's boundary sets (config/rules [stage_model]): battery plants, vehicle plants.
BOUNDARY_SETS = ({"cell", "module", "pack"}, {"vehicle"})


def engine_ours_boundary(graph_path: Path) -> dict[str, Any]:
    """`ours-npz` with the two boundary columns the platform solves (a rule's main-production
    stage): building the columns and the roll-up of 7 + 2 right-hand sides, cold."""
    from supply_graph import boundary_members, load_graph, rollup

    graph = load_graph(graph_path)
    t1, c1 = time.perf_counter(), time.process_time()
    columns = boundary_members(graph, BOUNDARY_SETS)
    result = rollup(graph, boundaries=columns)
    t2, c2 = time.perf_counter(), time.process_time()
    assert result.boundary is not None
    return {"solve_s": t2 - t1, "solve_cpu_s": c2 - c1, "columns": 9}


def engine_splu(graph_path: Path) -> dict[str, Any]:
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    from supply_graph import build_plan, load_graph
    from supply_graph.quality import right_hand_sides

    t0 = time.perf_counter()
    graph = load_graph(graph_path)
    a = graph.technosphere
    rhs = right_hand_sides(graph)
    t1 = time.perf_counter()
    order = build_plan(a).order  # topological (level) order, as the reference needs one
    t2 = time.perf_counter()
    position = np.empty_like(order)
    position[order] = np.arange(order.size)
    m = sp.identity(a.shape[0], format="csr") - sp.csr_matrix(a.T.tocsr())
    permuted = sp.csc_matrix(m[order][:, order])
    lu = spla.splu(permuted, permc_spec="NATURAL", diag_pivot_thresh=0.0)
    t3 = time.perf_counter()
    solved = lu.solve(np.ascontiguousarray(rhs[order]))[position]
    t4 = time.perf_counter()
    _save("splu", graph_path, solved[:, :4].sum(axis=1))
    return {
        "load_s": t1 - t0,
        "order_s": t2 - t1,
        "factor_s": t3 - t2,
        "substitute_s": t4 - t3,
        "solve_s": t4 - t1,
        "columns": 7,
    }


def engine_splu_json(graph_path: Path) -> dict[str, Any]:
    """The scipy reference's whole JSON run, written as a scipy user would: the standard
    library's json, columns by Python loops, pint once per distinct unit pair, I − Aᵀ in a
    topological order factorised by SuperLU (as `splu`), the same 7 columns, and the result
    file (tanlian.rollup/1) written by json.dump. Shares nothing with our reader or writer."""
    import json as std_json

    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    from supply_graph.units import conversion_factor

    t0 = time.perf_counter()
    with graph_path.open("rb") as f:
        doc = std_json.load(f)
    stages = doc["stages"]
    nodes, edges = doc["nodes"], doc["edges"]
    n = len(nodes)
    index = {node["id"]: i for i, node in enumerate(nodes)}
    rhs = np.zeros((n, len(stages) + 3))
    for i, node in enumerate(nodes):
        for s, stage in enumerate(stages):
            rhs[i, s] = node["direct"].get(stage, 0.0)
    own = rhs[:, : len(stages)].sum(axis=1)
    dqr = np.array([node.get("dqr", np.nan) for node in nodes], dtype=float)
    rhs[:, -3] = own * np.array([node.get("primary", False) for node in nodes])
    rhs[:, -2] = np.where(np.isnan(dqr), 0.0, own * dqr)
    rhs[:, -1] = np.where(np.isnan(dqr), 0.0, own)
    unit = [node["unit"] for node in nodes]
    provider = np.array([index[e["from"]] for e in edges])
    consumer = np.array([index[e["to"]] for e in edges])
    amount = np.array(
        [e["amount"] * conversion_factor(e["unit"], unit[index[e["from"]]]) for e in edges]
    )
    ids = [node["id"] for node in nodes]
    del doc, nodes, edges
    t1 = time.perf_counter()
    at = sp.csr_matrix((amount, (consumer, provider)), shape=(n, n))
    order = _topological_order(at)
    position = np.empty_like(order)
    position[order] = np.arange(n)
    m = sp.csc_matrix((sp.identity(n, format="csr") - at)[order][:, order])
    lu = spla.splu(m, permc_spec="NATURAL", diag_pivot_thresh=0.0)
    solved = lu.solve(np.ascontiguousarray(rhs[order]))[position]
    t2 = time.perf_counter()
    total = solved[:, : len(stages)].sum(axis=1)
    results = []
    for i in range(n):
        row = {
            "id": ids[i],
            "total": float(total[i]),
            "by_stage": dict(zip(stages, solved[i, : len(stages)].tolist(), strict=True)),
            "primary_data_share": float(solved[i, -3] / total[i]) if total[i] else 0.0,
        }
        if solved[i, -1] > 0:
            row["dqr"] = float(solved[i, -2] / solved[i, -1])
        results.append(row)
    with (OUT / f"result-{graph_path.stem}-splu.json").open("w") as out:
        std_json.dump({"format": "tanlian.rollup/1", "stages": stages, "results": results}, out)
    t3 = time.perf_counter()
    _save("splu-json", graph_path, total)
    return {"load_s": t1 - t0, "solve_s": t2 - t1, "write_s": t3 - t2, "columns": 7}


def _topological_order(at: Any) -> np.ndarray:
    """Kahn's order on Aᵀ (row j lists j's providers), one numpy step per level."""
    a = at.T.tocsr()
    indegree = np.diff(at.indptr).astype(np.int64)
    frontier = np.flatnonzero(indegree == 0)
    order = []
    while frontier.size:
        order.append(frontier)
        starts, stops = a.indptr[frontier], a.indptr[frontier + 1]
        targets = np.concatenate([a.indices[s:e] for s, e in zip(starts, stops, strict=True)])
        np.subtract.at(indegree, targets, 1)
        frontier = np.unique(targets[indegree[targets] == 0])
    return np.concatenate(order)


def engine_networkx(graph_path: Path) -> dict[str, Any]:
    """A newcomer's roll-up: networkx graph, memoised recursion over predecessors."""
    import networkx as nx

    from supply_graph import load_graph

    t0 = time.perf_counter()
    g = load_graph(graph_path)
    graph = nx.DiGraph()
    ids = g.ids.tolist()
    for i, row in enumerate(g.direct):
        graph.add_node(ids[i], direct=row)
    for p, c, a in zip(g.provider.tolist(), g.consumer.tolist(), g.amount.tolist(), strict=True):
        if graph.has_edge(ids[p], ids[c]):
            graph[ids[p]][ids[c]]["amount"] += a
        else:
            graph.add_edge(ids[p], ids[c], amount=a)
    t1, c1 = time.perf_counter(), time.process_time()
    sys.setrecursionlimit(100_000)
    memo: dict[str, np.ndarray] = {}

    def footprint(node: str) -> np.ndarray:
        if node not in memo:
            total = graph.nodes[node]["direct"].copy()
            for provider in graph.predecessors(node):
                total += graph[provider][node]["amount"] * footprint(provider)
            memo[node] = total
        return memo[node]

    totals = np.array([footprint(n).sum() for n in ids])
    t2, c2 = time.perf_counter(), time.process_time()
    _save("networkx", graph_path, totals)
    return {"load_s": t1 - t0, "solve_s": t2 - t1, "solve_cpu_s": c2 - c1, "columns": 4}


def engine_bw2calc(graph_path: Path, pardiso: bool) -> dict[str, Any]:
    """Brightway 2.5 (bw2calc 3) on the same matrix: technosphere I − A, biosphere one flow
    (each node's own total), characterisation 1; one demand (PRODUCT) = one column."""
    import warnings

    warnings.filterwarnings("ignore")
    if not pardiso:
        sys.modules["pypardiso"] = None  # type: ignore[assignment]  # force scipy's spsolve
    import bw2calc
    import bw_processing as bwp

    from supply_graph import load_graph

    t0 = time.perf_counter()
    g = load_graph(graph_path)
    n = g.n_nodes
    a = g.technosphere.tocoo()
    dp = bwp.create_datapackage()
    idx = np.zeros(n + a.nnz, dtype=bwp.INDICES_DTYPE)
    idx["row"] = np.concatenate([np.arange(n), a.row])
    idx["col"] = np.concatenate([np.arange(n), a.col])
    flip = np.concatenate([np.zeros(n, bool), np.ones(a.nnz, bool)])
    data = np.concatenate([np.ones(n), a.data])
    dp.add_persistent_vector(
        matrix="technosphere_matrix", indices_array=idx, data_array=data, flip_array=flip, name="t"
    )
    bidx = np.zeros(n, dtype=bwp.INDICES_DTYPE)
    bidx["row"] = n + 1
    bidx["col"] = np.arange(n)
    dp.add_persistent_vector(
        matrix="biosphere_matrix", indices_array=bidx, data_array=g.direct.sum(axis=1), name="b"
    )
    cidx = np.zeros(1, dtype=bwp.INDICES_DTYPE)
    cidx["row"], cidx["col"] = n + 1, 0
    dp.add_persistent_vector(
        matrix="characterization_matrix",
        indices_array=cidx,
        data_array=np.ones(1),
        global_index=0,
        name="c",
    )
    product = g.index[PRODUCT]
    lca = bw2calc.LCA({product: 1}, data_objs=[dp])
    lca.load_lci_data()
    lca.load_lcia_data()
    t1 = time.perf_counter()
    lca.build_demand_array()
    lca.lci_calculation()
    lca.lcia_calculation()
    t2 = time.perf_counter()
    np.save(OUT / f"bw-{graph_path.stem}-{'pardiso' if pardiso else 'scipy'}.npy", lca.score)
    return {
        "load_s": t1 - t0,
        "solve_s": t2 - t1,
        "columns": 1,
        "solver": "pypardiso" if bw2calc.PYPARDISO else "scipy spsolve (SuperLU)",
        "score": float(lca.score),
    }


def engine_update(graph_path: Path) -> dict[str, Any]:
    """One supplier's change reflected in one OEM product (Updater), and an edge change."""
    from supply_graph import Updater, load_graph

    g = load_graph(graph_path)
    t0 = time.perf_counter()
    updater = Updater(g, [PRODUCT])
    t1 = time.perf_counter()
    rng = np.random.default_rng(0)
    ores = [i for i in g.ids[: min(g.n_nodes, 200_000)].tolist() if i.startswith("concentrate")]
    times = []
    for node in rng.choice(ores, 1000).tolist():
        s = time.perf_counter()
        updater.set_direct(node, {"production": float(rng.uniform(0, 2))})
        updater.footprint(PRODUCT)
        times.append(time.perf_counter() - s)
    into = np.flatnonzero(g.consumer == g.index[PRODUCT]).tolist()
    edge_times = []
    for step in range(40):  # the product's own inputs, changed again and again
        k = into[step % len(into)]
        s = time.perf_counter()
        factor = 1.0 + 0.01 * (step + 1)
        updater.set_amount(str(g.ids[g.provider[k]]), PRODUCT, float(g.amount[k]) * factor)
        updater.footprint(PRODUCT)
        edge_times.append(time.perf_counter() - s)
    deep_times = []  # edges anywhere (mostly deep upstream of the product)
    for k in rng.choice(g.n_edges, 20, replace=False).tolist():
        provider, consumer = str(g.ids[g.provider[k]]), str(g.ids[g.consumer[k]])
        s = time.perf_counter()
        updater.set_amount(provider, consumer, float(g.amount[k]) * 0.9)
        updater.footprint(PRODUCT)
        deep_times.append(time.perf_counter() - s)
    fast = updater.footprint(PRODUCT).total
    full = updater.result()[PRODUCT].total
    return {
        "watch_s": t1 - t0,
        "direct_update_median_ms": 1e3 * float(np.median(times)),
        "direct_update_p99_ms": 1e3 * float(np.percentile(times, 99)),
        "edge_update_median_ms": 1e3 * float(np.median(edge_times)),
        "edge_update_max_ms": 1e3 * float(np.max(edge_times)),
        "edge_update_deep_median_ms": 1e3 * float(np.median(deep_times)),
        "edge_update_deep_max_ms": 1e3 * float(np.max(deep_times)),
        "edge_changes": len(edge_times) + len(deep_times),
        "agree_rel": abs(fast - full) / abs(full),
    }


ENGINES = {
    "ours-json": lambda p: engine_ours(p.with_suffix(".json")),
    "ours-npz": lambda p: engine_ours(p.with_suffix(".npz")),
    "ours-numpy": lambda p: engine_ours_numpy(p.with_suffix(".npz")),
    "ours-warm": lambda p: engine_ours_warm(p.with_suffix(".npz")),
    "ours-boundary": lambda p: engine_ours_boundary(p.with_suffix(".npz")),
    "splu": lambda p: engine_splu(p.with_suffix(".npz")),
    "splu-json": lambda p: engine_splu_json(p.with_suffix(".json")),
    "networkx": lambda p: engine_networkx(p.with_suffix(".npz")),
    "bw2calc-pardiso": lambda p: engine_bw2calc(p.with_suffix(".npz"), pardiso=True),
    "bw2calc-scipy": lambda p: engine_bw2calc(p.with_suffix(".npz"), pardiso=False),
    "update": lambda p: engine_update(p.with_suffix(".npz")),
}


def run_engine(name: str, graph: Path, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--engine", name, str(graph)]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"engine": name, "timeout_s": timeout}
    if run.returncode:
        return {"engine": name, "error": run.stderr.strip().splitlines()[-1:]}
    return {"engine": name, **json.loads(run.stdout.strip().splitlines()[-1])}


def bench_size(
    n: int, loop: bool, skip_json_above: int, timeout: float, engines: list[str], shuffle: bool
) -> list[dict[str, Any]]:
    stem = f"g{n}{'-loop' if loop else ''}{'-shuffled' if shuffle else ''}"
    graph = OUT / f"{stem}.json"
    if not graph.exists():
        cmd = [sys.executable, str(ROOT / "bench" / "generate.py"), str(n), str(graph)]
        flags = (["--loop"] if loop else []) + (["--shuffle"] if shuffle else [])
        subprocess.run([*cmd, *flags], check=True)
    rows = []
    for name in engines:
        if name == "networkx" and n > NETWORKX_LIMIT:
            rows.append({"engine": name, "skipped": f"n > {NETWORKX_LIMIT}"})
            continue
        if name == "ours-json" and n > skip_json_above:
            rows.append({"engine": name, "skipped": f"n > {skip_json_above}"})
            continue
        rows.append(run_engine(name, graph, timeout))
        print(json.dumps({"n": n, **rows[-1]}), flush=True)
    rows.append({"engine": "agreement", **_agreement(stem)})
    print(json.dumps({"n": n, **rows[-1]}), flush=True)
    return rows


def _agreement(stem: str) -> dict[str, Any]:
    """Max relative difference of every engine's totals against ours (bw: one product)."""
    if not (OUT / f"totals-{stem}-ours.npy").exists():
        return {}
    ours = np.load(OUT / f"totals-{stem}-ours.npy")
    out: dict[str, Any] = {}
    for other in ("splu", "splu-json", "networkx"):
        path = OUT / f"totals-{stem}-{other}.npy"
        if path.exists():
            out[other] = float(np.max(np.abs(np.load(path) - ours) / np.abs(ours)))
    from supply_graph import load_graph

    product = load_graph(OUT / f"{stem}.npz").index[PRODUCT]
    for solver in ("pardiso", "scipy"):
        path = OUT / f"bw-{stem}-{solver}.npy"
        if path.exists():
            out[f"bw2calc-{solver}"] = float(abs(np.load(path) - ours[product]) / ours[product])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=sorted(ENGINES))
    parser.add_argument("graph", nargs="?", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--loop", action="store_true")
    parser.add_argument("--shuffle", action="store_true", help="nodes and edges in random order")
    parser.add_argument("--skip-json-above", type=int, default=10**9)
    parser.add_argument("--timeout", type=float, default=900.0, help="per engine run, seconds")
    parser.add_argument("--engines", nargs="+", choices=sorted(ENGINES), default=list(ENGINES))
    args = parser.parse_args()
    if args.engine:
        stats = ENGINES[args.engine](args.graph)
        print(json.dumps({**stats, "peak_mib": round(_peak_mib(), 1), "pid": os.getpid()}))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    results = {
        n: bench_size(n, args.loop, args.skip_json_above, args.timeout, args.engines, args.shuffle)
        for n in args.sizes
    }
    tag = ("-loop" if args.loop else "") + ("-shuffled" if args.shuffle else "")
    tag += "-" + "-".join(str(n) for n in args.sizes)
    (OUT / f"bench{tag}.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
