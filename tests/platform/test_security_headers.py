"""Security headers, the content security policy and its nonces, cookie flags, rate limits on
uploads, and no way to tell from sign-in or password reset whether an address has an account."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask

from app import create_app
from tests.conftest import Session
from tests.platform.demo_ids import Ids
from tests.platform.test_authorization import WEB, _path

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>", re.I)


def test_every_page_carries_the_policy_and_no_inline_script_runs_without_its_nonce(
    prepared_app: Flask, ids: Ids
) -> None:
    owner = Session(prepared_app.test_client())
    owner.login("admin@huadong-pack.example")
    checked = 0
    for (_rule, method), (_policy, template, _data) in WEB.items():
        if method != "GET":
            continue
        response = owner.client.get(_path(template, ids))
        if response.mimetype != "text/html":
            continue
        policy = response.headers["Content-Security-Policy"]
        assert (
            "script-src 'self' 'nonce-" in policy
            and "'unsafe-inline'" not in policy.split("style-src")[0]
        )
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
        for attrs in INLINE_SCRIPT.findall(response.get_data(as_text=True)):
            assert f'nonce="{nonce}"' in attrs or 'type="application/json"' in attrs, template
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cache-Control"] == "private, no-store"
        checked += 1
    assert checked > 30


def test_each_response_has_its_own_nonce(client) -> None:  # type: ignore[no-untyped-def]
    first = client.get("/login").headers["Content-Security-Policy"]
    second = client.get("/login").headers["Content-Security-Policy"]
    assert first != second


def test_hsts_only_over_https(client) -> None:  # type: ignore[no-untyped-def]
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.usefixtures("signing_key_env")
def test_production_cookies_are_secure_whatever_the_settings_say(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-for-this-test-only")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://tanlian.example.cn")
    app = create_app(
        {
            "ENV": "production",
            "SESSION_COOKIE_SECURE": False,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_the_session_cookie_is_httponly_and_samesite(demo_app: Flask) -> None:
    session = Session(demo_app.test_client())
    response = session.login("admin@huadong-pack.example")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sign_in_does_not_tell_whether_an_address_has_an_account(demo_app: Flask) -> None:
    client = demo_app.test_client()
    csrf = Session(client)
    known = csrf.post("/login", {"email": "admin@huadong-pack.example", "password": "wrong-pw-1"})
    unknown = csrf.post("/login", {"email": "nobody@nowhere.example", "password": "wrong-pw-1"})
    assert known.status_code == unknown.status_code

    def text(r) -> str:  # type: ignore[no-untyped-def]
        return re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))

    assert text(known).replace("admin@huadong-pack.example", "X") == text(unknown).replace(
        "nobody@nowhere.example", "X"
    )
    reset_known = csrf.post("/password/forgot", {"email": "admin@huadong-pack.example"})
    reset_unknown = csrf.post("/password/forgot", {"email": "nobody@nowhere.example"})
    assert (reset_known.status_code, reset_known.location) == (
        reset_unknown.status_code,
        reset_unknown.location,
    )


def test_uploads_are_rate_limited_per_uploader(demo_app: Flask) -> None:
    demo_app.config["UPLOAD_RATE_LIMIT"] = "3 per minute"
    try:
        owner = Session(demo_app.test_client())
        owner.login("admin@huadong-pack.example")
        from footprint_platform.extensions import db
        from footprint_platform.models import Organization

        with demo_app.app_context():
            org = db.session.query(Organization).filter_by(name_en="Huadong Battery Systems").one()
            org_id = org.id
        codes = []
        for n in range(4):
            codes.append(
                owner.post(
                    f"/orgs/{org_id}/evidence",
                    {"file": (io.BytesIO(f"meter {n}".encode()), f"m{n}.txt")},
                ).status_code
            )
        assert codes[:3] != [429] * 3 and codes[3] == 429
        other = Session(demo_app.test_client())
        other.login("data@lanhu-lithium.example")
        with demo_app.app_context():
            lanhu = db.session.query(Organization).filter_by(name_en="Lanhu Lithium Refining").one()
            lanhu_id = lanhu.id
        response = other.post(
            f"/orgs/{lanhu_id}/evidence", {"file": (io.BytesIO(b"meter 9"), "m9.txt")}
        )
        assert response.status_code != 429  # another uploader has its own budget
    finally:
        demo_app.config["UPLOAD_RATE_LIMIT"] = "30 per minute;300 per hour"


PRIVATE_DOWNLOADS = {
    "owner": (
        "/evidence/{evidence}",
        "/submissions/{draft}/template.xlsx",
        "/declarations/{declaration}/export/csv",
        "/declarations/{declaration}/export/pact",
        "/declarations/{declaration}/export/batterypass",
    ),
    "verifier": (
        "/verifications/{verification}/evidence/{verification_evidence}",
        "/declarations/{declaration}/export/pact",
    ),
}


def _no_store(response) -> bool:  # type: ignore[no-untyped-def]
    directives = {d.strip() for d in response.headers.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


def test_private_downloads_are_never_stored_by_a_cache(prepared_app: Flask, ids: Ids) -> None:
    """Evidence, workbooks with primary data and draft exports stay out of shared caches and
    the browser's disk; so does every other non-page answer a signed-in person gets."""
    people = {"owner": "admin@huadong-pack.example", "verifier": "verifier@qingyuan-verify.example"}
    for who, paths in PRIVATE_DOWNLOADS.items():
        person = Session(prepared_app.test_client())
        person.login(people[who])
        for template in paths:
            response = person.client.get(_path(template, ids))
            assert response.status_code in (200, 422), (who, template, response.status_code)
            assert _no_store(response), (who, template, response.headers.get("Cache-Control"))
    owner = Session(prepared_app.test_client())
    owner.login(people["owner"])
    for (_rule, method), (_policy, template, _data) in WEB.items():
        public = ("/static/", "/dashboard/static/", "/d/", "/d.csv", "/.well-known/jwks.json")
        if method != "GET" or template.startswith(public):
            continue
        response = owner.client.get(_path(template, ids))
        assert _no_store(response), (template, response.headers.get("Cache-Control"))


def test_api_answers_with_private_data_are_not_stored(prepared_app: Flask, ids: Ids) -> None:
    response = prepared_app.test_client().get(
        f"/api/v1/submissions/{ids.draft}", headers={"Authorization": f"Bearer {ids.read_secret}"}
    )
    assert response.status_code == 200 and _no_store(response)


def test_published_declaration_files_may_be_cached(prepared_app: Flask, ids: Ids) -> None:
    client = prepared_app.test_client()
    for suffix in (".csv", ".pact.json", "/qr.svg"):
        response = client.get(f"/d/{ids.public_id}{suffix}")
        assert response.status_code == 200
        assert response.headers["Cache-Control"].startswith("public, max-age="), suffix
    keys = client.get("/.well-known/jwks.json")  # the keys that verify them: public too
    assert keys.headers["Cache-Control"].startswith("public, max-age=")
