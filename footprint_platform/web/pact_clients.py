"""An organization's PACT partners page: the clients it issued to partners' host systems
(create with the secret shown once, rotate, revoke; services.pact.clients), and the
credentials partners' host systems issued to it, which it answers their requests, announces
publications and pulls footprints with (services.pact.outbound)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from footprint_platform import links
from footprint_platform.errors import InvalidInput
from footprint_platform.extensions import db
from footprint_platform.models import Organization
from footprint_platform.policy import Action
from footprint_platform.schemas import PactClientInputSchema, PactCredentialInputSchema
from footprint_platform.services.catalogue import catalog
from footprint_platform.services.pact import catenax_exchange
from footprint_platform.services.pact import clients as pact_clients
from footprint_platform.services.pact import outbound as pact_outbound
from footprint_platform.web_common.context import actor, organization_for, submit

CREDENTIAL_FIELDS = {"name": "cred_name", "partner_id": "cred_partner_id"}  # the form's names
bp = Blueprint("pact_clients", __name__, url_prefix="/orgs/<int:org_id>/pact")


@bp.before_request
@login_required
def _signed_in() -> None:
    """A signed-in administrator of the data owner; the policy decides per view."""


def _page(
    org_id: int,
    created: tuple[str, str] | None = None,
    errors: Any = None,
    credential_errors: Any = None,
) -> Any:
    org = organization_for(org_id, Action.MANAGE_PACT_CLIENTS)
    locale = str(get_locale() or "zh")
    partners = pact_clients.partner_choices(db.session, org_id)
    others = db.session.scalars(
        catalog.organizations_query().where(Organization.id != org_id)
    ).all()
    return render_template(
        "orgs/pact.html",
        org=org,
        clients=db.session.scalars(pact_clients.clients_query(org_id)).all(),
        credentials=db.session.scalars(pact_outbound.credentials_query(org_id)).all(),
        partner_options=[(p.id, p.display_name(locale)) for p in partners],
        organization_options=[(o.id, o.display_name(locale)) for o in others],
        created=created,
        errors=errors or {},
        credential_errors=credential_errors or {},
        form=request.form if errors else {},
        credential_form=request.form if credential_errors else {},
        base_url=links.base_url(),
        shares_url=url_for("sharing.shares", org_id=org_id),
    ), (422 if errors or credential_errors else 200)


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


@bp.route("/<int:client_pk>/catenax", methods=["POST"])
def catenax_callback(org_id: int, client_pk: int) -> Any:
    """Where answers to this partner's Catena-X PCF Exchange requests are pushed (empty: none)."""
    url = (request.form.get("catenax_callback_url") or "")[:2000]
    try:
        catenax_exchange.set_callback(db.session, actor(), org_id, client_pk, url)
    except InvalidInput as exc:
        db.session.rollback()
        flash(" ".join(m for msgs in exc.errors.values() for m in msgs), "error")
        return _page(org_id)[0], 422
    flash(_("Catena-X PCF Exchange address saved."), "success")
    return _page(org_id)


@bp.route("/credentials", methods=["POST"])
def add_credential(org_id: int) -> Any:
    organization_for(org_id, Action.MANAGE_PACT_CLIENTS)
    errors = submit(
        PactCredentialInputSchema(),
        lambda data: pact_outbound.create_credential(db.session, actor(), org_id, data),
    )
    errors = {CREDENTIAL_FIELDS.get(k, k): v for k, v in errors.items()}
    if not errors:
        flash(
            _("Credentials saved. The secret is stored encrypted and not shown again."), "success"
        )
    return _page(org_id, credential_errors=errors)


@bp.route("/credentials/<int:credential_pk>/revoke", methods=["POST"])
def revoke_credential(org_id: int, credential_pk: int) -> Any:
    pact_outbound.revoke_credential(db.session, actor(), org_id, credential_pk)
    flash(_("Credentials no longer used."), "success")
    return _page(org_id)
