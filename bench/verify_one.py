"""Verifying one declaration at scale (`flask declarations verify` with one declaration).

    DATABASE_URL=sqlite:///…/v100k.sqlite3 .venv/bin/python bench/verify_one.py [--pairs 5]

The database holds `flask demo load --scale N` and `flask rollup run --period 2025-01-01:
2025-12-31`; the first call declares one vehicle (the first `vehicle_bev` by id, so the one with
an upstream typical of the industry) if the database has no declaration yet. Then, in fresh
processes alternating, `declarations.verify` of that declaration (what the command runs for
it) and the reference: the whole pinned graph of the period (`chain_graph` with the pins, as
verify read it before) solved for the same product. Imports, app start and the unit registry
are excluded from both; each prints one JSON line. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PERIOD = (date(2025, 1, 1), date(2025, 12, 31))


def _declaration(s):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from footprint_platform.models import Declaration, Product
    from footprint_platform.scale import maker_admin
    from footprint_platform.services.disclosure import declarations

    found = s.scalars(select(Declaration).order_by(Declaration.id).limit(1)).first()
    if found is None:
        product = s.scalars(
            select(Product).where(Product.category == "vehicle_bev").order_by(Product.id).limit(1)
        ).one()
        found = declarations.declare(s, maker_admin(product), product.id, *PERIOD, "bench")
    return found


def one(mode: str) -> dict[str, object]:
    import supply_graph
    from app import create_app
    from footprint_platform.extensions import db
    from footprint_platform.services.disclosure import declarations
    from footprint_platform.services.graph.build import chain_graph
    from footprint_platform.services.graph.chain import product_node
    from supply_graph.units import conversion_factor

    app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"], "SECRET_KEY": "b"})
    with app.app_context():
        conversion_factor("kg", "t")
        d = _declaration(db.session)
        t0, c0 = time.perf_counter(), time.process_time()
        if mode == "verify":
            problems = declarations.verify(db.session, [d])
            assert not problems, problems
            total = None
        else:
            pins = {int(p): v[0] for p, v in d.pinned.items()}
            chain = chain_graph(db.session, *PERIOD, pins, d.fallback_release_id)
            total = supply_graph.rollup(chain.graph)[product_node(d.product_id)].total
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        return {
            "mode": mode,
            "wall_s": round(wall, 4),
            "cpu_s": round(cpu, 4),
            "pins": len(d.pinned),
            "declared": float(d.total),
            "reference_total": total,
            "load_1min": os.getloadavg()[0],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", choices=["verify", "reference"])
    parser.add_argument("--pairs", type=int, default=5)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    for _ in range(args.pairs):
        for mode in ("verify", "reference"):
            cmd = [sys.executable, __file__, "--one", mode]
            run = subprocess.run(cmd, capture_output=True, text=True, check=True)
            print(run.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
