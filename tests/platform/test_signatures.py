"""Signed declaration files: every file served has a detached JWS beside it that verifies with
an independent Ed25519 implementation against the JWKS fetched over HTTP, fails on one changed
byte, survives key rotation, and is checked by `flask declarations verify-file` and `/verify`."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from footprint_platform import signing
from footprint_platform.extensions import db
from footprint_platform.models import Declaration, DeclarationStatus, Product
from footprint_platform.services.disclosure import publication
from footprint_platform.settings import ConfigurationError
from tests.conftest import Session
from tests.platform.demo_ids import Ids, admin_actor

OWNER = "admin@huadong-pack.example"
FILES = {"csv": ".csv", "pact": ".pact.json", "batterypass": ".batterypass.json"}


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _pack(app: Flask) -> Declaration:
    """The demo's published NMC811 pack: a battery, so it has all three files."""
    with app.app_context():
        d = db.session.scalar(
            select(Declaration)
            .join(Product)
            .where(Product.category == "battery_pack", Declaration.published_at.is_not(None))
        )
        assert d is not None
        db.session.expunge(d)
        return d


def _fetch(client: FlaskClient, public_id: str, fmt: str) -> tuple[bytes, str]:
    path = f"/d/{public_id}{FILES[fmt]}"
    body = client.get(path)
    jws = client.get(path + ".jws")
    assert body.status_code == 200 and jws.status_code == 200
    assert jws.mimetype == "application/jose"
    return body.get_data(), jws.get_data(as_text=True)


def _independent_verify(client: FlaskClient, body: bytes, jws: str) -> dict[str, Any]:
    """RFC 7515 by hand: the header's kid picks a key of the JWKS fetched over HTTP, its RFC 7638
    thumbprint is recomputed, and the signing input is rebuilt from the file's bytes (Appendix
    F: the payload goes back between the dots). Raises InvalidSignature."""
    header_b64, payload_b64, sig_b64 = jws.split(".")
    assert payload_b64 == ""  # detached
    header = json.loads(_b64url_decode(header_b64))
    assert header["alg"] == "Ed25519"
    keys = {k["kid"]: k for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
    jwk = keys[header["kid"]]
    members = json.dumps(
        {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}, separators=(",", ":")
    )
    assert _b64url(hashlib.sha256(members.encode()).digest()) == header["kid"]
    public = Ed25519PublicKey.from_public_bytes(_b64url_decode(jwk["x"]))
    public.verify(_b64url_decode(sig_b64), f"{header_b64}.{_b64url(body)}".encode())
    return dict(header)


def test_every_file_of_a_published_declaration_verifies_independently(demo_app: Flask) -> None:
    d = _pack(demo_app)
    client = demo_app.test_client()
    for fmt in FILES:
        body, jws = _fetch(client, d.public_id, fmt)
        header = _independent_verify(client, body, jws)
        assert header["tanlian"] == {
            "declaration": d.public_id,
            "version": d.version,
            "format": fmt,
            "content_hash": d.content_hash,
            "status": "published",
        }
        assert header["cty"] == ("text/csv" if fmt == "csv" else "application/json")
        assert client.get(f"/d/{d.public_id}{FILES[fmt]}.jws").get_data(as_text=True) == jws


def test_one_changed_byte_fails(demo_app: Flask) -> None:
    d = _pack(demo_app)
    client = demo_app.test_client()
    body, jws = _fetch(client, d.public_id, "pact")
    at = body.index(b'"pcfExcludingBiogenicUptake"') + 40
    tampered = body[:at] + bytes([body[at] ^ 1]) + body[at + 1 :]
    with pytest.raises(InvalidSignature):
        _independent_verify(client, tampered, jws)
    with demo_app.app_context(), pytest.raises(signing.BadSignature) as caught:
        signing.verify_detached(signing.keyring(), tampered, jws)
    assert caught.value.code == "mismatch"


def test_the_public_page_links_each_signature_and_the_verify_page(demo_app: Flask) -> None:
    d = _pack(demo_app)
    html = demo_app.test_client().get(f"/d/{d.public_id}").get_data(as_text=True)
    for suffix in FILES.values():
        assert f'href="/d/{d.public_id}{suffix}.jws"' in html
    assert 'href="/verify"' in html


def _write_key(path: Path) -> str:
    return signing.kid_of(signing.write_new_key(path))


def _rotate(
    app: Flask, monkeypatch: pytest.MonkeyPatch, current: Path, retired: list[Path]
) -> None:
    """The same application restarted with other key settings (restored after the test)."""
    monkeypatch.setitem(app.config, "SIGNING_KEY_FILE", str(current))
    monkeypatch.setitem(app.config, "SIGNING_RETIRED_KEY_FILES", [str(p) for p in retired])
    monkeypatch.setitem(app.extensions, "tanlian_signing", signing.load_keyring(app))


def test_key_rotation_keeps_old_files_verifying(
    demo_app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    old, new = tmp_path / "old.pem", tmp_path / "new.pem"
    old_kid, new_kid = _write_key(old), _write_key(new)
    d = _pack(demo_app)
    client = demo_app.test_client()
    _rotate(demo_app, monkeypatch, old, [])
    body, old_jws = _fetch(client, d.public_id, "csv")
    assert _independent_verify(client, body, old_jws)["kid"] == old_kid

    public_only = tmp_path / "old.pub"
    with demo_app.app_context():
        public_only.write_bytes(signing.keyring().current.as_pem(private=False))
    _rotate(demo_app, monkeypatch, new, [public_only])
    jwks = client.get("/.well-known/jwks.json").get_json()
    assert [k["kid"] for k in jwks["keys"]] == [new_kid, old_kid]
    assert all("d" not in k for k in jwks["keys"])  # never a private member
    assert _independent_verify(client, body, old_jws)["kid"] == old_kid
    fresh_body, fresh_jws = _fetch(client, d.public_id, "csv")
    assert _independent_verify(client, fresh_body, fresh_jws)["kid"] == new_kid
    page = _verify_page(client, body, old_jws)
    assert "a retired key, still published" in page

    _rotate(demo_app, monkeypatch, new, [])  # the old key dropped: its files no longer verify
    with pytest.raises(KeyError):
        _independent_verify(client, body, old_jws)
    assert "a key Tanlian does not publish" in _verify_page(client, body, old_jws)


def test_production_refuses_to_start_without_a_signing_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TANLIAN_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://tanlian.example.cn")
    monkeypatch.delenv("SIGNING_KEY_FILE", raising=False)
    with pytest.raises(ConfigurationError, match="SIGNING_KEY_FILE"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("SIGNING_KEY_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(ConfigurationError, match="cannot read the signing key"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    kid = _write_key(tmp_path / "key.pem")
    monkeypatch.setenv("SIGNING_KEY_FILE", str(tmp_path / "key.pem"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.extensions["tanlian_signing"].current_kid == kid


def test_development_makes_one_key_in_the_instance_folder(tmp_path: Path) -> None:
    app = Flask("keys", instance_path=str(tmp_path / "instance"))
    app.config.update(ENV="development", SIGNING_KEY_FILE="")
    first = signing.load_keyring(app).current_kid
    key_file = tmp_path / "instance" / signing.DEV_KEY_NAME
    assert key_file.stat().st_mode & 0o077 == 0  # the owner's only
    assert signing.load_keyring(app).current_kid == first


def test_a_public_key_is_not_accepted_as_the_signing_key(tmp_path: Path) -> None:
    app = Flask("keys", instance_path=str(tmp_path))
    private = tmp_path / "k.pem"
    _write_key(private)
    with app.app_context():
        app.config.update(ENV="production", SIGNING_KEY_FILE=str(private))
        public = signing.load_keyring(app).current.as_pem(private=False)
    (tmp_path / "k.pub").write_bytes(public)
    app.config["SIGNING_KEY_FILE"] = str(tmp_path / "k.pub")
    with pytest.raises(ConfigurationError, match="private key"):
        signing.load_keyring(app)


def _cli(app: Flask, tmp_path: Path, body: bytes, jws: str) -> Any:
    (tmp_path / "file").write_bytes(body)
    (tmp_path / "file.jws").write_text(jws)
    runner = app.test_cli_runner()
    return runner.invoke(
        args=["declarations", "verify-file", str(tmp_path / "file"), str(tmp_path / "file.jws")]
    )


def test_verify_file_names_the_declaration_and_where_it_stands(
    demo_app: Flask, tmp_path: Path
) -> None:
    d = _pack(demo_app)
    body, jws = _fetch(demo_app.test_client(), d.public_id, "batterypass")
    result = _cli(demo_app, tmp_path, body, jws)
    assert result.exit_code == 0, result.output
    assert f"declaration {d.public_id} version {d.version} format batterypass" in result.output
    assert "now: current" in result.output
    with demo_app.app_context():  # as when a newer version is published
        db.session.get(Declaration, d.id).status = DeclarationStatus.SUPERSEDED
        db.session.commit()
    result = _cli(demo_app, tmp_path, body, jws)
    assert result.exit_code == 0 and "now: superseded" in result.output
    with demo_app.app_context():
        publication.withdraw(db.session, admin_actor(OWNER), d.id)
    result = _cli(demo_app, tmp_path, body, jws)
    assert result.exit_code == 0 and "now: withdrawn" in result.output
    result = _cli(demo_app, tmp_path, body[:-1] + bytes([body[-1] ^ 1]), jws)
    assert result.exit_code == 1 and "INVALID" in result.output
    result = _cli(demo_app, tmp_path, body, "not a signature")
    assert result.exit_code == 1 and "not a detached JWS" in result.output


def _verify_page(client: FlaskClient, body: bytes, jws: str, **extra: Any) -> str:
    session = Session(client)
    response = session.post(
        "/verify",
        {
            "file": (io.BytesIO(body), "declaration.json"),
            "signature": (io.BytesIO(jws.encode()), "declaration.json.jws"),
            **extra,
        },
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},  # unless the session chose another language
    )
    assert response.status_code == 200, response.status_code
    return str(response.get_data(as_text=True))


def test_the_verify_page_checks_a_file_for_anyone_in_both_languages(demo_app: Flask) -> None:
    d = _pack(demo_app)
    client = demo_app.test_client()
    body, jws = _fetch(client, d.public_id, "pact")
    page = _verify_page(client, body, jws)
    assert "Valid: this file is exactly as Tanlian signed it." in page
    assert f'href="/d/{d.public_id}"' in page and f"v{d.version}" in page
    assert "Current: the latest published version." in page
    page = _verify_page(client, body + b" ", jws)
    assert "Not valid." in page and "does not match this file" in page

    zh = demo_app.test_client()
    zh.post("/language/zh", data={"csrf_token": Session(zh).csrf("/verify")})
    assert "签名有效" in _verify_page(zh, body, jws)


def test_the_verify_page_needs_its_csrf_token_and_limits_sizes(
    demo_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = demo_app.test_client()
    no_token = client.post(
        "/verify",
        data={"file": (io.BytesIO(b"x"), "f"), "signature": (io.BytesIO(b"a..b"), "f.jws")},
        content_type="multipart/form-data",
    )
    assert no_token.status_code == 400
    monkeypatch.setitem(demo_app.config, "VERIFY_MAX_FILE_BYTES", 10)
    session = Session(client)
    big = session.post(
        "/verify",
        {"file": (io.BytesIO(b"x" * 11), "f"), "signature": (io.BytesIO(b"a..b"), "f.jws")},
        content_type="multipart/form-data",
    )
    assert big.status_code == 422
    assert re.search(r'class="error" id="file-error"', big.get_data(as_text=True))
    missing = session.post("/verify", {}, content_type="multipart/form-data")
    assert missing.status_code == 422


def test_a_drafts_signature_says_draft_and_the_page_tells_nothing_more(
    prepared_app: Flask, ids: Ids
) -> None:
    client = prepared_app.test_client()
    session = Session(client)
    session.login(OWNER)
    path = f"/declarations/{ids.declaration}/export/pact"
    body, jws = client.get(path).get_data(), client.get(path + ".jws").get_data(as_text=True)
    header = _independent_verify(client, body, jws)
    assert header["tanlian"]["status"] == "draft"
    anonymous = prepared_app.test_client()
    page = _verify_page(anonymous, body, jws)
    assert "Not published: a draft" in page
    with prepared_app.app_context():
        product = db.session.get(Declaration, ids.declaration).product.name_en
    assert product not in page


def test_new_key_writes_a_private_key_once_and_its_public_half(
    demo_app: Flask, tmp_path: Path
) -> None:
    path = tmp_path / "2027.pem"
    runner = demo_app.test_cli_runner()
    result = runner.invoke(args=["signing", "new-key", str(path)])
    assert result.exit_code == 0, result.output
    public = Ed25519PublicKey.from_public_bytes(
        _b64url_decode(json.loads(_jwk_of(tmp_path / "2027.pem.pub"))["x"])
    )
    assert public is not None and path.stat().st_mode & 0o077 == 0
    again = runner.invoke(args=["signing", "new-key", str(path)])
    assert again.exit_code != 0 and "exists" in again.output


def _jwk_of(path: Path) -> str:
    from joserfc.jwk import OKPKey

    return json.dumps(OKPKey.import_key(path.read_bytes()).as_dict(private=False))
