"""What-if pages of a product, for its maker's members: add changes one form at a time (plain
GET forms carrying the scenario so far as JSON, so the page works without JavaScript), see the
engine's answer, save the scenario, and compare saved ones side by side.

Thin: the numbers, the refusals and the authorization come from `services.insight.whatif` and
`services.insight.whatif_saved`, the comparison as a CSV or Excel file from
`services.insight.whatif_export`; this module parses the request and chooses labels.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from marshmallow import ValidationError, fields, validate

from dashboards import charts
from dashboards.whatif_figures import Column, scenario_bars
from footprint_platform.display_labels import unit_label
from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db
from footprint_platform.models import Product
from footprint_platform.reference import country_names
from footprint_platform.rules import load_rules, rule_for_category
from footprint_platform.schemas import FormSchema, PeriodField, parse
from footprint_platform.services.graph import periods
from footprint_platform.services.graph.periods import Period
from footprint_platform.services.insight import (
    whatif,
    whatif_export,
    whatif_options,
    whatif_saved,
    whatif_specs,
)
from footprint_platform.web_common.context import actor

bp = Blueprint("whatif", __name__, url_prefix="/dashboard/products", template_folder="templates")

# The fields each kind of change reads from its form.
FIELDS = {
    whatif_specs.SWAP: ("supplier", "competitor"),
    whatif_specs.GRID_REGION: ("region",),
    whatif_specs.GREEN_SHARE: ("source", "share"),
    whatif_specs.RECYCLED: ("material", "share"),
}
MAX_CHANGES = 20


class SpecList(fields.String):
    """The scenario so far: a JSON list of flat change specs (checked again by the service)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            specs = json.loads(text)
        except ValueError:
            specs = None
        valid = isinstance(specs, list) and all(
            isinstance(s, dict) and all(isinstance(v, str | int | float) for v in s.values())
            for s in specs
        )
        if not valid or len(specs) > MAX_CHANGES:
            raise ValidationError(str(_l("The scenario's changes could not be read.")))
        return specs


_period = PeriodField(load_default=None, allow_none=True)


class PageQuery(FormSchema):
    period = _period
    changes = SpecList(load_default=list)
    add = fields.String(load_default=None, validate=validate.OneOf(whatif_specs.KINDS))
    remove = fields.Integer(load_default=None)


class SaveForm(FormSchema):
    period = _period
    changes = SpecList(required=True)
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=whatif_saved.NAME_LENGTH)
    )


class DeleteForm(FormSchema):
    period = _period
    scenario_id = fields.Integer(required=True)
    # the second step: the page that names the scenario asks, its button sends "yes"
    confirm = fields.String(load_default=None)  # anything but "yes" only asks


def _dates(period: Period | None, product_id: int) -> Period | None:
    """The reader's period, else the product's default (`periods.default`) among those with
    its own submitted data (else the service takes its newest)."""
    if period is not None:
        return period
    return periods.default(_choices(product_id))


def _choices(product_id: int) -> list[periods.PeriodChoice]:
    """The periods with the product's own submitted data (what a scenario changes), complete
    where its result there may be declared."""
    results = {c.period: c for c in periods.product_choices(db.session, product_id)}
    own = whatif.periods(db.session, product_id)
    return [results.get(p, periods.PeriodChoice(p, False)) for p in own]


period_key = periods.key


@bp.route("/<int:product_id>/whatif")
@login_required
def page(product_id: int) -> Any:
    query = parse(PageQuery(), request.args)
    specs = query["changes"]
    if query["remove"] is not None and 0 <= query["remove"] < len(specs):
        specs = specs[: query["remove"]] + specs[query["remove"] + 1 :]
    added, errors = None, {}
    if query["add"]:
        added = {"kind": query["add"], **{f: request.args.get(f, "") for f in FIELDS[query["add"]]}}
        try:
            outcome = whatif.evaluate(
                db.session,
                actor(),
                product_id,
                [*specs, added],
                _dates(query["period"], product_id),
            )
            return redirect(_page_url(product_id, outcome.period, list(outcome.specs)))
        except InvalidInput as refused:
            errors = refused.errors
    return _render(product_id, query["period"], specs, errors, added)


def _page_url(product_id: int, period: tuple[date, date], specs: list[dict[str, Any]]) -> str:
    return url_for(
        ".page", product_id=product_id, period=period_key(period), changes=json.dumps(specs)
    )


def _render(
    product_id: int,
    period: Period | None,
    specs: list[dict[str, Any]],
    errors: dict[str, list[str]],
    added: dict[str, Any] | None,
    form: Any = None,
) -> Any:
    """The page: the scenario's outcome (or why there is none), the forms, the saved ones."""
    try:
        outcome = whatif.evaluate(
            db.session, actor(), product_id, specs, _dates(period, product_id)
        )
    except InvalidInput as refused:  # no data for the period, or a hand-edited scenario
        if not specs:
            return _unavailable(product_id, refused.message)
        errors = {**errors, "changes": [refused.message]}
        outcome = whatif.evaluate(db.session, actor(), product_id, [], _dates(period, product_id))
    stages = _stage_labels()
    chart = charts.render(
        scenario_bars(
            [
                Column(_("Now"), outcome.base.by_stage, outcome.base.total),
                Column(_("This scenario"), outcome.scenario.by_stage, outcome.scenario.total),
            ],
            rule_for_category(outcome.product.category).stage_codes,
            stages,
            unit_label(outcome.product.declared_unit),
        ),
        "chart-whatif",
        _("Footprint now and in this scenario"),
    )
    status = 422 if errors else 200
    places = {**country_names(_locale()), **dict(whatif_options.regions(_locale()))}
    return render_template(
        "dashboards/whatif.html",
        o=outcome,
        product=outcome.product,
        stages=stages,
        chart=chart,
        errors=errors,
        added=added or {},
        form=form or {},
        period=period_key(outcome.period),
        periods=_choices(product_id),
        changes_json=json.dumps(list(outcome.specs)),
        remove_urls=[
            _page_url(
                product_id, outcome.period, [s for j, s in enumerate(outcome.specs) if j != i]
            )
            for i in range(len(outcome.specs))
        ],
        places=places,
        grids=sorted(
            outcome.options.grids,
            key=lambda g: (not g.region.startswith("CN"), places.get(g.region, g.region)),
        ),
        saved=whatif_saved.saved(db.session, actor(), product_id, outcome.period),
        chart_scripts=charts.scripts(),
        locale=_locale(),
    ), status


def _unavailable(product_id: int, reason: str) -> Any:
    """No submitted data to change (the service has authorized the reader by now)."""
    product = db.session.get(Product, product_id)
    return render_template(
        "dashboards/whatif.html", o=None, product=product, reason=reason, period=None
    )


@bp.route("/<int:product_id>/whatif/save", methods=["POST"])
@login_required
def save(product_id: int) -> Any:
    raw = request.form
    try:
        data = parse(SaveForm(), raw)
        made = whatif_saved.save(
            db.session,
            actor(),
            product_id,
            data["name"],
            data["changes"],
            _dates(data["period"], product_id),
        )
    except InvalidInput as refused:
        specs = _lenient_specs(raw.get("changes"))
        return _render(
            product_id, _lenient_period(raw.get("period")), specs, refused.errors, None, raw
        )
    flash(_("Scenario “%(name)s” saved.", name=made.name), "success")
    return redirect(_page_url(product_id, (made.period_start, made.period_end), made.changes))


def _lenient_period(raw: str | None) -> Period | None:
    try:
        return periods.parse_key(raw or "")
    except ValueError:
        return None


def _lenient_specs(raw: str | None) -> list[dict[str, Any]]:
    try:
        return list(SpecList().deserialize(raw or "[]"))
    except ValidationError:
        return []


@bp.route("/<int:product_id>/whatif/delete", methods=["POST"])
@login_required
def delete(product_id: int) -> Any:
    data = parse(DeleteForm(), request.form)
    if data["confirm"] != "yes":
        return _confirm_delete(product_id, data)
    gone = whatif_saved.delete(db.session, actor(), product_id, data["scenario_id"])
    if gone is None:
        flash(_("This scenario was already deleted."), "info")
    else:
        flash(_("Scenario “%(name)s” deleted.", name=gone.name), "success")
    period = data["period"] and period_key(data["period"])
    return redirect(url_for(".page", product_id=product_id, period=period))


def _confirm_delete(product_id: int, data: dict[str, Any]) -> Any:
    """Ask before deleting: the scenario's name and changes, Delete or Cancel."""
    found = whatif_saved.find(db.session, actor(), product_id, data["scenario_id"])
    period = data["period"] and period_key(data["period"])
    if found is None:
        flash(_("This scenario was already deleted."), "info")
        return redirect(url_for(".page", product_id=product_id, period=period))
    return render_template(
        "dashboards/whatif_delete.html",
        product=found.product,
        scenario=found,
        period=period,
        back=_page_url(product_id, (found.period_start, found.period_end), found.changes),
        locale=_locale(),
    )


@bp.route("/<int:product_id>/whatif/compare")
@login_required
def compare(product_id: int) -> Any:
    query = parse(PageQuery(), request.args)
    chosen = _chosen()
    base_outcome, compared = whatif_saved.compare(
        db.session, actor(), product_id, _dates(query["period"], product_id), chosen
    )
    base = base_outcome.base
    product = base_outcome.product
    stages = _stage_labels()
    columns = [Column(_("Now"), base.by_stage, base.total)] + [
        Column(c.scenario.name, c.outcome.scenario.by_stage, c.outcome.scenario.total)
        for c in compared
        if c.outcome is not None
    ]
    chart = charts.render(
        scenario_bars(
            columns,
            rule_for_category(product.category).stage_codes,
            stages,
            unit_label(product.declared_unit),
        ),
        "chart-compare",
        _("Saved scenarios compared"),
    )
    return render_template(
        "dashboards/whatif_compare.html",
        product=product,
        base=base,
        compared=compared,
        stages=stages,
        chart=chart,
        period=period_key(base_outcome.period),
        chart_scripts=charts.scripts(),
        max_compared=whatif_saved.MAX_COMPARED,
    )


@bp.route("/<int:product_id>/whatif/export.<any(csv, xlsx):fmt>")
@login_required
def export(product_id: int, fmt: str) -> Any:
    """The comparison as a file: the page's scenario (`changes`), or the chosen saved
    scenarios (`scenario`, as the comparison page); authorized and refused as the pages are."""
    query = parse(PageQuery(only=("period", "changes")), request.args)
    sheet = whatif_export.export(
        db.session,
        actor(),
        product_id,
        _dates(query["period"], product_id),
        query["changes"],
        _chosen(),
        _("This scenario"),
        _stage_labels(),
        _locale(),
    )
    if fmt == "csv":
        body, mimetype = whatif_export.as_csv(sheet), "text/csv"
    else:
        body, mimetype = whatif_export.as_xlsx(sheet), whatif_export.XLSX
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename={sheet.filename}.{fmt}"},
    )


def _chosen() -> list[int]:
    """The saved scenarios ticked for comparison (`scenario`, repeated); other values ignored."""
    return [int(i) for i in request.args.getlist("scenario") if i.isdigit()]


def _locale() -> str:
    return str(get_locale() or "zh")


def _stage_labels() -> dict[str, str]:
    locale = _locale()
    return {s.code: s.label(locale) for rule in load_rules().values() for s in rule.stages}
