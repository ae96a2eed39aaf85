"""The whole JSON run, as a user runs it, paired with the scipy reference's JSON run.

    .venv/bin/python bench/json_run.py bench/out/g1000000.json [--pairs 3]

Per pair, in fresh processes one after the other: `python -m supply_graph rollup G.json --out
…` (ours: interpreter start, imports, read, solve, write) and `bench/rollup.py --engine
splu-json G` (the reference: the standard library's json, Python loops, SuperLU, json.dump;
see `engine_splu_json`). Wall clock, CPU time (user + system) and peak RSS (ru_maxrss) of
each process from os.wait4, the 1-minute load average before each run, and the largest
relative difference between the two result files' totals. One JSON line per run. Not part
of `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


def timed(cmd: list[str]) -> dict[str, float]:
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    if status:
        raise SystemExit(f"{cmd} failed: {err}")
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "peak_mib": round(usage.ru_maxrss / 1024, 1),
        "load": load,
    }


def totals(path: Path) -> np.ndarray:
    doc = json.loads(path.read_bytes())
    return np.array([r["total"] for r in doc["results"]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("graph", type=Path)
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    graph = args.graph.resolve()
    ours_out = OUT / f"result-{graph.stem}-cli.json"
    ref_out = OUT / f"result-{graph.stem}-splu.json"
    env_python = sys.executable
    for pair in range(args.pairs):
        ours = timed(
            [env_python, "-m", "supply_graph", "rollup", str(graph), "--out", str(ours_out)]
        )
        ref = timed(
            [env_python, "bench/rollup.py", "--engine", "splu-json", str(graph.with_suffix(""))]
        )
        row = {"graph": graph.name, "pair": pair + 1, "ours": ours, "reference": ref,
               "ratio_wall": round(ref["wall_s"] / ours["wall_s"], 2),
               "ratio_cpu": round(ref["cpu_s"] / ours["cpu_s"], 2),
               "ratio_peak": round(ref["peak_mib"] / ours["peak_mib"], 2)}  # fmt: skip
        if pair == 0:
            a, b = totals(ours_out), totals(ref_out)
            row["max_rel_diff"] = float(np.max(np.abs(a - b) / np.abs(b)))
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
