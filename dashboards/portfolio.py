"""An organization's portfolio (`/dashboard/orgs/<id>/portfolio`): every product with its
footprint per declared unit, class, primary-data share, rating, the verification of its newest
declaration and its trend across periods; filtered by category, chemistry and period. And the
results of one period as a file for analysis tools (`…/results.csv` or `…/results.parquet`
`?period=2025-01-01/2025-12-31`, `services.disclosure.results_export`).

Thin: `services.insight.portfolio` reads (and authorizes), `coverage_figures` draws.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from marshmallow import fields, validate

from dashboards import charts, coverage_figures
from footprint_platform.extensions import db
from footprint_platform.policy import Action
from footprint_platform.reference import load_reference
from footprint_platform.schemas import FormSchema, PeriodField, parse
from footprint_platform.services.disclosure import results_export as results_export_service
from footprint_platform.services.insight import portfolio as service
from footprint_platform.web_common.context import actor, organization_for

bp = Blueprint("portfolio", __name__, url_prefix="/dashboard", template_folder="templates")


class PortfolioQuery(FormSchema):
    """The filters, from the query string; a period travels as 2025-01-01:2025-12-31."""

    category = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(sorted(load_reference().categories)),
    )
    chemistry = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=16))
    period = PeriodField(load_default=None, allow_none=True)
    sort = fields.String(
        load_default="product",
        validate=validate.OneOf(["product", "footprint", "primary", "rating"]),
    )


class ResultsExportQuery(PortfolioQuery):
    """The period to export, required."""

    period = PeriodField(required=True)


@bp.route("/orgs/<int:org_id>/results.<any(csv, parquet):fmt>")
@login_required
def results_export(org_id: int, fmt: str) -> Any:
    """The organization's results of one period as a file for analysis tools."""
    organization_for(org_id, Action.EXPORT_RESULTS)
    start, end = parse(ResultsExportQuery(only=("period",)), request.args)["period"]
    table = results_export_service.period_results(db.session, actor(), org_id, start, end)
    if fmt == "csv":
        body, mimetype = results_export_service.as_csv(table), "text/csv"
    else:
        body, mimetype = results_export_service.as_parquet(table), "application/vnd.apache.parquet"
    name = results_export_service.filename(table, fmt)
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"}
    )


@bp.route("/orgs/<int:org_id>/portfolio")
@login_required
def show(org_id: int) -> Any:
    org = organization_for(org_id, Action.VIEW_RESULTS)
    query = parse(PortfolioQuery(), request.args)
    found = service.portfolio(db.session, actor(), org_id, **query)
    locale = str(get_locale())
    shares = [
        (r.product.part_number, float(r.current.primary_data_share))
        for r in found.rows
        if r.current is not None
    ]
    chart = None
    if shares:
        fig = coverage_figures.primary_shares(shares)
        chart = charts.render(fig, "chart-primary", _("Primary-data share of each footprint"))
    return render_template(
        "dashboards/portfolio.html",
        org=org,
        p=found,
        query=query,
        chart=chart,
        chart_scripts=charts.scripts(),
        sparkline=coverage_figures.sparkline,
        categories={c: v.label(locale) for c, v in load_reference().categories.items()},
    )
