"""An organization's own pages: profile, sites, products, people and API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required

from footprint_platform import queries
from footprint_platform.csv_cells import for_spreadsheets
from footprint_platform.extensions import db
from footprint_platform.links import public_url
from footprint_platform.models import MemberRole, TokenScope
from footprint_platform.policy import Action
from footprint_platform.schemas import (
    ApiTokenInputSchema,
    InvitationInputSchema,
    ListQuerySchema,
    OrganizationUpdateSchema,
    ProductInputSchema,
    SiteInputSchema,
    parse,
)
from footprint_platform.services.catalogue import accounts, catalog
from footprint_platform.services.graph import periods, results
from footprint_platform.services.insight import audit_export, audit_view
from footprint_platform.web_common.context import actor, organization_for, submit

bp = Blueprint("organizations", __name__, url_prefix="/orgs/<int:org_id>")


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every page here needs a signed-in person; the policy decides the rest per view."""


@bp.route("/")
def profile(org_id: int) -> Any:
    org = organization_for(org_id, Action.VIEW_ORGANIZATION)
    return render_template("orgs/profile.html", org=org)


@bp.route("/edit", methods=["GET", "POST"])
def edit(org_id: int) -> Any:
    org = organization_for(org_id, Action.EDIT_ORGANIZATION)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        errors = submit(
            OrganizationUpdateSchema(),
            lambda data: catalog.update_organization(db.session, actor(), org_id, data),
        )
        if not errors:
            flash(_("Saved."), "success")
            return redirect(url_for(".profile", org_id=org_id))
    form = request.form if errors else org
    return render_template("orgs/edit.html", org=org, form=form, errors=errors), (
        422 if errors else 200
    )


# -- sites -----------------------------------------------------------------------------------


@bp.route("/sites")
def sites(org_id: int) -> Any:
    org = organization_for(org_id, Action.VIEW_SITES)
    rows = db.session.scalars(catalog.sites_query(org_id)).all()
    return render_template("sites/list.html", org=org, sites=rows)


@bp.route("/sites/new", methods=["GET", "POST"], defaults={"site_id": None})
@bp.route("/sites/<int:site_id>/edit", methods=["GET", "POST"])
def site_form(org_id: int, site_id: int | None) -> Any:
    org = organization_for(org_id, Action.EDIT_SITES)
    site = catalog.get_site(db.session, actor(), site_id) if site_id else None
    if site is not None and site.organization_id != org_id:
        return redirect(url_for(".sites", org_id=org_id))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        errors = submit(
            SiteInputSchema(),
            lambda data: (
                catalog.create_site(db.session, actor(), org_id, data)
                if site is None
                else catalog.update_site(db.session, actor(), site.id, data)
            ),
        )
        if not errors:
            flash(_("Site saved."), "success")
            return redirect(url_for(".sites", org_id=org_id))
    form = request.form if request.method == "POST" else site
    return render_template("sites/form.html", org=org, site=site, form=form, errors=errors), (
        422 if errors else 200
    )


# -- products --------------------------------------------------------------------------------


@bp.route("/products")
def products(org_id: int) -> Any:
    org = organization_for(org_id, Action.VIEW_PRODUCTS)
    rows = db.session.scalars(catalog.products_query(org_id)).all()
    return render_template(
        "products/list.html",
        org=org,
        products=rows,
        # in the organization's default period: a product's next period, begun, hides nothing
        results=results.latest_results(
            db.session, org_id, periods.default(periods.organization_choices(db.session, org_id))
        ),
    )


@bp.route("/products/new", methods=["GET", "POST"], defaults={"product_id": None})
@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
def product_form(org_id: int, product_id: int | None) -> Any:
    org = organization_for(org_id, Action.EDIT_PRODUCTS)
    product = catalog.get_product(db.session, actor(), product_id) if product_id else None
    if product is not None and product.organization_id != org_id:
        return redirect(url_for(".products", org_id=org_id))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        errors = submit(
            ProductInputSchema(),
            lambda data: (
                catalog.create_product(db.session, actor(), org_id, data)
                if product is None
                else catalog.update_product(db.session, actor(), product.id, data)
            ),
        )
        if not errors:
            flash(_("Product saved."), "success")
            return redirect(url_for(".products", org_id=org_id))
    sites = db.session.scalars(catalog.sites_query(org_id)).all()
    form = request.form if request.method == "POST" else product
    return render_template(
        "products/form.html",
        org=org,
        product=product,
        sites=sites,
        site_options=[(s.id, s.name) for s in sites],
        form=form,
        errors=errors,
    ), 422 if errors else 200


# -- people ----------------------------------------------------------------------------------


@bp.route("/members", methods=["GET", "POST"])
def members(org_id: int) -> Any:
    org = organization_for(org_id, Action.VIEW_ORGANIZATION)
    errors: dict[str, list[str]] = {}
    invite_link = None
    if request.method == "POST":
        ttl = timedelta(hours=current_app.config["INVITATION_TTL_HOURS"])
        tokens: list[str] = []
        errors = submit(
            InvitationInputSchema(),
            lambda data: tokens.append(
                accounts.invite(
                    db.session, actor(), org_id, data["email"], MemberRole(data["role"]), ttl
                )[1]
            ),
        )
        if tokens:
            invite_link = public_url("auth.accept_invitation", token=tokens[0])
            flash(_("Invitation created. Send the link below; it is shown only once."), "success")
    rows = db.session.scalars(queries.members_query(org_id)).all()
    pending = db.session.scalars(queries.open_invitations_query(org_id)).all()
    return render_template(
        "orgs/members.html",
        org=org,
        members=rows,
        pending=pending,
        errors=errors,
        invite_link=invite_link,
        form=request.form,
    ), (422 if errors else 200)


@bp.route("/members/<int:membership_id>/role", methods=["POST"])
def member_role(org_id: int, membership_id: int) -> Any:
    role = request.form.get("role", "")
    if role not in {r.value for r in MemberRole}:
        flash(_("Choose a role."), "error")
    else:
        accounts.change_member_role(db.session, actor(), org_id, membership_id, MemberRole(role))
        flash(_("Role changed."), "success")
    return redirect(url_for(".members", org_id=org_id))


@bp.route("/members/<int:membership_id>/remove", methods=["POST"])
def member_remove(org_id: int, membership_id: int) -> Any:
    accounts.remove_member(db.session, actor(), org_id, membership_id)
    flash(_("Member removed."), "success")
    return redirect(url_for(".members", org_id=org_id))


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
def invitation_revoke(org_id: int, invitation_id: int) -> Any:
    accounts.revoke_invitation(db.session, actor(), org_id, invitation_id)
    flash(_("Invitation revoked."), "success")
    return redirect(url_for(".members", org_id=org_id))


# -- API tokens ------------------------------------------------------------------------------


@bp.route("/tokens", methods=["GET", "POST"])
def tokens(org_id: int) -> Any:
    org = organization_for(org_id, Action.MANAGE_TOKENS)
    errors: dict[str, list[str]] = {}
    secrets: list[str] = []
    if request.method == "POST":
        errors = submit(
            ApiTokenInputSchema(),
            lambda data: secrets.append(
                accounts.create_api_token(
                    db.session, actor(), org_id, data["name"], TokenScope(data["scope"])
                )[1]
            ),
        )
    secret = secrets[0] if secrets else None
    rows = db.session.scalars(queries.api_tokens_query(org_id)).all()
    return render_template(
        "orgs/tokens.html", org=org, tokens=rows, secret=secret, errors=errors, form=request.form
    ), 422 if errors else 200


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
def token_revoke(org_id: int, token_id: int) -> Any:
    accounts.revoke_api_token(db.session, actor(), org_id, token_id)
    flash(_("Token revoked."), "success")
    return redirect(url_for(".tokens", org_id=org_id))


# -- audit log -------------------------------------------------------------------------------


@bp.route("/audit")
def audit_log(org_id: int) -> Any:
    org = organization_for(org_id, Action.VIEW_AUDIT)
    query = parse(ListQuerySchema(), request.args)
    page = db.paginate(
        queries.audit_events_query(org_id), page=query["page"], per_page=50, error_out=False
    )
    details, objects = audit_view.read(db.session, org_id, page.items)
    return render_template("orgs/audit.html", org=org, page=page, details=details, objects=objects)


@bp.route("/audit.csv")
def audit_csv(org_id: int) -> Any:
    """The log as a file, as the page reads it (both languages; no stored ids)."""
    organization_for(org_id, Action.VIEW_AUDIT)
    body = audit_export.audit_csv(db.session, actor(), org_id)
    return Response(
        for_spreadsheets(body),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=tanlian-audit-log-{org_id}.csv"},
    )
