"""The program operator's pages: registering organizations and inviting their first admin,
and the roll-up problems the operator must follow up (loops no footprint can be computed for)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, flash, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db
from footprint_platform.links import public_url
from footprint_platform.policy import Action, authorize
from footprint_platform.schemas import OrganizationCreateSchema, parse
from footprint_platform.services.catalogue import catalog
from footprint_platform.services.exchange import onboarding
from footprint_platform.services.graph import results
from footprint_platform.web_common.context import actor

bp = Blueprint("operator", __name__, url_prefix="/operator")


@bp.route("/organizations", methods=["GET", "POST"])
@login_required
def organizations() -> Any:
    authorize(actor(), Action.ADMINISTER_PLATFORM)
    errors: dict[str, list[str]] = {}
    invite_link = None
    if request.method == "POST":
        form = request.form.to_dict()
        form["roles"] = request.form.getlist("roles")
        try:
            data = parse(OrganizationCreateSchema(), form)
            ttl = timedelta(hours=current_app.config["INVITATION_TTL_HOURS"])
            _org, token = onboarding.register_organization(db.session, actor(), data, ttl)
        except InvalidInput as exc:
            errors = exc.errors
        else:
            if token:
                invite_link = public_url("auth.accept_invitation", token=token)
            flash(_("Organization registered."), "success")
    orgs = db.session.scalars(catalog.organizations_query()).all()
    return render_template(
        "operator/organizations.html",
        orgs=orgs,
        errors=errors,
        form=request.form,
        invite_link=invite_link,
        loop_reports=results.loop_reports(db.session),
    ), 422 if errors else 200
