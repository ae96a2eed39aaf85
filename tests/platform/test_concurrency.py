"""Concurrency on a real database: many requests at once against one application. No lost
update (optimistic versions), no duplicate version numbers, no deadlock or constraint race
surfacing as a server error; and whatever happens, the declarations still verify."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import select

from footprint_platform.api.schemas_submission import InputRowSchema
from footprint_platform.extensions import db
from footprint_platform.models import Product, Submission, SubmissionStatus
from footprint_platform.services.catalogue import accounts
from footprint_platform.services.disclosure import declarations
from tests.platform.demo_ids import admin_actor

pytestmark = pytest.mark.postgres
PERIOD = {"period_start": "2025-01-01", "period_end": "2025-12-31"}
THREADS = 8


def _token(app: Flask, email: str, org_name: str) -> str:
    from tests.platform.demo_ids import org_id

    with app.app_context():
        _, secret = accounts.create_api_token(
            db.session, admin_actor(email), org_id(org_name), "c", accounts.TokenScope.WRITE
        )
    return secret


def _at_once(calls: list[Any]) -> list[Any]:
    """Run the calls on threads released together, so their requests overlap."""
    gate = threading.Barrier(len(calls))

    def run(call: Any) -> Any:
        gate.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_one_draft_per_product_and_period_however_many_start_at_once(demo_app: Flask) -> None:
    secret = _token(demo_app, "data@jiangnan-foil.example", "Jiangnan Foil Materials")
    with demo_app.app_context():
        foil = db.session.scalar(select(Product.id).where(Product.part_number == "JN-AL-12"))
    headers = {"Authorization": f"Bearer {secret}"}

    def start() -> int:
        client = demo_app.test_client()
        return client.post(
            f"/api/v1/products/{foil}/submissions", json=PERIOD, headers=headers
        ).status_code

    codes = Counter(_at_once([start] * THREADS))
    assert codes[201] == 1 and codes[201] + codes[409] == THREADS, codes
    with demo_app.app_context():
        versions = db.session.scalars(
            select(Submission.version).where(Submission.product_id == foil)
        ).all()
        assert len(versions) == len(set(versions))


def test_concurrent_saves_of_one_draft_lose_nothing(demo_app: Flask) -> None:
    secret = _token(demo_app, "data@jiangnan-foil.example", "Jiangnan Foil Materials")
    headers = {"Authorization": f"Bearer {secret}"}
    with demo_app.app_context():
        foil = db.session.scalar(select(Product.id).where(Product.part_number == "JN-AL-12"))
    started = demo_app.test_client().post(
        f"/api/v1/products/{foil}/submissions", json=PERIOD, headers=headers
    )
    draft = started.get_json()
    rows = [
        {
            "kind": i["kind"],
            "quantity": i["quantity"],
            "unit": i["unit"],
            "factor_code": i["factor_code"],
            "stage": i["stage"],
        }
        for i in draft["inputs"]
    ]

    def save(n: int) -> Any:
        def call() -> tuple[int, str]:
            body = {
                "inputs": rows,
                "notes": f"writer {n}",
                "lock_version": draft["lock_version"],
            }
            r = demo_app.test_client().put(
                f"/api/v1/submissions/{draft['id']}", json=body, headers=headers
            )
            return r.status_code, f"writer {n}"

        return call

    results = _at_once([save(n) for n in range(THREADS)])
    codes = Counter(code for code, _ in results)
    assert codes[200] == 1 and codes[409] == THREADS - 1, codes
    winner = next(note for code, note in results if code == 200)
    with demo_app.app_context():
        assert db.session.get(Submission, draft["id"]).notes == winner


def test_many_suppliers_submit_at_once_and_everything_still_verifies(demo_app: Flask) -> None:
    """Six suppliers each send a new version of their product in the same moment; each
    submit recomputes the period and redeclares what rests on it."""
    suppliers = [
        ("data@jiangnan-foil.example", "Jiangnan Foil Materials", "JN-AL-12"),
        ("data@lanhu-lithium.example", "Lanhu Lithium Refining", "LH-LC-99.5"),
    ]
    with demo_app.app_context():
        more = db.session.execute(
            select(Product.part_number, Product.organization_id)
            .join(Submission, Submission.product_id == Product.id)
            .where(Submission.status == SubmissionStatus.SUBMITTED)
            .distinct()
        ).all()
    assert len(more) >= 6
    plans = []
    for email, org, part in suppliers:
        plans.append((_token(demo_app, email, org), part))

    def resubmit(secret: str, part: str) -> Any:
        def call() -> list[int]:
            client = demo_app.test_client()
            headers = {"Authorization": f"Bearer {secret}"}
            with demo_app.app_context():
                product = db.session.scalar(select(Product.id).where(Product.part_number == part))
            started = client.post(
                f"/api/v1/products/{product}/submissions", json=PERIOD, headers=headers
            )
            if started.status_code != 201:
                return [started.status_code]
            draft = started.get_json()
            fields = InputRowSchema().fields
            rows = [{k: v for k, v in i.items() if k in fields} for i in draft["inputs"]]
            saved = client.put(
                f"/api/v1/submissions/{draft['id']}",
                json={"inputs": rows, "dqr": draft["dqr"], "notes": "concurrent"},
                headers=headers,
            )
            done = client.post(
                f"/api/v1/submissions/{draft['id']}/submit", json={}, headers=headers
            )
            return [started.status_code, saved.status_code, done.status_code]

        return call

    calls = [resubmit(s, p) for s, p in plans] * 3  # each supplier three times at once
    outcomes = _at_once(calls)
    assert all(code < 500 for codes in outcomes for code in codes), outcomes
    assert any(codes[-1] == 200 for codes in outcomes), outcomes
    with demo_app.app_context():
        current = db.session.execute(
            select(Submission.product_id, sa.func.count())
            .where(Submission.status == SubmissionStatus.SUBMITTED)
            .group_by(Submission.product_id, Submission.period_start, Submission.period_end)
        ).all()
        assert all(n == 1 for _, n in current)
        assert declarations.verify(db.session) == []


SUBMITTERS = 20


def _submitted_products(app: Flask) -> list[tuple[int, str]]:
    """(product id, an API token of its maker) for up to SUBMITTERS products with data."""
    from footprint_platform.demo_submissions import _admin

    with app.app_context():
        rows = db.session.execute(
            select(Product.id, Product.organization_id)
            .join(Submission, Submission.product_id == Product.id)
            .where(Submission.status == SubmissionStatus.SUBMITTED)
            .order_by(Product.id)
            .limit(SUBMITTERS)
        ).all()
        tokens: dict[int, str] = {}
        for _, org in rows:
            if org not in tokens:
                admin = _admin(db.session, org)
                tokens[org] = accounts.create_api_token(
                    db.session, admin, org, "c", accounts.TokenScope.WRITE
                )[1]
        db.session.remove()
    return [(product, tokens[org]) for product, org in rows]


def test_twenty_submissions_at_once_leave_every_declaration_current(
    demo_app: Flask, db_lane: str
) -> None:
    """Each submission recomputes the period and redeclares what rests on it, in the request:
    the recomputes of one period take turns, so no declaration version is taken twice, nobody
    is told "nothing was saved" about data that was, and every declaration ends current."""
    if db_lane == "sqlite":  # one writer at a time: 20 at once outwait its lock timeout
        pytest.skip("twenty concurrent writers are a PostgreSQL case (production)")
    from footprint_platform.models import RollupJob
    from tests.platform.test_durability import stale_declarations

    plans = _submitted_products(demo_app)
    assert len(plans) == SUBMITTERS

    def resubmit(product: int, secret: str) -> Any:
        def call() -> list[int]:
            client = demo_app.test_client()
            headers = {"Authorization": f"Bearer {secret}"}
            started = client.post(
                f"/api/v1/products/{product}/submissions", json=PERIOD, headers=headers
            )
            if started.status_code != 201:
                return [started.status_code]
            draft = started.get_json()
            done = client.post(
                f"/api/v1/submissions/{draft['id']}/submit",
                json={"lock_version": draft["lock_version"]},
                headers=headers,
            )
            return [started.status_code, done.status_code]

        return call

    outcomes = _at_once([resubmit(p, s) for p, s in plans])
    assert all(codes == [201, 200] for codes in outcomes), outcomes
    with demo_app.app_context():
        statuses = Counter(db.session.scalars(select(RollupJob.status)))
        assert set(statuses) == {"done"}, statuses
        assert stale_declarations(db.session) == []
        assert declarations.verify(db.session) == []
