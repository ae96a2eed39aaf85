"""Verifying Tanlian's signed files, for anyone: the public keys at `/.well-known/jwks.json`
and the `/verify` page, where a visitor uploads a file and its `.jws` and sees whether it is
valid, which declaration and version it is, and whether that is still current. No sign-in;
the page's form carries the site's CSRF token like every other form."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from footprint_platform import signing
from footprint_platform.extensions import db, limiter
from footprint_platform.rate_limits import upload_limit, uploader_key
from footprint_platform.services.disclosure import signatures

bp = Blueprint("signatures", __name__)

JWKS_MAX_AGE = 300  # seconds: a rotation is seen within minutes; retired keys stay listed


@bp.route("/.well-known/jwks.json")
def jwks() -> Any:
    """Every key that verifies a Tanlian file (RFC 7517), key ids as RFC 7638 thumbprints."""
    response = jsonify(signing.keyring().jwks())
    response.mimetype = "application/jwk-set+json"
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE}"
    return response


def _read(upload: FileStorage | None, limit: int) -> bytes | None:
    """The upload's bytes; None when missing; one byte over `limit` when too large."""
    if upload is None or not upload.filename:
        return None
    return bytes(upload.read(limit + 1))


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(upload_limit, key_func=uploader_key, methods=["POST"])
def verify() -> Any:
    if request.method == "GET":
        return render_template("signatures/verify.html", errors={}, check=None)
    limit = int(current_app.config["VERIFY_MAX_FILE_BYTES"])
    body = _read(request.files.get("file"), limit)
    jws = _read(request.files.get("signature"), signing.MAX_SIGNATURE_CHARS)
    errors: dict[str, list[str]] = {}
    if body is None:
        errors["file"] = [_("Choose the file you downloaded.")]
    elif len(body) > limit:
        errors["file"] = [_("The file is larger than %(n)s bytes.", n=limit)]
    if jws is None:
        errors["signature"] = [_("Choose its signature (the .jws file).")]
    elif len(jws) > signing.MAX_SIGNATURE_CHARS:
        errors["signature"] = [_("This is not a Tanlian signature: it is far too large.")]
    if errors or body is None or jws is None:
        return render_template("signatures/verify.html", errors=errors, check=None), 422
    check = signatures.check_file(
        db.session, signing.keyring(), body, jws.decode("utf-8", errors="replace")
    )
    return render_template("signatures/verify.html", errors={}, check=check)
