"""The request inbox: buyers ask suppliers for data; suppliers answer or decline. Link requests
(a buyer asks to link a supplier's product: relations/links.py) sit beside them: the supplier
accepts or declines, the buyer may cancel or ask explicitly."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from footprint_platform.extensions import db
from footprint_platform.links import public_url
from footprint_platform.models import Organization, OrgRole
from footprint_platform.policy import Action, allowed
from footprint_platform.schemas import (
    AnswerSchema,
    CatenaxRequestSchema,
    DataRequestInputSchema,
    DeclineSchema,
    LinkDeclineSchema,
    LinkRequestSchema,
    PactRequestSchema,
    parse,
)
from footprint_platform.services import workflow
from footprint_platform.services.catalogue import catalog
from footprint_platform.services.exchange import requests
from footprint_platform.services.intake import submissions
from footprint_platform.services.pact import catenax_requests
from footprint_platform.services.pact import delivery as pact_delivery
from footprint_platform.services.pact import events as pact_events
from footprint_platform.services.pact import outbound as pact_outbound
from footprint_platform.services.pact import partner_requests as pact_requests
from footprint_platform.services.pact import sending as pact_sending
from footprint_platform.services.relations import links
from footprint_platform.web_common.context import actor, organization_for, submit

bp = Blueprint("requests", __name__)


@bp.before_request
@login_required
def _signed_in() -> None:
    """Requests are between signed-in members of the two organizations."""


@bp.route("/orgs/<int:org_id>/requests", methods=["GET", "POST"])
def inbox(org_id: int) -> Any:
    return _inbox(org_id)


@bp.route("/orgs/<int:org_id>/requests/pact", methods=["POST"])
def ask_partner_system(org_id: int) -> Any:
    """A PACT request to a partner's host system; its event leaves from the background."""
    organization_for(org_id, Action.REQUEST_DATA)
    queued: list[int] = []
    errors = submit(
        PactRequestSchema(),
        lambda data: queued.append(
            pact_requests.ask(
                db.session,
                actor(),
                org_id,
                data["credential_id"],
                data["product_ids"],
                data["comment"],
                pact_events.host_url(),
            )[1]
        ),
    )
    if errors:
        return _inbox(org_id, pact_errors=errors)
    pact_delivery.queue(queued)
    flash(_("Request queued for the partner's system; its answer will show here."), "success")
    return redirect(url_for(".inbox", org_id=org_id, _anchor="pact-requests"))


@bp.route("/orgs/<int:org_id>/requests/catenax", methods=["POST"])
def ask_catenax(org_id: int) -> Any:
    """A request to a partner's Catena-X PCF Exchange API; the GET leaves from the background,
    the PCF comes back with the partner's PUT."""
    organization_for(org_id, Action.REQUEST_DATA)
    queued: list[int] = []
    errors = submit(
        CatenaxRequestSchema(),
        lambda data: queued.append(
            catenax_requests.ask(
                db.session,
                actor(),
                org_id,
                data["credential_id"],
                data["part_kind"],
                data["part_id"],
                data["data_model_version"],
                data["message"],
            )[1]
        ),
    )
    if errors:  # the service names the fields as it knows them; the form prefixes two
        renamed = {"credential_id": "cx_credential_id", "message": "cx_message"}
        return _inbox(org_id, cx_errors={renamed.get(k, k): v for k, v in errors.items()})
    pact_delivery.queue(queued)
    flash(
        _("Request queued for the partner's Catena-X endpoint; its PCF will show here."), "success"
    )
    return redirect(url_for(".inbox", org_id=org_id, _anchor="pact-requests"))


def _inbox(
    org_id: int,
    pact_errors: dict[str, list[str]] | None = None,
    cx_errors: dict[str, list[str]] | None = None,
) -> Any:
    org = organization_for(org_id, Action.VIEW_REQUESTS)
    errors: dict[str, list[str]] = {}
    join_link = None
    if request.method == "POST" and pact_errors is None and cx_errors is None:
        organization_for(org_id, Action.REQUEST_DATA)
        tokens: list[str | None] = []
        errors = submit(
            DataRequestInputSchema(),
            lambda data: tokens.append(
                requests.create_request(db.session, actor(), org_id, data)[1]
            ),
        )
        if not errors and tokens[0]:
            join_link = public_url("auth.join_supplier", token=tokens[0])
            flash(
                _("Request saved. Send the link below to the supplier; it is shown only once."),
                "success",
            )
        elif not errors:
            flash(_("Request sent."), "success")
            return redirect(url_for(".inbox", org_id=org_id))
    incoming = db.session.scalars(requests.inbox_query(org_id, "incoming")).all()
    outgoing = db.session.scalars(requests.inbox_query(org_id, "outgoing")).all()
    suppliers = db.session.scalars(
        catalog.organizations_query(role=OrgRole.SUPPLIER).where(Organization.id != org_id)
    ).all()
    answerable = db.session.scalars(submissions.submitted_query(org_id)).all()
    deliveries = pact_sending.deliveries_for_requests(
        db.session, [r.id for r in incoming if r.pact_event_id is not None]
    )
    credentials = db.session.scalars(pact_outbound.active_credentials_query(org_id)).all()
    return render_template(
        "requests/inbox.html",
        org=org,
        incoming=incoming,
        outgoing=outgoing,
        today=date.today(),
        supplier_options=[(s.id, s.display_name(str(get_locale()))) for s in suppliers],
        answerable=answerable,
        deliveries=deliveries,
        errors=errors,
        form=request.form,
        can_ask=allowed(actor(), Action.REQUEST_DATA, org_id),
        can_answer=allowed(actor(), Action.ANSWER_REQUESTS, org_id),
        default_due=date.today() + timedelta(days=30),
        join_link=join_link,
        links_in=db.session.scalars(links.inbox_query(org_id, "incoming")).all(),
        links_out=db.session.scalars(links.inbox_query(org_id, "outgoing")).all(),
        can_consent=allowed(actor(), Action.SHARE_FOOTPRINTS, org_id),
        can_link=allowed(actor(), Action.EDIT_SUBMISSIONS, org_id),
        pact_sent=db.session.scalars(pact_requests.sent_query(org_id)).all(),
        pact_partner_options=[
            (c.id, f"{c.name} · {c.base_url}") for c in credentials if c.partner_id is not None
        ],
        pact_errors=pact_errors or {},
        cx_errors=cx_errors or {},
    ), 422 if errors or pact_errors or cx_errors else 200


def _supplier_acts(request_id: int, schema: Any, act: Any, done_message: str) -> Any:
    """Parse the supplier's form, act on the request, say how it went, back to the inbox."""
    errors = submit(schema, lambda data: act(db.session, actor(), request_id, data))
    if errors:
        flash(" ".join(m for msgs in errors.values() for m in msgs), "error")
    else:
        flash(done_message, "success")
    data_request = requests.get_request(db.session, actor(), request_id)
    return redirect(url_for(".inbox", org_id=data_request.supplier_id))


@bp.route("/requests/<int:request_id>/decline", methods=["POST"])
def decline(request_id: int) -> Any:
    return _supplier_acts(
        request_id,
        DeclineSchema(),
        lambda s, a, r, data: requests.decline(s, a, r, data["reason"]),
        _("Request declined."),
    )


@bp.route("/requests/<int:request_id>/answer", methods=["POST"])
def answer(request_id: int) -> Any:
    return _supplier_acts(
        request_id,
        AnswerSchema(),
        lambda s, a, r, data: workflow.answer_request(
            s, a, r, data["submission_id"], data["substitute_reason"], data["confirm_substitute"]
        ),
        _("Request answered."),
    )


@bp.route("/requests/<int:request_id>")
def show(request_id: int) -> Any:
    """One request for either side: what was asked, and what the answer provided."""
    data_request = requests.get_request(db.session, actor(), request_id)
    return render_template(
        "requests/show.html",
        r=data_request,
        provided=requests.provided(db.session, actor(), request_id),
        today=date.today(),
    )


@bp.route("/requests/<int:request_id>/cancel", methods=["POST"])
def cancel(request_id: int) -> Any:
    done = requests.cancel(db.session, actor(), request_id)
    flash(_("Request cancelled."), "success")
    return redirect(url_for(".inbox", org_id=done.buyer_id))


@bp.route("/orgs/<int:org_id>/link-requests", methods=["POST"])
def ask_link(org_id: int) -> Any:
    """Ask a supplier again (or first) for consent to link its product; back to the inbox."""
    errors = submit(
        LinkRequestSchema(), lambda data: links.ask(db.session, actor(), org_id, data["product_id"])
    )
    if errors:
        flash(" ".join(m for msgs in errors.values() for m in msgs), "error")
    else:
        flash(_("Consent requested from the supplier."), "success")
    return redirect(url_for(".inbox", org_id=org_id))


def _link_acts(request_id: int, act: Any, done_message: str, side: str) -> Any:
    """Act on a link request, say so, back to the acting side's inbox."""
    done = act(db.session, actor(), request_id)
    flash(done_message, "success")
    return redirect(url_for(".inbox", org_id=getattr(done, side)))


@bp.route("/link-requests/<int:request_id>/accept", methods=["POST"])
def accept_link(request_id: int) -> Any:
    return _link_acts(request_id, workflow.accept_link, _("Link accepted."), "supplier_id")


@bp.route("/link-requests/<int:request_id>/decline", methods=["POST"])
def decline_link(request_id: int) -> Any:
    data = parse(LinkDeclineSchema(), request.form)
    return _link_acts(
        request_id,
        lambda s, a, r: links.decline(s, a, r, data["reason"]),
        _("Link declined."),
        "supplier_id",
    )


@bp.route("/link-requests/<int:request_id>/cancel", methods=["POST"])
def cancel_link(request_id: int) -> Any:
    return _link_acts(request_id, links.cancel, _("Link request cancelled."), "buyer_id")
