"""Deterministic synthetic battery/vehicle supply chain of N nodes in the graph format.

    python bench/generate.py N OUT.json [--loop] [--seed S] [--shuffle]

Tiers run from mines to vehicles; each tier has many competing suppliers and every consumer
picks 3–8 inputs among them (so upstream is shared), plus regional grid electricity (kWh, some
edges in MJ) and transport (t*km, some edges in kg*km). `--loop` adds closed-loop recycling:
recyclers take scrap cells and return material to a cathode maker of the same cell. Writes
OUT.json and, next to it, its binary twin OUT.npz (same graph, see supply_graph.fileformat).

Nodes come out tier by tier, upstream first, as a chain is usually listed; the engine notices
that order and needs no plan. `--shuffle` lists the same graph's nodes and edges in a random
order instead, which makes the engine compute the order itself (the general case).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from supply_graph import SupplyGraph, write_graph
from supply_graph.fileformat import GRAPH_FORMAT

STAGES = ("raw_material", "production", "distribution", "end_of_life")
# (name, share of N, declared unit, stage of its direct emissions, typical direct, input tiers)
TIERS = (
    ("grid", 0.0005, "kWh", 1, 0.6, ()),
    ("truck", 0.0005, "t*km", 2, 0.1, ()),
    ("ore", 0.08, "kg", 0, 0.3, ()),
    ("concentrate", 0.10, "kg", 1, 0.5, ("ore",)),
    ("salt", 0.12, "kg", 1, 2.0, ("concentrate",)),
    ("chemical", 0.05, "kg", 1, 1.2, ("concentrate",)),
    ("precursor", 0.10, "kg", 1, 0.3, ("salt", "chemical")),
    ("cathode", 0.10, "kg", 1, 0.2, ("precursor", "salt")),
    ("component", 0.15, "kg", 1, 1.0, ("chemical", "salt")),
    ("cell", 0.10, "kWh", 1, 0.5, ("cathode", "component")),
    ("module", 0.08, "piece", 1, 2.0, ("cell", "component")),
    ("pack", 0.06, "piece", 1, 10.0, ("module", "component")),
    ("vehicle", 0.0590, "piece", 1, 3000.0, ("pack", "component")),
)
AMOUNT = {"kg": (0.05, 1.5), "kWh": (2.0, 8.0), "piece": (1.0, 12.0)}


def tier_sizes(n: int) -> list[int]:
    sizes = [max(2, int(share * n)) for _, share, *_ in TIERS]
    sizes[TIERS.index(next(t for t in TIERS if t[0] == "component"))] += n - sum(sizes)
    return sizes


def generate(n: int, seed: int, loop: bool) -> SupplyGraph:
    """The graph as columns; every random choice comes from one seeded generator."""
    rng = np.random.default_rng(seed)
    sizes = tier_sizes(n)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    span = {t[0]: (int(starts[k]), int(starts[k + 1])) for k, t in enumerate(TIERS)}
    ids, units, direct = [], [], np.zeros((n, len(STAGES)))
    for k, (name, _, unit, stage, typical, _) in enumerate(TIERS):
        lo, hi = span[name]
        ids += [f"{name}-{i}" for i in range(hi - lo)]
        units += [unit] * (hi - lo)
        direct[lo:hi, stage] = typical * rng.uniform(0.5, 1.5, hi - lo)
        if name == "vehicle":
            direct[lo:hi, 3] = rng.uniform(50, 150, hi - lo)  # end of life
        del k
    src, dst, amount, edge_unit = [], [], [], []
    for name, _, _, _, _, inputs in TIERS:
        if not inputs:
            continue
        lo, hi = span[name]
        consumers = np.arange(lo, hi)
        count = rng.integers(3, 9, hi - lo)  # 3–8 inputs, two of them power and transport
        for provider_tier, c, role in _inputs(name, consumers, count, inputs):
            p_lo, p_hi = span[provider_tier]
            providers = rng.integers(p_lo, p_hi, c.size)
            unit = TIERS[[t[0] for t in TIERS].index(provider_tier)][2]
            low, high = AMOUNT.get(unit, (0.01, 0.5)) if role == "material" else _service(unit)
            src.append(providers)
            dst.append(c)
            amount.append(rng.uniform(low, high, c.size))
            edge_unit.append(np.full(c.size, unit, dtype=object))
    s, d, a, u = (np.concatenate(x) for x in (src, dst, amount, edge_unit))
    a, u = _vary_units(rng, a, u)
    if loop:
        s, d, a, u = _recycling(rng, span, s, d, a, u)
    return SupplyGraph.from_columns(
        ids=ids,
        units=units,
        direct=direct,
        stages=STAGES,
        primary=rng.random(n) < 0.4,
        dqr=np.where(rng.random(n) < 0.7, rng.uniform(1, 5, n), np.nan),
        categories=[i.split("-")[0] for i in ids],
        edge_from=[ids[i] for i in s.tolist()],
        edge_to=[ids[i] for i in d.tolist()],
        edge_amount=a,
        edge_unit=u.tolist(),
    )


def _inputs(name: str, consumers: np.ndarray, count: np.ndarray, inputs: tuple[str, ...]):
    """(provider tier, consumer rows, role) groups: power, transport, then materials."""
    yield "grid", consumers, "service"
    yield "truck", consumers, "service"
    materials = count - 2
    rows = np.repeat(consumers, materials)
    slot = np.concatenate([np.arange(m) for m in materials.tolist()]) if rows.size else rows
    for k, tier in enumerate(inputs):
        pick = rows[slot % len(inputs) == k]
        if pick.size:
            yield tier, pick, "material"
    del name


def _service(unit: str) -> tuple[float, float]:
    return (1.0, 30.0) if unit == "kWh" else (0.01, 0.5)


def _vary_units(rng: np.random.Generator, a: np.ndarray, u: np.ndarray):
    """Write some amounts in other units so that conversion is exercised: g, MJ, kg*km."""
    for unit, other, factor in (("kg", "g", 1000.0), ("kWh", "MJ", 3.6), ("t*km", "kg*km", 1e3)):
        hit = (u == unit) & (rng.random(u.size) < 0.2)
        a[hit] *= factor
        u[hit] = other
    return a, u


def _recycling(rng, span, s, d, a, u):
    """Recyclers: scrap cell (kWh) -> recycler -> cathode maker that supplies that cell."""
    cells_lo, cells_hi = span["cell"]
    c_lo, c_hi = span["cathode"]
    extra = []
    into_cell = np.flatnonzero((d >= cells_lo) & (d < cells_hi) & (s >= c_lo) & (s < c_hi))
    for k in rng.choice(into_cell, size=min(50, into_cell.size), replace=False).tolist():
        recycler = int(rng.integers(span["chemical"][0], span["chemical"][1]))
        extra.append((d[k], recycler, 0.02, "kWh"))  # scrap cells per kg of recovered salt
        extra.append((recycler, s[k], 0.1, "kg"))  # recovered material per kg of cathode
    es, ed, ea, eu = zip(*extra, strict=True) if extra else ((), (), (), ())
    return (
        np.concatenate([s, np.array(es, dtype=np.int64)]),
        np.concatenate([d, np.array(ed, dtype=np.int64)]),
        np.concatenate([a, np.array(ea, dtype=np.float64)]),
        np.concatenate([u, np.array(eu, dtype=object)]),
    )


def shuffled(graph: SupplyGraph, seed: int) -> SupplyGraph:
    """The same graph with its nodes and its edges each listed in a random order."""
    rng = np.random.default_rng(seed)
    return graph.relisted(rng.permutation(graph.n_nodes), rng.permutation(graph.n_edges))


def write_json(graph: SupplyGraph, path: Path, edge_units: bool = True) -> None:
    """Stream the JSON in chunks so that a million-node file never sits in memory as dicts."""
    ids = graph.ids.tolist()
    units = [graph.unit_names[c] for c in graph.unit_code.tolist()]
    with path.open("wb") as out:
        out.write(b'{"format":"' + GRAPH_FORMAT.encode() + b'","stages":')
        out.write(orjson.dumps(list(graph.stages)) + b',"nodes":[')
        step = 100_000
        for lo in range(0, graph.n_nodes, step):
            rows = []
            for i in range(lo, min(lo + step, graph.n_nodes)):
                node = {"id": ids[i], "unit": units[i]}
                node["direct"] = {
                    s: v for s, v in zip(STAGES, graph.direct[i].tolist(), strict=True) if v
                }
                node["primary"] = bool(graph.primary[i])
                if graph.dqr[i] == graph.dqr[i]:
                    node["dqr"] = round(float(graph.dqr[i]), 2)
                node["category"] = graph.category_names[graph.category_code[i]]
                rows.append(node)
            out.write((b"," if lo else b"") + orjson.dumps(rows)[1:-1])
        out.write(b'],"edges":[')
        p, c, a = graph.provider.tolist(), graph.consumer.tolist(), graph.amount.tolist()
        for lo in range(0, graph.n_edges, step):
            rows = [
                {"from": ids[p[k]], "to": ids[c[k]], "amount": a[k], "unit": units[p[k]]}
                for k in range(lo, min(lo + step, graph.n_edges))
            ]
            out.write((b"," if lo else b"") + orjson.dumps(rows)[1:-1])
        out.write(b"]}")
    del edge_units


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--loop", action="store_true", help="add closed-loop recycling")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--shuffle", action="store_true", help="nodes and edges in random order")
    args = parser.parse_args()
    graph = generate(args.n, args.seed, args.loop)
    if args.shuffle:
        graph = shuffled(graph, args.seed)
    # round-trip dqr to 2 decimals like the JSON, so .json and .npz hold the same graph
    graph.dqr[:] = np.round(graph.dqr, 2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(graph, args.out)
    write_graph(graph, args.out.with_suffix(".npz"))
    print(f"{args.out}: {graph.n_nodes} nodes, {graph.n_edges} edges", file=sys.stderr)


if __name__ == "__main__":
    main()
