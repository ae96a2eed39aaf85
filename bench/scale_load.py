"""`flask demo load --scale N` timed on its own: a fresh SQLite file, migrated (not timed), then
`scale.load_scale` (wall clock and process CPU; SQLite works inside the process), pint's unit
registry built beforehand as in bench/platform_rollup.py.

    .venv/bin/python bench/scale_load.py [--n 100000] [--seed 2024] [--profile OUT.prof]
        [--keep FILE.sqlite3]

One load per process; the figure goes to stdout as one JSON line. The code measured is the one
on the import path (PYTHONPATH), so a baseline checkout can be measured with this same script.
Figures in bench/RESULTS.md. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--profile", help="write cProfile statistics of the load here")
    parser.add_argument("--keep", help="load into this SQLite file (replaced) and keep it")
    args = parser.parse_args()
    from flask_migrate import upgrade

    from app import create_app
    from footprint_platform.extensions import db
    from footprint_platform.scale import load_scale
    from supply_graph.units import conversion_factor

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.keep or Path(tmp) / "scale.sqlite3")
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path.resolve()}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
        with app.app_context():
            upgrade()
            conversion_factor("kg", "t")  # pint's registry, as in bench/platform_rollup.py
            profiler = cProfile.Profile() if args.profile else None
            t0, c0 = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            counts = load_scale(db.session, args.n, args.seed)
            if profiler:
                profiler.disable()
                profiler.dump_stats(args.profile)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            db.session.remove()
            db.engine.dispose()
    print(
        json.dumps({"n": args.n, "load_s": round(wall, 2), "load_cpu_s": round(cpu, 2), **counts})
    )


if __name__ == "__main__":
    main()
