"""Sharing footprints by name with customers, and a buyer's view of what it buys."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from footprint_platform.extensions import db
from footprint_platform.models import Organization, OrgRole
from footprint_platform.policy import Action, allowed
from footprint_platform.schemas import ShareSchema
from footprint_platform.services import workflow
from footprint_platform.services.catalogue import catalog
from footprint_platform.services.relations import sharing
from footprint_platform.web_common.context import actor, organization_for, submit

bp = Blueprint("sharing", __name__)


def locale() -> str:
    return str(get_locale() or "zh")


@bp.before_request
@login_required
def _signed_in() -> None:
    """Shares are between signed-in members of the two organizations."""


@bp.route("/orgs/<int:org_id>/shares", methods=["GET", "POST"])
def shares(org_id: int) -> Any:
    org = organization_for(org_id, Action.VIEW_PRODUCTS)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        organization_for(org_id, Action.SHARE_FOOTPRINTS)
        errors = submit(
            ShareSchema(),
            lambda data: workflow.share(db.session, actor(), data["product_id"], data["buyer_id"]),
        )
        if not errors:
            flash(_("Shared."), "success")
            return redirect(url_for(".shares", org_id=org_id))
    buyers = db.session.scalars(
        catalog.organizations_query(role=OrgRole.BUYER).where(Organization.id != org_id)
    ).all()
    return render_template(
        "sharing/shares.html",
        org=org,
        shares=db.session.scalars(sharing.shares_query(org_id)).all(),
        product_options=[
            (p.id, f"{p.part_number} · {p.display_name(locale())}")
            for p in db.session.scalars(catalog.products_query(org_id))
        ],
        buyer_options=[(b.id, b.display_name(locale())) for b in buyers],
        errors=errors,
        form=request.form,
        can_share=allowed(actor(), Action.SHARE_FOOTPRINTS, org_id),
    ), (422 if errors else 200)


@bp.route("/shares/<int:share_id>/revoke", methods=["POST"])
def revoke(share_id: int) -> Any:
    found = workflow.revoke(db.session, actor(), share_id)
    flash(_("No longer shared. The record of the share is kept."), "success")
    return redirect(url_for(".shares", org_id=found.organization_id))


@bp.route("/orgs/<int:org_id>/suppliers")
def suppliers(org_id: int) -> Any:
    org = organization_for(org_id, Action.VIEW_PRODUCTS)
    rows = sharing.direct_supplier_products(db.session, actor(), org_id)
    return render_template("sharing/suppliers.html", org=org, rows=rows)
