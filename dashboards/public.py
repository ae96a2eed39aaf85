"""Public disclosure: a page per published declaration, readable by anyone, from stored
results only (never by re-solving the graph)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template

from footprint_platform.battery import per_kwh
from footprint_platform.classes import classify_product
from footprint_platform.extensions import db
from footprint_platform.rules import load_rules
from footprint_platform.services import exports, publication

bp = Blueprint("public", __name__, template_folder="templates")


@bp.route("/d/<public_id>")
def declaration(public_id: str) -> Any:
    d = publication.public_declaration(db.session, public_id)
    rule = load_rules()[d.rule_code]
    return render_template(
        "public/declaration.html",
        d=d,
        rule=rule,
        kwh=per_kwh(d.product, rule, d.total),
        grade=classify_product(d.product, d.total),
        verification=publication.latest_verification(db.session, d.id),
    )


@bp.route("/d/<public_id>.csv")
def declaration_csv(public_id: str) -> Any:
    d = publication.public_declaration(db.session, public_id)
    body = exports.declaration_csv(d, publication.verification_status(db.session, d.id))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=declaration-{d.public_id}.csv"},
    )
