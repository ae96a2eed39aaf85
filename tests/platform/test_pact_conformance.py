"""The PACT v3 conformance test cases that concern authentication, listing, getting, filtering
and paging (TC1-TC11, TC18-TC39 of wbcsd/pact-conformance-service, src/test-cases/
v3-test-cases.ts; shared/specs/pact.md §8), mirrored against the application running for real:
a server on 127.0.0.1 over HTTPS with a certificate made at test time, called by an HTTP client
that trusts it, the way the conformance tool calls a partner's host system.

The set-up is the tool's: a token (from discovery, else {base}/auth/token), the full list, the
first page of `limit=1` and its Link, and the filter values taken from the first footprint. The
conditions are the tool's; where the tool only warns (TC6/7: code BadRequest) we require it.
Events (TC12-TC17, TC40) belong to the /3/events endpoint and are not here.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import secrets
import ssl
import string
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from footprint_platform import json_schemas
from footprint_platform.demo_pact import demo_pact_logins

_, _, CLIENT_ID, CLIENT_SECRET = demo_pact_logins()[0]
AUTH_REQUEST_DATA = b"grant_type=client_credentials"


def random_string(length: int) -> str:
    """The tool's randomString: letters and digits."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))


# -- an HTTPS server with a certificate made now, and a client that trusts it --------------------


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tanlian PACT test host")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@dataclass
class Reply:
    status: int
    headers: Any
    body: Any  # parsed only when the answer says application/json, as the tool does


@dataclass
class Host:
    base_url: str
    context: ssl.SSLContext

    def call(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> Reply:
        request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=10) as r:
                return Reply(r.status, r.headers, _body(r.headers, r.read()))
        except urllib.error.HTTPError as e:
            return Reply(e.code, e.headers, _body(e.headers, e.read()))


def _body(headers: Any, raw: bytes) -> Any:
    if (headers.get("Content-Type") or "").startswith("application/json") and raw:
        return json.loads(raw)
    return None


@pytest.fixture
def host(demo_app: Flask, certificate: tuple[Path, Path]) -> Iterator[Host]:
    cert_file, key_file = certificate
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    server = make_server("127.0.0.1", 0, demo_app, threaded=True, ssl_context=server_context)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        port = server.server_address[1]
        yield Host(f"https://127.0.0.1:{port}", ssl.create_default_context(cafile=cert_file))
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


# -- the tool's set-up -------------------------------------------------------------------------


def correct_auth_headers() -> dict[str, str]:
    pair = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    return {
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": f"Basic {pair}",
    }


def incorrect_auth_headers() -> dict[str, str]:
    pair = base64.b64encode(f"{random_string(16)}:{random_string(16)}".encode()).decode()
    return {**correct_auth_headers(), "Authorization": f"Basic {pair}"}


def _iso(moment: datetime) -> str:
    """JavaScript's Date.toISOString()."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _date(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _plus_years(moment: datetime, years: int) -> datetime:
    return moment.replace(year=moment.year + years)


def filter_parameters(footprints: dict[str, Any]) -> dict[str, Any]:
    """getFilterParameters: everything comes from data[0]."""
    first = footprints["data"][0]
    start, end = first.get("validityPeriodStart"), first.get("validityPeriodEnd")
    if not (start and end):
        start = first["pcf"]["referencePeriodEnd"]
        end = _iso(_plus_years(_date(start), 3))
    pcf = first["pcf"]
    return {
        "productId": first["productIds"][0],
        "productIds": first["productIds"],
        "companyId": first["companyIds"][0],
        "geography": pcf.get("geographyCountry")
        or pcf.get("geographyRegionOrSubregion")
        or pcf.get("geographyCountrySubdivision")
        or "",
        "classification": (first.get("productClassifications") or [""])[0],
        "validOn": start,
        "validAfter": _iso(_date(start) - timedelta(days=1)),
        "validBefore": _iso(_date(end) + timedelta(days=1)),
        "status": first["status"],
        "id": first["id"],
    }


def parse_link_header(header: str | None) -> dict[str, str]:
    links = {}
    for part in (header or "").split(", "):
        match = re.match(r"<(.*)>;\s*rel=\"(.*)\"", part)
        if match:
            links[match.group(2)] = match.group(1)
    return links


@dataclass
class Tool:
    host: Host
    token_url: str
    token: str
    footprints: dict[str, Any]
    links: dict[str, str]
    params: dict[str, Any]

    @property
    def base(self) -> str:
        return self.host.base_url

    def get(self, endpoint: str, token: str | None = None) -> Reply:
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token or self.token}",
        }
        return self.host.call("GET", f"{self.base}{endpoint}", headers)


@pytest.fixture
def tool(host: Host) -> Tool:
    discovery = host.call("GET", f"{host.base_url}/.well-known/openid-configuration")
    token_url = (discovery.body or {}).get("token_endpoint") or f"{host.base_url}/auth/token"
    assert token_url == f"{host.base_url}/auth/token"
    answer = host.call("POST", token_url, correct_auth_headers(), AUTH_REQUEST_DATA)
    assert answer.status == 200, answer.body
    token = answer.body["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    listed = host.call("GET", f"{host.base_url}/3/footprints", bearer)
    assert listed.status == 200 and len(listed.body["data"]) >= 2  # the tool's FAQ: at least 2
    first_page = host.call("GET", f"{host.base_url}/3/footprints?limit=1", bearer)
    links = parse_link_header(first_page.headers.get("Link"))
    return Tool(host, token_url, token, listed.body, links, filter_parameters(listed.body))


# -- TC1-TC11: authentication, get, list, pagination, invalid tokens, plain HTTP ---------------


def test_tc01_obtain_auth_token_with_valid_credentials(tool: Tool) -> None:
    reply = tool.host.call("POST", tool.token_url, correct_auth_headers(), AUTH_REQUEST_DATA)
    assert reply.status == 200 and reply.body["access_token"]


def test_tc02_obtain_auth_token_with_invalid_credentials(tool: Tool) -> None:
    reply = tool.host.call("POST", tool.token_url, incorrect_auth_headers(), AUTH_REQUEST_DATA)
    assert reply.status in (400, 401)
    assert reply.body["error"] == "invalid_client"


def _schema_valid(pfs: list[dict[str, Any]]) -> bool:
    return all(json_schemas.problems("pact", pf) == [] for pf in pfs)


def test_tc03_get_pcf_using_getfootprint(tool: Tool) -> None:
    reply = tool.get(f"/3/footprints/{tool.params['id']}")
    assert reply.status == 200 and _schema_valid([reply.body["data"]])
    assert reply.body["data"]["id"] == tool.params["id"]


def test_tc04_get_all_pcfs_using_listfootprints(tool: Tool) -> None:
    reply = tool.get("/3/footprints")
    assert reply.status in (200, 202) and _schema_valid(reply.body["data"])
    assert len(reply.body["data"]) == len(tool.footprints["data"])


def test_tc05_pagination_link_implementation(tool: Tool) -> None:
    link = next(iter(tool.links.values()))
    assert link.startswith(f"{tool.base}/3/footprints?")  # absolute, on the host called
    reply = tool.get(link.replace(tool.base, ""))
    assert reply.status == 200 and len(reply.body["data"]) >= 1
    assert _schema_valid(reply.body["data"])


@pytest.mark.parametrize("case", ["tc06 list", "tc07 get"])
def test_tc06_tc07_invalid_token(tool: Tool, case: str) -> None:
    endpoint = "/3/footprints" if "list" in case else f"/3/footprints/{tool.params['id']}"
    reply = tool.get(endpoint, token=f"very-invalid-access-token-{random_string(16)}")
    assert reply.status in (400, 401)
    assert reply.body["code"] == "BadRequest"  # the tool warns otherwise; we require it


def test_tc08_getfootprint_with_non_existent_pfid(tool: Tool) -> None:
    reply = tool.get("/3/footprints/00000000-0000-0000-0000-000000000000")
    assert reply.status in (400, 404) and reply.body["code"] in ("NotFound", "BadRequest")


def _fails(call: Callable[[], Reply]) -> bool:
    """expectHttpError: the request must not succeed (no answer, or not a 2xx)."""
    try:
        reply = call()
    except (OSError, urllib.error.URLError, ConnectionError):
        return True
    except Exception as exc:  # http.client.BadStatusLine and kin
        return exc.__class__.__module__ == "http.client"
    return not 200 <= reply.status < 300


def test_tc09_tc10_tc11_plain_http_fails(tool: Tool) -> None:
    plain = tool.base.replace("https", "http")
    bearer = {"Authorization": f"Bearer {tool.token}"}
    calls = {
        "tc09 auth": lambda: tool.host.call(
            "POST",
            tool.token_url.replace("https", "http"),
            correct_auth_headers(),
            AUTH_REQUEST_DATA,
        ),
        "tc10 list": lambda: tool.host.call("GET", f"{plain}/3/footprints", bearer),
        "tc11 get": lambda: tool.host.call(
            "GET", f"{plain}/3/footprints/{tool.params['id']}", bearer
        ),
    }
    for case, call in calls.items():
        assert _fails(call), case
    assert tool.get("/3/footprints").status == 200  # the HTTPS listener is still serving


# -- TC18/19: the token endpoint at {base}/auth/token ------------------------------------------


def test_tc18_tc19_auth_token_under_the_base_url(tool: Tool) -> None:
    url = f"{tool.base}/auth/token"
    assert tool.host.call("POST", url, correct_auth_headers(), AUTH_REQUEST_DATA).status == 200
    bad = tool.host.call("POST", url, incorrect_auth_headers(), AUTH_REQUEST_DATA)
    assert bad.status in (400, 401)


# -- TC20-TC39: filters ------------------------------------------------------------------------


def _every(pfs: list[dict[str, Any]], test: Callable[[dict[str, Any]], bool]) -> bool:
    return all(test(pf) for pf in pfs)


def _geography_matches(p: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    def check(pf: dict[str, Any]) -> bool:
        pcf = pf["pcf"]
        return p["geography"] in (
            pcf.get("geographyCountry"),
            pcf.get("geographyRegionOrSubregion"),
            pcf.get("geographyCountrySubdivision"),
        )

    return check


# name -> (endpoint from the filter values, condition on the data of a 200)
POSITIVE: dict[str, tuple[Callable[[dict[str, Any]], str], Any]] = {
    "tc20 productId": (
        lambda p: f"/3/footprints?productId={p['productId']}",
        lambda p, d: _every(d, lambda pf: p["productId"] in pf["productIds"]),
    ),
    "tc21 companyId": (
        lambda p: f"/3/footprints?companyId={p['companyId']}",
        lambda p, d: _every(d, lambda pf: p["companyId"] in pf["companyIds"]),
    ),
    "tc22 geography": (
        lambda p: f"/3/footprints?geography={p['geography']}",
        lambda p, d: _every(d, _geography_matches(p)),
    ),
    "tc23 classification": (
        lambda p: f"/3/footprints?classification={p['classification']}",
        lambda p, d: _every(d, lambda pf: p["classification"] in pf["productClassifications"]),
    ),
    "tc24 validOn": (
        lambda p: f"/3/footprints?validOn={p['validOn']}",
        lambda p, d: _every(
            d,
            lambda pf: (
                _date(pf["validityPeriodStart"])
                <= _date(p["validOn"])
                <= _date(pf["validityPeriodEnd"])
            ),
        ),
    ),
    "tc25 validAfter": (
        lambda p: f"/3/footprints?validAfter={p['validAfter']}",
        lambda p, d: _every(
            d, lambda pf: _date(pf["validityPeriodStart"]) > _date(p["validAfter"])
        ),
    ),
    "tc26 validBefore": (
        lambda p: f"/3/footprints?validBefore={p['validBefore']}",
        lambda p, d: _every(d, lambda pf: _date(pf["validityPeriodEnd"]) < _date(p["validBefore"])),
    ),
    "tc27 status": (
        lambda p: f"/3/footprints?status={p['status']}",
        lambda p, d: _every(d, lambda pf: pf["status"] == p["status"]),
    ),
    "tc28 status and productId": (
        lambda p: f"/3/footprints?status={p['status']}&productId={p['productId']}",
        lambda p, d: _every(
            d, lambda pf: pf["status"] == p["status"] and p["productId"] in pf["productIds"]
        ),
    ),
    "tc29 companyId OR": (
        lambda p: (
            f"/3/footprints?companyId={p['companyId']}"
            f"&companyId={random_string(8)}&companyId={random_string(8)}"
        ),
        lambda p, d: _every(d, lambda pf: p["companyId"] in pf["companyIds"]),
    ),
}


@pytest.mark.parametrize("case", list(POSITIVE))
def test_tc20_to_tc29_filters_match(tool: Tool, case: str) -> None:
    endpoint, condition = POSITIVE[case]
    assert tool.params["geography"] and tool.params["classification"]  # data[0] drives them
    reply = tool.get(endpoint(tool.params))
    assert reply.status == 200
    data = reply.body["data"]
    assert len(data) >= 1 and _schema_valid(data) and condition(tool.params, data)


NEGATIVE: dict[str, Callable[[], str]] = {
    "tc30 productId": lambda: f"/3/footprints?productId=urn:bogus:product:{random_string(16)}",
    "tc31 companyId": lambda: f"/3/footprints?companyId=urn:bogus:company:{random_string(16)}",
    "tc32 geography": lambda: "/3/footprints?geography=XX",
    "tc33 classification": lambda: (
        f"/3/footprints?classification=urn:bogus:classification:{random_string(16)}"
    ),
    "tc34 validOn": lambda: "/3/footprints?validOn=1900-01-01T00:00:00Z",
    "tc35 validAfter": lambda: "/3/footprints?validAfter=2099-12-31T23:59:59Z",
    "tc36 validBefore": lambda: "/3/footprints?validBefore=1900-01-01T00:00:00Z",
    "tc37 status": lambda: f"/3/footprints?status=BogusStatus{random_string(8)}",
    "tc38 AND": lambda: (
        f"/3/footprints?companyId=urn:bogus:company:{random_string(8)}"
        f"&productId=urn:bogus:product:{random_string(16)}"
    ),
    "tc39 OR": lambda: (
        "/3/footprints?"
        + "&".join(f"companyId=urn:bogus:company:{random_string(8)}" for _ in range(3))
    ),
}


@pytest.mark.parametrize("case", list(NEGATIVE))
def test_tc30_to_tc39_unknown_values_give_an_empty_list(tool: Tool, case: str) -> None:
    reply = tool.get(NEGATIVE[case]())
    assert reply.status == 200 and reply.body == {"data": []}
