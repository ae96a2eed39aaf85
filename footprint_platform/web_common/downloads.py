"""The downloads of one declaration (CSV, PACT, Battery Pass, the battery passport's AAS
carbon-footprint submodel), shared by its public page and
its owner's and verifier's pages: the URLs a footprint names, the file and its name, and the
file's detached signature (`.jws`), made from the same bytes; and an evidence file as an
attachment (its owner's and its verifier's pages)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app

from footprint_platform.errors import NotFound
from footprint_platform.extensions import db
from footprint_platform.json_schemas import EXTENSION_SCHEMA_FILE
from footprint_platform.links import public_url
from footprint_platform.models import Declaration, Evidence
from footprint_platform.services.disclosure import batterypass, exports, publication, signatures
from footprint_platform.services.pact import battery_aas
from footprint_platform.services.pact import footprint as pact

FORMATS = ("csv", "pact", "batterypass", "aas")


def pact_options(d: Declaration | None = None) -> pact.Options:
    return pact.Options(
        issuer_domain=current_app.config["PACT_ISSUER_DOMAIN"],
        extension_schema_url=public_url("static", filename=EXTENSION_SCHEMA_FILE),
        gwp_when_unstated=current_app.config["PACT_GWP_WHEN_UNSTATED"],
    )


@dataclass(frozen=True)
class File:
    body: bytes
    mimetype: str
    filename: str


def _json(body: dict[str, Any], filename: str) -> File:
    text = json.dumps(body, ensure_ascii=False, indent=2)
    return File(text.encode("utf-8"), "application/json", filename)


def render(d: Declaration, fmt: str) -> File:
    """The declaration in one of FORMATS, as the bytes served; a refusal (unit, not a battery)
    is the service's."""
    if fmt == "csv":
        body = exports.declaration_csv(d, publication.verification_status(db.session, d.id))
        return File(body.encode("utf-8"), "text/csv", f"declaration-{d.public_id}.csv")
    if fmt == "pact":
        footprint = pact.product_footprint(db.session, d, pact_options(d))
        return _json(footprint, f"declaration-{d.public_id}.pact.json")
    if fmt == "batterypass":
        study = public_url("public.declaration", public_id=d.public_id)
        aspect = batterypass.battery_pass(d, study, batterypass.lifetime_for(d))
        return _json(aspect, f"declaration-{d.public_id}.batterypass.json")
    if fmt == "aas":
        study = public_url("public.declaration", public_id=d.public_id)
        env = battery_aas.environment(
            d, study, batterypass.lifetime_for(d), current_app.config["PACT_ISSUER_DOMAIN"]
        )
        return _json(env, f"declaration-{d.public_id}.aas.json")
    raise NotFound("no such format")


def _attachment(body: bytes | str, mimetype: str, filename: str) -> Response:
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={filename}"}
    )


def download(d: Declaration, fmt: str) -> Response:
    file = render(d, fmt)
    return _attachment(file.body, file.mimetype, file.filename)


def signature(d: Declaration, fmt: str) -> Response:
    """The detached JWS of the file `download` serves for the same request (docs/signatures.md),
    as `application/jose` (RFC 7515, the compact serialization)."""
    file = render(d, fmt)
    return _attachment(
        signatures.sign_file(d, fmt, file.body), "application/jose", file.filename + ".jws"
    )


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
