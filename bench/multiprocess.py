"""Durability across processes: two application instances (gunicorn, 2 workers × 2 threads
each) and one background worker (`flask rollup worker`) on one PostgreSQL and Redis, every
recompute queued (`ROLLUP_INLINE_MAX_PRODUCTS = 0`). Not a test; figures in bench/RESULTS.md.

    .venv/bin/python bench/multiprocess.py [--seconds 20] [--writers 4] [--pg URL] [--redis URL]

- Contended edits: `--writers` API clients, alternating between the two instances, each
  read-modify-writes the same draft's electricity row (quantity + 1, rows only, with the
  version it read; a 409 means read again). Lost updates = accepted saves − (final − first).
- Stale reads: after each accepted save through one instance, the draft is read through the
  other; a read older than the save (version or quantity) is stale.
- Submissions: meanwhile every demo supplier's product gets a new version (start, submit)
  through alternating instances; when all are in, the worker is waited for and every
  declaration must pin the current submissions of everything it rests on, every job done.

Prints one JSON line; the throughput is accepted saves and submissions per second.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import ROOT, VENV_BIN, Client, database, server

PERIOD = {"period_start": "2025-01-01", "period_end": "2025-12-31"}
DRAFT_PERIOD = {"period_start": "2026-01-01", "period_end": "2026-12-31"}


def _api(client: Client, method: str, path: str, token: str, body: Any = None) -> Any:
    status, data = client.request(
        method,
        path,
        json.dumps(body).encode() if body is not None else None,
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    return status, (json.loads(data) if data else None)


def _tokens(setup: Any) -> tuple[dict[int, str], list[int]]:
    """An API token per organization with submitted data, and those products."""
    os.environ["TANLIAN_SETTINGS"] = setup.env["TANLIAN_SETTINGS"]
    os.environ["SECRET_KEY"] = setup.env["SECRET_KEY"]
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select

    from app import create_app
    from footprint_platform.demo_submissions import _admin
    from footprint_platform.extensions import db
    from footprint_platform.models import Product, Submission, SubmissionStatus
    from footprint_platform.services.catalogue import accounts

    app = create_app()
    with app.app_context():
        rows = db.session.execute(
            select(Product.id, Product.organization_id)
            .join(Submission, Submission.product_id == Product.id)
            .where(Submission.status == SubmissionStatus.SUBMITTED)
            .order_by(Product.id)
        ).all()
        tokens = {}
        for _, org in rows:
            if org not in tokens:
                tokens[org] = accounts.create_api_token(
                    db.session, _admin(db.session, org), org, "bench", accounts.TokenScope.WRITE
                )[1]
        db.session.remove()
    return {p: tokens[o] for p, o in rows}, [p for p, _ in rows]


def _read(client: Client, token: str, draft: int) -> tuple[int, Decimal, list[Any]]:
    status, body = _api(client, "GET", f"/api/v1/submissions/{draft}", token)
    assert status == 200, (status, body)
    rows = body["inputs"]
    quantity = next(Decimal(r["quantity"]) for r in rows if r["kind"] == "electricity")
    return body["lock_version"], quantity, rows


def _row_for_put(row: dict[str, Any]) -> dict[str, Any]:
    from footprint_platform.api.schemas_submission import InputRowSchema

    fields = InputRowSchema().fields
    return {k: v for k, v in row.items() if k in fields and v is not None}


def _editor(ports: list[int], token: str, draft: int, stop: float, out: Counter, n: int) -> None:
    write, other = Client(ports[n % 2]), Client(ports[(n + 1) % 2])
    while time.monotonic() < stop:
        version, quantity, rows = _read(write, token, draft)
        new = [dict(_row_for_put(r)) for r in rows]
        for r in new:
            if r["kind"] == "electricity":
                r["quantity"] = str(quantity + 1)
        status, body = _api(
            write,
            "PUT",
            f"/api/v1/submissions/{draft}",
            token,
            {"inputs": new, "dqr": "2", "lock_version": version},
        )
        out[status] += 1
        if status == 200:
            saved = body["submission"]["lock_version"]
            seen_version, seen_quantity, _ = _read(other, token, draft)
            if seen_version < saved or seen_quantity < quantity + 1:
                out["stale_reads"] += 1
            out["reads"] += 1


def _submitter(ports: list[int], plans: list[tuple[int, str]], out: Counter) -> None:
    for n, (product, token) in enumerate(plans):
        client = Client(ports[n % 2])
        status, draft = _api(
            client, "POST", f"/api/v1/products/{product}/submissions", token, PERIOD
        )
        if status != 201:
            out[f"start_{status}"] += 1
            continue
        status, _ = _api(
            client,
            "POST",
            f"/api/v1/submissions/{draft['id']}/submit",
            token,
            {"lock_version": draft["lock_version"]},
        )
        out[f"submit_{status}"] += 1


def _settled(setup: Any, timeout: float) -> dict[str, Any]:
    """Wait for the worker to finish every job; then check every declaration is current."""
    from sqlalchemy import func, select

    from app import create_app
    from footprint_platform.extensions import db
    from footprint_platform.models import (
        Declaration,
        DeclarationStatus,
        RollupJob,
        Submission,
        SubmissionStatus,
    )

    app = create_app()
    with app.app_context():
        deadline = time.monotonic() + timeout
        while db.session.scalar(
            select(func.count()).where(RollupJob.status.in_(("queued", "running")))
        ):
            assert time.monotonic() < deadline, "the worker did not finish"
            time.sleep(0.2)
            db.session.rollback()
        statuses = Counter(db.session.scalars(select(RollupJob.status)))
        current = dict(
            db.session.execute(
                select(Submission.product_id, Submission.id).where(
                    Submission.status == SubmissionStatus.SUBMITTED
                )
            ).all()
        )
        newest: dict[int, Declaration] = {}
        for d in db.session.scalars(
            select(Declaration)
            .where(Declaration.status != DeclarationStatus.SUPERSEDED)
            .order_by(Declaration.version)
        ):
            newest[d.product_id] = d
        stale = [
            d.product_id
            for d in newest.values()
            if any(current.get(int(p)) != pin[0] for p, pin in d.pinned.items())
        ]
        db.session.remove()
    return {"jobs": dict(statuses), "declarations": len(newest), "declarations_stale": len(stale)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    from redis import Redis

    Redis.from_url(args.redis).flushdb()
    os.environ["REDIS_URL"] = args.redis
    os.environ["TANLIAN_ROLLUP_INLINE_MAX_PRODUCTS"] = "0"
    with ExitStack() as stack:
        setup = stack.enter_context(database("postgres", args.pg))
        ports = [stack.enter_context(server(setup, 2, 2)) for _ in range(2)]
        worker = subprocess.Popen(
            [str(VENV_BIN / "flask"), "--app", "app", "rollup", "worker"],
            cwd=ROOT,
            env=setup.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stack.callback(lambda: (worker.terminate(), worker.wait(30)))
        tokens, products = _tokens(setup)
        for foil in products:  # the first with electricity: its next period's draft is contended
            status, draft = _api(
                Client(ports[0]),
                "POST",
                f"/api/v1/products/{foil}/submissions",
                tokens[foil],
                DRAFT_PERIOD,
            )
            assert status == 201, draft
            if any(r["kind"] == "electricity" for r in draft["inputs"]):
                break
        first = _read(Client(ports[0]), tokens[foil], draft["id"])[1]
        edits: Counter = Counter()
        submits: Counter = Counter()
        t0 = time.monotonic()
        stop = t0 + args.seconds
        threads = [
            threading.Thread(
                target=_editor, args=(ports, tokens[foil], draft["id"], stop, edits, n)
            )
            for n in range(args.writers)
        ]
        plans = [(p, tokens[p]) for p in products]
        threads.append(threading.Thread(target=_submitter, args=(ports, plans, submits)))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        settled = _settled(setup, 300)
        waited = time.monotonic() - t0
        final = _read(Client(ports[1]), tokens[foil], draft["id"])[1]
        print(
            json.dumps(
                {
                    "load_average": round(os.getloadavg()[0], 1),
                    "seconds": round(elapsed, 1),
                    "writers": args.writers,
                    "saves_accepted": edits[200],
                    "saves_409": edits[409],
                    "other_answers": {
                        k: v
                        for k, v in edits.items()
                        if k not in (200, 409, "reads", "stale_reads")
                    },
                    "lost_updates": edits[200] - int(final - first),
                    "reads_after_save": edits["reads"],
                    "stale_reads": edits["stale_reads"],
                    "saves_per_s": round(edits[200] / elapsed, 1),
                    "submissions": dict(submits),
                    "submissions_recomputed_per_s": round(len(plans) / waited, 2),
                    **settled,
                }
            )
        )


if __name__ == "__main__":
    main()
