"""Catena-X PCF exchange (CX-0136 3.0.0) beside the PACT endpoints, with PACT's credentials:
`GET /catenax/pcf/{id}` serves a shared published footprint as the value-only JSON of the
Catena-X PCF data model, in the version the `dataModelVersion` query asks for (9.0.0 when
absent, 422 for one we cannot serve). Behind a dataspace connector this is the submodel address
the digital twin names; the connector's data plane adds the bearer token (docs/specs/catena-x.md).
The asynchronous PCF Exchange API 1.3.0 is `/catenax/footprintExchange/{requestId}`: a
partner's GET asks us (202; services.pact.catenax_exchange), a partner's PUT answers a request of
ours (200; services.pact.catenax_requests).
Thin: parse, call services.pact.catenax*, answer."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from footprint_platform.errors import Conflict, InvalidInput, NotFound
from footprint_platform.extensions import db, limiter
from footprint_platform.models import Organization, utcnow
from footprint_platform.pact import auth
from footprint_platform.pact.errors import PactError
from footprint_platform.rate_limits import pact_client_key, pact_event_limit
from footprint_platform.services.pact import catenax, catenax_exchange, catenax_requests
from footprint_platform.services.pact import delivery as pact_delivery
from footprint_platform.services.pact import events as pact_events
from footprint_platform.web_common.downloads import pact_options

bp = Blueprint("catenax", __name__, url_prefix="/catenax")
bp.before_request(auth.require_partner)


@bp.route("/pcf/<path:pf_id>")
def pcf(pf_id: str) -> Any:
    """One footprint in the negotiated PCF data model version; the version answered is named in
    the `Content-Type` profile and in `scopeOfPcfForm.specVersion`."""
    try:
        canonical = str(uuid.UUID(pf_id))
    except ValueError:
        raise PactError(400, "The footprint id must be a UUID.") from None
    try:
        version, body = catenax.footprint(
            db.session,
            auth.partner(),
            canonical,
            pact_options(),
            request.args.get("dataModelVersion"),
            utcnow(),
        )
    except catenax.Unservable as exc:
        raise PactError(422, exc.message, "UnprocessableEntity") from None
    response = jsonify(body)
    response.headers["Content-Type"] = (
        f'application/json; profile="{catenax.SEMANTIC_ID.format(version=version)}"'
    )
    return response


def _check_bpn() -> None:
    """`Edc-Bpn`, set by the partner's connector, must be the partner's BPNL when both are
    known: a connector speaking for another company is refused."""
    said = (request.headers.get("Edc-Bpn") or "").strip()
    grant = auth.partner().pact
    partner = db.session.get(Organization, grant.partner_id) if grant else None
    if said and partner is not None and partner.bpnl and said.upper() != partner.bpnl.upper():
        raise PactError(403, "Edc-Bpn does not name the partner these credentials belong to.")


@bp.route("/footprintExchange/<path:request_id>", methods=["GET"])
@limiter.limit(
    pact_event_limit,
    key_func=pact_client_key,
    error_message="Too many calls from this client; call again after Retry-After seconds.",
)
def ask_exchange(request_id: str) -> Any:
    """PCF Exchange API: a partner asks for a PCF. Checked and kept, answered 202 at once; the
    PCF is pushed to the partner's PCF Exchange address later (the same requestId again
    changes nothing and is answered 202 too)."""
    _check_bpn()
    try:
        query = catenax_exchange.parse_query(request_id, request.args)
        queued = catenax_exchange.receive(db.session, auth.partner(), query, pact_events.host_url())
    except catenax.Unservable as exc:
        db.session.rollback()
        raise PactError(422, exc.message, "UnprocessableEntity") from None
    except (InvalidInput, catenax_exchange.NoCallback) as exc:
        db.session.rollback()
        raise PactError(400, exc.message) from None
    pact_delivery.queue(queued)
    return current_app.response_class(status=202)


@bp.route("/footprintExchange/<path:request_id>", methods=["PUT"])
@limiter.limit(
    pact_event_limit,
    key_func=pact_client_key,
    error_message="Too many calls from this client; call again after Retry-After seconds.",
)
def take_exchange(request_id: str) -> Any:
    """PCF Exchange API: a partner pushes the PCF answering our request (`update=true`: a
    changed PCF for a request it answered). 200 once kept as a partner footprint."""
    _check_bpn()
    largest = int(current_app.config["PACT_EVENT_MAX_BYTES"])
    if (request.content_length or 0) > largest:
        raise PactError(400, f"The PCF is larger than {largest} bytes.")
    update = (request.args.get("update") or "").lower() == "true"
    body = request.get_json(silent=True, force=True)
    try:
        catenax_requests.take_pcf(db.session, auth.partner(), request_id, body, update)
    except NotFound as exc:
        db.session.rollback()
        raise PactError(404, exc.message) from None
    except Conflict as exc:
        db.session.rollback()
        raise PactError(409, exc.message, "Conflict") from None
    except InvalidInput as exc:
        db.session.rollback()
        raise PactError(400, f"Invalid PCF: {exc.message}") from None
    return current_app.response_class(status=200)
