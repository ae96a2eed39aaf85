"""The PACT v3 endpoints (Tech Specs 3.0.3): discovery and token at the auth base, the
footprints and the events under /3/. Thin: parse, call services.pact.clients /
services.pact.host / services.pact.events, answer."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db, limiter
from footprint_platform.models import utcnow
from footprint_platform.pact import auth, filters
from footprint_platform.pact.errors import NO_STORE, OAuthError, PactError
from footprint_platform.rate_limits import pact_client_key, pact_event_limit
from footprint_platform.services.pact import clients as pact_clients
from footprint_platform.services.pact import delivery as pact_delivery
from footprint_platform.services.pact import events as pact_events
from footprint_platform.services.pact import host as pact_host
from footprint_platform.web_common.downloads import pact_options

auth_bp = Blueprint("pact_auth", __name__)
bp = Blueprint("pact", __name__, url_prefix="/3")
bp.before_request(auth.require_partner)
SCOPES = ["footprint:list", "footprint:read"]


def _token_limit() -> str:
    return str(current_app.config["PACT_TOKEN_RATE_LIMIT"])


@auth_bp.route("/.well-known/openid-configuration")
def discovery() -> Any:
    """Where to get a token (PACT: SHOULD offer it; clients read `token_endpoint`). Only the
    client-credentials grant exists here, so the document names no authorization endpoint."""
    root = request.root_url.rstrip("/")
    return jsonify(
        {
            "issuer": root,
            "token_endpoint": f"{root}/auth/token",
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": SCOPES,
        }
    )


@auth_bp.route("/auth/token", methods=["POST"])
@limiter.limit(_token_limit)
def token() -> Any:
    """OAuth2 client credentials (RFC 6749 §4.4). Every scope asked for is granted: a client
    reads only what its owner shared, whatever scope it names."""
    auth.require_https(oauth=True)
    client_id, secret = auth.client_credentials()
    try:
        client = pact_clients.authenticate(db.session, client_id, secret, request.remote_addr)
    except pact_clients.InvalidClient:
        raise OAuthError(
            401,
            "invalid_client",
            "Client authentication failed.",
            {"WWW-Authenticate": 'Basic realm="pact"'},
        ) from None
    grant = request.form.get("grant_type")
    if not grant:
        raise OAuthError(400, "invalid_request", "grant_type is required.")
    if grant != "client_credentials":
        raise OAuthError(400, "unsupported_grant_type", "Only client_credentials is supported.")
    issued = pact_clients.issue_token(db.session, client, auth.token_ttl(), request.remote_addr)
    response = jsonify(
        {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
        }
    )
    response.headers.update(NO_STORE)
    return response


@bp.route("/footprints")
def list_footprints() -> Any:
    """ListFootprints: `{"data": [...]}`, and a `Link: <…>; rel="next"` while more follow."""
    partner = auth.partner()
    assert partner.pact is not None
    query = filters.parse(request.args)
    as_of, after = utcnow(), 0
    if query.cursor is not None:
        as_of, after = filters.read_cursor(query.cursor, partner.pact.client_pk, query.criteria)
    largest = int(current_app.config["PACT_PAGE_SIZE_MAX"])
    limit = largest if query.limit is None else min(query.limit, largest)
    if limit == 0:  # nothing asked for: no page, and no link that could never advance
        return jsonify({"data": []})
    page = pact_host.list_footprints(
        db.session,
        partner,
        query.criteria,
        pact_options(),
        as_of=as_of,
        after=after,
        limit=limit,
    )
    response = jsonify({"data": page.footprints})
    if page.next_after is not None:
        cursor = filters.make_cursor(partner.pact.client_pk, query.criteria, as_of, page.next_after)
        response.headers["Link"] = f'<{filters.next_link(cursor)}>; rel="next"'
    return response


@bp.route("/footprints/<path:pf_id>")
def get_footprint(pf_id: str) -> Any:
    """GetFootprint: `{"data": {...}}`; 400 for an id that is not a UUID."""
    try:
        canonical = str(uuid.UUID(pf_id))
    except ValueError:
        raise PactError(400, "The footprint id must be a UUID.") from None
    pf = pact_host.get_footprint(db.session, auth.partner(), canonical, pact_options(), utcnow())
    return jsonify({"data": pf})


EVENT_TYPES = ("application/cloudevents+json", "application/json")


@bp.route("/events", methods=["POST"])
@limiter.limit(
    pact_event_limit,
    key_func=pact_client_key,
    error_message="Too many events from this client; send again after Retry-After seconds.",
)
def events() -> Any:
    """Action Events: a CloudEvent in structured mode. Checked, kept, answered 200 with an empty
    body at once; whatever it asks for is sent later from a background job. Over the client's
    limit: 429, nothing kept."""
    if request.mimetype not in EVENT_TYPES:
        raise PactError(400, "Send the event as application/cloudevents+json.")
    largest = int(current_app.config["PACT_EVENT_MAX_BYTES"])
    if (request.content_length or 0) > largest:
        raise PactError(400, f"The event is larger than {largest} bytes.")
    body = request.get_json(silent=True, force=True)
    try:
        event = pact_events.parse_event(body)
    except InvalidInput as exc:
        raise PactError(400, f"Invalid event: {exc.message}") from None
    queued = pact_events.receive(db.session, auth.partner(), event, pact_events.host_url())
    pact_delivery.queue(queued)
    return current_app.response_class(status=200)
