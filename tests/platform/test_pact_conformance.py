"""The PACT v3 conformance test cases that concern authentication, listing, getting, filtering
and paging (TC1-TC11, TC18-TC39 of wbcsd/pact-conformance-service, src/test-cases/
v3-test-cases.ts; docs/specs/pact.md §8), mirrored against the application running for real:
a server on 127.0.0.1 over HTTPS with a certificate made at test time, called by an HTTP client
that trusts it, the way the conformance tool calls a partner's host system.

The set-up is the tool's: a token (from discovery, else {base}/auth/token), the full list, the
first page of `limit=1` and its Link, and the filter values taken from the first footprint. The
conditions are the tool's; where the tool only warns (TC6/7/16: code BadRequest) we require it.

Events (TC12-TC17, TC40): the tool posts to our /3/events with the same token, and for TC13 and
TC14.B waits for our answer at its own host (`source`): a token from its /auth/token (Basic
test_client_id / test_client_secret, answered with `access_token` only), then the event at its
/3/events. Here a small stdlib HTTPS server plays that host and records what arrives; the data
owner holds its credentials (entered like on the PACT partners page), and our answers leave
from a background thread (PACT_DELIVERY = "thread"), never from the request that asked.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import ssl
import string
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from footprint_platform import json_schemas
from footprint_platform.demo_pact import demo_pact_logins
from tests.platform.conftest import https_server

_, _, CLIENT_ID, CLIENT_SECRET = demo_pact_logins()[0]
AUTH_REQUEST_DATA = b"grant_type=client_credentials"


def random_string(length: int) -> str:
    """The tool's randomString: letters and digits."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))


# -- an HTTPS server with a certificate made now, and a client that trusts it --------------------


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
    with https_server(demo_app, certificate) as url:
        yield Host(url, ssl.create_default_context(cafile=certificate[0]))


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


# -- TC12-TC17, TC40: events -------------------------------------------------------------------

TOOL_CLIENT_ID, TOOL_CLIENT_SECRET = "test_client_id", "test_client_secret"
CREATED = "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3"
FULFILLED = "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3"
REJECTED = "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3"
PUBLISHED = "org.wbcsd.pact.ProductFootprint.PublishedEvent.3"
EVENT_HEADERS = {"Content-Type": "application/cloudevents+json; charset=UTF-8"}


@dataclass
class Requester:
    """The tool's callback host: its /auth/token and /3/events, and what arrived there."""

    base_url: str
    tokens: set[str] = field(default_factory=set)
    received: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, request_event_id: str, timeout: float = 15) -> list[Any]:
        """The events answering one request (the tool waits ~30 s for TC13)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                found = [
                    (path, headers, body)
                    for path, headers, body in self.received
                    if isinstance(body, dict)
                    and (body.get("data") or {}).get("requestEventId") == request_event_id
                ]
            if found:
                time.sleep(0.3)  # a second answer would be a bug: give it a moment to show
                with self.lock:
                    return [
                        r
                        for r in self.received
                        if (r[2].get("data") or {}).get("requestEventId") == request_event_id
                    ]
            time.sleep(0.05)
        return []


def _requester_handler(requester: Requester) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: Any = None) -> None:
            raw = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/auth/token":
                expected = base64.b64encode(
                    f"{TOOL_CLIENT_ID}:{TOOL_CLIENT_SECRET}".encode()
                ).decode()
                if self.headers.get("Authorization") != f"Basic {expected}":
                    return self._answer(401, {"message": "Invalid client credentials"})
                token = secrets.token_hex(16)
                with requester.lock:
                    requester.tokens.add(token)
                return self._answer(200, {"access_token": token})
            scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
            if scheme != "Bearer" or token not in requester.tokens:
                return self._answer(401, {"message": "Unauthorized"})
            with requester.lock:
                requester.received.append((self.path, dict(self.headers), json.loads(raw)))
            return self._answer(200)

        def _exchange(self, status: int) -> None:
            """A Catena-X PCF Exchange call (GET asks, PUT pushes), for the partner's side in
            tests/platform/test_catenax_exchange.py: kept like an event, with its answer."""
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
            if scheme != "Bearer" or token not in requester.tokens:
                return self._answer(401, {"message": "Unauthorized"})
            with requester.lock:
                requester.received.append(
                    (self.path, dict(self.headers), json.loads(raw) if raw else None)
                )
            return self._answer(status)

        def do_GET(self) -> None:
            self._exchange(202)

        def do_PUT(self) -> None:
            self._exchange(200)

    return Handler


@pytest.fixture
def requester(certificate: tuple[Path, Path]) -> Iterator[Requester]:
    cert_file, key_file = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    made = Requester(f"https://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _requester_handler(made)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield made
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture
def events_tool(
    tool: Tool,
    requester: Requester,
    demo_app: Flask,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Tool:
    """The tool's set-up, plus: the data owner holds the tool's callback credentials for the
    partner, and answers leave from a thread after the response."""
    from footprint_platform.demo_submissions import _admin
    from footprint_platform.extensions import db
    from footprint_platform.models import PactClient
    from footprint_platform.services.pact import outbound as pact_outbound

    monkeypatch.setitem(demo_app.config, "PACT_DELIVERY", "thread")
    monkeypatch.setitem(demo_app.config, "PACT_DELIVERY_DELAY_SECONDS", 0.05)
    monkeypatch.setitem(demo_app.config, "PACT_OUTBOUND_CA_FILE", str(certificate[0]))
    monkeypatch.setitem(demo_app.config, "PACT_OUTBOUND_ALLOW_PRIVATE", True)  # 127.0.0.1
    with demo_app.app_context():
        client = db.session.scalars(
            db.select(PactClient).where(PactClient.client_id == CLIENT_ID)
        ).one()
        pact_outbound.create_credential(
            db.session,
            _admin(db.session, client.owner_id),
            client.owner_id,
            {
                "partner_id": client.partner_id,
                "name": "PACT conformance tool",
                "base_url": requester.base_url,
                "client_id": TOOL_CLIENT_ID,
                "client_secret": TOOL_CLIENT_SECRET,
            },
        )
        db.session.remove()
    return tool


def _event(kind: str, event_id: str, source: str, data: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": event_id,
            "source": source,
            "time": _iso(datetime.now(UTC)),
            "type": kind,
            "data": data,
        }
    ).encode()


def _post_event(tool: Tool, body: bytes, token: str | None = None) -> Reply:
    headers = {**EVENT_HEADERS, "Authorization": f"Bearer {token or tool.token}"}
    return tool.host.call("POST", f"{tool.base}/3/events", headers, body)


def _fulfilled_event_is_valid(event: dict[str, Any], request_event_id: str) -> bool:
    """The tool's schema check of a RequestFulfilledEvent (BaseEvent + its data)."""
    base = all(isinstance(event.get(k), str) and event[k] for k in ("id", "source", "time"))
    pfs = event["data"].get("pfs")
    return (
        base
        and event["type"] == FULFILLED
        and event["specversion"] == "1.0"
        and event["data"]["requestEventId"] == request_event_id
        and isinstance(pfs, list)
        and len(pfs) >= 1
        and _schema_valid(pfs)
    )


def test_tc12_tc13_request_is_answered_with_a_fulfilled_event(
    events_tool: Tool, requester: Requester
) -> None:
    run = f"run-{random_string(8)}"
    body = _event(
        CREATED,
        f"{run}/12",
        requester.base_url,
        {
            "productId": events_tool.params["productIds"],
            "comment": "Please send PCF data for this year.",
        },
    )
    reply = _post_event(events_tool, body)
    assert reply.status == 200 and reply.body is None  # TC12: 200, empty body

    answers = requester.wait_for(f"{run}/12")
    assert len(answers) == 1, answers  # exactly one answer per request
    path, headers, event = answers[0]
    assert path == "/3/events"  # the tool checks the path it was called on
    assert headers["Content-Type"].startswith("application/cloudevents+json")
    assert _fulfilled_event_is_valid(event, f"{run}/12")
    sent_ids = {i for pf in event["data"]["pfs"] for i in pf["productIds"]}
    assert sent_ids & set(events_tool.params["productIds"])  # TC13: a matching productId


def test_tc14_request_that_cannot_be_served_is_rejected(
    events_tool: Tool, requester: Requester
) -> None:
    run = f"run-{random_string(8)}"
    body = _event(
        CREATED,
        f"{run}/14.A",
        requester.base_url,
        {"productId": ["urn:pact:null"], "comment": "Please send PCF data for this year."},
    )
    assert _post_event(events_tool, body).status == 200  # TC14.A
    answers = requester.wait_for(f"{run}/14.A")
    assert len(answers) == 1
    path, _, event = answers[0]
    assert path == "/3/events" and event["type"] == REJECTED  # TC14.B
    assert event["data"]["error"]["code"] and event["data"]["error"]["message"]


def test_tc15_published_event_with_an_unknown_id_is_accepted(
    events_tool: Tool, requester: Requester
) -> None:
    body = _event(
        PUBLISHED,
        str(uuid.uuid4()),
        requester.base_url,
        {"pfIds": ["3a6c14a7-4deb-498a-b5ea-16ce2535b576"]},
    )
    reply = _post_event(events_tool, body)
    assert reply.status == 200 and reply.body is None


def test_tc16_events_with_an_invalid_token(events_tool: Tool, requester: Requester) -> None:
    body = _event(
        PUBLISHED, "run/16", requester.base_url, {"pfIds": ["3a6c14a7-4deb-498a-b5ea-16ce2535b576"]}
    )
    reply = _post_event(events_tool, body, token=f"very-invalid-access-token-{random_string(16)}")
    assert reply.status in (400, 401)
    assert reply.body["code"] == "BadRequest"  # the tool warns otherwise; we require it


def test_tc17_events_over_plain_http_fail(events_tool: Tool, requester: Requester) -> None:
    body = _event(
        PUBLISHED, "run/17", requester.base_url, {"pfIds": ["3a6c14a7-4deb-498a-b5ea-16ce2535b576"]}
    )
    plain = events_tool.base.replace("https", "http")
    assert _fails(lambda: events_tool.host.call("POST", f"{plain}/3/events", EVENT_HEADERS, body))


def test_tc40_published_event_with_a_malformed_id_is_a_bad_request(
    events_tool: Tool, requester: Requester
) -> None:
    body = _event(
        PUBLISHED, str(uuid.uuid4()), requester.base_url, {"pfIds": ["urn:gtin:4712345060507"]}
    )
    reply = _post_event(events_tool, body)
    assert reply.status == 400 and reply.body["code"] == "BadRequest"
    assert "pfIds" in reply.body["message"]
