"""PACT authentication: client credentials at /auth/token, bearer tokens on /3/.

`require_partner` is the before-request hook of every /3/ endpoint (ListFootprints,
GetFootprint, and the Events endpoint that reuses it): it turns the bearer token into the
partner's actor or answers 401. Over plain HTTP, when PACT_REQUIRE_HTTPS is set, nothing is
served and nothing redirects (PACT: "HTTPS only"; conformance TC9-11 expect a failure).
"""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from urllib.parse import unquote_plus

from flask import current_app, g, request

from footprint_platform.extensions import db
from footprint_platform.pact.errors import OAuthError, PactError
from footprint_platform.policy import Actor
from footprint_platform.services.pact import clients as pact_clients

BEARER_REALM = 'Bearer realm="pact"'


def require_https(oauth: bool = False) -> None:
    if current_app.config["PACT_REQUIRE_HTTPS"] and not request.is_secure:
        message = "PACT is served over HTTPS only."
        if oauth:
            raise OAuthError(400, "invalid_request", message)
        raise PactError(400, message)


def client_credentials() -> tuple[str, str]:
    """The client id and secret, from HTTP Basic (RFC 6749 §2.3.1, each part form-encoded) or
    from the form; both at once is refused, as the RFC asks."""
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    in_form = "client_id" in request.form or "client_secret" in request.form
    if scheme.lower() == "basic":
        if in_form:
            raise OAuthError(400, "invalid_request", "Use one way to authenticate the client.")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        client_id, colon, secret = decoded.partition(":")
        if colon:
            return unquote_plus(client_id), unquote_plus(secret)
    elif in_form and not header:
        return request.form.get("client_id", ""), request.form.get("client_secret", "")
    raise OAuthError(
        401,
        "invalid_client",
        "Client authentication failed.",
        {"WWW-Authenticate": 'Basic realm="pact"'},
    )


def token_ttl() -> timedelta:
    return timedelta(seconds=int(current_app.config["PACT_TOKEN_TTL_SECONDS"]))


def require_partner() -> None:
    """Before every /3/ request: HTTPS, then a valid bearer token."""
    require_https()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise PactError(
            401, "A bearer access token is required (POST /auth/token).", headers=_challenge()
        )
    try:
        client = pact_clients.token_client(db.session, token.strip())
    except pact_clients.TokenExpired:
        raise PactError(
            401,
            "The access token has expired; get a new one.",
            "TokenExpired",
            _challenge("The access token expired"),
        ) from None
    if client is None:
        raise PactError(401, "The access token is not valid.", headers=_challenge("Invalid token"))
    g.pact_actor = pact_clients.pact_actor(client, request.remote_addr)


def _challenge(description: str | None = None) -> dict[str, str]:
    if description is None:
        return {"WWW-Authenticate": BEARER_REALM}
    return {
        "WWW-Authenticate": f'{BEARER_REALM}, error="invalid_token", '
        f'error_description="{description}"'
    }


def partner() -> Actor:
    """The partner's actor of the current /3/ request (set by require_partner)."""
    return g.pact_actor  # type: ignore[no-any-return]
