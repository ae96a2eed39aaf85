"""An organization's webhooks page (its administrators): endpoints with the signing secret
shown once, deleting one, and the delivery log (services/notify/webhooks.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db
from footprint_platform.policy import Action
from footprint_platform.services.notify import webhooks
from footprint_platform.web_common.context import actor, organization_for

bp = Blueprint("webhooks", __name__, url_prefix="/orgs/<int:org_id>/webhooks")


@bp.before_request
@login_required
def _signed_in() -> None:
    """A signed-in administrator; the policy decides per view."""


def _page(org_id: int, secret: str | None = None, errors: Any = None) -> Any:
    org = organization_for(org_id, Action.MANAGE_WEBHOOKS)
    return render_template(
        "orgs/webhooks.html",
        org=org,
        endpoints=webhooks.endpoints(db.session, actor(), org_id),
        deliveries=webhooks.deliveries_query(db.session, actor(), org_id),
        events=webhooks.EVENTS,
        secret=secret,
        errors=errors or {},
        form=request.form if errors else {},
        chosen=request.form.getlist("events") if errors else list(webhooks.EVENTS),
        header=webhooks.SIGNATURE_HEADER,
    ), (422 if errors else 200)


@bp.route("", methods=["GET", "POST"])
def index(org_id: int) -> Any:
    if request.method == "GET":
        return _page(org_id)
    organization_for(org_id, Action.MANAGE_WEBHOOKS)
    try:
        made, secret = webhooks.create_endpoint(
            db.session,
            actor(),
            org_id,
            (request.form.get("url") or "")[:400],
            request.form.getlist("events")[:20],
        )
    except InvalidInput as exc:
        return _page(org_id, errors=exc.errors)
    flash(
        _(
            "Endpoint added for %(url)s. Copy its signing secret now: it is not shown again.",
            url=made.url,
        ),
        "success",
    )
    return _page(org_id, secret=secret)


@bp.route("/<int:endpoint_id>/delete", methods=["POST"])
def delete(org_id: int, endpoint_id: int) -> Any:
    organization_for(org_id, Action.MANAGE_WEBHOOKS)
    webhooks.disable_endpoint(db.session, actor(), endpoint_id)
    flash(_("Endpoint deleted. Its delivery log is kept."), "success")
    return _page(org_id)
