"""Platform roll-up at industry scale: database -> graph -> solve -> stored results, on SQLite
and PostgreSQL, for a full recompute and for the recompute after one upstream submission.

    .venv/bin/python bench/platform_rollup.py [--sizes 10000 100000] [--db sqlite postgres]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/] [--seed 2024] [--profile]

Per (database, N): a fresh database (SQLite file in bench/out/, or the PostgreSQL database
`tanlian_bench` — `$TANLIAN_BENCH_PGDB` if set — dropped afterwards), migrated;
`flask demo load --scale N` (timed); a full recompute (`results.recompute_timed`: build from
the database, solve, store, snapshot); a few products declared downstream of one cathode
maker's product; then that product, an ore and a pack are each resubmitted through the
ordinary services (`workflow.submit`), which runs the job inline: the patched graph, the
solve, the stored downstream results and the new draft declarations. Those three start with
the process's snapshot cache emptied (as in a process that has not read the period's snapshot
yet); the cathode is then resubmitted once more with the cache warm ("cathode_ncm_warm").
"submit total" is the whole `submit` call, until the drafts exist. Each (database, N) runs in
its own process, its cases one after the other in it; another checkout is measured by running
its copy of this file (which puts its own checkout first on the path; copies older than that
need `PYTHONPATH=<that checkout>`, else they import the installed package).
Figures go to stdout as JSON lines and into bench/out/platform.jsonl; `--profile`
writes cProfile statistics of each submission to bench/out/profile-<db>-<N>-<case>.prof.
Not part of `make test`.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))  # this checkout's code, before the installed package

from footprint_platform.services import workflow  # noqa: E402

PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
PG_DB = os.environ.get("TANLIAN_BENCH_PGDB", "tanlian_bench")
DECLARE = {"vehicle_bev": 8, "battery_pack": 4}  # declared downstream of the cathode


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(record: dict[str, float], name: str, fn: Any) -> Any:
    """Wrap fn so that each call adds its duration to record[name]."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            record[name] = record.get(name, 0.0) + time.perf_counter() - t0

    return wrapper


def run_case(db: str, n: int, seed: int, pg: str, profile: bool = False) -> dict[str, Any]:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app import create_app
    from footprint_platform.extensions import db as fdb
    from footprint_platform.scale import load_scale
    from footprint_platform.services.disclosure import declarations
    from footprint_platform.services.graph import jobs, results, snapshots
    from supply_graph.units import conversion_factor

    if db == "postgres":
        admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{PG_DB}"'))
        url = sa.engine.make_url(pg).set(database=PG_DB).render_as_string(False)
    else:
        path = OUT / f"platform-{n}.sqlite3"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    out: dict[str, Any] = {"db": db, "n": n}
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    try:
        with app.app_context():
            upgrade()
            conversion_factor("kg", "t")  # the unit registry, built once per worker process
            s = fdb.session
            t0, c0 = time.perf_counter(), time.process_time()
            counts = load_scale(s, n, seed)
            out["load_s"], out["load_cpu_s"] = time.perf_counter() - t0, time.process_time() - c0
            out["input_rows"] = counts["submission_input"]
            c0 = time.process_time()
            run, chain, t = results.recompute_timed(s, *PERIOD, "bench: full")
            # this process's CPU (a shared machine's load inflates wall clock); the database
            # server's own work (PostgreSQL) is not in it
            out["full"] = {**_timings(t, chain), "total_cpu_s": time.process_time() - c0}
            picks = {
                c: _most_used(s, chain, c) for c in ("cathode_ncm", "ore_nickel", "battery_pack")
            }
            declared = _declare(s, run, chain, picks["cathode_ncm"])
            out["declared"] = len(declared)
            cases = [(c, p, True) for c, p in picks.items()]
            cases.append(("cathode_ncm", picks["cathode_ncm"], False))
            for category, product, cold in cases:
                name = category if cold else f"{category}_warm"
                if cold:  # as in a process that has not read the period's snapshot yet
                    snapshots.forget()
                out[f"after_{name}"] = {
                    "downstream": len(chain.reachable([product.id], "down")),
                    "snapshot_cached": not cold,
                    **_after_submission(s, product, jobs, f"{db}-{n}-{name}" if profile else None),
                }
            out["verify_one_s"] = _verify_one(s, declarations)
            out["peak_mib"] = _peak_mib()
    finally:
        with app.app_context():
            fdb.session.remove()
            fdb.engine.dispose()
        if db == "postgres":
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
    return out


def _timings(t: Any, chain: Any) -> dict[str, Any]:
    return {
        "build_s": t.build,
        "solve_s": t.solve,
        "store_s": t.store,
        "snapshot_commit_s": t.snapshot_commit,
        "total_s": t.build + t.solve + t.store + t.snapshot_commit,
        "stored": t.stored,
        "patched": t.patched,
        "nodes": chain.graph.n_nodes,
        "edges": chain.graph.n_edges,
    }


def _most_used(s: Any, chain: Any, category: str) -> Any:
    """The product of the category with the most direct customers (a large downstream)."""
    import numpy as np

    from footprint_platform.models import Product

    n = len(chain.product_ids)
    customers = np.bincount(chain.graph.provider, minlength=chain.graph.n_nodes)[:n]
    rows = [i for i, p in enumerate(chain.product_ids) if chain.categories[p] == category]
    best = max(rows, key=lambda i: (int(customers[i]), -i))
    return s.get(Product, chain.product_ids[best])


def _declare(s: Any, run: Any, chain: Any, upstream: Any) -> list[int]:
    """Declare a few vehicles and packs downstream of `upstream`, from the full run's chain
    (declare() itself would rebuild the pinned graph per product)."""
    from footprint_platform.models import Product
    from footprint_platform.scale import maker_admin
    from footprint_platform.services.disclosure import declarations

    down = chain.reachable([upstream.id], "down")
    made = []
    for category, count in DECLARE.items():
        picked = [p for p in sorted(down) if chain.categories[p] == category][:count]
        for pid in picked:
            product = s.get(Product, pid)
            made.append(
                declarations._declare(s, maker_admin(product), product, run, chain, "bench").id
            )
    return made


def _after_submission(s: Any, product: Any, jobs: Any, profile: str | None) -> dict[str, Any]:
    """Resubmit the product with 10 % more of everything; time the submit (which runs the
    job: patched graph, solve, downstream results, new drafts) and its parts. With `profile`,
    cProfile's statistics of the submit go to bench/out/profile-<profile>.prof."""
    from sqlalchemy import func, select

    from footprint_platform.models import Declaration, ProductResult, RollupRun
    from footprint_platform.scale import maker_admin
    from footprint_platform.services.disclosure import carbon_content, declarations
    from footprint_platform.services.graph import results
    from footprint_platform.services.intake import loops, submissions
    from footprint_platform.services.intake.activity import FIELDS

    actor = maker_admin(product)
    draft = submissions.start_draft(s, actor, product.id, *PERIOD)
    rows = [
        {**{f: getattr(i, f) for f in FIELDS}, "kind": i.kind.value, "quantity": i.quantity}
        for i in draft.inputs
    ]
    rows = [{**r, "quantity": r["quantity"] * Decimal("1.1")} for r in rows]
    submissions.save_draft(s, actor, draft.id, {"dqr": Decimal("2.5")}, rows)
    drafts_before = s.scalar(select(func.count()).select_from(Declaration))
    parts: dict[str, float] = {}
    captured: dict[str, Any] = {}
    original_recompute = results.recompute_timed
    original_redeclare = declarations.redeclare_downstream
    original_loops = loops.refuse_bad_loops
    original_carbon = carbon_content.Chain

    def recompute(*args: Any, **kwargs: Any) -> Any:
        got = original_recompute(*args, **kwargs)
        captured["timings"], captured["chain"] = got[2], got[1]
        return got

    results.recompute_timed = _timed(parts, "recompute_s", recompute)
    declarations.redeclare_downstream = _timed(parts, "redeclare_s", original_redeclare)
    loops.refuse_bad_loops = _timed(parts, "loop_check_s", original_loops)
    carbon_content.Chain = _timed(parts, "carbon_read_s", original_carbon)  # type: ignore[misc]
    try:
        profiler = cProfile.Profile() if profile else None
        t0, c0 = time.perf_counter(), time.process_time()
        if profiler:
            profiler.runcall(workflow.submit, s, actor, draft.id)
        else:
            workflow.submit(s, actor, draft.id)
        total, total_cpu = time.perf_counter() - t0, time.process_time() - c0
        if profiler:
            profiler.dump_stats(OUT / f"profile-{profile}.prof")
    finally:
        results.recompute_timed = original_recompute
        declarations.redeclare_downstream = original_redeclare
        loops.refuse_bad_loops = original_loops
        carbon_content.Chain = original_carbon  # type: ignore[misc]
    run_id = s.scalar(select(func.max(RollupRun.id)))
    stored = s.scalar(
        select(func.count()).select_from(ProductResult).where(ProductResult.run_id == run_id)
    )
    return {
        "submit_total_s": total,
        "submit_cpu_s": total_cpu,
        **parts,
        **{k: v for k, v in _timings(captured["timings"], captured["chain"]).items()},
        "stored": stored,
        "new_drafts": s.scalar(select(func.count()).select_from(Declaration)) - drafts_before,
    }


def _verify_one(s: Any, declarations: Any) -> float:
    from sqlalchemy import select

    from footprint_platform.models import Declaration

    newest = s.scalars(select(Declaration).order_by(Declaration.id.desc()).limit(1)).first()
    if newest is None:
        return float("nan")
    t0 = time.perf_counter()
    problems = declarations.verify(s, [newest])
    assert not problems, problems
    return time.perf_counter() - t0  # wall clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--profile", action="store_true", help="cProfile each submission")
    parser.add_argument("--case", nargs=2, metavar=("DB", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.case:
        print(
            json.dumps(run_case(args.case[0], int(args.case[1]), args.seed, args.pg, args.profile))
        )
        return
    for n in args.sizes:
        for db in args.db:
            cmd = [sys.executable, __file__, "--case", db, str(n), "--seed", str(args.seed)]
            cmd += ["--profile"] if args.profile else []
            done = subprocess.run(
                [*cmd, "--pg", args.pg], capture_output=True, text=True, check=False
            )
            line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
            if done.returncode or not line:
                print(f"{db} {n}: failed\n{done.stderr[-3000:]}", file=sys.stderr)
                continue
            print(line, flush=True)
            with (OUT / "platform.jsonl").open("a") as f:
                f.write(line + "\n")


if __name__ == "__main__":
    main()
