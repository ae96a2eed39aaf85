"""A supplier's dashboard (`/dashboard/orgs/<id>/supplier`): its products and submissions, the
request inbox in numbers, its results and declarations, how many customer products use each
product, and where each sits in its category (groups of at least PUBLIC_MIN_GROUP only).

Thin: `services.insight.supplier_view` reads and authorizes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_babel import get_locale
from flask_login import login_required

from dashboards import coverage_figures
from footprint_platform.extensions import db
from footprint_platform.policy import Action
from footprint_platform.reference import load_reference
from footprint_platform.schemas import PeriodQuery, parse
from footprint_platform.services.insight import supplier_view
from footprint_platform.web_common.context import actor, organization_for

bp = Blueprint("supplier_view", __name__, url_prefix="/dashboard", template_folder="templates")


@bp.route("/orgs/<int:org_id>/supplier")
@login_required
def show(org_id: int) -> Any:
    org = organization_for(org_id, Action.VIEW_RESULTS)
    minimum = int(current_app.config["PUBLIC_MIN_GROUP"])
    query = parse(PeriodQuery(), request.args)
    d = supplier_view.dashboard(db.session, actor(), org_id, minimum, period=query["period"])
    locale = str(get_locale())
    return render_template(
        "dashboards/supplier.html",
        org=org,
        d=d,
        today=date.today(),
        sparkline=coverage_figures.sparkline,
        categories={c: v.label(locale) for c, v in load_reference().categories.items()},
    )
