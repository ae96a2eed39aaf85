"""The downloads of one declaration (CSV, PACT, Battery Pass, the battery passport's AAS
carbon-footprint submodel), shared by its public page and
its owner's and verifier's pages: the URLs a footprint names, the file and its name; and an
evidence file as an attachment (its owner's and its verifier's pages)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, url_for

from footprint_platform.errors import NotFound
from footprint_platform.extensions import db
from footprint_platform.json_schemas import EXTENSION_SCHEMA_FILE
from footprint_platform.models import Declaration, Evidence
from footprint_platform.services import battery_aas, batterypass, exports, pact, publication

FORMATS = ("csv", "pact", "batterypass", "aas")


def pact_options(d: Declaration | None = None) -> pact.Options:
    return pact.Options(
        issuer_domain=current_app.config["PACT_ISSUER_DOMAIN"],
        extension_schema_url=url_for("static", filename=EXTENSION_SCHEMA_FILE, _external=True),
        gwp_when_unstated=current_app.config["PACT_GWP_WHEN_UNSTATED"],
    )


def _json(body: dict[str, Any], filename: str) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


def download(d: Declaration, fmt: str) -> Response:
    """The declaration in one of FORMATS; a refusal (unit, not a battery) is the service's."""
    if fmt == "csv":
        body = exports.declaration_csv(d, publication.verification_status(db.session, d.id))
        return Response(
            body,
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename=declaration-{d.public_id}.csv"},
        )
    if fmt == "pact":
        footprint = pact.product_footprint(db.session, d, pact_options(d))
        return _json(footprint, f"declaration-{d.public_id}.pact.json")
    if fmt == "batterypass":
        study = url_for("public.declaration", public_id=d.public_id, _external=True)
        aspect = batterypass.battery_pass(d, study, batterypass.lifetime_for(d))
        return _json(aspect, f"declaration-{d.public_id}.batterypass.json")
    if fmt == "aas":
        study = url_for("public.declaration", public_id=d.public_id, _external=True)
        env = battery_aas.environment(
            d, study, batterypass.lifetime_for(d), current_app.config["PACT_ISSUER_DOMAIN"]
        )
        return _json(env, f"declaration-{d.public_id}.aas.json")
    raise NotFound("no such format")


def evidence_file(item: Evidence) -> Response:
    """An evidence file as an attachment under a neutral name, never rendered by the browser."""
    return Response(
        item.data,
        mimetype=item.content_type,
        headers={
            "Content-Disposition": f"attachment; filename=evidence-{item.id}-{item.sha256[:8]}",
            "X-Content-Type-Options": "nosniff",
        },
    )
