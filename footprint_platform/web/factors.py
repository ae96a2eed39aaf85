"""The factor database: browse releases (every signed-in user), publish one (the operator)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from footprint_platform.csv_cells import for_spreadsheets
from footprint_platform.errors import InvalidInput, UploadRejected
from footprint_platform.extensions import db
from footprint_platform.models import FactorRelease
from footprint_platform.policy import Action, authorize
from footprint_platform.schemas import FactorListQuerySchema, parse
from footprint_platform.services.catalogue import factor_tools, factors
from footprint_platform.web_common.context import actor

bp = Blueprint("factors", __name__)


@bp.before_request
@login_required
def _signed_in() -> None:
    """Factor data is for signed-in users; the operator alone publishes."""


def _list_args() -> dict[str, Any]:
    args = parse(FactorListQuerySchema(), request.args)
    args["sort"] = args.get("sort") or "category"
    args["dir"] = args.get("dir") or "asc"
    return args


def _list_query(release: FactorRelease, args: dict[str, Any]) -> Any:
    return factor_tools.list_query(
        release.id,
        args["category"],
        args["geography"],
        args["series"],
        args["q"],
        args["sort"],
        args["dir"] == "desc",
    )


@bp.route("/factors", defaults={"version": None})
@bp.route("/factors/<version>")
def browse(version: str | None) -> Any:
    authorize(actor(), Action.READ_CATALOGUE)
    releases = db.session.scalars(select(FactorRelease).order_by(FactorRelease.id.desc())).all()
    if not releases:
        return render_template("factors/browse.html", releases=[], release=None, page=None)
    release = factors.release_by_version(db.session, version or "latest")
    args = _list_args()
    page = db.paginate(
        _list_query(release, args),
        page=args["page"],
        per_page=factor_tools.PAGE_SIZE,
        error_out=False,
    )
    return render_template(
        "factors/browse.html",
        releases=releases,
        release=release,
        page=page,
        args=args,
        categories=factors.CATEGORIES,
        series_codes=(*factors.ELECTRICITY_SERIES, *factors.OTHER_SERIES),
        geographies=factor_tools.geographies(db.session, release.id),
    )


@bp.route("/factors/<version>/export.csv")
def export_list(version: str) -> Any:
    """The list as filtered on the page, every page of it, as CSV."""
    authorize(actor(), Action.READ_CATALOGUE)
    release = factors.release_by_version(db.session, version)
    body = factor_tools.list_csv(db.session, _list_query(release, _list_args()))
    name = f"tanlian-factors-{release.version}.csv"
    return _csv(for_spreadsheets(body), name)


@bp.route("/operator/factors/current.csv")
def download_release() -> Any:
    """The current release in the columns the upload asks for: edit it and upload it back."""
    authorize(actor(), Action.ADMINISTER_PLATFORM)
    release = factors.latest_release(db.session)
    body = factor_tools.release_csv(db.session, release)
    return _csv(body.encode("utf-8"), f"tanlian-factor-release-{release.version}.csv")


def _csv(body: bytes, name: str) -> Response:
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


@bp.route("/operator/factors", methods=["GET", "POST"])
def publish() -> Any:
    """Upload a release CSV; see what it changes against the latest release and what it would
    touch; publish only once the operator confirms (checked here, not only in the browser)."""
    authorize(actor(), Action.ADMINISTER_PLATFORM)
    preview, problems, errors = None, [], {}
    form = request.form
    if request.method == "POST":
        try:
            data = _uploaded_bytes()
            if form.get("confirm") == "1":
                if form.get("confirmed") != "1":
                    msg = _("Confirm that you checked the changes before publishing.")
                    errors = {"confirmed": [msg]}
                    preview = _preview(data)
                else:
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
            else:
                preview = _preview(data)
        except UploadRejected as exc:
            problems = exc.problems
        except InvalidInput as exc:
            errors = exc.errors
            preview = _preview_again()
    return render_template(
        "factors/publish.html",
        preview=preview,
        problems=problems,
        errors=errors,
        form=form,
        columns=factors.COLUMNS,
        current=db.session.scalars(select(FactorRelease).order_by(FactorRelease.id.desc())).first(),
    ), 422 if problems or errors else 200


def _preview(data: bytes) -> dict[str, Any]:
    """What the uploaded rows change against the latest release, named, with the products and
    declarations the changes would reach."""
    rows = factors.read_release(data)
    latest = db.session.scalars(select(FactorRelease).order_by(FactorRelease.id.desc())).first()
    diff = factors.diff_release(db.session, latest, rows)
    return {
        "diff": diff,
        "changes": factor_tools.changes(db.session, latest, diff),
        "impact": factor_tools.impact(db.session, diff),
        "latest": latest,
        "count": len(rows),
        "payload": base64.b64encode(data).decode("ascii"),
    }


def _preview_again() -> dict[str, Any] | None:
    """After a refused publish (a bad version, say) the checked file is shown again, so the
    operator corrects the field without uploading it anew."""
    if not request.form.get("payload"):
        return None
    try:
        return _preview(_uploaded_bytes())
    except (InvalidInput, UploadRejected):
        return None


def _uploaded_bytes() -> bytes:
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return upload.stream.read(factors.MAX_RELEASE_BYTES + 1)
    try:
        return base64.b64decode(request.form.get("payload", ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(_("Choose a file."), {"file": [_("Choose a file.")]}) from exc
