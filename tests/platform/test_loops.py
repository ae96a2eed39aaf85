"""No submission can break the roll-up: a link that closes a loop with gain >= 1 is refused at
save and at submit, submit is all or nothing, and a period's recompute isolates a bad loop that
reached the database anyway and keeps computing everything else."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import func, select

from footprint_platform.extensions import db
from footprint_platform.models import (
    AuditEvent,
    Product,
    ProductResult,
    RollupJob,
    Submission,
    SubmissionInput,
    SubmissionStatus,
)
from footprint_platform.services import workflow
from footprint_platform.services.intake.activity import FIELDS
from tests.conftest import Session
from tests.platform.demo_ids import Ids

pytestmark = pytest.mark.postgres

PERIOD = {"period_start": "2025-01-01", "period_end": "2025-12-31"}
DATES = (date(2025, 1, 1), date(2025, 12, 31))
INPUT_FIELDS = FIELDS  # every column of an input row


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}


def _part(app: Flask, part: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Product.id).where(Product.part_number == part))


def _with_cathode(draft: dict[str, Any], cathode: int, kg: str) -> dict[str, Any]:
    """The draft's own rows plus `kg` of the cathode per kg of lithium hydroxide."""
    rows = [{f: r[f] for f in INPUT_FIELDS if r.get(f) is not None} for r in draft["inputs"]]
    rows.append({"kind": "material", "quantity": kg, "unit": "kg", "linked_product_id": cathode})
    return {"dqr": "2", "inputs": rows, "lock_version": draft["lock_version"]}


def _consent_to_lanhu(product: int, maker: str = "data@minjiang-cathode.example") -> None:
    """The maker lets Lanhu link its product: without consent the link is valued as a product
    without data and closes no loop (services/relations/consent.py)."""
    from tests.platform.demo_ids import admin_actor

    lanhu = db.session.scalar(
        select(Product.organization_id).where(Product.part_number == "LH-LHM-56.5")
    )
    workflow.share(db.session, admin_actor(maker), product, lanhu)


def _counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        submitted = db.session.scalar(
            select(func.count())
            .select_from(Submission)
            .where(Submission.status == SubmissionStatus.SUBMITTED)
        )
        links = db.session.scalar(
            select(func.count())
            .select_from(SubmissionInput)
            .where(SubmissionInput.linked_product_id.is_not(None))
        )
        return submitted or 0, links or 0


def test_a_link_closing_a_loop_with_gain_above_one_is_refused_naming_it(
    prepared_app: Flask, ids: Ids
) -> None:
    client: FlaskClient = prepared_app.test_client()
    auth = _bearer(ids.other_write_secret)  # Lanhu Lithium's write token
    hydroxide = _part(prepared_app, "LH-LHM-56.5")
    cathode = _part(prepared_app, "MJ-NCM811-S")
    draft = client.post(f"/api/v1/products/{hydroxide}/submissions", json=PERIOD, headers=auth)
    assert draft.status_code == 201, draft.get_json()
    draft_id = draft.get_json()["id"]
    with prepared_app.app_context():
        _consent_to_lanhu(cathode)
    before = _counts(prepared_app)
    saved = client.put(
        f"/api/v1/submissions/{draft_id}",
        json=_with_cathode(draft.get_json(), cathode, "1000"),
        headers=auth,
    )
    assert saved.status_code == 422, saved.get_json()
    (reason,) = saved.get_json()["errors"]["inputs.linked_product_id"]
    assert "LH-LHM-56.5 → MJ-NCM811-S → LH-LHM-56.5" in reason
    assert "XJ-P811" not in reason and "DT-P811-150" not in reason  # the rest of the loop
    assert _counts(prepared_app) == before
    with prepared_app.app_context():
        kept = db.session.get(Submission, draft_id)
        assert kept.status == SubmissionStatus.DRAFT
        assert cathode not in {i.linked_product_id for i in kept.inputs}


def _current(part: str) -> Submission:
    return db.session.scalars(
        select(Submission)
        .join(Product)
        .where(Product.part_number == part, Submission.status == SubmissionStatus.SUBMITTED)
    ).one()


def _plant_loop() -> tuple[int, int]:
    """1000 kg of the cathode into the submitted lithium hydroxide, written past the services
    (as a row restored from elsewhere would be): (hydroxide id, cathode id)."""
    cathode = db.session.scalar(select(Product.id).where(Product.part_number == "MJ-NCM811-S"))
    _consent_to_lanhu(cathode)  # before the row: the consent's own recompute meets no loop
    hydroxide = _current("LH-LHM-56.5")
    db.session.add(
        SubmissionInput(
            submission_id=hydroxide.id,
            position=99,
            kind="material",
            stage="raw_material",
            quantity=1000,
            unit="kg",
            linked_product_id=cathode,
        )
    )
    db.session.commit()
    return hydroxide.product_id, cathode


def _resubmit(part: str, email: str) -> Submission:
    from footprint_platform.services.intake import submissions
    from tests.platform.demo_ids import admin_actor

    actor = admin_actor(email)
    product = db.session.scalar(select(Product.id).where(Product.part_number == part))
    draft = submissions.start_draft(db.session, actor, product, *DATES)
    rows = [
        {f: getattr(i, f) for f in INPUT_FIELDS if getattr(i, f, None) is not None}
        | {"kind": i.kind.value}
        for i in draft.inputs
    ]
    submissions.save_draft(db.session, actor, draft.id, {"dqr": 2}, rows)
    return workflow.submit(db.session, actor, draft.id)


def test_a_period_recompute_isolates_a_planted_bad_loop_and_reports_it(demo_app: Flask) -> None:
    from footprint_platform.errors import InvalidInput
    from footprint_platform.services.disclosure import declarations
    from footprint_platform.services.graph import results
    from tests.platform.demo_ids import admin_actor

    with demo_app.app_context():
        hydroxide, cathode = _plant_loop()
        cell = db.session.scalar(select(Product).where(Product.part_number == "DT-P811-150"))
        foil = db.session.scalar(select(Product).where(Product.part_number == "JN-AL-12"))
        before = results.latest_results(db.session, cell.organization_id)[cell.id]
        job = workflow.schedule_inline(db.session, *DATES, "test: planted loop")
        assert job.status == "done"
        stored = set(
            db.session.scalars(
                select(ProductResult.product_id).where(ProductResult.run_id == job.run_id)
            )
        )
        assert foil.id in stored  # unrelated: computed
        assert not {hydroxide, cathode, cell.id} & stored  # the loop and what uses it: not
        after = results.latest_results(db.session, cell.organization_id)[cell.id]
        assert after.not_computed and after.result.total == before.result.total
        (report,) = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "rollup.loop_error")
        ).all()
        assert report.object_id == str(job.run_id) and report.organization_id is None
        assert {"LH-LHM-56.5", "MJ-NCM811-S"} <= set(report.details["loop_products"][0])
        assert {hydroxide, cathode, cell.id} <= set(report.details["not_computed"])
        assert foil.id not in report.details["not_computed"]
        with pytest.raises(InvalidInput):  # a stale result is not declared as the period's
            declarations.declare(
                db.session, admin_actor("admin@dongtai-cells.example"), cell.id, *DATES
            )
        cell_id, cell_org = cell.id, cell.organization_id
    maker = Session(demo_app.test_client())
    maker.login("admin@dongtai-cells.example")
    en = {"Accept-Language": "en"}
    listed = maker.client.get(f"/orgs/{cell_org}/products", headers=en).get_data(as_text=True)
    assert "not computed: loop error" in listed
    page = maker.client.get(f"/dashboard/products/{cell_id}", headers=en)
    assert page.status_code == 200 and 'id="loop-error"' in page.get_data(as_text=True)
    operator = Session(demo_app.test_client())
    operator.login("operator@tanlian.example")
    shown = operator.client.get("/operator/organizations").get_data(as_text=True)
    assert 'id="loop-errors"' in shown and "MJ-NCM811-S" in shown


def test_an_unrelated_submission_still_lands_beside_a_bad_loop(demo_app: Flask) -> None:
    with demo_app.app_context():
        _plant_loop()
        # the cell maker is on the loop now, but did not close it: it may still submit
        cell = _resubmit("DT-P811-150", "admin@dongtai-cells.example")
        assert cell.status == SubmissionStatus.SUBMITTED
        separator = _resubmit("YL-W9-C", "data@yunling-film.example")
        assert separator.status == SubmissionStatus.SUBMITTED
        job = db.session.scalars(select(RollupJob).order_by(RollupJob.id.desc())).first()
        assert job.status == "done"
        assert db.session.scalar(
            select(ProductResult.id).where(
                ProductResult.run_id == job.run_id,
                ProductResult.product_id == separator.product_id,
            )
        )


def test_submit_refuses_a_bad_loop_that_reached_the_draft(demo_app: Flask) -> None:
    """A draft row written past the save check (an old draft, a restored row): submit checks
    again and the draft stays a draft."""
    from footprint_platform.errors import UploadRejected
    from footprint_platform.services.intake import submissions
    from tests.platform.demo_ids import admin_actor

    with demo_app.app_context():
        actor = admin_actor("data@lanhu-lithium.example")
        hydroxide = _current("LH-LHM-56.5").product_id
        cell = db.session.scalar(select(Product.id).where(Product.part_number == "DT-P811-150"))
        _consent_to_lanhu(cell, "admin@dongtai-cells.example")
        draft = submissions.start_draft(db.session, actor, hydroxide, *DATES)
        draft.inputs.append(
            SubmissionInput(
                position=99,
                kind="material",
                stage="raw_material",
                quantity=1000,
                unit="kWh",
                linked_product_id=cell,
            )
        )
        db.session.commit()
        with pytest.raises(UploadRejected) as err, force_locale("en"):
            workflow.submit(db.session, actor, draft.id)
        (reason,) = err.value.errors["material.linked_product_id"]
        # the cathode between them belongs to another organization: counted, not named
        assert "LH-LHM-56.5 → … → DT-P811-150 → LH-LHM-56.5" in reason
        assert "MJ-NCM811-S" not in reason and ": 1." in reason
        db.session.expire_all()
        assert db.session.get(Submission, draft.id).status == SubmissionStatus.DRAFT


def test_a_submit_whose_recompute_fails_is_saved_and_says_so(
    demo_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The version and its recompute request commit together (an outbox): a recompute that
    fails afterwards loses nothing and tells no one "nothing was saved" — the version stands,
    its job says it failed and why, and the period's next recompute takes the version in."""
    import supply_graph
    from footprint_platform.services.graph import build, chain, period_graph, results
    from footprint_platform.services.intake import submissions
    from tests.platform.demo_ids import admin_actor

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the solver fell over")

    with demo_app.app_context():
        actor = admin_actor("data@yunling-film.example")
        previous = _current("YL-W9-C")
        draft = submissions.start_draft(db.session, actor, previous.product_id, *DATES)
        draft_id, audits = draft.id, _audit_count()
        with monkeypatch.context() as patched:
            patched.setattr(build, "rollup", broken)
            patched.setattr(chain, "rollup", broken)
            patched.setattr(supply_graph, "rollup", broken)
            workflow.submit(db.session, actor, draft_id)
        db.session.expire_all()
        assert db.session.get(Submission, draft_id).status == SubmissionStatus.SUBMITTED
        assert _current("YL-W9-C").id == draft_id
        assert _audit_count() == audits + 1
        job = db.session.scalars(select(RollupJob).order_by(RollupJob.id.desc())).first()
        assert job.status == "failed" and "the solver fell over" in job.error
        workflow.schedule_inline(db.session, *DATES, "operator: rerun")  # `flask rollup run`
        run = results.latest_results(db.session, actor.organization_ids[0])[previous.product_id].run
        assert period_graph.run_pins(db.session, run)[previous.product_id] == draft_id


def _audit_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "submission.submit")
    )


def test_a_link_that_cannot_close_a_loop_reads_no_period_graph(
    demo_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The products the cell links do not draw on the cell: no loop can pass through it, so
    its check neither patches the period's snapshot nor searches the graph for loops. Were a
    linked product to draw on it, the graph would be needed."""
    from footprint_platform.services.intake import loops

    class _NoGraph:
        @staticmethod
        def now(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("the loop check read the period's graph")

    with demo_app.app_context():
        cell = _current("DT-P811-150").product_id
        cathode = _current("MJ-NCM811-S").product_id
        hydroxide = _current("LH-LHM-56.5").product_id
        assert cathode in {i.linked_product_id for i in _current("DT-P811-150").inputs}
        monkeypatch.setattr(loops, "period_graph", _NoGraph)
        resubmitted = _resubmit("DT-P811-150", "admin@dongtai-cells.example")
        assert resubmitted.status == SubmissionStatus.SUBMITTED
        assert not loops._may_close_loop(db.session, cell, [cathode])
        # the cell draws on the cathode, which draws on the hydroxide
        assert loops._may_close_loop(db.session, hydroxide, [cell])
        assert loops._may_close_loop(db.session, cell, [cell])
