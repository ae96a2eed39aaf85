"""The start page and the catalogue search every signed-in user has."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import login_required

from footprint_platform.extensions import db
from footprint_platform.policy import Action, authorize
from footprint_platform.schemas import ProductQuerySchema, parse
from footprint_platform.services.catalogue import catalog
from footprint_platform.web_common.context import actor

bp = Blueprint("home", __name__)


@bp.route("/")
def index() -> Any:
    return render_template("home.html")


@bp.route("/catalogue")
@login_required
def catalogue() -> Any:
    authorize(actor(), Action.READ_CATALOGUE)
    query = parse(ProductQuerySchema(), request.args)
    page = db.paginate(
        catalog.products_query(query["organization_id"], query["category"], query["q"]),
        page=query["page"],
        per_page=query["per_page"],
        error_out=False,
    )
    return render_template("catalogue.html", page=page, query=query)
