"""E-mail notifications: one per event for the organization's members, in each person's
language, as each chose (immediately, in the daily digest, or not), never saying more than
the recipient may see; the digest is idempotent."""

from __future__ import annotations

import email
from datetime import date, timedelta
from email import policy
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, select

from footprint_platform.extensions import db
from footprint_platform.models import (
    Declaration,
    Membership,
    Notification,
    NotificationMode,
    Product,
    User,
)
from footprint_platform.services.disclosure import declarations, publication
from footprint_platform.services.exchange import requests
from footprint_platform.services.notify import notifications
from tests.conftest import Session
from tests.platform.demo_ids import admin_actor, org_id
from tests.platform.statement import STATEMENT

pytestmark = pytest.mark.postgres
PACK = "admin@huadong-pack.example"
PACK_VIEWER = "analyst@huadong-pack.example"
OEM = "analyst@jinghai-motors.example"
VERIFIER = "verifier@qingyuan-verify.example"


def _mails(folder: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for p in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    ]


@pytest.fixture
def outbox(demo_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setitem(demo_app.config, "MAIL_OUTBOX_DIR", str(tmp_path))
    monkeypatch.delitem(demo_app.config, "MAIL_SERVER", raising=False)
    return tmp_path


def _ask_pack(due: date | None = None) -> int:
    """The OEM asks the pack maker for its pack's data (through the web, as people do)."""
    oem = Session(pytest.demo_app.test_client())  # type: ignore[attr-defined]
    oem.login(OEM)
    with pytest.demo_app.app_context():  # type: ignore[attr-defined]
        buyer = org_id("Jinghai Motors")
        supplier = org_id("Huadong Battery Systems")
    answer = oem.post(
        f"/orgs/{buyer}/requests",
        {
            "supplier_id": supplier,
            "part_number": "HD-PK-811-78",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "due_date": (due or date.today() + timedelta(days=20)).isoformat(),
            "message": "Please send your 2026 data.",
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return 0


def _english(*emails: str) -> None:
    """These people (all, if none named) chose English: without a choice, mail speaks the
    platform's default language."""
    with pytest.demo_app.app_context():  # type: ignore[attr-defined]
        chosen = select(User).where(User.email.in_(emails)) if emails else select(User)
        for user in db.session.scalars(chosen):
            user.locale = "en"
        db.session.commit()


@pytest.fixture(autouse=True)
def _app_for_helpers(demo_app: Flask) -> None:
    pytest.demo_app = demo_app  # type: ignore[attr-defined]


def test_a_request_is_mailed_to_the_suppliers_members_in_their_language(
    demo_app: Flask, outbox: Path
) -> None:
    with demo_app.app_context():
        viewer = db.session.scalar(select(User).where(User.email == PACK_VIEWER))
        viewer.locale = "zh"
        db.session.commit()
    _english(PACK)
    _ask_pack()
    mails = {m["To"]: m for m in _mails(outbox)}
    assert set(mails) == {PACK, PACK_VIEWER}  # the supplier's members, not the buyer
    en, zh = mails[PACK], mails[PACK_VIEWER]
    assert en["Subject"] == "[Tanlian] Data request from Jinghai Motors"
    assert "HD-PK-811-78" in en.get_content() and "Due date" in en.get_content()
    assert "/requests/" in en.get_content() and "/account/notifications" in en.get_content()
    assert "数据请求" in zh["Subject"] and "截止日期" in zh.get_content()


def test_turned_off_and_digest_events_are_not_mailed_immediately(
    demo_app: Flask, outbox: Path
) -> None:
    settings = Session(demo_app.test_client())
    settings.login(PACK)
    assert (
        settings.post("/account/notifications", {"request_received": "digest"}).status_code == 302
    )
    viewer = Session(demo_app.test_client())
    viewer.login(PACK_VIEWER)
    assert viewer.post("/account/notifications", {"request_received": "off"}).status_code == 302
    with demo_app.app_context():
        pack_admin = db.session.scalar(select(User.id).where(User.email == PACK))
        modes = notifications.preferences(db.session, pack_admin)
        assert modes["request_received"] is NotificationMode.DIGEST
        assert modes["verdict_given"] is NotificationMode.IMMEDIATE
    _english(PACK)
    _ask_pack()
    _ask_pack(date.today() + timedelta(days=40))
    assert _mails(outbox) == []
    with demo_app.test_request_context("/"):
        assert notifications.send_digests(db.session) == 1
        assert notifications.send_digests(db.session) == 0  # nothing twice
    (digest,) = _mails(outbox)
    assert digest["To"] == PACK and "2 events" in digest["Subject"]
    assert digest.get_content().count("Data request from Jinghai Motors") == 2
    result = demo_app.test_cli_runner().invoke(args=["notifications", "digest"])
    assert result.exit_code == 0 and "0 digest mails sent." in result.output
    assert len(_mails(outbox)) == 1


def test_someone_who_left_the_organization_gets_nothing(demo_app: Flask, outbox: Path) -> None:
    settings = Session(demo_app.test_client())
    settings.login(PACK_VIEWER)
    settings.post("/account/notifications", {"request_received": "digest"})
    _ask_pack()
    with demo_app.test_request_context("/"):
        viewer = db.session.scalar(select(User.id).where(User.email == PACK_VIEWER))
        db.session.execute(delete(Membership).where(Membership.user_id == viewer))
        db.session.commit()
        assert notifications.send_digests(db.session) == 0
        left = db.session.scalars(select(Notification).where(Notification.user_id == viewer))
        assert all(n.dropped and n.sent_at for n in left)
    assert [m["To"] for m in _mails(outbox)] == [PACK]  # the immediate one, before


def test_verification_verdict_and_publication_reach_who_may_know_and_carry_no_figure(
    demo_app: Flask, outbox: Path
) -> None:
    _english()
    with demo_app.test_request_context("/"):
        pack = db.session.scalar(select(Product).where(Product.part_number == "HD-PK-811-78"))
        owner = admin_actor(PACK)
        d = declarations.declare(
            db.session, owner, pack.id, date(2025, 1, 1), date(2025, 12, 31), "Recomputed"
        )
        v = publication.request_verification(
            db.session, owner, d.id, org_id("Qingyuan Carbon Verification Co.")
        )
        notifications.deliver_immediate(db.session)  # (the web does this after its response)
        asked = _mails(outbox)
        assert [m["To"] for m in asked] == [VERIFIER]
        assert "/verifications/" in asked[0].get_content()
        reasons = list(publication.stated_reasons(db.session, d))
        publication.decide(
            db.session, admin_actor(VERIFIER), v.id, "verified", "Checked.", reasons, STATEMENT
        )
        publication.publish(db.session, owner, d.id)
        notifications.deliver_immediate(db.session)
        total = f"{db.session.get(Declaration, d.id).total:.2f}"
        customers = set(
            db.session.scalars(
                select(User.email)
                .join(Membership, Membership.user_id == User.id)
                .where(
                    Membership.organization_id.in_(
                        notifications.published_audience(db.session, d)[1:]
                    )
                )
            )
        )
    mails = _mails(outbox)[1:]
    verdicts = [m for m in mails if "Verification decided" in m["Subject"]]
    assert {m["To"] for m in verdicts} == {PACK, PACK_VIEWER}
    published = [m for m in mails if "Declaration published" in m["Subject"]]
    assert {m["To"] for m in published} == {PACK, PACK_VIEWER} | customers
    assert customers  # the demo pack is shared with its customers
    for m in mails:
        assert total not in m.get_content()  # names, dates and a link: never a figure
        assert "/d/" in m.get_content() or "/declarations/" in m.get_content()


def test_a_link_request_and_its_decision_are_mailed_to_each_side(
    demo_app: Flask, outbox: Path
) -> None:
    from footprint_platform.services.catalogue.catalog import products_query
    from footprint_platform.services.relations import links

    _english()
    with demo_app.test_request_context("/"):
        lithium = db.session.scalars(products_query(org_id("Lanhu Lithium Refining"))).first()
        asked = links.ask(
            db.session, admin_actor(PACK), org_id("Huadong Battery Systems"), lithium.id
        )
        notifications.deliver_immediate(db.session)
        links.decline(db.session, admin_actor("data@lanhu-lithium.example"), asked.id, "No.")
        notifications.deliver_immediate(db.session)
    first, *decided = _mails(outbox)
    assert first["To"] == "data@lanhu-lithium.example" and "Link request" in first["Subject"]
    assert {m["To"] for m in decided} == {PACK, PACK_VIEWER}
    assert all("declined" in m["Subject"] for m in decided)


def test_immediate_mails_left_by_a_failed_server_go_with_the_send_command(
    demo_app: Flask, outbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from footprint_platform import mail

    real = mail.send

    def refused(*args: object) -> None:
        raise ConnectionRefusedError("mail server away")

    monkeypatch.setattr(mail, "send", refused)
    _ask_pack()  # the request is made; its mails wait
    assert _mails(outbox) == []
    monkeypatch.setattr(mail, "send", real)
    result = demo_app.test_cli_runner().invoke(args=["notifications", "send"])
    assert result.exit_code == 0 and "2 notification mails sent." in result.output
    assert len(_mails(outbox)) == 2
    with demo_app.app_context():
        assert requests  # (the service module the web called)
