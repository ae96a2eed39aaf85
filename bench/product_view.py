"""The product view of a vehicle whose chain holds 100k nodes: server time and page weight.

    .venv/bin/python bench/product_view.py [--n 100000] [--db sqlite postgres]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/] [--seed 2024] [--repeat 5]
        [--keep]

Per database: `flask demo load --scale N` into a fresh database (SQLite file in bench/out/, or
the PostgreSQL database `tanlian_bench_view`, dropped afterwards unless --keep; with --keep a
SQLite file that is already loaded is reused), one full recompute, then the vehicle with the
most upstream nodes gets a member who opens `/dashboard/products/<id>` (waterfall, Sankey,
treemap, data quality) and its coverage page `/dashboard/products/<id>/coverage` through the
test client, `--repeat` times each. "view_before" is the view as it was first built: the run's
graph rebuilt from its pinned rows on every view. "first" is the first view after the run now
(the graph from the period's snapshot, which is the run's, solved and broken down), "again"
the median of the views after it (from the per-run cache, services/graph/explain_cache.py);
"explain" times the service alone with the cache cleared, split into graph build, solve and
breakdown. The page weight is the HTML (figures' JSON included) without plotly.js, which the
browser caches. Each database runs in its own process; JSON lines on stdout and in
bench/out/product_view.jsonl. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
PG_DB = "tanlian_bench_view"
EMAIL = "bench@synthetic.example"
PASSWORD = "bench-password-1"


def _database(db: str, n: int, pg: str, keep: bool) -> tuple[str, bool]:
    """The database URL, and whether it must be loaded (fresh)."""
    import sqlalchemy as sa

    if db == "postgres":
        admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": PG_DB}
            )
            if not (keep and exists):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
                conn.execute(sa.text(f'CREATE DATABASE "{PG_DB}"'))
        admin.dispose()
        return sa.engine.make_url(pg).set(database=PG_DB).render_as_string(False), not (
            keep and exists
        )
    path = OUT / f"product-view-{n}.sqlite3"
    if keep and path.exists():
        return f"sqlite:///{path}", False
    path.unlink(missing_ok=True)
    return f"sqlite:///{path}", True


def _drop(db: str, pg: str) -> None:
    import sqlalchemy as sa

    if db == "postgres":
        admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        admin.dispose()


def _setup(s: Any, n: int, seed: int) -> dict[str, Any]:
    """Load the synthetic industry and run the period once; time both."""
    from footprint_platform.scale import PERIOD, load_scale
    from footprint_platform.services.graph import results

    t0 = time.perf_counter()
    load_scale(s, n, seed)
    t1 = time.perf_counter()
    results.recompute_timed(s, *PERIOD, "bench: full")
    return {"load_s": t1 - t0, "recompute_s": time.perf_counter() - t1}


def _biggest_vehicle(s: Any) -> tuple[int, int, int]:
    """(product id, organization id, upstream products) of the vehicle with the largest chain
    among the first 50 (vehicles draw their suppliers from the same pools)."""
    from sqlalchemy import select

    from footprint_platform.models import Product
    from footprint_platform.scale import PERIOD
    from footprint_platform.services.graph.build import chain_graph

    chain = chain_graph(s, *PERIOD)
    vehicles = s.execute(
        select(Product.id, Product.organization_id)
        .where(Product.category == "vehicle_bev")
        .order_by(Product.id)
        .limit(50)
    ).all()
    sizes = [(len(chain.reachable([pid], "up")), int(pid), int(org)) for pid, org in vehicles]
    n, pid, org = max(sizes)
    return pid, org, n


def _member(s: Any, org_id: int) -> None:
    from sqlalchemy import select

    from footprint_platform.models import MemberRole, Membership, User
    from footprint_platform.security import hash_password

    user = s.scalar(select(User).where(User.email == EMAIL))
    if user is None:
        user = User(email=EMAIL, display_name="Bench", password_hash=hash_password(PASSWORD))
        s.add(user)
        s.flush()
    if (
        s.scalar(
            select(Membership).where(
                Membership.user_id == user.id, Membership.organization_id == org_id
            )
        )
        is None
    ):
        s.add(Membership(user_id=user.id, organization_id=org_id, role=MemberRole.VIEWER))
    s.commit()


def _explain_parts(s: Any, product_id: int, org_id: int) -> dict[str, Any]:
    """The explanation's parts, each timed alone with the cache cleared: the graph from the
    period's snapshot, the graph from the pinned rows (what the view did before the
    snapshot path), the solve and the breakdown; and the whole service call, cold."""
    import supply_graph
    from footprint_platform.models import MemberRole
    from footprint_platform.policy import Actor
    from footprint_platform.services.graph import breakdowns, explain_cache, results
    from footprint_platform.services.graph.build import chain_graph
    from footprint_platform.services.graph.chain import product_node

    explain_cache.clear()
    out: dict[str, Any] = {}

    def timed(name: str, fn: Any, *args: Any) -> Any:
        t0 = time.perf_counter()
        got = fn(*args)
        out[name] = time.perf_counter() - t0
        return got

    latest = timed("latest_results_s", results.latest_results, s, org_id)[product_id]
    run = latest.run
    snap = timed("snapshot_graph_s", breakdowns._snapshot_of, s, run, product_id)
    out["snapshot_is_the_runs"] = snap is not None
    pins = {int(p): v for p, v in run.submissions.items()}
    chain = timed(
        "pinned_graph_s",
        chain_graph,
        s,
        run.period_start,
        run.period_end,
        pins,
        run.fallback_release_id,
    )
    result = timed("solve_s", supply_graph.rollup, chain.graph)
    parts = timed(
        "contributions_s", supply_graph.contributions, chain.graph, result, product_node(product_id)
    )
    out["upstream_nodes"] = len(parts.by_node)
    timed(
        "quality_and_bases_s",
        lambda: (breakdowns.quality_groups(chain.graph, parts), breakdowns.bases(chain, parts)),
    )
    s.expire_all()
    explain_cache.clear()
    actor = Actor(user_id=None, roles={org_id: MemberRole.VIEWER})
    timed("explain_cold_s", breakdowns.explain_latest, s, actor, product_id)
    timed("explain_cached_s", breakdowns.explain_latest, s, actor, product_id)
    explain_cache.clear()
    return out


def _views(client: Any, path: str, repeat: int) -> dict[str, Any]:
    times, size = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.status_code
        size = len(response.get_data())
    return {
        "first_s": times[0],
        "again_s": statistics.median(times[1:]) if len(times) > 1 else None,
        "html_kib": size / 1024,
    }


def _resubmit_near(s: Any, vehicle: int, pick: str) -> None:
    """Resubmit (quantities +10 %, through `workflow.submit`, which recomputes) either
    another vehicle ("other": nothing upstream of ours changes, so ours keeps its result from
    the older run) or the lithium ore upstream of ours with the most customers ("ore")."""
    from bench.platform_rollup import _after_submission
    from footprint_platform.models import Product
    from footprint_platform.scale import PERIOD
    from footprint_platform.services.graph import jobs
    from footprint_platform.services.graph.build import chain_graph

    chain = chain_graph(s, *PERIOD)
    up = chain.reachable([vehicle], "up")
    if pick == "other":
        target = next(
            p for p in chain.product_ids if chain.categories[p] == "vehicle_bev" and p != vehicle
        )
    else:
        target = min(p for p in up if chain.categories[p] == "ore_lithium")
    _after_submission(s, s.get(Product, target), jobs)


def _without_cache(client: Any, path: str) -> dict[str, Any]:
    """The view as it was before this benchmark: the graph rebuilt from the pinned rows on
    every view (no snapshot path, no cache); two views."""
    from footprint_platform.services.graph import breakdowns, explain_cache

    snapshot_of, cached = breakdowns._snapshot_of, explain_cache.cached
    breakdowns._snapshot_of = lambda *args: None  # type: ignore[assignment]
    explain_cache.cached = lambda key, compute: compute()  # type: ignore[assignment]
    try:
        return _views(client, path, 2)
    finally:
        breakdowns._snapshot_of, explain_cache.cached = snapshot_of, cached  # type: ignore[assignment]


def run_case(db: str, n: int, seed: int, pg: str, repeat: int, keep: bool) -> dict[str, Any]:
    import re

    from app import create_app
    from footprint_platform.extensions import db as fdb
    from footprint_platform.services.graph import explain_cache
    from supply_graph.units import conversion_factor

    url, fresh = _database(db, n, pg, keep)
    out: dict[str, Any] = {"db": db, "n": n}
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "RATELIMIT_ENABLED": False,
        }
    )
    try:
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            conversion_factor("kg", "t")
            s = fdb.session
            if fresh:
                out.update(_setup(s, n, seed))
            product, org, upstream = _biggest_vehicle(s)
            out.update(product=product, upstream_products=upstream)
            _member(s, org)
            out["explain"] = _explain_parts(s, product, org)
            s.remove()
        explain_cache.clear()
        client = app.test_client()
        html = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
        client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
        out["view_before"] = _without_cache(client, f"/dashboard/products/{product}")
        explain_cache.clear()
        out["view"] = _views(client, f"/dashboard/products/{product}", repeat)
        out["coverage"] = _views(client, f"/dashboard/products/{product}/coverage", repeat)
        for case, pick in (("elsewhere", "other"), ("upstream", "ore")):
            with app.app_context():
                _resubmit_near(fdb.session, product, pick)
                fdb.session.remove()
            explain_cache.clear()
            out[f"view_after_submission_{case}"] = _views(
                client, f"/dashboard/products/{product}", 2
            )
    finally:
        with app.app_context():
            fdb.session.remove()
            fdb.engine.dispose()
        if not keep:
            _drop(db, pg)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the database")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.case:
        got = run_case(args.case, args.n, args.seed, args.pg, args.repeat, args.keep)
        print(json.dumps(got))
        return
    for db in args.db:
        cmd = [sys.executable, __file__, "--case", db, "--n", str(args.n), "--seed", str(args.seed)]
        cmd += ["--pg", args.pg, "--repeat", str(args.repeat)] + (["--keep"] if args.keep else [])
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        if done.returncode or not line:
            print(f"{db}: failed\n{done.stderr[-3000:]}", file=sys.stderr)
            continue
        print(line, flush=True)
        with (OUT / "product_view.jsonl").open("a") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
