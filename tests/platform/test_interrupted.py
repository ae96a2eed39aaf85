"""A process killed mid-way leaves the database as it was: `flask import` of a dump and
`flask rollup run` run in a child process and are killed with SIGKILL while their transaction
is writing (seen from outside: SQLite's rollback journal exists, or PostgreSQL shows the
backend with a transaction id), and at later moments. Afterwards every table is either exactly
as before or completely done — never partial. A roll-up job left "running" by a kill is run
again by the next dispatcher once its lease has passed, or failed after its last attempt."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from footprint_platform.backup import export_database, import_database
from footprint_platform.extensions import db
from footprint_platform.models import (
    Base,
    Product,
    ProductResult,
    RollupJob,
    RollupRun,
    RollupSnapshot,
    utcnow,
)
from footprint_platform.services import workflow

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
PERIOD = "2025-01-01:2025-12-31"
SCALE = 2000  # products: a roll-up that writes for a moment (kills land at its start)
DELAYS = (0.0, 0.05)  # seconds after the write began: at its start, and further in
RUN_TABLES = {"rollup_job", "rollup_run", "product_result", "rollup_snapshot"}
LEASE = 1  # seconds: the children's job leases, so a killed one's passes within the test


def _state(app: Flask) -> dict[str, tuple[int, str]]:
    """Every table's row count and a hash of its rows in key order (JSON values with sorted
    keys: a dump stores them so)."""
    out = {}
    with app.app_context(), db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            digest = hashlib.sha256()
            rows = conn.execute(sa.select(table).order_by(*order)).all()
            for row in rows:
                digest.update(json.dumps(list(row), sort_keys=True, default=str).encode())
            out[table.name] = (len(rows), digest.hexdigest())
    return out


def _writing(app: Flask) -> bool:
    """Whether another process holds an open write transaction on the test database: on SQLite
    its RESERVED lock stops us from beginning one; PostgreSQL gives a backend that has written
    a transaction id."""
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(str(url.database), timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()
    with app.app_context(), db.engine.connect() as conn:
        return bool(
            conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                )
            )
        )


def _running_jobs(app: Flask) -> int:
    with app.app_context():
        n = db.session.scalar(sa.select(sa.func.count()).where(RollupJob.status == "running"))
        db.session.remove()
    return n or 0


def _start(app: Flask, *args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("TANLIAN_SETTINGS", "DATABASE_URL")}
    env.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY="test-secret",
        TANLIAN_ROLLUP_JOB_LEASE_SECONDS=str(LEASE),
    )
    flask = [sys.executable, "-m", "flask", "--app", "app", *args]
    return subprocess.Popen(
        flask, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _kill_while_writing(
    app: Flask, args: tuple[str, ...], delay: float, ready: Callable[[], bool] = lambda: True
) -> bool:
    """Start the command, wait until `ready()` and then for its write transaction, wait
    `delay`, SIGKILL it. True if it was killed while still running; False if it finished
    first (then it must have succeeded)."""
    proc = _start(app, *args)
    deadline = time.monotonic() + 60
    try:
        for check in (ready, lambda: _writing(app)):
            while not check() and proc.poll() is None:
                assert time.monotonic() < deadline, "the command never began to write"
                time.sleep(0.002)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            return True
        output = proc.stdout.read().decode() if proc.stdout else ""
        assert proc.returncode == 0, output
        return False
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _settle(app: Flask) -> None:
    """Let the killed process's transaction go, so the next look sees only committed data: on
    SQLite the next read rolls the hot journal back; PostgreSQL ends the backend whose client
    died (until then its uncommitted rows are invisible anyway)."""
    with app.app_context(), db.engine.connect() as conn:
        conn.execute(sa.select(sa.func.count()).select_from(RollupJob.__table__))
        if conn.dialect.name == "sqlite":
            return
    for _ in range(500):
        if not _writing(app):
            return
        time.sleep(0.01)
    raise AssertionError("the killed process's transaction is still open")


def test_a_killed_import_leaves_the_database_empty_or_complete(
    prepared_app: Flask, app: Flask, tmp_path: Path
) -> None:
    dump = tmp_path / "dump.zip"
    with prepared_app.app_context():
        manifest = export_database(db.engine, dump)
    full = _state(prepared_app)
    before = _state(app)
    assert all(n == 0 for n, _ in before.values())
    caught = 0
    for delay in DELAYS:
        if not _kill_while_writing(app, ("import", str(dump)), delay):
            break  # it finished before the kill: checked below as complete
        _settle(app)
        now = _state(app)
        if now == full:  # killed after its commit, before the process exited: done
            break
        assert now == before, f"a kill {delay} s into the import left part of the dump"
        caught += 1
    assert caught >= 1, "the import was never killed while writing"
    # and uninterrupted it restores everything, which is what "before" was compared against
    if _state(app) == before:
        with app.app_context():
            import_database(db.engine, dump)
    restored = _state(app)
    assert {k: n for k, (n, _) in restored.items()} == {
        k: v["rows"] for k, v in manifest["tables"].items()
    }
    assert restored == full


def _load_industry(app: Flask) -> None:
    from footprint_platform.scale import load_scale

    with app.app_context():
        load_scale(db.session, SCALE, 7)
        db.session.remove()
        db.engine.dispose()


def _runs_are_whole(app: Flask) -> int:
    """Every run (all full here) has a result for each product, and the period's one snapshot
    is a stored run's: none was left half-written. Returns the number of runs."""
    with app.app_context():
        products = db.session.scalar(sa.select(sa.func.count()).select_from(Product))
        runs = db.session.scalars(sa.select(RollupRun)).all()
        for run in runs:
            results = db.session.scalar(
                sa.select(sa.func.count()).where(ProductResult.run_id == run.id)
            )
            assert run.base_run_id is None and results == products, (run.id, results, products)
        snapshots = db.session.scalars(sa.select(RollupSnapshot.run_id)).all()
        assert len(snapshots) == 1 and snapshots[0] in {r.id for r in runs}, snapshots
        db.session.remove()
    return len(runs)


def test_a_killed_rollup_stores_nothing_and_its_job_is_run_again_by_the_next(app: Flask) -> None:
    _load_industry(app)
    before = _state(app)
    caught = 0
    for attempt, delay in enumerate((*DELAYS, 0.0, 0.0, 0.0)):
        if caught and attempt >= len(DELAYS):
            break
        # the job row says "running" (committed) before the recompute's transaction writes
        before, running = _state(app), _running_jobs(app)
        ready = lambda n=running: _running_jobs(app) > n  # noqa: E731
        killed = _kill_while_writing(app, ("rollup", "run", "--period", PERIOD), delay, ready)
        _settle(app)
        after = _state(app)
        changed = {name for name in before if after[name] != before[name]}
        if killed and changed <= {"rollup_job"}:  # nothing of the run, but for the job row
            caught += 1
            continue
        # finished, or killed after its commit: the whole run, results, snapshot, nothing else
        assert changed <= RUN_TABLES, f"a kill {delay} s into the roll-up left {changed}"
        _runs_are_whole(app)
    assert caught >= 1, "the roll-up was never killed while writing (too fast to catch?)"
    with app.app_context():
        statuses = db.session.scalars(sa.select(RollupJob.status)).all()
        db.session.remove()
    left_running = statuses.count("running")  # the rows their processes left
    assert left_running >= caught and set(statuses) <= {"running", "done"}
    # once their leases pass, the next dispatcher runs each again, whole
    time.sleep(LEASE + 0.1)
    with app.app_context():
        assert workflow.run_due(db.session) == left_running
        statuses = db.session.scalars(sa.select(RollupJob.status)).all()
        db.session.remove()
    assert set(statuses) == {"done"}
    assert _runs_are_whole(app) >= 1


def test_jobs_past_their_lease_are_run_again_live_ones_kept_exhausted_ones_failed(
    demo_app: Flask,
) -> None:
    start, end = date(2025, 1, 1), date(2025, 12, 31)
    now = utcnow()
    with demo_app.app_context():
        attempts = demo_app.config["ROLLUP_JOB_MAX_ATTEMPTS"]

        def running(trigger: str, lease: timedelta, tried: int = 1) -> RollupJob:
            return RollupJob(
                period_start=start,
                period_end=end,
                trigger=trigger,
                status="running",
                created_at=now - timedelta(seconds=600),
                started_at=now - timedelta(seconds=300),
                lease_until=now + lease,
                attempts=tried,
            )

        dead = running("killed", timedelta(seconds=-1))
        live = running("live", timedelta(seconds=60))  # its heartbeat renews it
        exhausted = running("killed every time", timedelta(seconds=-1), attempts)
        db.session.add_all([dead, live, exhausted])
        db.session.commit()
        assert workflow.run_due(db.session) == 1
        for job in (dead, live, exhausted):
            db.session.refresh(job)
        assert dead.status == "done" and dead.run_id is not None and dead.attempts == 2
        assert live.status == "running" and live.error is None
        assert exhausted.status == "failed" and "Interrupted" in (exhausted.error or "")
