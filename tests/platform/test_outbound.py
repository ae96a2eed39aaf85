"""Calls to addresses organizations enter (footprint_platform.outbound, through the PACT partner
credentials): never into the server's own network, whatever the address says or a name
resolves to, at saving and at every connection; a failed call tells a few plain words, never
the raw error. Here PACT_OUTBOUND_ALLOW_PRIVATE stays off unless a test says otherwise."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import func, select

from footprint_platform import outbound, sealed
from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db
from footprint_platform.models import PactCredential
from footprint_platform.services.pact import consume as pact_consume
from footprint_platform.services.pact import outbound as pact_outbound
from tests.conftest import Session
from tests.platform.conftest import https_server
from tests.platform.demo_ids import admin_actor

OWNER_ADMIN = "data@zhujiang-electrolyte.example"
PF_ID = "3a6c14a7-4deb-498a-b5ea-16ce2535b576"
REAL_GETADDRINFO = socket.getaddrinfo

INTERNAL = [
    ("https://127.0.0.1:8443", "loopback"),
    ("https://localhost", "loopback"),
    ("https://2130706433", "loopback"),  # 127.0.0.1 written as one number
    ("https://[::1]", "loopback"),
    ("https://[::ffff:127.0.0.1]", "loopback"),
    ("https://[2002:7f00:1::]", "loopback"),  # 6to4 around 127.0.0.1
    ("https://[64:ff9b::a9fe:a9fe]", "link-local"),  # NAT64 around 169.254.169.254
    ("https://169.254.169.254/latest/meta-data", "link-local"),
    ("https://[fe80::1]", "link-local"),
    ("https://10.1.2.3", "private network"),
    ("https://192.168.0.10:9200", "private network"),
    ("https://[::ffff:172.16.0.1]", "private network"),
    ("https://[fd00::1]", "private network"),
    ("https://224.0.0.1", "multicast"),
    ("https://0.0.0.0:5432", "unspecified address"),
    ("https://100.64.0.1", "reserved"),
    ("https://240.0.0.1", "reserved"),
]


def _data(base_url: str, **more: str) -> dict[str, Any]:
    return {"name": "Partner", "base_url": base_url, "client_id": "c", "client_secret": "s", **more}


def _credentials() -> int:
    return db.session.scalar(select(func.count()).select_from(PactCredential)) or 0


def _resolving(answers: dict[str, list[str]]) -> Callable[..., Any]:
    """getaddrinfo with fixed answers for some names (a list is used up one answer per lookup;
    the last one stays), the real one for the others."""

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        wanted = answers.get(str(host))
        if wanted is None:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        address = wanted.pop(0) if len(wanted) > 1 else wanted[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 443)))]

    return fake


@pytest.mark.parametrize(("base_url", "kind"), INTERNAL)
def test_an_internal_address_is_refused_when_saved(
    demo_app: Flask, base_url: str, kind: str
) -> None:
    with demo_app.test_request_context("/"), force_locale("en"):
        admin = admin_actor(OWNER_ADMIN)
        with pytest.raises(InvalidInput) as caught:
            pact_outbound.create_credential(
                db.session, admin, admin.organization_ids[0], _data(base_url)
            )
        assert caught.value.errors == {"base_url": [f"This address is not allowed: {kind}."]}
        assert "not allowed" in caught.value.message and _credentials() == 0


def test_a_token_url_is_checked_like_the_base_url(demo_app: Flask) -> None:
    with demo_app.app_context():
        admin = admin_actor(OWNER_ADMIN)
        with pytest.raises(InvalidInput) as caught:
            pact_outbound.create_credential(
                db.session,
                admin,
                admin.organization_ids[0],
                _data("https://93.184.216.34", token_url="https://169.254.169.254/token"),
            )
        assert "token_url" in caught.value.errors and _credentials() == 0


def test_a_name_resolving_to_one_internal_address_among_public_ones_is_refused(
    demo_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def both(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 443)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", both)
    with demo_app.test_request_context("/"), force_locale("en"):
        admin = admin_actor(OWNER_ADMIN)
        with pytest.raises(InvalidInput, match="private network"):
            pact_outbound.create_credential(
                db.session, admin, admin.organization_ids[0], _data("https://mixed.example")
            )


def test_plain_http_is_refused_even_for_the_local_demo(demo_app: Flask) -> None:
    assert demo_app.config["PACT_REQUIRE_HTTPS"] is False
    with demo_app.app_context():
        admin = admin_actor(OWNER_ADMIN)
        with pytest.raises(InvalidInput, match="https://"):  # in either language
            pact_outbound.create_credential(
                db.session, admin, admin.organization_ids[0], _data("http://93.184.216.34")
            )


def test_the_partners_page_says_which_address_is_not_allowed(
    demo_app: Flask, auth: Session
) -> None:
    with demo_app.app_context():
        org = admin_actor(OWNER_ADMIN).organization_ids[0]
    auth.login(OWNER_ADMIN)
    page = auth.post(
        f"/orgs/{org}/pact/credentials",
        {"cred_name": "Metadata", **_data("https://169.254.169.254")},
        headers={"Accept-Language": "en"},
    )
    assert page.status_code == 422
    assert "This address is not allowed: link-local." in page.get_data(as_text=True)
    with demo_app.app_context():
        assert _credentials() == 0


# -- at every connection ---------------------------------------------------------------------------


class Partner:
    """A partner host on 127.0.0.1 over HTTPS that counts the requests reaching it."""

    def __init__(self, url: str, hits: list[str]):
        self.url, self.hits = url, hits
        self.port = int(url.rsplit(":", 1)[1])


@pytest.fixture
def listening(
    prepared_app: Flask, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Partner]:
    hits: list[str] = []
    serve = prepared_app.wsgi_app

    def counting(environ: Any, start_response: Any) -> Any:
        hits.append(environ["PATH_INFO"])
        return serve(environ, start_response)

    monkeypatch.setattr(prepared_app, "wsgi_app", counting)
    with https_server(prepared_app, certificate) as url:
        yield Partner(url, hits)


def _stored(base_url: str) -> int:
    """A credential saved as it is (as one saved before addresses were checked)."""
    admin = admin_actor(OWNER_ADMIN)
    row = PactCredential(
        organization_id=admin.organization_ids[0],
        name="Old",
        base_url=base_url,
        client_id="c",
        secret_sealed=sealed.seal("s"),
        created_by_id=admin.user_id,
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def _pull(credential_id: int) -> str:
    admin = admin_actor(OWNER_ADMIN)
    with pytest.raises(InvalidInput) as caught:
        pact_consume.pull_footprint(
            db.session, admin, admin.organization_ids[0], credential_id, PF_ID
        )
    return str(caught.value.errors)


def test_a_stored_internal_address_is_refused_at_the_connection(
    demo_app: Flask,
    listening: Partner,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(demo_app.config, "PACT_OUTBOUND_CA_FILE", str(certificate[0]))
    with demo_app.app_context():
        said = _pull(_stored(listening.url))
    assert "this address is not allowed: loopback" in said
    assert listening.hits == []


def test_a_name_that_resolves_elsewhere_at_the_connection_is_refused_there(
    demo_app: Flask,
    listening: Partner,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: public when saved, 127.0.0.1 when called."""
    monkeypatch.setitem(demo_app.config, "PACT_OUTBOUND_CA_FILE", str(certificate[0]))
    lookups = {"rebind.example": ["93.184.216.34", "127.0.0.1"]}
    monkeypatch.setattr(socket, "getaddrinfo", _resolving(lookups))
    with demo_app.app_context():
        admin = admin_actor(OWNER_ADMIN)
        made = pact_outbound.create_credential(
            db.session,
            admin,
            admin.organization_ids[0],
            _data(f"https://rebind.example:{listening.port}"),
        )
        said = _pull(made.id)
    assert "this address is not allowed: loopback" in said
    assert listening.hits == []


def test_the_connection_uses_the_address_it_checked_and_names_the_host(
    listening: Partner, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One lookup per connection, and the connection goes where it said; TLS and the Host
    header still name the host (the test certificate is for `localhost`, not its address)."""
    seen: list[str] = []

    def counting(host: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(host))
        return REAL_GETADDRINFO("127.0.0.1", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    context = ssl.create_default_context(cafile=certificate[0])
    url = f"https://localhost:{listening.port}/.well-known/openid-configuration"
    got = outbound.request(
        "GET", url, {}, context=context, timeout=5, max_bytes=10_000, allow_private=True
    )
    assert got.status == 200 and seen == ["localhost"]
    assert b'"issuer":"https://localhost:' in got.body.replace(b" ", b"")
    with pytest.raises(outbound.AddressRefused):
        outbound.request("GET", url, {}, context=context, timeout=5, max_bytes=10_000)
    assert listening.hits == ["/.well-known/openid-configuration"]


def test_a_failed_connection_is_told_in_plain_words(
    demo_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not the socket's error text (it tells what listens where), and not the address."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    monkeypatch.setitem(demo_app.config, "PACT_OUTBOUND_ALLOW_PRIVATE", True)
    with demo_app.app_context():
        said = _pull(_stored(f"https://127.0.0.1:{port}"))
    assert "could not connect" in said
    assert "Errno" not in said and "refused" not in said.lower()


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("93.184.216.34", None),
        ("2606:2800:220:1:248:1893:25c8:1946", None),
        ("127.8.9.1", "loopback"),
        ("::ffff:169.254.1.1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("ff02::1", "multicast"),
        ("::", "unspecified"),
        ("198.18.0.1", "private"),
        ("192.0.2.1", "private"),
    ],
)
def test_which_addresses_are_refused(address: str, kind: str | None) -> None:
    assert outbound.refusal(address) == kind
