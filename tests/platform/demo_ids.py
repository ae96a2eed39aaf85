"""Look up the demo chain's objects by their demo names, for tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import (
    DataRequest,
    Declaration,
    Membership,
    Organization,
    Product,
    RequestStatus,
    Site,
    Submission,
    SubmissionInput,
    SubmissionStatus,
    TokenScope,
    User,
)
from footprint_platform.policy import Actor
from footprint_platform.services import workflow
from footprint_platform.services.catalogue import accounts
from footprint_platform.services.disclosure import declarations, publication
from footprint_platform.services.intake import evidence, submissions
from footprint_platform.services.notify import webhooks
from footprint_platform.services.pact import clients as pact_clients
from footprint_platform.services.pact import outbound as pact_outbound
from footprint_platform.services.relations import links

PACK = "Huadong Battery Systems"
LITHIUM = "Lanhu Lithium Refining"


@dataclass
class Ids:
    org: int
    other_org: int
    site: int
    product: int
    other_product: int
    viewer_membership: int
    invitation: int
    token: int
    draft: int
    submitted: int
    evidence: int
    incoming_request: int
    outgoing_request: int
    answer_with: int
    declaration: int
    verifier_org: int
    verification: int
    share: int
    verification_evidence: int
    buyer_org: int
    public_id: str
    read_secret: str
    write_secret: str
    other_write_secret: str
    verifier_write_secret: str  # the verification body's write token
    webhook: int  # the pack maker's webhook endpoint (on 127.0.0.1: nothing listens)
    pact_client: int  # the pack maker's PACT client for the OEM (buyer_org)
    pact_client_id: str
    pact_secret: str
    pact_token: str
    pact_revoked_token: str  # a token of a client since revoked
    pact_public_id: str  # a published footprint shared with that client's partner
    pact_credential: int  # credentials the OEM's host system issued to the pack maker
    incoming_link: int  # Lanhu asks the pack maker to agree to a link of its product
    outgoing_link: int  # the pack maker asks Lanhu to agree to a link of Lanhu's product


def org_id(name: str) -> int:
    return db.session.scalar(select(Organization.id).where(Organization.name_en == name))


def admin_actor(email: str) -> Actor:
    user = db.session.scalar(select(User).where(User.email == email))
    return accounts.user_actor(user)


def prepare(app: Flask) -> Ids:
    """The pack maker's ids, plus an open invitation and tokens, made through the services."""
    with app.app_context():
        pack, lithium = org_id(PACK), org_id(LITHIUM)
        admin = admin_actor("admin@huadong-pack.example")
        other_admin = admin_actor("data@lanhu-lithium.example")
        inv, _ = accounts.invite(
            db.session,
            admin,
            pack,
            "new@huadong-pack.example",
            accounts.MemberRole.VIEWER,
            timedelta(days=1),
        )
        read, read_secret = accounts.create_api_token(db.session, admin, pack, "r", TokenScope.READ)
        _, write_secret = accounts.create_api_token(db.session, admin, pack, "w", TokenScope.WRITE)
        _, other_secret = accounts.create_api_token(
            db.session, other_admin, lithium, "o", TokenScope.WRITE
        )
        lfp_pack = db.session.scalar(
            select(Product.id).where(Product.part_number == "HD-PK-LFP-60")
        )
        draft = submissions.start_draft(
            db.session, admin, lfp_pack, date(2026, 1, 1), date(2026, 12, 31)
        )
        submissions.save_draft(db.session, admin, draft.id, {}, [])  # an empty draft
        submitted = db.session.scalar(
            select(Submission.id).where(
                Submission.organization_id == pack, Submission.status == SubmissionStatus.SUBMITTED
            )
        )
        proof = evidence.add_evidence(db.session, admin, pack, "meter.txt", b"meter 42 kWh")
        incoming = db.session.scalar(
            select(DataRequest.id).where(
                DataRequest.supplier_id == pack, DataRequest.status == RequestStatus.PENDING
            )
        )
        outgoing = db.session.scalar(
            select(DataRequest.id).where(
                DataRequest.buyer_id == pack, DataRequest.status == RequestStatus.PENDING
            )
        )
        answer_with = db.session.scalar(
            select(Submission.id).where(
                Submission.product_id == lfp_pack, Submission.status == SubmissionStatus.SUBMITTED
            )
        )
        declaration = db.session.scalar(
            select(Declaration.id).where(Declaration.organization_id == pack)
        )
        verifier_org = org_id("Qingyuan Carbon Verification Co.")
        nmc_pack = db.session.scalar(
            select(Declaration.product_id).where(Declaration.id == declaration)
        )
        redo = declarations.declare(
            db.session, admin, nmc_pack, date(2025, 1, 1), date(2025, 12, 31), "Test: in review"
        )
        declaration = redo.id  # a draft under review (the demo's own are published)
        asked = publication.request_verification(db.session, admin, redo.id, verifier_org)
        _, verifier_secret = accounts.create_api_token(
            db.session,
            admin_actor("verifier@qingyuan-verify.example"),
            verifier_org,
            "v",
            TokenScope.WRITE,
        )
        suv = db.session.scalar(
            select(Declaration).join(Product).where(Product.part_number == "JH-S7-LR")
        )
        behind = db.session.scalar(
            select(SubmissionInput.evidence_id).where(
                SubmissionInput.submission_id.in_([p[0] for p in redo.pinned.values()]),
                SubmissionInput.evidence_id.is_not(None),
            )
        )
        buyer_org = db.session.scalar(
            select(Membership.organization_id)
            .join(User)
            .where(User.email == "analyst@jinghai-motors.example")
        )
        shared = workflow.share(db.session, admin, lfp_pack, buyer_org)
        pact = _pact(admin, pack, buyer_org, nmc_pack)
        viewer = db.session.scalar(
            select(Membership.id).join(User).where(User.email == "analyst@huadong-pack.example")
        )
        other_product = db.session.scalar(
            select(Product.id).where(Product.organization_id == lithium)
        )
        incoming_link = links.ask(db.session, other_admin, lithium, lfp_pack)
        app.config["PACT_OUTBOUND_ALLOW_PRIVATE"] = True  # only to store this address
        hook, _ = webhooks.create_endpoint(
            db.session, admin, pack, "https://127.0.0.1:9/hook", [webhooks.REQUEST_RECEIVED]
        )
        app.config["PACT_OUTBOUND_ALLOW_PRIVATE"] = False
        outgoing_link = links.ask(db.session, admin, pack, other_product)
        return Ids(
            org=pack,
            other_org=lithium,
            site=db.session.scalar(select(Site.id).where(Site.organization_id == pack)),
            product=db.session.scalar(select(Product.id).where(Product.organization_id == pack)),
            other_product=other_product,
            viewer_membership=viewer,
            invitation=inv.id,
            token=read.id,
            draft=draft.id,
            submitted=submitted,
            evidence=proof.id,
            incoming_request=incoming,
            outgoing_request=outgoing,
            answer_with=answer_with,
            declaration=declaration,
            verifier_org=verifier_org,
            verification=asked.id,
            share=shared.id,
            verification_evidence=behind,
            buyer_org=buyer_org,
            public_id=suv.public_id,
            read_secret=read_secret,
            write_secret=write_secret,
            other_write_secret=other_secret,
            verifier_write_secret=verifier_secret,
            webhook=hook.id,
            incoming_link=incoming_link.id,
            outgoing_link=outgoing_link.id,
            **pact,
        )


def _pact(admin: Actor, pack: int, buyer: int, product: int) -> dict[str, Any]:
    """A PACT client of the pack maker for the OEM, with a token, the NMC pack shared with the
    OEM, and a token of a second client that was then revoked."""
    ttl = timedelta(hours=2)
    client, secret = pact_clients.create_client(db.session, admin, pack, buyer, "matrix")
    token = pact_clients.issue_token(db.session, client, ttl, None).access_token
    gone, _ = pact_clients.create_client(db.session, admin, pack, buyer, "revoked")
    gone_token = pact_clients.issue_token(db.session, gone, ttl, None).access_token
    pact_clients.revoke_client(db.session, admin, pack, gone.id)
    workflow.share(db.session, admin, product, buyer)
    published = db.session.scalar(
        select(Declaration.public_id).where(
            Declaration.product_id == product, Declaration.published_at.is_not(None)
        )
    )
    credential = pact_outbound.create_credential(
        db.session,
        admin,
        pack,
        {
            "partner_id": buyer,
            "name": "OEM host",
            "base_url": "https://oem.example",
            "client_id": "tanlian",
            "client_secret": "matrix-secret",
        },
    )
    return {
        "pact_credential": credential.id,
        "pact_client": client.id,
        "pact_client_id": client.client_id,
        "pact_secret": secret,
        "pact_token": token,
        "pact_revoked_token": gone_token,
        "pact_public_id": published,
    }
