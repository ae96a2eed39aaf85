"""A data owner's PACT credentials page: the clients it issued to partners' host systems
(create with the secret shown once, rotate, revoke). Business rules in services.pact_clients."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from footprint_platform.extensions import db
from footprint_platform.policy import Action
from footprint_platform.schemas import PactClientInputSchema
from footprint_platform.services import pact_clients
from footprint_platform.web.context import actor, organization_for, submit

bp = Blueprint("pact_clients", __name__, url_prefix="/orgs/<int:org_id>/pact")


@bp.before_request
@login_required
def _signed_in() -> None:
    """A signed-in administrator of the data owner; the policy decides per view."""


def _page(org_id: int, created: tuple[str, str] | None = None, errors: Any = None) -> Any:
    org = organization_for(org_id, Action.MANAGE_PACT_CLIENTS)
    locale = str(get_locale() or "zh")
    partners = pact_clients.partner_choices(db.session, org_id)
    return render_template(
        "orgs/pact.html",
        org=org,
        clients=db.session.scalars(pact_clients.clients_query(org_id)).all(),
        partner_options=[(p.id, p.display_name(locale)) for p in partners],
        created=created,
        errors=errors or {},
        form=request.form if errors else {},
        base_url=request.root_url.rstrip("/"),
        shares_url=url_for("sharing.shares", org_id=org_id),
    ), (422 if errors else 200)


@bp.route("", methods=["GET", "POST"])
def clients(org_id: int) -> Any:
    if request.method == "GET":
        return _page(org_id)
    organization_for(org_id, Action.MANAGE_PACT_CLIENTS)
    made: list[tuple[str, str]] = []

    def create(data: dict[str, Any]) -> None:
        client, secret = pact_clients.create_client(
            db.session, actor(), org_id, data["partner_id"], data["name"]
        )
        made.append((client.client_id, secret))

    errors = submit(PactClientInputSchema(), create)
    return _page(org_id, made[0] if made else None, errors)


@bp.route("/<int:client_pk>/rotate", methods=["POST"])
def rotate(org_id: int, client_pk: int) -> Any:
    client, secret = pact_clients.rotate_secret(db.session, actor(), org_id, client_pk)
    flash(_("New secret made. The old one and its access tokens no longer work."), "success")
    return _page(org_id, (client.client_id, secret))


@bp.route("/<int:client_pk>/revoke", methods=["POST"])
def revoke(org_id: int, client_pk: int) -> Any:
    pact_clients.revoke_client(db.session, actor(), org_id, client_pk)
    flash(_("Client revoked. Its access tokens no longer work."), "success")
    return _page(org_id)
