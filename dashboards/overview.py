"""The signed-in person's overview: their organizations, what each makes and where."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import login_required

from footprint_platform.extensions import db
from footprint_platform.queries import organization_summaries
from footprint_platform.services import catalog, results
from footprint_platform.web.context import actor

# The read side's own static files (vendored plotly.js, the chart loader) at /dashboard/static.
bp = Blueprint(
    "dashboards",
    __name__,
    url_prefix="/dashboard",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.route("/")
@login_required
def overview() -> Any:
    current = actor()
    roles = {org_id: role.value for org_id, role in current.roles.items()} if current else {}
    summaries = organization_summaries(db.session, roles)
    # Each organization's products with their latest footprint, linking to the product view.
    footprints = {
        s.organization.id: (
            db.session.scalars(catalog.products_query(s.organization.id)).all(),
            results.latest_results(db.session, s.organization.id),
        )
        for s in summaries
        if s.products_by_category
    }
    return render_template("dashboards/overview.html", summaries=summaries, footprints=footprints)
