"""Sign-in, invitations, password resets, CSRF and the login rate limit."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

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


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\\evil.example",
        "/\\/evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/ok\x00/x",
        "evil.example",
    ],
)
def test_no_next_parameter_leaves_the_site(auth: Session, target: str) -> None:
    """Browsers drop tabs and newlines and read backslashes as slashes: none of these may
    come back as a Location, on sign-in, the language switch or the evidence upload."""
    token = auth.csrf()
    signed_in = auth.client.post(
        "/login",
        query_string={"next": target},
        data={"email": ADMIN, "password": DEMO_PASSWORD, "csrf_token": token},
    )
    assert signed_in.headers["Location"] == "/"
    language = auth.post("/language/en", {"next": target})
    assert language.headers["Location"] == "/"
    with auth.client.application.app_context():
        pack = org_id(PACK)
    upload = auth.post(f"/orgs/{pack}/evidence", {"next": target})
    assert upload.headers["Location"] == f"/orgs/{pack}/submissions"


def test_a_next_path_on_the_site_is_kept(auth: Session) -> None:
    assert auth.post("/language/en", {"next": "/catalogue?q=pack"}).headers["Location"] == (
        "/catalogue?q=pack"
    )


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
    return urlsplit(link.group(1)).path


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


# -- links from the public base URL --------------------------------------------------------


def test_the_reset_link_names_the_public_base_url_whatever_host_the_request_names(
    demo_app: Flask, tmp_path: Path
) -> None:
    """Behind the production proxy setting, a forged Host and X-Forwarded-Host do not reach
    the mailed link: it would hand the reset token to the forger's server."""
    from app import create_app
    from tests.conftest import TEST_SETTINGS

    behind = create_app(
        {
            **TEST_SETTINGS,
            "SQLALCHEMY_DATABASE_URI": demo_app.config["SQLALCHEMY_DATABASE_URI"],
            "PROXY_COUNT": 1,
            "PUBLIC_BASE_URL": "https://tanlian.example.cn/",
            "MAIL_OUTBOX_DIR": str(tmp_path),
            "WTF_CSRF_ENABLED": False,
        }
    )
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    response = behind.test_client().post("/password/forgot", data={"email": ADMIN}, headers=forged)
    assert response.status_code == 302
    (message,) = _outbox(behind)
    assert "evil.example" not in message
    assert re.search(r"https://tanlian\.example\.cn/password/reset/[\w-]{20,}", message)


def test_the_invitation_link_names_the_public_base_url(demo_app: Flask) -> None:
    forged = {"Host": "evil.example"}  # every request of this browser names this host
    browser = demo_app.test_client()

    def csrf(path: str) -> str:
        page = browser.get(path, headers=forged).get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]

    signed_in = browser.post(
        "/login",
        data={"email": ADMIN, "password": DEMO_PASSWORD, "csrf_token": csrf("/login")},
        headers=forged,
    )
    assert signed_in.status_code == 302
    with demo_app.app_context():
        pack = org_id(PACK)
    form = {"email": "guest@huadong-pack.example", "role": "viewer", "csrf_token": csrf("/")}
    page = browser.post(f"/orgs/{pack}/members", data=form, headers=forged)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "evil.example/invitations" not in text
    assert f"{demo_app.config['PUBLIC_BASE_URL']}/invitations/" in text


# -- sessions end for good -------------------------------------------------------------------


def _copy(cookie: str, source: FlaskClient, app: Flask) -> FlaskClient:
    """A second browser holding only a copy of one cookie of `source`."""
    found = source.get_cookie(cookie)
    assert found is not None, f"no {cookie} cookie"
    thief = app.test_client()
    thief.set_cookie(cookie, found.value)
    return thief


def _signed_in(client: FlaskClient) -> bool:
    return bool(client.get("/dashboard/").status_code == 200)


def test_a_copied_session_cookie_is_worthless_after_logout(auth: Session, demo_app: Flask) -> None:
    auth.login(ADMIN)
    thief = _copy("session", auth.client, demo_app)
    assert _signed_in(thief)
    auth.logout()
    assert not _signed_in(thief)
    assert auth.login(ADMIN).status_code == 302 and _signed_in(auth.client)  # signs in again


def test_a_remember_me_cookie_alone_is_worthless_after_logout(
    auth: Session, demo_app: Flask
) -> None:
    token = auth.csrf()
    auth.client.post(
        "/login",
        data={"email": ADMIN, "password": DEMO_PASSWORD, "remember": "1", "csrf_token": token},
    )
    assert _signed_in(_copy("remember_token", auth.client, demo_app))
    thief = _copy("remember_token", auth.client, demo_app)
    auth.logout()
    assert not _signed_in(thief)


def test_a_password_reset_ends_every_session_and_every_other_reset_link(
    auth: Session, demo_app: Flask, tmp_path: Path
) -> None:
    demo_app.config["MAIL_OUTBOX_DIR"] = str(tmp_path)
    other_browser = Session(demo_app.test_client())
    other_browser.login(ADMIN)
    assert _signed_in(other_browser.client)
    auth.post("/password/forgot", {"email": ADMIN})
    auth.post("/password/forgot", {"email": ADMIN})
    first, second = (
        re.search(r"(/password/reset/[\w-]+)", m).group(1)  # type: ignore[union-attr]
        for m in _outbox(demo_app)
    )
    assert auth.client.get(second).status_code == 200
    assert auth.post(first, {"password": "brand-new-password"}).status_code == 302
    assert not _signed_in(other_browser.client)
    assert auth.client.get(second).status_code == 404
    assert auth.post(second, {"password": "an-attackers-password"}).status_code == 404
    assert auth.login(ADMIN, "brand-new-password").status_code == 302


def test_a_password_change_ends_every_other_session_and_keeps_this_one(
    auth: Session, demo_app: Flask
) -> None:
    auth.login(ADMIN)
    thief = _copy("session", auth.client, demo_app)
    wrong = auth.post(
        "/account/password", {"current_password": "not-it-at-all", "password": "another-pass-1"}
    )
    assert wrong.status_code == 422 and _signed_in(thief)  # refused: nothing changed
    changed = auth.post(
        "/account/password", {"current_password": DEMO_PASSWORD, "password": "another-pass-1"}
    )
    assert changed.status_code == 302
    assert _signed_in(auth.client) and not _signed_in(thief)
    auth.logout()
    assert auth.login(ADMIN, DEMO_PASSWORD).status_code == 401
    assert auth.login(ADMIN, "another-pass-1").status_code == 302
