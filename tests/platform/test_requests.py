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
from footprint_platform.services import workflow
from footprint_platform.services.exchange import onboarding, requests
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
            workflow.answer_request(db.session, supplier, ids.incoming_request, ids.draft)
        done = workflow.answer_request(db.session, supplier, ids.incoming_request, ids.answer_with)
        assert done.state(date.today()) == "answered" and done.submission_id == ids.answer_with


def test_the_buyer_learns_of_the_answer_but_cannot_read_the_inputs(
    prepared_app: Flask, ids: Ids
) -> None:
    from tests.conftest import Session

    with prepared_app.app_context():
        workflow.answer_request(
            db.session, admin_actor(PACK_ADMIN), ids.incoming_request, ids.answer_with
        )
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


# ---- requests answer the period they ask for -----------------------------------------------

CATHODE = "data@minjiang-cathode.example"
OEM = "analyst@jinghai-motors.example"


def _ask_cathode_2026(app: Flask) -> int:
    """The vehicle maker asks the cathode maker for 2026 data, which it has only for 2025."""
    with app.app_context():
        data = {
            "supplier_id": org_id("Minjiang Cathode Materials"),
            "supplier_email": None,
            "part_number": "MJ-NCM811-S",
            "period_start": date(2026, 1, 1),
            "period_end": date(2026, 12, 31),
            "due_date": date.today() + timedelta(days=20),
            "message": None,
        }
        buyer = org_id("Jinghai Motors")
        return requests.create_request(db.session, admin_actor(OEM), buyer, data)[0].id


def _version(app: Flask, year: int) -> int:
    from footprint_platform.models import Product, Submission, SubmissionStatus

    with app.app_context():
        return db.session.scalar(
            select(Submission.id)
            .join(Product)
            .where(
                Product.part_number == "MJ-NCM811-S",
                Submission.status == SubmissionStatus.SUBMITTED,
                Submission.period_start == date(year, 1, 1),
            )
        )


def test_the_inbox_offers_only_the_requested_periods_versions(demo_app: Flask) -> None:
    from tests.conftest import Session

    request_id = _ask_cathode_2026(demo_app)
    supplier = Session(demo_app.test_client())
    supplier.login(CATHODE)
    with demo_app.app_context():
        org = org_id("Minjiang Cathode Materials")
    html = supplier.client.get(f"/orgs/{org}/requests").get_data(as_text=True)
    row = html.split(f'action="/requests/{request_id}/answer"', 1)
    assert f'id="answer-{request_id}"' not in html  # no 2025 version as the default answer
    assert f'id="substitute-{request_id}"' in html and 'name="confirm_substitute"' in row[1]
    assert "2025-01-01 – 2025-12-31" in row[1].split("</details>")[0]


def test_another_periods_version_needs_a_confirmed_reason(demo_app: Flask) -> None:
    request_id = _ask_cathode_2026(demo_app)
    old = _version(demo_app, 2025)
    with demo_app.app_context():
        actor = admin_actor(CATHODE)
        with pytest.raises(InvalidInput) as refused:
            workflow.answer_request(db.session, actor, request_id, old)
        assert set(refused.value.errors) == {"substitute_reason", "confirm_substitute"}
        with pytest.raises(InvalidInput) as refused:
            workflow.answer_request(db.session, actor, request_id, old, "2026 not closed yet")
        assert set(refused.value.errors) == {"confirm_substitute"}
        db.session.rollback()
        assert db.session.get(DataRequest, request_id).status.value == "pending"
        done = workflow.answer_request(
            db.session, actor, request_id, old, "2026 not closed yet", True
        )
        assert done.substitute_reason == "2026 not closed yet"


def test_the_web_answer_refuses_a_substitute_without_confirmation(demo_app: Flask) -> None:
    from tests.conftest import Session

    request_id = _ask_cathode_2026(demo_app)
    supplier = Session(demo_app.test_client())
    supplier.login(CATHODE)
    supplier.post(
        f"/requests/{request_id}/answer",
        {"submission_id": _version(demo_app, 2025), "substitute_reason": "later"},
    )
    with demo_app.app_context():
        assert db.session.get(DataRequest, request_id).status.value == "pending"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_buyer_opens_the_substitute_with_its_reason_and_basis(
    demo_app: Flask, lang: str
) -> None:
    from tests.conftest import Session

    request_id = _ask_cathode_2026(demo_app)
    with demo_app.app_context():
        workflow.answer_request(
            db.session,
            admin_actor(CATHODE),
            request_id,
            _version(demo_app, 2025),
            "2026 is not closed yet",
            True,
        )
    buyer = Session(demo_app.test_client())
    buyer.login(OEM)
    with demo_app.app_context():
        inbox = buyer.client.get(f"/orgs/{org_id('Jinghai Motors')}/requests").get_data(
            as_text=True
        )
    assert f'href="/requests/{request_id}"' in inbox
    response = buyer.client.get(f"/requests/{request_id}", headers={"Accept-Language": lang})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="substitute"' in html and "2026 is not closed yet" in html
    assert "2025-01-01 – 2025-12-31 v" in html.split('id="provided-period"', 1)[1]
    assert 'data-basis="submitted"' in html and 'id="provided-total"' in html
    words = (
        ("Not the period asked for", "primary data")
        if lang == "en"
        else ("并非所请求的期间", "供应商的初级数据")
    )
    assert all(w in html for w in words)


def test_an_answer_of_the_requested_period_is_no_substitute(demo_app: Flask) -> None:
    from footprint_platform.models import Product
    from footprint_platform.services.intake import submissions

    request_id = _ask_cathode_2026(demo_app)
    with demo_app.app_context():
        actor = admin_actor(CATHODE)
        product = db.session.scalar(select(Product.id).where(Product.part_number == "MJ-NCM811-S"))
        draft = submissions.start_draft(
            db.session, actor, product, date(2026, 1, 1), date(2026, 12, 31)
        )
        new = workflow.submit(db.session, actor, draft.id).id
        done = workflow.answer_request(db.session, actor, request_id, new)
        assert done.substitute_reason is None
        shown = requests.provided(db.session, admin_actor(OEM), request_id)
        assert shown is not None and not shown.substitute
        assert shown.result is not None and shown.submission.period_start == date(2026, 1, 1)


def test_the_api_answers_with_a_substitute_only_with_its_reason(
    prepared_app: Flask, ids: Ids
) -> None:
    with prepared_app.app_context():
        data = {
            "supplier_id": ids.org,
            "supplier_email": None,
            "part_number": "HD-PK-LFP-60",
            "period_start": date(2027, 1, 1),
            "period_end": date(2027, 12, 31),
            "due_date": date.today() + timedelta(days=20),
            "message": None,
        }
        buyer = org_id("Jinghai Motors")
        asked = requests.create_request(db.session, admin_actor(OEM), buyer, data)[0].id
    client = prepared_app.test_client()
    headers = {"Authorization": f"Bearer {ids.write_secret}"}
    path = f"/api/v1/requests/{asked}/answer"
    refused = client.post(path, json={"submission_id": ids.answer_with}, headers=headers)
    assert refused.status_code == 422
    assert "substitute_reason" in refused.get_data(as_text=True)
    body = {
        "submission_id": ids.answer_with,
        "substitute_reason": "2027 has not begun",
        "confirm_substitute": True,
    }
    done = client.post(path, json=body, headers=headers)
    assert done.status_code == 200 and done.json["substitute_reason"] == "2027 has not begun"
