"""Public disclosure: a page per published declaration (with a QR code for the label), the
searchable list of published declarations, the industry overview and the methodology behind
them. Everything renders from stored declarations, never by re-solving the graph."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import segno
from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from dashboards import charts, label_page, public_cache, public_figures
from footprint_platform import classes, links
from footprint_platform.battery import declared_per_kwh
from footprint_platform.classes import pinned_class
from footprint_platform.csv_cells import for_spreadsheets
from footprint_platform.display_labels import component_label, geography_label, unit_label
from footprint_platform.errors import NotFound
from footprint_platform.extensions import db
from footprint_platform.http_headers import PUBLIC_CACHE
from footprint_platform.models import Declaration, FactorRelease
from footprint_platform.public_queries import (
    Group,
    history,
    industry_overview,
    page_stamp,
    published_query,
)
from footprint_platform.reference import load_reference
from footprint_platform.rules import AccountingRule, load_rules
from footprint_platform.schemas import PublicListQuerySchema, parse
from footprint_platform.services.catalogue import citations, factors
from footprint_platform.services.disclosure import (
    batterypass,
    declarations,
    exports,
    jurisdictions,
    publication,
)
from footprint_platform.services.pact.footprint import valid_until
from footprint_platform.web_common import downloads

bp = Blueprint("public", __name__, template_folder="templates")

PAGE_SIZE = 25


@bp.route("/d/")
def index() -> Any:
    args = parse(PublicListQuerySchema(), request.args)
    page = db.paginate(
        published_query(
            args["q"], args["category"], args["chemistry"], args["include_past"], args["sort"]
        ),
        page=args["page"],
        per_page=PAGE_SIZE,
        error_out=False,
    )
    return render_template("public/index.html", page=page, args=args)


@bp.route("/d.csv")
def index_csv() -> Any:
    """The public list as CSV, with the same search, filters and order as the page (at most
    PUBLIC_LIST_MAX rows)."""
    args = parse(PublicListQuerySchema(), request.args)
    stmt = published_query(
        args["q"], args["category"], args["chemistry"], args["include_past"], args["sort"]
    )
    found = list(db.session.scalars(stmt.limit(exports.PUBLIC_LIST_MAX)).unique())
    body = exports.public_list_csv(found, links.base_url())
    return _public(
        Response(
            for_spreadsheets(body),
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="tanlian-declarations.csv"'},
        )
    )


@bp.route("/d/<public_id>")
def declaration(public_id: str) -> Any:
    """The page a label's QR code opens: its content comes from public_cache while nothing it
    shows has changed (rendered by `_declaration_content` otherwise)."""
    stamp = page_stamp(db.session, public_id)
    if stamp is None:
        publication.public_declaration(db.session, public_id)  # raises NotFound
    key = (public_id, str(get_locale()), request.host_url, stamp)
    title, content = public_cache.content(key, lambda: _declaration_content(public_id))
    return render_template(
        "public/declaration_cached.html",
        title=title,
        content=content,
        chart_scripts=charts.scripts(),
    )


def _declaration_content(public_id: str) -> str:
    """Title and content of the page (public/_bare.html), to be kept."""
    d = publication.public_declaration(db.session, public_id)
    return render_template(
        "public/declaration.html", layout="public/_bare.html", **declaration_context(d)
    )


def declaration_context(d: Declaration) -> dict[str, Any]:
    rule = load_rules()[d.rule_code]
    return {
        "d": d,
        "rule": rule,
        "kwh": declared_per_kwh(d),
        "grade": pinned_class(
            d.product.category, d.performance_class, d.class_scale_version, d.product.chemistry
        ),
        "verification": publication.latest_verification(db.session, d.id),
        "versions": (versions := history(db.session, d)),
        # the public reads automatic change reasons without the products they name
        "reasons": {v.id: declarations.change_reason_for(db.session, v, None) for v in versions},
        "release": db.session.get(FactorRelease, d.fallback_release_id),
        "public_url": public_url(d.public_id),
        "label_url": label_url(d.public_id),
        "valid_until": valid_until(d),
        "battery": batterypass.is_battery(d),
        "battery_pass_ready": batterypass.lifetime_for(d) is not None,
        "stage_chart": _stage_chart(d, rule),
        "side_by_side": jurisdictions.public_pair(db.session, d) is not None,
    }


def _stage_chart(d: Declaration, rule: AccountingRule) -> Markup:
    """The declaration's own stored stages as a waterfall (nothing is recomputed)."""
    locale = str(get_locale())
    fig = public_figures.declaration_stages(
        d.by_stage,
        rule.stage_codes,
        float(d.total),
        {s.code: s.label(locale) for s in rule.stages},
        unit_label(d.declared_unit),
    )
    return charts.render(fig, "chart-stages", _("Footprint by life-cycle stage"))


@bp.route("/q/<public_id>")
def label(public_id: str) -> Any:
    """The light page the label's QR code opens: key figures as text and inline SVG, no
    script, no chart library; the full declaration is one link away."""
    d = publication.public_declaration(db.session, public_id)
    rule = load_rules()[d.rule_code]
    locale = str(get_locale())
    bars = label_page.stage_bars(
        d.by_stage, rule.stage_codes, float(d.total), {s.code: s.label(locale) for s in rule.stages}
    )
    return render_template(
        "public/label.html",
        d=d,
        bars=bars,
        bar_height=label_page.ROW,
        bar_width=label_page.WIDTH,
        kwh=declared_per_kwh(d),
        grade=pinned_class(
            d.product.category, d.performance_class, d.class_scale_version, d.product.chemistry
        ),
        verification=publication.latest_verification(db.session, d.id),
        valid_until=valid_until(d),
    )


@bp.route("/d/<public_id>/jurisdictions")
def side_by_side(public_id: str) -> Any:
    """A battery's China and EU declarations side by side, only once both are published and
    were made from the same inputs (else 404, as for any unpublished declaration); from the
    stored declarations, nothing re-solved."""
    d = publication.public_declaration(db.session, public_id)
    pair = jurisdictions.public_pair(db.session, d)
    if pair is None:
        raise NotFound(_("No published declarations under both rules."))
    cn, eu = pair
    return render_template(
        "public/jurisdictions.html",
        cn=cn,
        eu=eu,
        c=jurisdictions.compare_declared(cn, eu),
        chart_scripts=charts.scripts(),
    )


@bp.route("/d/<public_id>.csv")
def declaration_csv(public_id: str) -> Any:
    return _public(downloads.download(publication.public_declaration(db.session, public_id), "csv"))


@bp.route("/d/<public_id>.pact.json")
def declaration_pact(public_id: str) -> Any:
    """The PACT v3 ProductFootprint of a published declaration."""
    return _public(
        downloads.download(publication.public_declaration(db.session, public_id), "pact")
    )


@bp.route("/d/<public_id>.batterypass.json")
def declaration_batterypass(public_id: str) -> Any:
    """The Battery Pass carbon-footprint aspect of a published battery declaration."""
    return _public(
        downloads.download(publication.public_declaration(db.session, public_id), "batterypass")
    )


@bp.route("/d/<public_id>.csv.jws", defaults={"fmt": "csv"})
@bp.route("/d/<public_id>.pact.json.jws", defaults={"fmt": "pact"})
@bp.route("/d/<public_id>.batterypass.json.jws", defaults={"fmt": "batterypass"})
@bp.route("/d/<public_id>.aas.json.jws", defaults={"fmt": "aas"})
def declaration_signature(public_id: str, fmt: str) -> Any:
    """The detached signature (JWS) of the file beside it, over the bytes that file serves."""
    return downloads.signature(publication.public_declaration(db.session, public_id), fmt)


@bp.route("/d/<public_id>.aas.json")
def declaration_aas(public_id: str) -> Any:
    """The battery passport's carbon-footprint submodel (IDTA 02035-3) as AAS JSON."""
    return _public(downloads.download(publication.public_declaration(db.session, public_id), "aas"))


@bp.route("/d/<public_id>/qr.svg")
def qr_code(public_id: str) -> Any:
    """The QR code for the product's label: it encodes the stable address of the light
    landing page (short, so the code stays small; the full page is one link away)."""
    d = publication.public_declaration(db.session, public_id)
    out = io.BytesIO()
    segno.make(label_url(d.public_id), error="m").save(out, kind="svg", scale=4, border=2)
    return Response(
        out.getvalue(),
        mimetype="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def _public(response: Response) -> Response:
    """A published declaration's file is for anyone: caches may keep it (a page or file of a
    draft is private, the default of every other answer)."""
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return response


def public_url(public_id: str) -> str:
    """The address printed on labels: under PUBLIC_BASE_URL, which must outlive any host the
    request came through (and is never taken from the request)."""
    return links.public_url("public.declaration", public_id=public_id)


def label_url(public_id: str) -> str:
    """The address the label's QR code encodes, under PUBLIC_BASE_URL like `public_url`."""
    return links.public_url("public.label", public_id=public_id)


@dataclass(frozen=True)
class GroupRow:
    """A group of the industry overview as the page shows it: its name in the reader's
    language and the public list filtered to it, where the list has the filters (category,
    chemistry)."""

    group: Group
    name: str
    href: str
    exact: bool  # the link lists this group (else its category)


@bp.route("/industry")
def industry() -> Any:
    minimum = int(current_app.config["PUBLIC_MIN_GROUP"])
    o = industry_overview(db.session, minimum)
    per_kwh_unit = _("kg CO2e per kWh of rated capacity")
    rows = {
        "chemistry": _rows(o.batteries_by_chemistry, _chemistry_name, by_chemistry=True),
        "region": _rows(o.batteries_by_region, geography_label),
        "segment": _rows(o.vehicles_by_segment, _segment_name),
    }
    boxes = {
        "chemistry": _boxes(rows["chemistry"], per_kwh_unit, "chart-chemistry"),
        "region": _boxes(rows["region"], per_kwh_unit, "chart-region"),
        "segment": _boxes(rows["segment"], _("kg CO2e per vehicle"), "chart-segment"),
    }
    return render_template(
        "public/industry.html", o=o, rows=rows, boxes=boxes, chart_scripts=charts.scripts()
    )


def _boxes(rows: list[GroupRow], unit: str, element_id: str) -> Markup | None:
    """A box per shown group (None when every group is below the minimum)."""
    groups = [r.group for r in rows]
    fig = public_figures.group_boxes(groups, [r.name for r in rows], unit)
    if fig is None:
        return None
    return charts.render(
        fig, element_id, _("Spread of the footprints per group: %(unit)s", unit=unit)
    )


def _rows(
    groups: list[Group], second: Callable[[str], str], by_chemistry: bool = False
) -> list[GroupRow]:
    """Each group named (its category, then its second part by `second`) with its link."""
    out = []
    for g in groups:
        category, part = g.label
        first = component_label(category)
        chemistry = part if by_chemistry and part != "—" else None
        href = url_for("public.index", category=category, chemistry=chemistry)
        out.append(GroupRow(g, f"{first} · {second(part)}", href, chemistry is not None))
    return out


def _chemistry_name(code: str) -> str:
    """A chemistry by the taxonomy's name in the reader's language."""
    if code == "—":
        return _("chemistry not stated")
    names = load_reference().chemistries.get(code)
    return names["zh" if str(get_locale()).startswith("zh") else "en"] if names else code


def _segment_name(code: str) -> str:
    """A vehicle category (UNECE M1, N1 …) as it is written, or that none was stated."""
    return _("vehicle category not stated") if code == "—" else code


@bp.route("/methodology/rules/<code>")
def rule(code: str) -> Any:
    found = load_rules().get(code)
    if found is None:
        raise NotFound("No such accounting rule.")
    applies = found.applies_to if "*" not in found.applies_to else ()
    return render_template(
        "public/rule.html",
        rule=found,
        scales=classes.scales_for(applies),
        categories=load_reference().categories,
    )


@bp.route("/methodology/factors/<version>")
def factor_release(version: str) -> Any:
    """A release's publications as reviewed citations and their licences (the values, and the
    operator's source notes, are for signed-in users)."""
    release = factors.release_by_version(db.session, version)
    return render_template(
        "public/factor_release.html",
        release=release,
        sources=citations.public_sources(db.session, release.id),
    )
