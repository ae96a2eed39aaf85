"""The factor database: browse releases (every signed-in user), publish one (the operator)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from footprint_platform.errors import InvalidInput, UploadRejected
from footprint_platform.extensions import db
from footprint_platform.models import FactorRelease
from footprint_platform.policy import Action, authorize
from footprint_platform.services.catalogue import factors
from footprint_platform.web_common.context import actor

bp = Blueprint("factors", __name__)


@bp.before_request
@login_required
def _signed_in() -> None:
    """Factor data is for signed-in users; the operator alone publishes."""


@bp.route("/factors", defaults={"version": None})
@bp.route("/factors/<version>")
def browse(version: str | None) -> Any:
    authorize(actor(), Action.READ_CATALOGUE)
    releases = db.session.scalars(select(FactorRelease).order_by(FactorRelease.id.desc())).all()
    if not releases:
        return render_template("factors/browse.html", releases=[], release=None, rows=[])
    release = factors.release_by_version(db.session, version or "latest")
    category, q = request.args.get("category"), (request.args.get("q") or "")[:100]
    rows = db.session.scalars(factors.search_query(release.id, category, q)).all()
    return render_template(
        "factors/browse.html",
        releases=releases,
        release=release,
        rows=rows,
        category=category,
        q=q,
        categories=factors.CATEGORIES,
    )


@bp.route("/operator/factors", methods=["GET", "POST"])
def publish() -> Any:
    """Upload a release CSV; see what it changes against the latest release; then publish."""
    authorize(actor(), Action.ADMINISTER_PLATFORM)
    preview, problems, errors = None, [], {}
    form = request.form
    if request.method == "POST":
        try:
            data = _uploaded_bytes()
            if form.get("confirm") == "1":
                release = factors.publish_release(
                    db.session,
                    actor(),
                    form.get("version", ""),
                    form.get("title", ""),
                    data,
                    form.get("notes"),
                )
                flash(_("Release %(v)s published.", v=release.version), "success")
                return redirect(url_for(".browse", version=release.version))
            rows = factors.read_release(data)
            latest = db.session.scalars(
                select(FactorRelease).order_by(FactorRelease.id.desc())
            ).first()
            preview = {
                "diff": factors.diff_release(db.session, latest, rows),
                "latest": latest,
                "count": len(rows),
                "payload": base64.b64encode(data).decode("ascii"),
            }
        except UploadRejected as exc:
            problems = exc.problems
        except InvalidInput as exc:
            errors = exc.errors
    return render_template(
        "factors/publish.html", preview=preview, problems=problems, errors=errors, form=form
    ), 422 if problems or errors else 200


def _uploaded_bytes() -> bytes:
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return upload.stream.read(factors.MAX_RELEASE_BYTES + 1)
    try:
        return base64.b64decode(request.form.get("payload", ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(_("Choose a file."), {"file": [_("Choose a file.")]}) from exc
