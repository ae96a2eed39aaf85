"""A product's coverage (`/dashboard/products/<id>/coverage`), for its maker: how much of its
footprint rests on primary data, which missing submissions would raise that most, and the
suppliers behind it with the status of the data requests sent to them.

Thin: `services.insight.coverage` decides what may be named (direct suppliers, shared products, the
organization's own) and reads the request states; this module only labels and draws.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from dashboards import charts, coverage_figures
from footprint_platform.display_labels import unit_label
from footprint_platform.extensions import db
from footprint_platform.models import Product
from footprint_platform.reference import load_reference
from footprint_platform.schemas import PeriodQuery, parse
from footprint_platform.services.insight import coverage as service
from footprint_platform.services.insight.coverage import Coverage, Gap
from footprint_platform.web_common.context import actor

bp = Blueprint("coverage", __name__, url_prefix="/dashboard", template_folder="templates")


@bp.route("/products/<int:product_id>/coverage")
@login_required
def show(product_id: int) -> Any:
    query = parse(PeriodQuery(), request.args)
    c = service.coverage(db.session, actor(), product_id, period=query["period"])
    locale = str(get_locale())
    categories = {code: cat.label(locale) for code, cat in load_reference().categories.items()}
    categories["dataset"] = _("Generic datasets")
    return render_template(
        "dashboards/coverage.html",
        c=c,
        e=c.explanation,
        org=c.explanation.product.organization,
        categories=categories,
        part_names=part_names(),
        charts=_charts(c, categories, locale) if c.explanation.parts is not None else None,
        chart_scripts=charts.scripts(),
        request_link=request_link,
        tier=tier_label,
    )


def part_names() -> dict[str, str]:
    return {
        "own_primary": _("Own production, primary data"),
        "suppliers_primary": _("Suppliers' primary data"),
        "own_generic": _("Own production, generic dataset"),
        "suppliers_generic": _("Suppliers on generic datasets"),
        "datasets": _("Inputs entered as generic datasets"),
    }


def tier_label(tier: int) -> str:
    return _("Tier %(n)d", n=tier)


def gap_label(g: Gap, categories: dict[str, str], locale: str) -> str:
    """A named product by part number and maker; a group by tier, category and count."""
    if g.product is not None:
        return f"{g.product.part_number} · {g.product.organization.display_name(locale)}"
    text = f"{tier_label(g.tier)} · {categories.get(g.category, g.category)}"
    return text + (f" ({g.count})" if g.count > 1 else "")


def request_link(org_id: int, product: Product, period: tuple[date, date]) -> str:
    """The requests inbox's form, filled in for this supplier's product and period."""
    return url_for(
        "requests.inbox",
        org_id=org_id,
        supplier_id=product.organization_id,
        part_number=product.part_number,
        period_start=period[0].isoformat(),
        period_end=period[1].isoformat(),
        _anchor="ask",
    )


def _charts(c: Coverage, categories: dict[str, str], locale: str) -> dict[str, Any]:
    e = c.explanation
    unit = unit_label(e.product.declared_unit)
    out = {
        "composition": charts.render(
            coverage_figures.composition(c.parts, part_names(), unit),
            "chart-coverage",
            _("Where the footprint's numbers come from"),
        )
    }
    bars = [
        coverage_figures.GapBar(gap_label(g, categories, locale), g.contribution)
        for g in c.gaps
        if g.basis == "generic"
    ]
    if bars:
        out["gaps"] = charts.render(
            coverage_figures.gaps(bars, unit), "chart-gaps", _("Secondary data upstream")
        )
    return out
