"""A product's own dashboard for its maker: the latest result as charts, and its data quality.

Thin: the breakdown (with its authorization) comes from `services.graph.breakdowns`, the figures
from `figures`; this module only chooses the labels in the reader's language.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from dashboards import charts, figures
from footprint_platform.display_labels import unit_label
from footprint_platform.extensions import db
from footprint_platform.reference import load_reference
from footprint_platform.rules import load_rules, rule_for_category
from footprint_platform.schemas import PeriodQuery, parse
from footprint_platform.services.graph import breakdowns, uncertainty
from footprint_platform.services.graph.breakdowns import Explanation
from footprint_platform.services.insight import coverage
from footprint_platform.web_common.context import actor

bp = Blueprint(
    "product_view", __name__, url_prefix="/dashboard/products", template_folder="templates"
)

# Rows of the data-quality drill-down: the groups that weigh most on the rating.
QUALITY_ROWS = 8


@bp.route("/<int:product_id>")
@login_required
def show(product_id: int) -> Any:
    query = parse(PeriodQuery(), request.args)
    e = breakdowns.explain_latest(db.session, actor(), product_id, query["period"])
    labels = _labels(e, str(get_locale()))
    return render_template(
        "dashboards/product.html",
        e=e,
        labels=labels,
        charts=_charts(e, labels) if e.parts is not None and e.latest is not None else None,
        quality=e.quality[:QUALITY_ROWS],
        quality_weight=sum(g.impact for g in e.quality),
        awaiting=coverage.awaiting_consent(db.session, e),
        chart_scripts=charts.scripts(),
        interval_method=uncertainty.method_label(),
    )


def _labels(e: Explanation, locale: str) -> figures.Labels:
    ref = load_reference()
    categories = {code: c.label(locale) for code, c in ref.categories.items()}
    categories["dataset"] = _("Generic datasets")
    stages = {s.code: s.label(locale) for rule in load_rules().values() for s in rule.stages}
    return figures.Labels(
        product=e.product.display_name(locale),
        unit=unit_label(e.product.declared_unit),
        categories=categories,
        stages=stages,
    )


def _charts(e: Explanation, labels: figures.Labels) -> dict[str, Any]:
    assert e.parts is not None and e.latest is not None
    stored = e.latest.result
    rule = rule_for_category(e.product.category)
    waterfall = figures.stage_waterfall(
        stored.by_stage, rule.stage_codes, float(stored.total), labels
    )
    return {
        "waterfall": charts.render(waterfall, "chart-stages", _("Footprint by life-cycle stage")),
        "sankey": charts.render(
            figures.chain_sankey(e.parts, labels), "chart-chain", _("Footprint along the chain")
        ),
        "treemap": charts.render(
            figures.contribution_treemap(e.parts, labels),
            "chart-tiers",
            _("Footprint by tier and category"),
        ),
    }
