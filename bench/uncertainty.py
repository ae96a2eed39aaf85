"""Uncertainty at scale: 1,000 Monte Carlo samples on the 100k-node chain beside one roll-up.

    .venv/bin/python bench/uncertainty.py bench/out/g100000 [--samples 1000] [--pairs 3]

Per pair, in fresh processes one after the other:
- `rollup`: the graph's .npz twin loaded, then one `rollup(graph)` (cold, first call) timed;
- `cli`: `python -m supply_graph rollup G.json --out …`, the roll-up as a user runs it
  (interpreter start, read, solve, write);
- `mc`: the .npz loaded, then `monte_carlo(graph, terms, samples=…, seed=0)` timed, every node
  carrying one lognormal term (its whole direct emissions) with σ from the pedigree function:
  its rating on the three representativeness indicators, "unknown" (5) where it has none, as
  the platform derives it.
Each process reports its timed section (perf_counter, and process CPU time, which a loaded
machine disturbs less) and its whole wall clock, CPU time and peak RSS (ru_maxrss from
os.wait4); the 1-minute load average before each run is recorded. The deterministic totals and
the Monte Carlo medians are compared (the median of a sum of median-preserving lognormals sits
near, not on, the deterministic value). One JSON line per run. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"


def part_rollup(graph: str) -> dict[str, float]:
    from supply_graph import load_graph, rollup

    g = load_graph(graph + ".npz")
    t0, c0 = time.perf_counter(), time.process_time()
    result = rollup(g)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    import numpy as np

    np.save(OUT / "mc-deterministic.npy", result.total)
    return {"seconds": seconds, "cpu": cpu}


def part_mc(graph: str, samples: int) -> dict[str, float]:
    import numpy as np

    from supply_graph import load_graph
    from supply_graph.uncertainty import LOGNORMAL, Terms, monte_carlo, pedigree_sigma

    g = load_graph(graph + ".npz")
    sigma_of = {
        score: pedigree_sigma(temporal=score, geographical=score, technological=score)
        for score in (1, 2, 3, 4, 5)
    }
    scores = np.where(np.isnan(g.dqr), 5, np.ceil(np.nan_to_num(g.dqr, nan=5))).astype(int)
    sigma = np.array([sigma_of[s] for s in range(1, 6)])[scores - 1]
    n = g.n_nodes
    terms = Terms.build(np.arange(n), g.direct.sum(axis=1), np.full(n, LOGNORMAL, np.int8), sigma)
    t0, c0 = time.perf_counter(), time.process_time()
    interval = monte_carlo(g, terms, samples=samples, seed=0)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    np.save(OUT / "mc-median.npy", interval.median)
    np.save(OUT / "mc-bounds.npy", np.stack([interval.low, interval.high]))
    return {"seconds": seconds, "cpu": cpu}


def run(cmd: list[str]) -> dict[str, float]:
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out = proc.stdout.read().decode() if proc.stdout else ""
    if status:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{cmd} failed: {err}")
    row = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    row |= {
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_mib": round(usage.ru_maxrss / 1024, 1),
    }
    row["load"] = load
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("graph", help="path without suffix: G.json and G.npz must exist")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--part", choices=("rollup", "mc"))
    args = parser.parse_args()
    if args.part == "rollup":
        print(json.dumps(part_rollup(args.graph)))
        return
    if args.part == "mc":
        print(json.dumps(part_mc(args.graph, args.samples)))
        return
    me, py = str(Path(__file__).resolve()), sys.executable
    graph = str(Path(args.graph).resolve())
    for pair in range(args.pairs):
        one = run([py, me, graph, "--part", "rollup"])
        cli = run([py, "-m", "supply_graph", "rollup", graph + ".json", "--out",
                   str(OUT / "mc-cli.json")])  # fmt: skip
        mc = run([py, me, graph, "--part", "mc", "--samples", str(args.samples)])
        row = {
            "graph": Path(graph).name,
            "pair": pair + 1,
            "samples": args.samples,
            "rollup": one,
            "cli": cli,
            "mc": mc,
            "mc_over_rollup": round(mc["seconds"] / one["seconds"], 1),
            "mc_over_cli": round(mc["seconds"] / cli["wall_s"], 2),
            "cpu_mc_over_rollup": round(mc["cpu"] / one["cpu"], 1),
            "cpu_mc_over_cli": round(mc["cpu"] / cli["cpu_s"], 2),
        }
        if pair == 0:
            import numpy as np

            total = np.load(OUT / "mc-deterministic.npy")
            median = np.load(OUT / "mc-median.npy")
            low, high = np.load(OUT / "mc-bounds.npy")
            row["median_over_deterministic"] = [
                round(float(q), 4) for q in np.percentile(median / total, (0, 50, 100))
            ]
            row["deterministic_inside_interval"] = float(np.mean((low <= total) & (total <= high)))
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
