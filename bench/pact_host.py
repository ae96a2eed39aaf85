"""What serving one PACT footprint costs: building the ProductFootprint of a published demo
declaration, and checking it against the stored PACT schema (done for every footprint served).

    .venv/bin/python bench/pact_host.py [--repeat 200]

Runs on a throw-away SQLite copy of the demo chain; prints milliseconds per footprint."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from footprint_platform import json_schemas
from footprint_platform.demo import load_demo
from footprint_platform.extensions import db
from footprint_platform.models import Declaration
from footprint_platform.services.pact import footprint as pact


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        with app.app_context(), app.test_request_context(base_url="https://pact.example"):
            upgrade()
            load_demo(db.session)
            published = db.session.scalars(
                select(Declaration).where(Declaration.published_at.is_not(None))
            ).all()
            options = pact.Options("tanlian.example", "https://pact.example/static/s.json")
            build, check = [], []
            for _ in range(repeat):
                for d in published:
                    t0 = time.perf_counter()
                    pf = pact.product_footprint(db.session, d, options)
                    t1 = time.perf_counter()
                    assert json_schemas.problems("pact", pf) == []
                    t2 = time.perf_counter()
                    build.append(t1 - t0)
                    check.append(t2 - t1)
            for name, values in (("build", build), ("schema check", check)):
                ms = [v * 1000 for v in values]
                print(
                    f"{name:>12}: median {statistics.median(ms):.2f} ms, "
                    f"p95 {statistics.quantiles(ms, n=20)[18]:.2f} ms per footprint "
                    f"({len(ms)} runs over {len(published)} declarations)"
                )


if __name__ == "__main__":
    main()
