"""A buyer sees named upstream figures only where their maker shared them, never inputs."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from footprint_platform.errors import InvalidInput, NotAllowed
from footprint_platform.extensions import db
from footprint_platform.models import (
    AuditEvent,
    DataRequest,
    Declaration,
    FootprintShare,
    Product,
    RequestStatus,
    Submission,
    SubmissionStatus,
)
from footprint_platform.services import workflow
from footprint_platform.services.disclosure import declarations
from footprint_platform.services.relations import sharing
from tests.conftest import Session
from tests.platform.demo_ids import admin_actor

PACK_ADMIN = "admin@huadong-pack.example"
OEM_ANALYST = "analyst@jinghai-motors.example"
CATHODE_ADMIN = "data@minjiang-cathode.example"


def _product(part: str) -> Product:
    return db.session.scalar(select(Product).where(Product.part_number == part))


def _withdraw_demo_consent(product: Product, buyer_id: int) -> None:
    """The demo's suppliers agreed to every link; take one such agreement back."""
    found = db.session.scalar(
        select(FootprintShare).where(
            FootprintShare.product_id == product.id,
            FootprintShare.buyer_id == buyer_id,
            FootprintShare.revoked_at.is_(None),
        )
    )
    workflow.revoke(db.session, admin_actor(PACK_ADMIN), found.id)


def _suv_declaration() -> Declaration:
    return db.session.scalar(
        select(Declaration).join(Product).where(Product.part_number == "JH-S7-LR")
    )


def test_a_shared_cathode_is_named_in_the_vehicle_breakdown_until_revoked(
    demo_app: Flask,
) -> None:
    """The SUV's breakdown names the pack (its published declaration is the current figure)
    but not the cathode two tiers down; once Minjiang shares the cathode with the OEM it is
    named, with the amount per vehicle, its footprint per kg and their product; revoking hides
    it again."""
    with demo_app.app_context():
        suv, pack = _suv_declaration(), _product("HD-PK-811-78")
        cathode = _product("MJ-NCM811-S")
        before = {n.product.id for n in declarations.breakdown(db.session, suv).named}
        assert pack.id in before and cathode.id not in before
        made = workflow.share(
            db.session, admin_actor(CATHODE_ADMIN), cathode.id, suv.organization_id
        )
        after = declarations.breakdown(db.session, suv)
        named = {n.product.id: n for n in after.named}
        assert cathode.id in named
        n = named[cathode.id]
        assert float(n.embodied) == pytest.approx(float(n.amount * n.footprint_per_unit))
        assert 0 < float(n.embodied) < float(suv.total)
        share_id, suv_id = made.id, suv.id
    oem = Session(demo_app.test_client())
    oem.login(OEM_ANALYST)
    page = oem.client.get(f"/declarations/{suv_id}", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert "MJ-NCM811-S" in text and "Minjiang Cathode" in text
    with demo_app.app_context():
        workflow.revoke(db.session, admin_actor(CATHODE_ADMIN), share_id)
        assert db.session.get(FootprintShare, share_id).revoked_at is not None
    text = oem.client.get(f"/declarations/{suv_id}").get_data(as_text=True)
    assert "MJ-NCM811-S" not in text


def test_a_shared_footprint_never_shows_the_supplier_inputs(demo_app: Flask) -> None:
    with demo_app.app_context():
        suv, pack = _suv_declaration(), _product("HD-PK-811-78")
        workflow.share(db.session, admin_actor(PACK_ADMIN), pack.id, suv.organization_id)
        sub = db.session.scalar(
            select(Submission).where(
                Submission.product_id == pack.id, Submission.status == SubmissionStatus.SUBMITTED
            )
        )
        secrets = {i.factor_code for i in sub.inputs if i.factor_code}
        secrets |= {i.description for i in sub.inputs if i.description}
        suv_id, org = suv.id, suv.organization_id
    oem = Session(demo_app.test_client())
    oem.login(OEM_ANALYST)
    pages = [
        oem.client.get(f"/declarations/{suv_id}").get_data(as_text=True),
        oem.client.get(f"/orgs/{org}/suppliers").get_data(as_text=True),
    ]
    assert secrets
    for page in pages:
        for secret in secrets:
            assert secret not in page


def test_answering_a_request_shares_the_product_with_the_buyer(demo_app: Flask) -> None:
    """The demo's open request from Lingnan Auto for the LFP pack, answered by its maker."""
    with demo_app.app_context():
        request = db.session.scalar(
            select(DataRequest).where(
                DataRequest.part_number == "HD-PK-LFP-60",
                DataRequest.status == RequestStatus.PENDING,
            )
        )
        answer = db.session.scalar(
            select(Submission.id).where(
                Submission.product_id == request.product_id,
                Submission.status == SubmissionStatus.SUBMITTED,
            )
        )
        product_id, buyer_id = request.product_id, request.buyer_id
        _withdraw_demo_consent(request.product, buyer_id)
        assert product_id not in sharing.shared_with(db.session, buyer_id)
        workflow.answer_request(db.session, admin_actor(PACK_ADMIN), request.id, answer)
        assert product_id in sharing.shared_with(db.session, buyer_id)
        event = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "share.create_by_answer",
                AuditEvent.organization_id == request.supplier_id,
            )
        )
        assert event is not None and event.details["buyer_id"] == buyer_id


def test_only_the_maker_shares_and_never_with_itself(demo_app: Flask) -> None:
    with demo_app.app_context():
        pack = _product("HD-PK-811-78")
        oem_org = _suv_declaration().organization_id
        with pytest.raises(NotAllowed):
            workflow.share(db.session, admin_actor("data@lanhu-lithium.example"), pack.id, oem_org)
        with pytest.raises(InvalidInput):
            workflow.share(db.session, admin_actor(PACK_ADMIN), pack.id, pack.organization_id)
        first = workflow.share(db.session, admin_actor(PACK_ADMIN), pack.id, oem_org)
        again = workflow.share(db.session, admin_actor(PACK_ADMIN), pack.id, oem_org)
        assert first.id == again.id


def test_the_buyer_lists_what_it_buys_with_published_totals(demo_app: Flask) -> None:
    with demo_app.app_context():
        suv = _suv_declaration()
        oem_org = suv.organization_id
        rows = sharing.direct_supplier_products(db.session, admin_actor(OEM_ANALYST), oem_org)
        by_part = {r.product.part_number: r for r in rows}
        assert "HD-PK-811-78" in by_part
        pack_row = by_part["HD-PK-811-78"]
        assert pack_row.declaration is not None and pack_row.declaration.published_at
        assert pack_row.shared  # the demo's pack maker agreed to the link
        assert all(r.product.organization_id != oem_org for r in rows)
        total = pack_row.declaration.total
    oem = Session(demo_app.test_client())
    oem.login(OEM_ANALYST)
    page = oem.client.get(f"/orgs/{oem_org}/suppliers", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert f"{total:.2f}"[:5] in page.get_data(as_text=True).replace(",", "")
