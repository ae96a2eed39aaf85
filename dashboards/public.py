"""Public disclosure: a page per published declaration, readable by anyone, from stored
results only (never by re-solving the graph)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from footprint_platform.classes import classify
from footprint_platform.extensions import db
from footprint_platform.rules import load_rules
from footprint_platform.services import batterypass, publication
from footprint_platform.web import downloads

bp = Blueprint("public", __name__, template_folder="templates")


@bp.route("/d/<public_id>")
def declaration(public_id: str) -> Any:
    d = publication.public_declaration(db.session, public_id)
    return render_template(
        "public/declaration.html",
        d=d,
        rule=load_rules()[d.rule_code],
        grade=classify(d.product.category, d.declared_unit, d.total),
        verification=publication.latest_verification(db.session, d.id),
        battery=batterypass.is_battery(d),
        battery_pass_ready=batterypass.lifetime_for(d) is not None,
    )


@bp.route("/d/<public_id>.csv")
def declaration_csv(public_id: str) -> Any:
    return downloads.download(publication.public_declaration(db.session, public_id), "csv")


@bp.route("/d/<public_id>.pact.json")
def declaration_pact(public_id: str) -> Any:
    """The PACT v3 ProductFootprint of a published declaration."""
    return downloads.download(publication.public_declaration(db.session, public_id), "pact")


@bp.route("/d/<public_id>.batterypass.json")
def declaration_batterypass(public_id: str) -> Any:
    """The Battery Pass carbon-footprint aspect of a published battery declaration."""
    return downloads.download(publication.public_declaration(db.session, public_id), "batterypass")
