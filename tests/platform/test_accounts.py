"""Sign-in, invitations, password resets, CSRF and the login rate limit."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from footprint_platform.extensions import db
from footprint_platform.models import AuditEvent, Invitation, Membership, User
from footprint_platform.security import verify_password
from tests.conftest import DEMO_PASSWORD, Session
from tests.platform.demo_ids import PACK, org_id

pytestmark = pytest.mark.postgres
ADMIN = "admin@huadong-pack.example"


def test_login_with_the_right_password_signs_in(auth: Session) -> None:
    response = auth.login(ADMIN)
    assert response.status_code == 302
    assert auth.client.get("/dashboard/").status_code == 200


def test_wrong_password_and_unknown_account_get_the_same_answer(auth: Session) -> None:
    wrong = auth.login(ADMIN, "not-the-password")
    unknown = auth.login("nobody@nowhere.example", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(wrong) == strip(unknown)


def test_passwords_are_stored_as_argon2id_hashes(demo_app: Flask) -> None:
    with demo_app.app_context():
        user = db.session.scalar(select(User).where(User.email == ADMIN))
        assert user.password_hash.startswith("$argon2id$")
        assert DEMO_PASSWORD not in user.password_hash
        assert verify_password(user.password_hash, DEMO_PASSWORD)


def test_forms_without_a_csrf_token_are_refused(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": ADMIN, "password": DEMO_PASSWORD})
    assert response.status_code == 400
    assert client.get("/dashboard/").status_code == 302  # still signed out


def test_logout_needs_post_and_signs_out(auth: Session) -> None:
    auth.login(ADMIN)
    assert auth.client.get("/logout").status_code == 405
    auth.logout()
    assert auth.client.get("/dashboard/").status_code == 302


def test_login_is_rate_limited(auth: Session) -> None:
    statuses = [auth.login(ADMIN, "wrong-password").status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    assert auth.login(ADMIN).status_code == 429  # even the right password waits


def test_next_parameter_cannot_redirect_off_site(auth: Session) -> None:
    token = auth.csrf()
    response = auth.client.post(
        "/login?next=//evil.example/x",
        data={"email": ADMIN, "password": DEMO_PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_failed_logins_are_audited(auth: Session, demo_app: Flask) -> None:
    auth.login(ADMIN, "wrong-password")
    with demo_app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "auth.login_failed" in actions


def _invite(auth: Session, email: str, role: str = "editor") -> str:
    auth.login(ADMIN)
    with auth.client.application.app_context():
        pack = org_id(PACK)
    response = auth.post(f"/orgs/{pack}/members", {"email": email, "role": role})
    assert response.status_code == 200
    link = re.search(r"<code>(http[^<]+/invitations/[^<]+)</code>", response.get_data(as_text=True))
    assert link, "the invitation link is shown once"
    auth.logout()
    return link.group(1).split("localhost", 1)[1]


def test_sign_up_by_invitation(auth: Session, demo_app: Flask) -> None:
    path = _invite(auth, "New.Person@Huadong-Pack.example")
    assert auth.client.get(path).status_code == 200
    response = auth.post(path, {"display_name": "Qian Yu 钱雨", "password": "a-strong-pass"})
    assert response.status_code == 302
    assert auth.client.get("/dashboard/").status_code == 200
    with demo_app.app_context():
        user = db.session.scalar(
            select(User).where(User.email == "new.person@huadong-pack.example")
        )
        membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
        assert membership.role.value == "editor" and membership.organization_id == org_id(PACK)
    auth.logout()
    assert auth.client.get(path).status_code == 404  # used once


def test_invitation_signup_rejects_a_short_password_and_keeps_nothing(
    auth: Session, demo_app: Flask
) -> None:
    path = _invite(auth, "short@huadong-pack.example")
    response = auth.post(path, {"display_name": "Short", "password": "short"})
    assert response.status_code == 422
    assert "10" in response.get_data(as_text=True)
    with demo_app.app_context():
        assert (
            db.session.scalar(select(User).where(User.email == "short@huadong-pack.example"))
            is None
        )


def test_expired_invitation_is_refused(auth: Session, demo_app: Flask) -> None:
    path = _invite(auth, "late@huadong-pack.example")
    with demo_app.app_context():
        inv = db.session.scalar(
            select(Invitation).where(Invitation.email == "late@huadong-pack.example")
        )
        inv.expires_at = inv.created_at - timedelta(seconds=1)
        db.session.commit()
    assert auth.client.get(path).status_code == 404


def test_existing_user_joins_a_second_organization_with_their_password(
    auth: Session, demo_app: Flask
) -> None:
    path = _invite(auth, "data@lanhu-lithium.example", role="viewer")
    page = auth.client.get(path).get_data(as_text=True)
    assert 'name="display_name"' not in page  # no new account: the password proves who it is
    assert auth.post(path, {"password": "wrong-password!"}).status_code == 422
    assert auth.post(path, {"password": DEMO_PASSWORD}).status_code == 302
    with demo_app.app_context():
        user = db.session.scalar(select(User).where(User.email == "data@lanhu-lithium.example"))
        assert len(user.memberships) == 2


def _outbox(app: Flask) -> list[str]:
    """Each mailed message as its To line and decoded body."""
    import email
    from email import policy

    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    out = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        out.append(f"To: {message['To']}\n{message.get_content()}")
    return out


def test_password_reset_by_the_mailed_link_never_logged(
    auth: Session, demo_app: Flask, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    demo_app.config["MAIL_OUTBOX_DIR"] = str(tmp_path)
    with caplog.at_level(logging.DEBUG):
        response = auth.post("/password/forgot", {"email": ADMIN})
    assert response.status_code == 302
    (message,) = _outbox(demo_app)
    match = re.search(r"(/password/reset/[\w-]+)", message)
    assert match and f"To: {ADMIN}" in message
    path = match.group(1)
    assert "/password/reset/" not in caplog.text  # the secret is mailed, never logged
    assert auth.post(path, {"password": "brand-new-password"}).status_code == 302
    assert auth.login(ADMIN, DEMO_PASSWORD).status_code == 401
    assert auth.login(ADMIN, "brand-new-password").status_code == 302
    assert auth.client.get(path).status_code == 404  # single use


def test_password_reset_for_unknown_address_answers_the_same(
    auth: Session, demo_app: Flask, tmp_path: Path
) -> None:
    demo_app.config["MAIL_OUTBOX_DIR"] = str(tmp_path)
    known = auth.post("/password/forgot", {"email": ADMIN})
    unknown = auth.post("/password/forgot", {"email": "ghost@nowhere.example"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert len(_outbox(demo_app)) == 1


def test_the_last_administrator_cannot_be_demoted(auth: Session, demo_app: Flask) -> None:
    auth.login(ADMIN)
    with demo_app.app_context():
        pack = org_id(PACK)
        mine = db.session.scalar(select(Membership.id).join(User).where(User.email == ADMIN))
    response = auth.post(f"/orgs/{pack}/members/{mine}/role", {"role": "viewer"})
    assert response.status_code == 409
    with demo_app.app_context():
        assert db.session.get(Membership, mine).role.value == "admin"
