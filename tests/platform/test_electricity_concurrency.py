"""Two claims of one certificate at the same moment, on PostgreSQL: two products (or two
companies registering its id) race; exactly one wins, the other is refused."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from footprint_platform.errors import Conflict, UploadRejected
from footprint_platform.extensions import db
from footprint_platform.models import ElectricityInstrument, Product, SubmissionStatus
from footprint_platform.services import workflow
from footprint_platform.services.intake import evidence, instruments, submissions
from tests.platform.demo_ids import Ids
from tests.platform.test_electricity import _HEADER, _admin, _cert_row, _product_at, _register

pytestmark = pytest.mark.postgres


def _race(app: Flask, jobs: list[Any]) -> list[Any]:
    """Run each job in its own thread and application context (own connection), released
    together at a barrier; returns what each returned or raised."""
    barrier = threading.Barrier(len(jobs))
    out: list[Any] = [None] * len(jobs)

    def run(k: int) -> None:
        with app.app_context(), force_locale("en"):
            try:
                prepare = jobs[k]()
                barrier.wait(timeout=30)
                out[k] = prepare()
            except Exception as exc:
                out[k] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return out


def test_two_products_claiming_one_certificate_at_once_one_is_refused(
    prepared_app: Flask, ids: Ids
) -> None:
    if prepared_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("row locks: PostgreSQL lane")
    with prepared_app.app_context():
        admin = _admin("admin@huadong-pack.example")
        site = db.session.get(Product, ids.product).site_id  # type: ignore[union-attr]
        _register(admin, ids.org, site, ids.evidence)
        drafts = []
        for part in ("EL-RACE-1", "EL-RACE-2"):
            product = _product_at(admin, ids.org, site, part)
            draft = submissions.start_draft(
                db.session, admin, product.id, date(2026, 1, 1), date(2026, 12, 31)
            )
            header = {**_HEADER, "production_volume": Decimal(100)}
            rows = [_cert_row(quantity="1", certificate_id="T-GEC-0001")]
            submissions.save_draft(db.session, admin, draft.id, header, rows)
            drafts.append(draft.id)

    def job(draft_id: int) -> Any:
        def prepare() -> Any:
            actor = _admin("admin@huadong-pack.example")
            return lambda: workflow.submit(db.session, actor, draft_id).status

        return prepare

    outcomes = _race(prepared_app, [job(d) for d in drafts])
    won = [o for o in outcomes if o is SubmissionStatus.SUBMITTED]
    lost = [o for o in outcomes if isinstance(o, UploadRejected)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert "claimed once" in lost[0].problems[0].reason
    with prepared_app.app_context():
        record = db.session.scalars(
            select(ElectricityInstrument).where(
                ElectricityInstrument.certificate_id == "T-GEC-0001"
            )
        ).one()
        assert record.claimed_kwh == Decimal(100)


def test_two_companies_registering_one_certificate_id_at_once_one_is_refused(
    prepared_app: Flask, ids: Ids
) -> None:
    if prepared_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("concurrent transactions: PostgreSQL lane")
    with prepared_app.app_context():
        other = _admin("data@lanhu-lithium.example")
        proof = evidence.add_evidence(db.session, other, ids.other_org, "c.txt", b"retired").id
        sites = {
            ids.org: db.session.get(Product, ids.product).site_id,  # type: ignore[union-attr]
            ids.other_org: db.session.get(Product, ids.other_product).site_id,  # type: ignore[union-attr]
        }
    plans = [
        ("admin@huadong-pack.example", ids.org, ids.evidence),
        ("data@lanhu-lithium.example", ids.other_org, proof),
    ]

    def job(email: str, org: int, evidence_id: int) -> Any:
        def prepare() -> Any:
            actor = _admin(email)
            data = {
                "certificate_id": "RACE-GEC-1",
                "kind": "green_certificate",
                "issuer": "registry",
                "generation": "wind",
                "volume_kwh": "10",
                "vintage_start": "2026-01-01",
                "vintage_end": "2026-12-31",
                "site_id": sites[org],
                "evidence_id": evidence_id,
            }
            return lambda: instruments.register(db.session, actor, org, data).organization_id

        return prepare

    outcomes = _race(prepared_app, [job(*p) for p in plans])
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "int"], outcomes
    assert any(isinstance(o, Conflict) for o in outcomes)
    with prepared_app.app_context():
        taken = select(ElectricityInstrument).where(
            ElectricityInstrument.certificate_id == "RACE-GEC-1"
        )
        assert len(db.session.scalars(taken).all()) == 1
