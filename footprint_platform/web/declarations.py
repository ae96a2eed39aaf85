"""An organization's declarations: make one from the latest result, see it pinned."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from footprint_platform.battery import declared_per_kwh
from footprint_platform.classes import pinned_class
from footprint_platform.errors import InvalidInput, NotFound
from footprint_platform.extensions import db
from footprint_platform.models import STANDARDS, Declaration, OrgRole
from footprint_platform.policy import Action, allowed
from footprint_platform.rules import load_rules
from footprint_platform.schemas import DeclareFormSchema
from footprint_platform.services.catalogue import catalog
from footprint_platform.services.disclosure import (
    batterypass,
    declarations,
    jurisdictions,
    obligations,
    publication,
)
from footprint_platform.services.graph import uncertainty
from footprint_platform.services.pact import delivery as pact_delivery
from footprint_platform.web_common import downloads
from footprint_platform.web_common.context import actor, organization_for, submit

bp = Blueprint("declarations", __name__)


@bp.before_request
@login_required
def _signed_in() -> None:
    """These pages are for signed-in users; the public reads published declarations at /d/."""


@bp.route("/orgs/<int:org_id>/declarations", methods=["GET", "POST"])
def index(org_id: int) -> Any:
    org = organization_for(org_id, Action.VIEW_PRODUCTS)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        organization_for(org_id, Action.EDIT_SUBMISSIONS)
        made: list[Declaration] = []
        errors = submit(
            DeclareFormSchema(),
            lambda data: made.append(
                declarations.declare(
                    db.session,
                    actor(),
                    data["product_id"],
                    data["period_start"],
                    data["period_end"],
                    data["reason"],
                    data["rule_code"],
                )
            ),
        )
        if made:
            flash(_("Declaration %(v)s made and pinned.", v=made[0].version), "success")
            return redirect(url_for(".show", declaration_id=made[0].id))
    rows = db.session.scalars(
        select(Declaration)
        .where(Declaration.organization_id == org_id)
        .order_by(Declaration.id.desc())
    ).all()
    products = db.session.scalars(catalog.products_query(org_id)).all()
    return render_template(
        "declarations/index.html",
        org=org,
        declarations=rows,
        products=products,
        errors=errors,
        form=request.form,
        can_declare=allowed(actor(), Action.EDIT_SUBMISSIONS, org_id),
        obligations=obligations.declaration_obligations(db.session, actor(), org_id),
        jurisdiction_rules=[r for r in load_rules().values() if r.jurisdiction],
    ), (422 if errors else 200)


@bp.route("/declarations/<int:declaration_id>")
def show(declaration_id: int) -> Any:
    d = publication.declaration_for(db.session, actor(), declaration_id, Action.VIEW_PRODUCTS)
    rule = load_rules()[d.rule_code]
    grade = pinned_class(
        d.product.category, d.performance_class, d.class_scale_version, d.product.chemistry
    )
    verifiers = db.session.scalars(catalog.organizations_query(role=OrgRole.VERIFIER)).all()
    return render_template(
        "declarations/show.html",
        d=d,
        rule=rule,
        grade=grade,
        kwh=declared_per_kwh(d),
        verifiers=verifiers,
        org=catalog.get_organization(db.session, d.organization_id),
        verification=publication.latest_verification(db.session, d.id),
        can_edit=allowed(actor(), Action.EDIT_SUBMISSIONS, d.organization_id),
        breakdown=declarations.breakdown(db.session, d),
        change_reason=declarations.change_reason_for(db.session, d, d.organization_id),
        battery=batterypass.is_battery(d),
        battery_pass_ready=batterypass.lifetime_for(d) is not None,
        interval_method=uncertainty.method_label(),
        side_by_side=jurisdictions.jurisdiction_rules(d.product.category) is not None,
        # versions are numbered per product and period across rules: the one it replaces
        preceding_version=db.session.scalar(
            select(Declaration.version).where(Declaration.id == d.preceding_id)
        )
        if d.preceding_id
        else None,
    )


@bp.route("/declarations/<int:declaration_id>/jurisdictions")
def side_by_side(declaration_id: int) -> Any:
    """The declaration's product and period under China's rule and the EU's, from the
    declaration's own pins, each difference with the clauses causing it; the declarations
    already made under each, and (for editors) the form to make the missing one."""
    d = publication.declaration_for(db.session, actor(), declaration_id, Action.VIEW_PRODUCTS)
    comparison = jurisdictions.compare_declaration(db.session, d)
    return render_template(
        "declarations/jurisdictions.html",
        d=d,
        c=comparison,
        current=jurisdictions.counterparts(db.session, d),
        org=catalog.get_organization(db.session, d.organization_id),
        can_declare=allowed(actor(), Action.EDIT_SUBMISSIONS, d.organization_id),
    )


@bp.route("/declarations/<int:declaration_id>/export/<fmt>")
def export(declaration_id: int, fmt: str) -> Any:
    """A declaration's downloads for its owner and its verifier, drafts included."""
    if fmt not in downloads.FORMATS:
        raise NotFound(_("No such format."))
    d = publication.readable_declaration(db.session, actor(), declaration_id)
    return downloads.download(d, fmt)


@bp.route("/declarations/<int:declaration_id>/export/<fmt>.jws")
def export_signature(declaration_id: int, fmt: str) -> Any:
    """The detached signature of an export, drafts included: its header says the status."""
    if fmt not in downloads.FORMATS:
        raise NotFound(_("No such format."))
    d = publication.readable_declaration(db.session, actor(), declaration_id)
    return downloads.signature(d, fmt)


@bp.route("/declarations/<int:declaration_id>/verification", methods=["POST"])
def ask_verification(declaration_id: int) -> Any:
    try:
        verifier_id = int(request.form.get("verifier_id") or 0)
        publication.request_verification(db.session, actor(), declaration_id, verifier_id)
    except InvalidInput as exc:
        flash(" ".join(m for msgs in exc.errors.values() for m in msgs), "error")
    else:
        flash(_("Sent for verification."), "success")
    return redirect(url_for(".show", declaration_id=declaration_id))


@bp.route("/declarations/<int:declaration_id>/publish", methods=["POST"])
def publish(declaration_id: int) -> Any:
    pact_delivery.publish_and_announce(db.session, actor(), declaration_id)
    flash(_("Published."), "success")
    return redirect(url_for(".show", declaration_id=declaration_id))


@bp.route("/declarations/<int:declaration_id>/withdraw", methods=["POST"])
def withdraw(declaration_id: int) -> Any:
    publication.withdraw(db.session, actor(), declaration_id)
    flash(_("Withdrawn. It stays in the public record, marked as withdrawn."), "success")
    return redirect(url_for(".show", declaration_id=declaration_id))


@bp.route("/orgs/<int:org_id>/verifications")
def assignments(org_id: int) -> Any:
    org = organization_for(org_id, Action.VIEW_VERIFICATIONS)
    rows = db.session.scalars(publication.assignments_query(org_id)).all()
    return render_template("declarations/assignments.html", org=org, assignments=rows)


def _statement() -> publication.Statement:
    return publication.Statement(
        **{name: request.form.get(name, "") for name in publication.STATEMENT_FIELDS}
    )


def _checks() -> dict[int, tuple[bool, str]]:
    """The checklist as posted: `checked` ids and a `note-<submission id>` per pinned input."""
    checked = {int(i) for i in request.form.getlist("checked") if i.isdigit()}
    notes = {
        int(k.removeprefix("note-")): v
        for k, v in request.form.items()
        if k.startswith("note-") and k.removeprefix("note-").isdigit()
    }
    return {sid: (sid in checked, notes.get(sid, "")) for sid in checked | notes.keys()}


@bp.route("/verifications/<int:verification_id>", methods=["GET", "POST"])
def verification(verification_id: int) -> Any:
    """The verifier's workspace: the summary and the verdict first, the pinned inputs folded
    below. A verdict is shown back for confirmation before it is recorded."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and request.form.get("action") == "checklist":
        publication.save_checklist(db.session, actor(), verification_id, _checks())
        flash(_("Checklist saved."), "success")
        return redirect(url_for(".verification", verification_id=verification_id))
    if request.method == "POST" and request.form.get("action") != "edit":
        args = (
            db.session,
            actor(),
            verification_id,
            request.form.get("verdict", ""),
            request.form.get("findings", ""),
            [int(i) for i in request.form.getlist("accepted") if i.isdigit()],
            _statement(),
        )
        try:
            if request.form.get("confirmed") != "yes":
                v = publication.check_decision(*args)
                return render_template(
                    "declarations/verification_confirm.html",
                    v=v,
                    d=v.declaration,
                    form=request.form,
                    statement_fields=publication.STATEMENT_FIELDS,
                    standards=STANDARDS,
                )
            publication.decide(*args)
        except InvalidInput as exc:
            errors = exc.errors
        else:
            flash(_("Decision recorded."), "success")
            return redirect(url_for(".verification", verification_id=verification_id))
    work = publication.open_assignment(db.session, actor(), verification_id)
    d = work.declaration
    return render_template(
        "declarations/verification.html",
        work=work,
        d=d,
        rule=load_rules()[d.rule_code],
        errors=errors,
        form=request.form,
        reasons=publication.stated_reasons(db.session, d),
        checklist=work.verification.checklist or {},
        standards=STANDARDS,
        battery=batterypass.is_battery(d),
        battery_pass_ready=batterypass.lifetime_for(d) is not None,
    ), 422 if errors else 200


@bp.route("/verifications/<int:verification_id>/evidence/<int:evidence_id>")
def verification_evidence(verification_id: int, evidence_id: int) -> Any:
    item = publication.assignment_evidence(db.session, actor(), verification_id, evidence_id)
    return downloads.evidence_file(item)
