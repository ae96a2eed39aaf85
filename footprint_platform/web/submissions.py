"""Supplier data entry: the submission list, the multi-step form, submit, history, evidence.

One module because a step is read from the posted form one way (`_rows_from_form`,
`_header_from_form`) for the form's Save, its autosave and the page shown after a refusal,
and these must agree on what was typed."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from footprint_platform.display_labels import problem_text
from footprint_platform.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    UploadRejected,
)
from footprint_platform.extensions import db, limiter
from footprint_platform.models import RATING_FIELDS, Evidence, InputKind, Submission
from footprint_platform.policy import Action
from footprint_platform.rate_limits import upload_limit, uploader_key
from footprint_platform.schemas import ProductPeriodSchema
from footprint_platform.sections import (
    BASIS_LABELS,
    BY_KIND,
    INSTRUMENT_LABELS,
    PROVENANCE_LABELS,
    SECTIONS,
    STEPS,
    section_names,
)
from footprint_platform.services import workflow
from footprint_platform.services.catalogue import catalog
from footprint_platform.services.catalogue.factors import factor_by_code
from footprint_platform.services.graph import jobs
from footprint_platform.services.intake import (
    completeness,
    evidence,
    submissions,
    workbook,
    xlsx_package,
)
from footprint_platform.services.intake import history as versions_of
from footprint_platform.services.intake.activity import (
    CARBON_FIELDS,
    FACTOR_CATEGORIES,
    FIELDS,
    parse_number,
)
from footprint_platform.services.pact import consume as pact_consume
from footprint_platform.services.relations import links
from footprint_platform.web_common import downloads
from footprint_platform.web_common.context import actor, organization_for, safe_next
from footprint_platform.web_common.context import submit as submit_form

bp = Blueprint("submissions", __name__)
STEP_CODES = [s[0] for s in STEPS]
STEP_KINDS = {code: kinds for code, _title, kinds in STEPS}  # the row kinds each step edits
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BLANK_ROWS = 2


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every page here needs a signed-in person; the policy decides the rest."""


@bp.route("/orgs/<int:org_id>/submissions", methods=["GET", "POST"])
def index(org_id: int) -> Any:
    org = organization_for(org_id, Action.VIEW_SUBMISSIONS)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        organization_for(org_id, Action.EDIT_SUBMISSIONS)
        started: list[Submission] = []
        errors = submit_form(
            ProductPeriodSchema(),
            lambda data: started.append(
                submissions.start_draft(
                    db.session,
                    actor(),
                    data["product_id"],
                    data["period_start"],
                    data["period_end"],
                )
            ),
        )
        if started:
            return redirect(url_for(".edit", submission_id=started[0].id, step="general"))
    rows = db.session.scalars(submissions.submissions_query(org_id)).all()
    products = db.session.scalars(catalog.products_query(org_id)).all()
    return render_template(
        "submissions/index.html",
        org=org,
        submissions=rows,
        products=products,
        errors=errors,
        form=request.form,
        this_year=date.today().year,
    ), 422 if errors else 200


def _rows_from_form(kinds: tuple[InputKind, ...]) -> list[dict[str, Any]]:
    """The rows a step posted, skipping blank ones; `_row` keeps the number shown on screen."""
    rows = []
    for kind in kinds:
        count = int(request.form.get(f"{kind.value}-count", "0") or 0)
        for i in range(min(count, 500)):
            row = {
                c.name: request.form.get(f"{kind.value}-{i}-{c.name}", "").strip()
                for c in BY_KIND[kind].columns
            }
            if any(
                row.get(f)
                for f in (
                    "quantity",
                    "unit",
                    "factor_code",
                    "linked_product_id",
                    "external_footprint_id",
                    "description",
                )
            ):
                rows.append({"kind": kind.value, "_row": i + 1, **row})
    return rows


def _stored_rows(sub: Submission, except_kinds: tuple[InputKind, ...]) -> list[dict[str, Any]]:
    rows = []
    for i in sub.inputs:
        if i.kind not in except_kinds:
            row = {f: getattr(i, f) for f in FIELDS}
            row["kind"] = i.kind.value
            rows.append(row)
    return rows


def _general_step_posted() -> bool:
    """The general step was posted (its ratings, or the single rating of earlier forms)."""
    return "dqr_technological" in request.form or "dqr" in request.form


def _header_from_form(sub: Submission) -> dict[str, Any]:
    header = {f: getattr(sub, f) for f in (*submissions.HEADER_FIELDS, *RATING_FIELDS)}
    if _general_step_posted():
        header["dqr"] = parse_number(request.form.get("dqr"))
        for f in RATING_FIELDS:  # the three win over a single rating; none: the single one
            header[f] = request.form.get(f, "").strip() or None
        header["production_volume"] = parse_number(request.form.get("production_volume"))
        header["notes"] = (request.form.get("notes") or "").strip()[:2000] or None
        header["mass_balance_reason"] = request.form.get("mass_balance_reason")
        for f in CARBON_FIELDS:  # checked with the header (services/intake/submissions.py)
            header[f] = request.form.get(f, "").strip() or None
        header["exclusions"] = completeness.exclusions_from_text(request.form.get("exclusions"))
    return header


@bp.route("/submissions/<int:submission_id>/<step>", methods=["GET", "POST"])
def edit(submission_id: int, step: str) -> Any:
    if step not in STEP_CODES:
        abort(404)
    read = submissions.read_submission if request.method == "GET" else submissions.get_submission
    sub = read(db.session, actor(), submission_id)
    kinds = STEP_KINDS[step]
    problems, warnings = [], []
    conflict = None
    if request.method == "POST" and sub.editable:
        organization_for(sub.organization_id, Action.EDIT_SUBMISSIONS)
        try:
            checked = _save_step(sub, kinds)
        except UploadRejected as exc:
            problems = exc.problems
        except Conflict as exc:  # someone saved first: show theirs, keep what this one typed
            conflict = exc.message
        else:
            warnings = checked.warnings
            flash(_("Saved."), "success")
            if not warnings:
                following = STEP_CODES[min(STEP_CODES.index(step) + 1, len(STEP_CODES) - 1)]
                return redirect(url_for(".edit", submission_id=sub.id, step=following))
    return _render_step(sub, step, kinds, problems, warnings, conflict)


def _save_step(sub: Submission, kinds: tuple[InputKind, ...]) -> Any:
    """The posted step saved to the draft, as the form's Save and autosave both do: this
    step's rows as typed, the others as stored, under the version the page was opened with."""
    return submissions.save_draft(
        db.session,
        actor(),
        sub.id,
        _header_from_form(sub),
        _stored_rows(sub, kinds) + _rows_from_form(kinds),
        int(request.form.get("lock_version") or 0) or None,
        section_names(),
    )


@bp.route("/submissions/<int:submission_id>/<step>/autosave", methods=["POST"])
def autosave(submission_id: int, step: str) -> Any:
    """The form's step saved while the person types (static/js/unsaved.js), as JSON: the
    same save as the form's button, so the same checks refuse the same values (nothing is
    saved then, the page keeps what was typed) and a save made elsewhere since the page's
    version is a 409, never overwritten. Errors answer as JSON too, for the script to show."""
    if step not in STEP_CODES or step == "review":
        abort(404)
    try:
        sub = submissions.get_submission(db.session, actor(), submission_id)
        organization_for(sub.organization_id, Action.EDIT_SUBMISSIONS)
        checked = _save_step(sub, STEP_KINDS[step])
    except UploadRejected as exc:
        body = {"code": exc.code, "message": exc.message, "problems": _problems_json(exc)}
        return jsonify(body), 422
    except DomainError as exc:
        reload = url_for(".edit", submission_id=submission_id, step=step)
        body = {"code": exc.code, "message": exc.message}
        return jsonify({**body, "reload": reload} if exc.status == 409 else body), exc.status
    return jsonify(
        {
            "saved": True,
            "lock_version": sub.lock_version,
            "warnings": [problem_text(w) for w in checked.warnings],
        }
    )


def _problems_json(exc: UploadRejected) -> list[dict[str, Any]]:
    """Each refused value with the form field it belongs to (its input's id), so the page can
    mark it: rows as `<kind>-<row - 1>-<column>`, the general step's fields by their name."""
    kinds = {title: code for code, title in section_names().items()}
    out = []
    for p in exc.problems:
        kind = kinds.get(p.sheet)
        if kind and p.row and p.column:
            field = f"{kind}-{p.row - 1}-{p.column}"
        else:
            field = p.column if p.sheet == "—" else None
        out.append({"field": field, "message": problem_text(p)})
    return out


def _render_step(
    sub: Submission,
    step: str,
    kinds: tuple[InputKind, ...],
    problems: list[Any],
    warnings: list[Any],
    conflict: str | None = None,
) -> Any:
    """A step of the form; after refused input (problems, or a conflict with a save made in
    the meantime) it shows what the person typed, not what is stored."""
    factors = factor_by_code(db.session, sub.factor_release_id)
    posted = request.method == "POST" and (bool(problems) or conflict is not None)
    shown = {
        k: (
            _rows_from_form((k,))
            if posted
            else [r for r in _stored_rows(sub, ()) if r["kind"] == k.value]
        )
        for k in kinds
    }
    cell_errors = {(p.sheet, p.row, p.column): p.reason for p in problems}
    evidence_files = db.session.scalars(
        select(Evidence)
        .where(Evidence.organization_id == sub.organization_id)
        .order_by(Evidence.id.desc())
    ).all()
    linkable = db.session.scalars(catalog.input_products_query(sub.product_id)).all()
    externals = db.session.scalars(pact_consume.imports_query(sub.organization_id)).all()
    review = versions_of.review(db.session, actor(), sub.id) if step == "review" else None
    job = jobs.latest_job(db.session, sub.period_start, sub.period_end)
    return render_template(
        "submissions/edit.html",
        exclusions_text=completeness.exclusions_as_text,
        sub=sub,
        step=step,
        steps=STEPS,
        sections=SECTIONS,
        kinds=kinds,
        shown=shown,
        blank_rows=0 if posted else BLANK_ROWS,
        factors=factors,
        factor_categories=FACTOR_CATEGORIES,
        problems=problems,
        warnings=warnings,
        cell_errors=cell_errors,
        evidence_files=evidence_files,
        linkable=linkable,
        externals=externals,
        instruments=INSTRUMENT_LABELS,
        bases=BASIS_LABELS,
        review=review,
        job=job,
        versions=versions_of.versions(db.session, actor(), sub.id),
        links=links.states_for(db.session, sub),
        conflict=conflict,
        # the form shows what was typed and refused: not stored, so leaving it asks first
        typed_not_stored=posted and request.endpoint == "submissions.edit",
        header=_header_shown(sub, posted and _general_step_posted()),
        provenances=PROVENANCE_LABELS,
        rating_labels={f: submissions.HEADER_LABELS[f] for f in RATING_FIELDS},
    ), 409 if conflict else 422 if problems else 200


def _header_shown(sub: Submission, typed: bool) -> dict[str, Any]:
    """The general step's fields: as typed after a refused save, else as stored."""
    fields = (*submissions.HEADER_FIELDS, *RATING_FIELDS)
    if typed:
        return {f: request.form.get(f, "") for f in fields}
    return {f: "" if getattr(sub, f) is None else getattr(sub, f) for f in fields}


@bp.route("/submissions/<int:submission_id>/template.xlsx")
def template(submission_id: int) -> Any:
    sub = submissions.read_submission(db.session, actor(), submission_id)
    data = workbook.build_template(db.session, sub)
    name = f"tanlian-{sub.product.part_number}-{sub.period_start:%Y}-v{sub.version}.xlsx"
    return Response(
        data, mimetype=XLSX, headers={"Content-Disposition": f"attachment; filename={name}"}
    )


@bp.route("/submissions/<int:submission_id>/upload", methods=["POST"])
@limiter.limit(upload_limit, key_func=uploader_key)
def upload(submission_id: int) -> Any:
    """An Excel upload replaces the draft's content, all or nothing."""
    sub = submissions.get_submission(db.session, actor(), submission_id)
    organization_for(sub.organization_id, Action.EDIT_SUBMISSIONS)
    upload = request.files.get("file")
    data = upload.stream.read(xlsx_package.MAX_UPLOAD_BYTES + 1) if upload else b""
    try:
        header, rows = workbook.read_upload(db.session, sub, data)
        names = {s.code: workbook.sheet_title(s) for s in SECTIONS}
        checked = submissions.save_draft(
            db.session, actor(), sub.id, header, rows, None, names, channel="excel"
        )
    except UploadRejected as exc:
        return _render_step(sub, "general", (), exc.problems, [])
    except Conflict as exc:
        return _render_step(sub, "general", (), [], [], exc.message)
    flash(_("Workbook imported: %(n)d rows.", n=len(rows)), "success")
    if checked.warnings:
        return _render_step(sub, "review", (), [], checked.warnings)
    return redirect(url_for(".edit", submission_id=sub.id, step="review"))


@bp.route("/submissions/<int:submission_id>/submit", methods=["POST"])
def submit(submission_id: int) -> Any:
    sub = submissions.get_submission(db.session, actor(), submission_id)
    try:
        workflow.submit(
            db.session, actor(), sub.id, int(request.form.get("lock_version") or 0) or None
        )
    except UploadRejected as exc:
        return _render_step(sub, "review", (), exc.problems, [])
    flash(_("Submitted. This version is now fixed; a correction is a new version."), "success")
    return redirect(url_for(".edit", submission_id=sub.id, step="review"))


@bp.route("/submissions/<int:submission_id>/history")
def history(submission_id: int) -> Any:
    sub = submissions.read_submission(db.session, actor(), submission_id)
    versions = versions_of.versions(db.session, actor(), sub.id)
    diffs = {
        v.id: versions_of.diff(db.session, actor(), prev.id, v.id)
        for prev, v in itertools.pairwise(versions)
    }
    return render_template("submissions/history.html", sub=sub, versions=versions, diffs=diffs)


@bp.route("/orgs/<int:org_id>/evidence", methods=["POST"])
@limiter.limit(upload_limit, key_func=uploader_key)
def upload_evidence(org_id: int) -> Any:
    organization_for(org_id, Action.EDIT_SUBMISSIONS)
    upload = request.files.get("file")
    try:
        if upload is None:
            raise InvalidInput(_("Choose a file."), {"file": [_("Choose a file.")]})
        data = upload.stream.read(evidence.MAX_EVIDENCE_BYTES + 1)
        evidence.add_evidence(
            db.session,
            actor(),
            org_id,
            upload.filename or "",
            data,
            request.form.get("description"),
        )
    except InvalidInput as exc:
        flash(exc.errors.get("file", [exc.message])[0], "error")
    else:
        flash(_("Evidence stored."), "success")
    return redirect(safe_next(request.form.get("next"), url_for(".index", org_id=org_id)))


@bp.route("/evidence/<int:evidence_id>")
def download_evidence(evidence_id: int) -> Any:
    item = evidence.get_evidence(db.session, actor(), evidence_id)
    return downloads.evidence_file(item)
