"""An organization's electricity instruments page: registered green certificates, PPAs and
direct-supply contracts with their claims, and the form that registers one (the same
validation as the API, services/intake/instruments.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from footprint_platform.errors import Conflict, InvalidInput
from footprint_platform.extensions import db
from footprint_platform.models import Evidence, Site
from footprint_platform.policy import Action
from footprint_platform.sections import INSTRUMENT_LABELS
from footprint_platform.services.intake import instruments
from footprint_platform.web_common.context import actor, organization_for

bp = Blueprint("instruments", __name__, url_prefix="/orgs/<int:org_id>/electricity-instruments")
FIELDS = (
    "certificate_id",
    "kind",
    "issuer",
    "generation",
    "volume_kwh",
    "vintage_start",
    "vintage_end",
    "site_id",
    "geography",
    "evidence_id",
)


@bp.before_request
@login_required
def _signed_in() -> None:
    """A signed-in member; the policy decides per view."""


def _page(org_id: int, errors: Any = None) -> Any:
    org = organization_for(org_id, Action.VIEW_SUBMISSIONS)
    return render_template(
        "orgs/instruments.html",
        org=org,
        records=instruments.list_for(db.session, actor(), org_id),
        sites=db.session.scalars(select(Site).where(Site.organization_id == org_id)).all(),
        evidence=db.session.scalars(
            select(Evidence).where(Evidence.organization_id == org_id).order_by(Evidence.id.desc())
        ).all(),
        kinds={k: INSTRUMENT_LABELS[k] for k in instruments.KINDS},
        generations=instruments.GENERATIONS,
        errors=errors or {},
        form=request.form if errors else {},
    ), (422 if errors else 200)


@bp.route("", methods=["GET", "POST"])
def index(org_id: int) -> Any:
    if request.method == "GET":
        return _page(org_id)
    organization_for(org_id, Action.EDIT_SUBMISSIONS)
    data = {f: (request.form.get(f) or "")[:200] for f in FIELDS}
    try:
        made = instruments.register(db.session, actor(), org_id, data)
    except (InvalidInput, Conflict) as exc:
        return _page(org_id, errors=exc.errors or {"certificate_id": [str(exc)]})
    flash(_("Registered %(id)s.", id=made.certificate_id), "success")
    return _page(org_id)
