"""The signed-in person's overview: their organizations, what each makes and where."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, render_template, request
from flask_login import login_required

from footprint_platform.extensions import db
from footprint_platform.queries import organization_summaries
from footprint_platform.schemas import PeriodQuery, parse
from footprint_platform.services.catalogue import catalog
from footprint_platform.services.graph import periods, results
from footprint_platform.services.insight import tasks
from footprint_platform.web_common.context import actor

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
    query = parse(PeriodQuery(), request.args)
    summaries = organization_summaries(db.session, roles)
    makers = [s.organization.id for s in summaries if s.products_by_category]
    choices = periods.organizations_choices(db.session, makers)
    period = periods.chosen(query["period"], choices)
    # Each organization's products with their footprint in the period, linking to the product
    # view of that period.
    footprints = {
        org_id: (
            db.session.scalars(catalog.products_query(org_id)).all(),
            results.latest_results(db.session, org_id, period) if period else {},
        )
        for org_id in makers
    }
    return render_template(
        "dashboards/overview.html",
        summaries=summaries,
        footprints=footprints,
        period=period,
        choices=choices,
        tasks=tasks.for_person(db.session, current) if current else None,
        today=date.today(),
    )
