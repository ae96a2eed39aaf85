"""Data requests: both inboxes, the states, and what an answer does (and does not) reveal."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform.errors import Conflict, InvalidInput, NotAllowed
from footprint_platform.extensions import db
from footprint_platform.models import DataRequest, Organization, OrgRole
from footprint_platform.services import onboarding, requests
from tests.platform.demo_ids import Ids, admin_actor, org_id

pytestmark = pytest.mark.postgres
PACK_ADMIN = "admin@huadong-pack.example"


def _ask(app: Flask, **kw: Any) -> DataRequest:
    data = {
        "supplier_id": org_id("Lanhu Lithium Refining"),
        "supplier_email": None,
        "part_number": "LH-LC-99.5",
        "period_start": date(2026, 1, 1),
        "period_end": date(2026, 12, 31),
        "due_date": date.today() + timedelta(days=20),
        "message": None,
        **kw,
    }
    return requests.create_request(
        db.session, admin_actor(PACK_ADMIN), org_id("Huadong Battery Systems"), data
    )[0]


def test_the_demo_inboxes_show_pending_answered_and_overdue(prepared_app: Flask) -> None:
    with prepared_app.app_context():
        pack = org_id("Huadong Battery Systems")
        states = {
            r.state(date.today())
            for r in db.session.scalars(
                select(DataRequest).where(
                    (DataRequest.buyer_id == pack) | (DataRequest.supplier_id == pack)
                )
            )
        }
    assert states == {"pending", "answered", "overdue"}


def test_a_request_names_an_existing_part_of_that_supplier(prepared_app: Flask) -> None:
    with prepared_app.app_context():
        with pytest.raises(InvalidInput) as err:
            _ask(prepared_app, part_number="NOT-THERE")
        assert set(err.value.errors) == {"part_number"}
        with pytest.raises(InvalidInput) as err:
            _ask(
                prepared_app,
                due_date=date.today() - timedelta(days=1),
                supplier_email="x@y.example",
            )
        assert set(err.value.errors) == {"supplier_id", "due_date"}


def test_a_supplier_declines_with_a_reason_and_the_request_closes(prepared_app: Flask) -> None:
    with prepared_app.app_context():
        asked = _ask(prepared_app)
        supplier = admin_actor("data@lanhu-lithium.example")
        with pytest.raises(InvalidInput):
            requests.decline(db.session, supplier, asked.id, "  ")
        with pytest.raises(NotAllowed):  # the buyer cannot decline for the supplier
            requests.decline(db.session, admin_actor(PACK_ADMIN), asked.id, "no")
        done = requests.decline(db.session, supplier, asked.id, "Plant closed in 2026")
        assert done.state(date.today()) == "declined"
        with pytest.raises(Conflict):
            requests.cancel(db.session, admin_actor(PACK_ADMIN), asked.id)


def test_an_answer_must_be_a_submitted_version_of_the_product(
    prepared_app: Flask, ids: Ids
) -> None:
    with prepared_app.app_context():
        supplier = admin_actor(PACK_ADMIN)
        with pytest.raises(InvalidInput):
            requests.answer(db.session, supplier, ids.incoming_request, ids.draft)
        done = requests.answer(db.session, supplier, ids.incoming_request, ids.answer_with)
        assert done.state(date.today()) == "answered" and done.submission_id == ids.answer_with


def test_the_buyer_learns_of_the_answer_but_cannot_read_the_inputs(
    prepared_app: Flask, ids: Ids
) -> None:
    from tests.conftest import Session

    with prepared_app.app_context():
        requests.answer(db.session, admin_actor(PACK_ADMIN), ids.incoming_request, ids.answer_with)
    buyer = Session(prepared_app.test_client())
    buyer.login("analyst@lingnan-auto.example")
    with prepared_app.app_context():
        lingnan = org_id("Lingnan Auto")
    inbox = buyer.client.get(f"/orgs/{lingnan}/requests").get_data(as_text=True)
    assert "HD-PK-LFP-60" in inbox and "request-answered" in inbox
    assert (
        buyer.client.get(f"/submissions/{ids.answer_with}/review").status_code == 404
    )  # no party to it


def test_a_supplier_invited_by_email_finds_its_requests_once_registered(
    prepared_app: Flask,
) -> None:
    with prepared_app.app_context():
        asked = _ask(
            prepared_app,
            supplier_id=None,
            supplier_email="Boss@NewCathode.example",
            part_number="NC-1",
        )
        assert asked.supplier_id is None
        org, token = onboarding.register_organization(
            db.session,
            admin_actor("operator@tanlian.example"),
            {
                "name_en": "New Cathode Co",
                "country": "CN",
                "roles": [OrgRole.SUPPLIER.value],
                "admin_email": "boss@newcathode.example",
            },
            timedelta(days=1),
        )
        assert token
        assert db.session.get(DataRequest, asked.id).supplier_id == org.id
        assert db.session.get(Organization, org.id).has_role(OrgRole.SUPPLIER)


def test_a_supplier_not_on_tanlian_registers_through_the_link(prepared_app: Flask) -> None:
    from tests.conftest import Session

    buyer = Session(prepared_app.test_client())
    buyer.login(PACK_ADMIN)
    with prepared_app.app_context():
        pack = org_id("Huadong Battery Systems")
    page = buyer.post(
        f"/orgs/{pack}/requests",
        {
            "supplier_email": "ops@fresh-foil.example",
            "part_number": "FF-CU-8",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "due_date": (date.today() + timedelta(days=30)).isoformat(),
        },
    )
    html = page.get_data(as_text=True)
    link = html.split("/join/", 1)[1].split("<", 1)[0]
    supplier = Session(prepared_app.test_client())
    assert supplier.client.get(f"/join/{link}").status_code == 200
    short = supplier.post(
        f"/join/{link}",
        {"name_en": "Fresh Foil", "country": "CN", "display_name": "Ops", "password": "short"},
    )
    assert short.status_code == 422
    done = supplier.post(
        f"/join/{link}",
        {
            "name_en": "Fresh Foil",
            "country": "CN",
            "display_name": "Ops",
            "password": "long-enough-1",
        },
    )
    assert done.status_code == 302
    inbox = supplier.client.get(done.headers["Location"]).get_data(as_text=True)
    assert "FF-CU-8" in inbox
    assert Session(prepared_app.test_client()).client.get(f"/join/{link}").status_code == 404
    with prepared_app.app_context():
        fresh = db.session.scalar(select(Organization).where(Organization.name_en == "Fresh Foil"))
        assert fresh.roles == {OrgRole.SUPPLIER}
