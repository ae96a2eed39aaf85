"""A person's task inbox and the header's count: what waits for them, by the policy, and
starting the submission a data request asks for."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform.errors import NotAllowed, NotFound
from footprint_platform.extensions import db
from footprint_platform.models import DataRequest, RequestStatus, Submission, SubmissionStatus
from footprint_platform.services.catalogue.catalog import products_query
from footprint_platform.services.disclosure import publication
from footprint_platform.services.exchange import requests
from footprint_platform.services.insight import tasks
from footprint_platform.services.relations import links
from tests.conftest import Session
from tests.platform.demo_ids import admin_actor, org_id

pytestmark = pytest.mark.postgres
EN = {"Accept-Language": "en"}
PACK = "admin@huadong-pack.example"
PACK_VIEWER = "analyst@huadong-pack.example"
BASHU = "admin@bashu-lfp.example"
HUADONG = "Huadong Battery Systems"


def _incoming(supplier: str) -> DataRequest:
    return db.session.scalar(
        select(DataRequest).where(
            DataRequest.supplier_id == org_id(supplier),
            DataRequest.status == RequestStatus.PENDING,
        )
    )


def test_each_person_sees_what_waits_for_them(demo_app: Flask) -> None:
    with demo_app.test_request_context("/", headers=EN):
        bashu = tasks.for_person(db.session, admin_actor(BASHU))
        assert [r.part_number for r in bashu.to_answer] == ["BS-LFP-280"]
        assert bashu.count == tasks.count(db.session, admin_actor(BASHU))
        pack = tasks.for_person(db.session, admin_actor(PACK))
        assert [r.part_number for r in pack.to_answer] == ["HD-PK-LFP-60"]  # overdue
        assert pack.to_answer[0].state(date.today()) == "overdue"
        assert {o.product.part_number for o in pack.declarations_due} >= {"HD-PK-LFP-60"}
        assert pack.count == tasks.count(db.session, admin_actor(PACK))
        # a viewer may read requests but answers none: nothing to do
        viewer = tasks.for_person(db.session, admin_actor(PACK_VIEWER))
        assert viewer.count == 0 == tasks.count(db.session, admin_actor(PACK_VIEWER))
        # the buyer sees its own request once it is past due, not before
        assert tasks.for_person(db.session, admin_actor(PACK)).overdue_sent == []
        later = date.today() + timedelta(days=31)
        overdue = tasks.for_person(db.session, admin_actor(PACK), later).overdue_sent
        assert [r.part_number for r in overdue] == ["BS-LFP-280"]


def test_verifications_and_link_requests_wait_for_their_deciders(demo_app: Flask) -> None:
    with demo_app.test_request_context("/", headers=EN):
        owner = admin_actor(PACK)
        verifier = admin_actor("verifier@qingyuan-verify.example")
        before = tasks.count(db.session, verifier)
        declaration = db.session.scalar(
            select(publication.Declaration.id).where(
                publication.Declaration.organization_id == org_id(HUADONG),
                publication.Declaration.published_at.is_(None),
            )
        )
        if declaration is None:  # every demo declaration is published: declare one again
            from footprint_platform.services.disclosure import declarations

            pack_id = next(
                p.id
                for p in db.session.scalars(products_query(org_id(HUADONG)))
                if p.part_number == "HD-PK-811-78"
            )
            declaration = declarations.declare(
                db.session, owner, pack_id, date(2025, 1, 1), date(2025, 12, 31), "again"
            ).id
        v = publication.request_verification(
            db.session, owner, declaration, org_id("Qingyuan Carbon Verification Co.")
        )
        inbox = tasks.for_person(db.session, verifier)
        assert v.id in [x.id for x in inbox.to_verify]
        assert tasks.count(db.session, verifier) == before + 1
        # a link request waits for the supplier's editors, not for the buyer
        lithium = db.session.scalars(products_query(org_id("Lanhu Lithium Refining"))).first()
        asked = links.ask(db.session, owner, org_id(HUADONG), lithium.id)
        supplier = admin_actor("data@lanhu-lithium.example")
        assert asked.id in [x.id for x in tasks.for_person(db.session, supplier).links_to_decide]
        assert asked.id not in [x.id for x in tasks.for_person(db.session, owner).links_to_decide]


def test_starting_the_submission_for_a_request_opens_the_draft(demo_app: Flask) -> None:
    with demo_app.test_request_context("/", headers=EN):
        request = _incoming("Bashu LFP Power")
        request_id, product_id = request.id, request.product_id
        period = request.period
        draft = requests.start_answer(db.session, admin_actor(BASHU), request_id)
        assert (draft.product_id, draft.period_start, draft.period_end) == (product_id, *period)
        assert draft.status is SubmissionStatus.DRAFT
        # again: the same draft, not a second one
        assert requests.start_answer(db.session, admin_actor(BASHU), request_id).id == draft.id
        with pytest.raises(NotAllowed):  # the buyer is a party but cannot answer
            requests.start_answer(db.session, admin_actor(PACK), request_id)
        with pytest.raises(NotFound):  # a stranger learns nothing
            requests.start_answer(db.session, admin_actor("data@mbnickel.example"), request_id)
    supplier = Session(demo_app.test_client())
    supplier.login(BASHU)
    started = supplier.post(f"/requests/{request_id}/start")
    assert started.status_code == 302
    assert re.search(r"/submissions/\d+/general$", started.headers["Location"])
    with demo_app.app_context():
        drafts = db.session.scalars(
            select(Submission).where(
                Submission.product_id == product_id, Submission.status == SubmissionStatus.DRAFT
            )
        ).all()
        assert len(drafts) == 1


def test_the_header_counts_and_links_the_inbox_after_sign_in(demo_app: Flask) -> None:
    anonymous = demo_app.test_client().get("/", headers=EN).get_data(as_text=True)
    assert "/tasks" not in anonymous
    supplier = Session(demo_app.test_client())
    supplier.login(BASHU)
    html = supplier.client.get("/dashboard/", headers=EN).get_data(as_text=True)
    with demo_app.test_request_context("/"):
        expected = tasks.count(db.session, admin_actor(BASHU))
        bashu = org_id("Bashu LFP Power")
    assert expected >= 1
    assert f'data-task-count="{expected}"' in html
    assert f'href="/orgs/{bashu}/submissions"' in html and f'href="/orgs/{bashu}/requests"' in html
    inbox = supplier.client.get("/tasks", headers=EN).get_data(as_text=True)
    assert "BS-LFP-280" in inbox and "Start the submission for this request" in inbox
    zh = supplier.client.get("/tasks", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "待办" in zh and "Start the submission" not in zh


def test_the_overview_shows_pending_requests(demo_app: Flask) -> None:
    supplier = Session(demo_app.test_client())
    supplier.login(BASHU)
    html = supplier.client.get("/dashboard/", headers=EN).get_data(as_text=True)
    assert 'id="pending-requests"' in html and "BS-LFP-280" in html
