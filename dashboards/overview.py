"""The signed-in person's overview: their organizations, what each makes and where."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import login_required

from footprint_platform.extensions import db
from footprint_platform.queries import organization_summaries
from footprint_platform.web.context import actor

bp = Blueprint("dashboards", __name__, url_prefix="/dashboard", template_folder="templates")


@bp.route("/")
@login_required
def overview() -> Any:
    current = actor()
    roles = {org_id: role.value for org_id, role in current.roles.items()} if current else {}
    return render_template(
        "dashboards/overview.html", summaries=organization_summaries(db.session, roles)
    )
