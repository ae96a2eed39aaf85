"""HTTP calls to addresses that organizations enter (partners' PACT host systems; any later
webhook): only to public internet addresses, only over HTTPS, and a failure told in a few plain
words.

Why: an address typed by an organization's administrator makes the server connect where it
says. Unchecked, it reaches what only the server can reach (a cloud metadata service on
169.254.169.254, the database, services on 127.0.0.1), and the error text of a failed call
tells what answered there. So:
- every address a host name resolves to must be public: one private, loopback, link-local,
  multicast, reserved or unspecified address refuses it, also when written inside an IPv6
  address (IPv4-mapped `::ffff:127.0.0.1`, 6to4, Teredo, NAT64);
- the check runs when the connection is made, and the connection goes to the addresses just
  checked, not to a second lookup that could answer otherwise (DNS rebinding); TLS still names
  the host (SNI and the certificate check), and so does the Host header;
- no proxy from the environment, no redirect followed, no scheme but https;
- a failure reaches the caller as a short reason; its detail goes only to the server's log.

`allow_private` lets the tests talk to a server on 127.0.0.1 (the PACT_OUTBOUND_ALLOW_PRIVATE
setting); nothing else turns the check off.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from functools import partial
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Why an address is refused: in English for logs and stored reasons, translated for forms.
KINDS = {
    "unspecified": "unspecified",
    "loopback": "loopback",
    "link-local": "link-local",
    "multicast": "multicast",
    "private": "private network",
    "reserved": "reserved",
}
LABELS = {
    "unspecified": _l("unspecified address"),
    "loopback": _l("loopback"),
    "link-local": _l("link-local"),
    "multicast": _l("multicast"),
    "private": _l("private network"),
    "reserved": _l("reserved"),
}


class OutboundError(Exception):
    """A call did not get an HTTP answer; `str()` is a short reason fit to show to the user."""


class AddressRefused(OutboundError):
    """The host is, or resolves to, an address that is not on the public internet."""

    def __init__(self, kind: str):
        super().__init__(f"this address is not allowed: {KINDS[kind]}")
        self.kind = kind

    def label(self) -> str:
        """The reason in the reader's language."""
        return str(_l("This address is not allowed: %(why)s.", why=LABELS[self.kind]))


# -- which addresses -----------------------------------------------------------------------------


def _embedded(ip: IPAddress) -> list[IPAddress]:
    """Any IPv4 address an IPv6 one carries, then the address itself (a refusal must not be
    dodged by writing 127.0.0.1 as ::ffff:127.0.0.1 or 2002:7f00:1::; the reason names the
    IPv4 address's kind)."""
    found: list[IPAddress] = []
    if isinstance(ip, ipaddress.IPv6Address):
        found += [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
        if ip.teredo is not None:
            found += list(ip.teredo)
        if ip in NAT64:
            found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [*found, ip]


def _kind(ip: IPAddress) -> str | None:
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    return None if ip.is_global else "reserved"


def refusal(address: str) -> str | None:
    """Why this IP address may not be called (a KINDS key), or None for a public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 scope (%eth0) is no part
    for candidate in _embedded(ip):
        kind = _kind(candidate)
        if kind is not None:
            return kind
    return None


def resolve(host: str, port: int, allow_private: bool) -> list[tuple[int, Any]]:
    """(family, socket address) of every address of `host`; AddressRefused if any is not
    public. socket.gaierror when the name does not resolve."""
    found: list[tuple[int, Any]] = []
    for family, _, _, _, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        kind = None if allow_private else refusal(str(sockaddr[0]))
        if kind is not None:
            raise AddressRefused(kind)
        if (family, sockaddr) not in found:
            found.append((family, sockaddr))
    return found


def check_url(url: str, allow_private: bool) -> None:
    """Refuse an address to be stored now when its host is, or resolves to, an address that is
    not public. A name that does not resolve yet passes: calls check it again each time."""
    parts = urllib.parse.urlsplit(url)
    try:
        resolve(parts.hostname or "", parts.port or 443, allow_private)
    except (OSError, ValueError, UnicodeError):
        return


# -- the call ------------------------------------------------------------------------------------


def _connect_checked(
    address: tuple[str, int], timeout: Any = None, source_address: Any = None, *, allow: bool
) -> socket.socket:
    """socket.create_connection, but only to the addresses checked in the same lookup."""
    host, port = address
    last: OSError = OSError(f"no address for {host}")
    for family, sockaddr in resolve(host, port, allow):
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            if isinstance(timeout, int | float):
                sock.settimeout(timeout)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    raise last


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection whose socket goes to a checked address; TLS and Host name the host."""

    def __init__(self, *args: Any, allow_private: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._create_connection = partial(_connect_checked, allow=allow_private)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, context: ssl.SSLContext, allow_private: bool):
        super().__init__(context=context)
        self._checked_context, self._allow_private = context, allow_private

    def https_open(self, req: urllib.request.Request) -> Any:
        connection = partial(_CheckedHTTPSConnection, allow_private=self._allow_private)
        return self.do_open(connection, req, context=self._checked_context)


def _opener(context: ssl.SSLContext, allow_private: bool) -> urllib.request.OpenerDirector:
    """HTTPS only: no proxy, no redirect (an answer, never an instruction), no other scheme."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        _CheckedHTTPSHandler(context, allow_private),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str


def _reason(exc: BaseException) -> str:
    cause = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(cause, socket.gaierror):
        return "the host name was not found"
    if isinstance(cause, TimeoutError):
        return "no answer in time"
    if isinstance(cause, ssl.SSLCertVerificationError):
        return "its certificate was not accepted"
    if isinstance(cause, ssl.SSLError):
        return "the secure connection failed"
    if isinstance(cause, http.client.HTTPException):
        return "the answer was not valid HTTP"
    if isinstance(cause, ValueError):
        return "not a valid address"
    return "could not connect"


def request(
    method: str,
    url: str,
    headers: dict[str, str],
    data: bytes | None = None,
    *,
    context: ssl.SSLContext,
    timeout: float,
    max_bytes: int,
    allow_private: bool = False,
) -> Answer:
    """One HTTPS call. Any HTTP answer is returned (status, at most `max_bytes` of body);
    no answer is an OutboundError with a short reason (AddressRefused for a refused address)."""
    if urllib.parse.urlsplit(url).scheme.lower() != "https":
        raise OutboundError("only https addresses are allowed")
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with _opener(context, allow_private).open(req, timeout=timeout) as r:
            return Answer(r.status, r.read(max_bytes), r.headers.get("Content-Type") or "")
    except urllib.error.HTTPError as e:
        with e:
            try:
                body = e.read(2000)
            except (OSError, http.client.HTTPException):
                body = b""
            return Answer(e.code, body, e.headers.get("Content-Type") or "")
    except AddressRefused as e:
        log.warning("outbound %s %s refused: %s", method, url[:200], e)
        raise
    except (OSError, ValueError, http.client.HTTPException) as e:
        log.warning("outbound %s %s failed: %r", method, url[:200], e)
        raise OutboundError(_reason(e)) from None


def tls_context() -> ssl.SSLContext:
    """The system's trust store, or PACT_OUTBOUND_CA_FILE (tests: their own test certificate)."""
    cafile = current_app.config.get("PACT_OUTBOUND_CA_FILE") or None
    return ssl.create_default_context(cafile=cafile)


def allow_private() -> bool:
    """PACT_OUTBOUND_ALLOW_PRIVATE: only the tests' servers on 127.0.0.1 need it."""
    return bool(current_app.config.get("PACT_OUTBOUND_ALLOW_PRIVATE"))
