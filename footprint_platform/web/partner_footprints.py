"""Partners' PACT footprints an organization took in (services.pact.consume): the list, a file
upload, and a pull from a partner's host system. Imported footprints then value material
inputs on the submission form ("or partner's footprint")."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db, limiter
from footprint_platform.policy import Action, allowed
from footprint_platform.rate_limits import upload_limit, uploader_key
from footprint_platform.schemas import PullFootprintSchema
from footprint_platform.services.pact import consume as pact_consume
from footprint_platform.services.pact import outbound as pact_outbound
from footprint_platform.web_common.context import actor, organization_for, submit

bp = Blueprint("partner_footprints", __name__, url_prefix="/orgs/<int:org_id>/partner-footprints")


@bp.before_request
@login_required
def _signed_in() -> None:
    """Members see the list; editors import (the policy decides per view)."""


def _page(org_id: int, errors: dict[str, list[str]] | None = None) -> Any:
    org = organization_for(org_id, Action.VIEW_SUBMISSIONS)
    credentials = db.session.scalars(pact_outbound.active_credentials_query(org_id)).all()
    return render_template(
        "orgs/partner_footprints.html",
        org=org,
        imports=db.session.scalars(pact_consume.imports_query(org_id)).all(),
        credential_options=[(c.id, f"{c.name} ({c.base_url})") for c in credentials],
        can_import=allowed(actor(), Action.EDIT_SUBMISSIONS, org_id),
        errors=errors or {},
        form=request.form if errors else {},
    ), (422 if errors else 200)


@bp.route("", methods=["GET"])
def index(org_id: int) -> Any:
    return _page(org_id)


def _done(org_id: int, errors: dict[str, list[str]]) -> Any:
    if errors:
        return _page(org_id, errors)
    flash(_("Footprint imported. Choose it for a material on the submission form."), "success")
    return redirect(url_for(".index", org_id=org_id))


@bp.route("", methods=["POST"])
@limiter.limit(upload_limit, key_func=uploader_key)
def upload(org_id: int) -> Any:
    organization_for(org_id, Action.EDIT_SUBMISSIONS)
    file = request.files.get("file")
    if file is None or not file.filename:
        return _page(org_id, {"file": [_("Choose a PACT footprint file (JSON).")]})
    try:
        pf = pact_consume.read_file(file.read(pact_consume.MAX_FILE_BYTES + 1))
        pact_consume.import_footprint(db.session, actor(), org_id, pf, origin="file")
    except InvalidInput as exc:
        return _done(org_id, exc.errors or {"file": [exc.message]})
    return _done(org_id, {})


@bp.route("/pull", methods=["POST"])
@limiter.limit(upload_limit, key_func=uploader_key)
def pull(org_id: int) -> Any:
    organization_for(org_id, Action.EDIT_SUBMISSIONS)
    errors = submit(
        PullFootprintSchema(),
        lambda data: pact_consume.pull_footprint(
            db.session, actor(), org_id, data["credential_id"], data["pf_id"]
        ),
    )
    return _done(org_id, errors)
