"""Background recompute jobs: a worker that forks and builds an application per job (RQ's
default `Worker`, as the platform ran until the warm worker) against the platform's own
`PlatformWorker` (no fork, one application for every job, caches kept).

    .venv/bin/python bench/worker_jobs.py [--jobs 10] [--rounds 3]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/] [--redis redis://127.0.0.1:6379/14]

On a fresh PostgreSQL database `tanlian_bench_worker` (dropped afterwards) with the demo chain
(27 products): the foil maker resubmits `--jobs` times with ROLLUP_INLINE_MAX_PRODUCTS = 0, so
every recompute (patched snapshot, solve, results, redeclaration of the cell, pack and SUV) is
queued; then one worker works the queue in a burst. Per job: the job's own duration as RQ
records it (start to end in the process that ran it; for the forking worker this includes
building the application, not the fork), and the burst's wall time divided by the jobs
(everything: forks too). `--rounds` alternates the two workers. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from footprint_platform.services import workflow

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
DB_NAME = "tanlian_bench_worker"


def cold_recompute(job_id: int) -> None:
    """The job as it ran before the warm worker: a new application in the forked process."""
    from footprint_platform.extensions import db
    from footprint_platform.worker import platform_app

    app = platform_app()
    with app.app_context():
        workflow.run_job(db.session, job_id)
        db.session.remove()


def _queue_resubmissions(app: Any, n: int, function: str) -> None:
    from redis import Redis
    from rq import Queue
    from sqlalchemy import select

    from footprint_platform.extensions import db
    from footprint_platform.models import Product, User
    from footprint_platform.services.catalogue.accounts import user_actor
    from footprint_platform.services.graph import jobs
    from footprint_platform.services.intake import submissions

    queue = Queue(jobs.QUEUE, connection=Redis.from_url(app.config["REDIS_URL"]))
    original = jobs._enqueue
    jobs._enqueue = lambda _url, job_id: queue.enqueue(function, job_id, job_timeout=600)  # type: ignore[assignment]
    try:
        with app.app_context():
            foil = db.session.scalar(select(Product).where(Product.part_number == "JN-AL-12"))
            user = db.session.scalar(select(User).where(User.email == "data@jiangnan-foil.example"))
            actor = user_actor(user)
            for _ in range(n):
                draft = submissions.start_draft(db.session, actor, foil.id, *PERIOD)
                workflow.submit(db.session, actor, draft.id)
            db.session.remove()
    finally:
        jobs._enqueue = original  # type: ignore[assignment]


def _work(app: Any, kind: str, n: int) -> dict[str, Any]:
    from redis import Redis
    from rq import Queue, Worker
    from rq.job import Job

    from footprint_platform import worker
    from footprint_platform.services.graph import jobs

    connection = Redis.from_url(app.config["REDIS_URL"])
    queue = Queue(jobs.QUEUE, connection=connection)
    function = (
        "bench.worker_jobs.cold_recompute"
        if kind == "forking"
        else ("footprint_platform.worker.recompute")
    )
    _queue_resubmissions(app, n, function)
    ids = list(queue.job_ids)
    t0 = time.perf_counter()
    if kind == "forking":
        Worker([queue], connection=connection).work(burst=True)
    else:
        with app.app_context():
            worker.work(app, app.config["REDIS_URL"], burst=True)
    wall = time.perf_counter() - t0
    durations = []
    for job in Job.fetch_many(ids, connection=connection):
        assert job is not None and job.get_status() == "finished", job and job.exc_info
        durations.append((job.ended_at - job.started_at).total_seconds())
    return {
        "worker": kind,
        "jobs": n,
        "job_median_s": round(statistics.median(durations), 3),
        "job_max_s": round(max(durations), 3),
        "wall_per_job_s": round(wall / n, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    import os

    import sqlalchemy as sa
    from flask_migrate import upgrade
    from redis import Redis

    admin = sa.create_engine(args.pg + "postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{DB_NAME}"'))
    url = args.pg + DB_NAME
    os.environ["DATABASE_URL"] = url  # the forking worker's applications read it
    Redis.from_url(args.redis).flushdb()
    try:
        from app import create_app
        from footprint_platform.demo import load_demo
        from footprint_platform.extensions import db

        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": args.redis, "PACT_DELIVERY": "manual"}
        )
        with app.app_context():
            upgrade()
            load_demo(db.session)
            db.session.remove()
        app.config["ROLLUP_INLINE_MAX_PRODUCTS"] = 0
        for _ in range(args.rounds):
            for kind in ("forking", "warm"):
                print(json.dumps(_work(app, kind, args.jobs)), flush=True)
        with app.app_context():
            db.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
