"""Tanlian as a PACT *client* of partners' host systems: the credentials partners issued to us,
and the HTTP calls made with them (a token, an event posted to `/3/events`, a footprint read).

Credentials are entered by an organization's administrator. Unlike the secrets we issue (kept
as hashes, services.pact.clients), these must be presented, so the secret is encrypted at rest
(Fernet: AES-128-CBC + HMAC-SHA256) with a key derived from PACT_CREDENTIAL_KEY, else from the
application's SECRET_KEY; it is never logged, never shown again, never written to the audit log.

A token and an event go only to the host the credential names: an event's target (the
requester's `source`) must have the same scheme, host and port as the credential's base URL,
so a partner cannot make Tanlian present its credentials, or call, anywhere else. The calls go
through footprint_platform.outbound: HTTPS only, public addresses only (checked when the
credential is saved and again at every connection), a failure told in a few words.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform import outbound, sealed
from footprint_platform.errors import InvalidInput, NotFound
from footprint_platform.models import Organization, PactCredential, utcnow
from footprint_platform.policy import Action, Actor, authorize
from footprint_platform.services.catalogue import audit

TIMEOUT_SECONDS = 10  # one call; the conformance tool allows 5 s per synchronous answer
MAX_ANSWER_BYTES = 5_000_000  # a footprint is a few kB; a list page of 100, well below this
EVENTS_PATH = "/3/events"


class PartnerUnreachable(Exception):
    """A call to a partner's host failed: no answer, not HTTPS, refused token, non-2xx."""


def unseal(sealed_secret: str) -> str:
    """A partner credential's secret; one that no longer opens makes the partner unreachable."""
    try:
        return sealed.unseal(sealed_secret)
    except sealed.SealBroken as exc:
        raise PartnerUnreachable(str(exc)) from None


# -- credentials -------------------------------------------------------------------------------


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def _check_url(url: str, field: str) -> str:
    url = url.strip().rstrip("/")
    try:
        scheme, host, _ = _origin(url)
    except ValueError:  # a port that is not a number
        scheme, host = "", ""
    if scheme != "https" or not host or len(url) > 300:
        msg = str(_l("Give the partner's address starting with https:// (at most 300 characters)."))
        raise InvalidInput(msg, {field: [msg]})
    try:
        outbound.check_url(url, outbound.allow_private())
    except outbound.AddressRefused as refused:
        msg = refused.label()
        raise InvalidInput(msg, {field: [msg]}) from None
    return url


def create_credential(
    session: Session, actor: Actor, organization_id: int, data: dict[str, Any]
) -> PactCredential:
    """Store credentials a partner issued to us. `partner_id` (optional) is the partner's
    organization on Tanlian, whose PACT requests are answered with them."""
    authorize(actor, Action.MANAGE_PACT_CLIENTS, organization_id)
    errors: dict[str, list[str]] = {}
    partner_id = data.get("partner_id") or None
    if partner_id is not None and (
        partner_id == organization_id or session.get(Organization, partner_id) is None
    ):
        errors["partner_id"] = [str(_l("Choose another organization."))]
    for name, size in (("name", 100), ("client_id", 200), ("client_secret", 500)):
        value = (data.get(name) or "").strip()
        if not value or len(value) > size:
            errors[name] = [str(_l("Required, at most %(n)s characters.", n=size))]
    base_url = _check_url(data.get("base_url") or "", "base_url")
    token_url = (data.get("token_url") or "").strip() or None
    if token_url:
        token_url = _check_url(token_url, "token_url")
    if errors:
        raise InvalidInput(str(_l("Some fields are invalid.")), errors)
    credential = PactCredential(
        organization_id=organization_id,
        partner_id=partner_id,
        name=data["name"].strip(),
        base_url=base_url,
        token_url=token_url,
        client_id=data["client_id"].strip(),
        secret_sealed=sealed.seal(data["client_secret"].strip()),
        created_by_id=actor.user_id,
    )
    session.add(credential)
    session.flush()
    audit.record(
        session,
        actor,
        "pact_credential.create",
        credential,
        organization_id=organization_id,
        details={"partner_id": partner_id, "base_url": base_url, "client_id": credential.client_id},
    )
    session.commit()
    return credential


def revoke_credential(
    session: Session, actor: Actor, organization_id: int, pk: int
) -> PactCredential:
    """Stop using the credential (its row stays, the record of where we sent what)."""
    authorize(actor, Action.MANAGE_PACT_CLIENTS, organization_id)
    credential = session.get(PactCredential, pk)
    if credential is None or credential.organization_id != organization_id:
        raise NotFound(str(_l("No such credential.")))
    if credential.revoked_at is None:
        credential.revoked_at = utcnow()
        audit.record(
            session,
            actor,
            "pact_credential.revoke",
            credential,
            organization_id=organization_id,
        )
        session.commit()
    return credential


def asking_credential(
    session: Session, actor: Actor, organization_id: int, credential_id: int
) -> PactCredential:
    """The credential a buyer asks a partner's system with (a PACT request or a Catena-X
    GET): its own, active, and naming the partner whose answer it waits for; else refused,
    naming `credential_id`, with nothing written."""
    authorize(actor, Action.REQUEST_DATA, organization_id)
    credential = session.get(PactCredential, credential_id)
    if (
        credential is None
        or credential.organization_id != organization_id
        or credential.revoked_at is not None
    ):
        msg = str(_l("Choose one of your partners' host systems."))
        raise InvalidInput(msg, {"credential_id": [msg]})
    if credential.partner_id is None:
        msg = str(
            _l("Name the partner organization on these credentials: its answer comes from it.")
        )
        raise InvalidInput(msg, {"credential_id": [msg]})
    return credential


def credentials_query(organization_id: int) -> Any:
    return (
        select(PactCredential)
        .where(PactCredential.organization_id == organization_id)
        .order_by(PactCredential.revoked_at.is_not(None), PactCredential.id.desc())
    )


def active_credentials_query(organization_id: int) -> Any:
    """The credentials an import can use (not revoked), by name."""
    return (
        select(PactCredential)
        .where(
            PactCredential.organization_id == organization_id, PactCredential.revoked_at.is_(None)
        )
        .order_by(PactCredential.name)
    )


def usable_credential(
    session: Session, organization_id: int, partner_id: int | None
) -> PactCredential | None:
    """The newest active credential the organization holds for a partner organization."""
    if partner_id is None:
        return None
    return session.scalars(
        select(PactCredential)
        .where(
            PactCredential.organization_id == organization_id,
            PactCredential.partner_id == partner_id,
            PactCredential.revoked_at.is_(None),
        )
        .order_by(PactCredential.id.desc())
        .limit(1)
    ).first()


def events_url(source: str) -> str:
    """Where a requester wants its answer: the event's `source`, scheme-relative
    (`//host/3/events`, the specification's example) taken as https, with `/3/events` appended
    when it names only the host's base (as the conformance tool does)."""
    url = source.strip()
    if url.startswith("//"):
        url = "https:" + url
    url = url.rstrip("/")
    return url if url.endswith(EVENTS_PATH) else url + EVENTS_PATH


def same_host(url: str, credential: PactCredential) -> bool:
    try:
        return _origin(url) == _origin(credential.base_url)
    except ValueError:  # a port that is not a number
        return False


# -- calls -------------------------------------------------------------------------------------


def _call(
    method: str, url: str, headers: dict[str, str], data: bytes | None = None
) -> outbound.Answer:
    try:
        return outbound.request(
            method,
            url,
            headers,
            data,
            context=outbound.tls_context(),
            timeout=TIMEOUT_SECONDS,
            max_bytes=MAX_ANSWER_BYTES,
            allow_private=outbound.allow_private(),
        )
    except outbound.OutboundError as exc:
        raise PartnerUnreachable(str(exc)) from None


def _token_url(credential: PactCredential) -> str:
    """The credential's token URL, else the host's discovery document's, else {base}/auth/token
    (PACT: without a discovery document clients MUST use {auth base}/auth/token)."""
    if credential.token_url:
        return credential.token_url
    try:
        found = _call("GET", f"{credential.base_url}/.well-known/openid-configuration", {})
        if found.status == 200:
            endpoint = json.loads(found.body).get("token_endpoint")
            if isinstance(endpoint, str) and same_host(endpoint, credential):
                return endpoint
    except (PartnerUnreachable, ValueError, AttributeError):
        pass
    return f"{credential.base_url}/auth/token"


def access_token(credential: PactCredential) -> str:
    """An access token by client credentials with HTTP Basic (RFC 6749 §4.4, §2.3.1)."""
    secret = unseal(credential.secret_sealed)
    pair = ":".join(urllib.parse.quote(v, safe="") for v in (credential.client_id, secret))
    answer = _call(
        "POST",
        _token_url(credential),
        {
            "Authorization": "Basic " + base64.b64encode(pair.encode()).decode(),
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
        b"grant_type=client_credentials",
    )
    if answer.status != 200:
        raise PartnerUnreachable(f"token refused: HTTP {answer.status}")
    try:
        token = json.loads(answer.body)["access_token"]
    except (ValueError, KeyError, TypeError):
        raise PartnerUnreachable("token answer has no access_token") from None
    if not isinstance(token, str) or not token:
        raise PartnerUnreachable("token answer has no access_token")
    return token


def post_event(credential: PactCredential, url: str, event: dict[str, Any]) -> int:
    """POST one CloudEvent; the HTTP status on a 2xx, PartnerUnreachable otherwise."""
    if not same_host(url, credential):
        raise PartnerUnreachable("the event's address is not on the credential's host")
    answer = _call(
        "POST",
        url,
        {
            "Authorization": f"Bearer {access_token(credential)}",
            "Content-Type": "application/cloudevents+json; charset=UTF-8",
        },
        json.dumps(event, ensure_ascii=False).encode(),
    )
    if not 200 <= answer.status < 300:
        raise PartnerUnreachable(f"{url[:200]} answered HTTP {answer.status}")
    return answer.status


def get_footprint(credential: PactCredential, pf_id: str) -> Any:
    """GetFootprint at the partner's host: the `data` of a 200, PartnerUnreachable otherwise."""
    url = f"{credential.base_url}/3/footprints/{urllib.parse.quote(pf_id, safe='')}"
    answer = _call(
        "GET", url, {"Authorization": f"Bearer {access_token(credential)}", "Accept": "*/*"}
    )
    if answer.status != 200:
        detail = ""
        if answer.content_type.startswith("application/json"):
            try:
                detail = f" ({json.loads(answer.body).get('code')})"
            except (ValueError, AttributeError):
                detail = ""
        raise PartnerUnreachable(f"HTTP {answer.status}{detail}")
    try:
        body = json.loads(answer.body)
    except ValueError:
        raise PartnerUnreachable("the answer is not JSON") from None
    if not isinstance(body, dict) or "data" not in body:
        raise PartnerUnreachable('the answer has no "data"')
    return body["data"]


def exchange(credential: PactCredential, method: str, url: str, body: Any, bpn: str | None) -> int:
    """One call of Catena-X's PCF Exchange API (`GET` a request, `PUT` a PCF) with the bearer
    token of the partner's credentials; `Edc-Bpn` names our BPNL as a connector would. The
    address is the one the data owner configured (or the credential's host), checked by
    footprint_platform.outbound at every connection. The status on a 2xx, else
    PartnerUnreachable."""
    headers = {"Authorization": f"Bearer {access_token(credential)}", "Accept": "application/json"}
    if bpn:
        headers["Edc-Bpn"] = bpn
    data = None
    if method == "PUT":
        headers["Content-Type"] = "application/json"
        data = json.dumps(body, ensure_ascii=False).encode()
    answer = _call(method, url, headers, data)
    if not 200 <= answer.status < 300:
        raise PartnerUnreachable(f"{url[:200]} answered HTTP {answer.status}")
    return answer.status
