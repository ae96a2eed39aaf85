"""Catena-X PCF exchange (CX-0136 3.0.0) beside the PACT endpoints, with PACT's credentials:
`GET /catenax/pcf/{id}` serves a shared published footprint as the value-only JSON of the
Catena-X PCF data model, in the version the `dataModelVersion` query asks for (9.0.0 when
absent, 422 for one we cannot serve). Behind a dataspace connector this is the submodel address
the digital twin names; the connector's data plane adds the bearer token (docs/specs/catena-x.md).
Thin: parse, call services.catenax, answer."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, jsonify, request

from footprint_platform.extensions import db
from footprint_platform.models import utcnow
from footprint_platform.pact import auth
from footprint_platform.pact.errors import PactError
from footprint_platform.services import catenax
from footprint_platform.web.downloads import pact_options

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
