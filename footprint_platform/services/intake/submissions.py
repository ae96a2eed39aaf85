"""Submissions: drafts, validation, submit (immutable), new versions, history and diffs.

One module because a version's life (draft, save with its optimistic lock, submit, new version)
is one state machine whose checks must agree with each other."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from footprint_platform.errors import Conflict, InvalidInput, Problem, UploadRejected
from footprint_platform.models import (
    RATING_FIELDS,
    ElectricityInstrument,
    Evidence,
    ExternalFootprint,
    InputKind,
    Product,
    Site,
    Submission,
    SubmissionInput,
    SubmissionStatus,
    utcnow,
)
from footprint_platform.models.audit import AuditEvent
from footprint_platform.policy import Action, Actor, authorize
from footprint_platform.reference import load_reference
from footprint_platform.rules import rule_for_category, rule_version
from footprint_platform.sections import SECTIONS
from footprint_platform.services.catalogue import audit, catalog, records
from footprint_platform.services.catalogue.factors import factor_by_code, latest_release
from footprint_platform.services.graph import jobs
from footprint_platform.services.intake import completeness, instruments, loops
from footprint_platform.services.intake.activity import (
    CARBON_FIELDS,
    FIELDS,
    Checked,
    Context,
    check_ratings,
    check_rows,
    normalize_certificate_id,
    parse_number,
)
from footprint_platform.services.intake.fingerprint import HEADER_FIELDS, content_hash
from footprint_platform.services.relations import links

# How a stale save's 409 names the header fields changed since (the form's labels).
HEADER_LABELS = {
    "production_volume": _l("Production in the period (declared units)"),
    "dqr": _l("Overall data quality"),
    "dqr_technological": _l("Technological representativeness (1–5)"),
    "dqr_temporal": _l("Temporal representativeness (1–5)"),
    "dqr_geographical": _l("Geographical representativeness (1–5)"),
    "notes": _l("Notes for your verifier"),
    "carbon_fossil": _l("Fossil carbon content of the product (kg C per declared unit)"),
    "carbon_biogenic": _l("Biogenic carbon content of the product (kg C per declared unit)"),
}


def get_submission(session: Session, actor: Actor, submission_id: int) -> Submission:
    """A submission for a member of its organization; nobody else reads primary data."""
    missing = str(_l("No such submission."))
    return records.record_for(
        session, actor, Submission, submission_id, Action.VIEW_SUBMISSIONS, missing
    )


def read_submission(session: Session, actor: Actor, submission_id: int) -> Submission:
    """A submission shown or handed out (page, workbook, API): primary data, so every read is
    written to the audit log, with who, when and from where."""
    sub = get_submission(session, actor, submission_id)
    audit.record(
        session,
        actor,
        "submission.read",
        sub,
        organization_id=sub.organization_id,
        details={"product_id": sub.product_id, "version": sub.version},
    )
    session.commit()
    return sub


def _editable(
    session: Session, actor: Actor, submission_id: int, lock_version: int | None
) -> Submission:
    sub = get_submission(session, actor, submission_id)
    authorize(actor, Action.EDIT_SUBMISSIONS, sub.organization_id)
    if not sub.editable:
        raise Conflict(str(_l("A submitted version never changes; start a new version.")))
    if lock_version is not None and lock_version != sub.lock_version:
        raise stale_draft(session, sub.id, lock_version)
    return sub


def stale_draft(session: Session, submission_id: int, seen: int | None) -> Conflict:
    """The 409 of a save based on an older version: it names the versions saved since and
    what each changed (header fields, sections), from the audit log of the saves."""
    saves = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.action == "submission.save",
            AuditEvent.object_type == "Submission",
            AuditEvent.object_id == str(submission_id),
        )
        .order_by(AuditEvent.id)
    ).all()
    titles = {s.kind.value: str(s.title) for s in SECTIONS}
    changed: dict[str, None] = {}
    for event in saves:
        details = event.details or {}
        if seen is None or int(details.get("lock_version") or 0) > seen:
            for part in details.get("changed") or []:
                changed[titles.get(part) or str(HEADER_LABELS.get(part, part))] = None
    what = ", ".join(changed) or str(_l("its content"))
    msg = str(
        _l(
            "Someone saved this draft after you opened it (changed: %(what)s). Nothing of "
            "yours was saved; check the current version and apply your change again.",
            what=what,
        )
    )
    return Conflict(msg, {"lock_version": [msg]})


def _changed_parts(
    sub: Submission, header: dict[str, Any], rows: list[dict[str, Any]]
) -> list[str]:
    """What a save changes: header fields and sections (by kind) whose rows differ."""
    parts = [f for f in (*HEADER_FIELDS, *RATING_FIELDS) if header.get(f) != getattr(sub, f)]

    def by_kind(items: list[dict[str, Any]]) -> dict[str, list[tuple[Any, ...]]]:
        out: dict[str, list[tuple[Any, ...]]] = {}
        for r in items:
            kind = getattr(r["kind"], "value", r["kind"])
            out.setdefault(kind, []).append(tuple(r.get(f) for f in FIELDS if f != "kind"))
        return out

    before = by_kind([{**{f: getattr(i, f) for f in FIELDS}, "kind": i.kind} for i in sub.inputs])
    after = by_kind(rows)
    return parts + sorted(k for k in {*before, *after} if before.get(k) != after.get(k))


def _take_version(session: Session, sub: Submission, seen: int | None) -> None:
    """Move the draft's version now, before its rows change: the UPDATE ... WHERE
    lock_version = <as read> locks the submission row, so a concurrent save of the same
    version waits, then finds the version moved and is refused (a 409) instead of replacing
    rows under it. Rows live in their own table, so without this a save that changes only rows
    would never move the version."""
    flag_modified(sub, "channel")
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise stale_draft(session, sub.id, seen) from None


def start_draft(
    session: Session,
    actor: Actor,
    product_id: int,
    period_start: date,
    period_end: date,
    channel: str = "web",
) -> Submission:
    """A new draft version for a product and period, pre-filled from the latest version."""
    product = catalog.product_for(session, actor, product_id, Action.EDIT_SUBMISSIONS)
    if period_end < period_start:
        msg = str(_l("The period ends before it starts."))
        raise InvalidInput(msg, {"period_end": [msg]})
    same_period = (
        Submission.product_id == product_id,
        Submission.period_start == period_start,
        Submission.period_end == period_end,
    )
    if session.scalar(
        select(Submission.id).where(*same_period, Submission.status == SubmissionStatus.DRAFT)
    ):
        raise Conflict(str(_l("A draft for this product and period exists; continue it.")))
    previous = session.scalars(
        select(Submission).where(*same_period).order_by(Submission.version.desc()).limit(1)
    ).first()
    rule = rule_for_category(product.category)
    sub = Submission(
        organization_id=product.organization_id,
        product_id=product.id,
        period_start=period_start,
        period_end=period_end,
        version=(previous.version + 1) if previous else 1,
        status=SubmissionStatus.DRAFT,
        rule_code=rule.code,
        rule_version=rule.version,
        factor_release_id=latest_release(session).id,
        channel=channel,
        created_by_id=actor.user_id,
        supersedes_id=previous.id if previous else None,
    )
    # Start from this period's last version, else from the last submitted period: a supplier
    # updates last year's figures rather than typing them again.
    template = (
        previous
        or session.scalars(
            select(Submission)
            .where(
                Submission.product_id == product_id, Submission.status == SubmissionStatus.SUBMITTED
            )
            .order_by(Submission.period_end.desc(), Submission.version.desc())
            .limit(1)
        ).first()
    )
    if template is not None:
        for f in (*HEADER_FIELDS, *RATING_FIELDS):
            setattr(sub, f, getattr(template, f))
        another_period = (template.period_start, template.period_end) != (period_start, period_end)
        sub.inputs = [SubmissionInput(**_copied(i, another_period)) for i in template.inputs]
    session.add(sub)
    try:
        session.flush()
    except IntegrityError:  # another request made this version in the same moment
        session.rollback()
        raise Conflict(
            str(_l("A draft for this product and period exists; continue it."))
        ) from None
    audit.record(
        session,
        actor,
        "submission.draft",
        sub,
        organization_id=sub.organization_id,
        details={
            "product_id": product.id,
            "version": sub.version,
            "period": f"{period_start}/{period_end}",
        },
    )
    session.commit()
    return sub


# What a row under a certificate or contract becomes in another period's draft: its claim
# belonged to the earlier period, so the kWh are grid electricity until this period's record
# is named (conservative: a claim is never carried forward).
_UNCLAIMED = {
    "instrument": "grid",
    "certificate_id": None,
    "factor_code": None,
    "td_factor_code": None,
    "evidence_id": None,
}


def _copied(row: SubmissionInput, another_period: bool) -> dict[str, Any]:
    """A row of the template as a row of the new draft."""
    values = {f: getattr(row, f) for f in (*FIELDS, "position")}
    if another_period and row.certificate_id:
        values.update(_UNCLAIMED)
    return values


def context_for(
    session: Session,
    sub: Submission,
    rows: list[dict[str, Any]],
    section_names: dict[str, str] | None = None,
) -> Context:
    """What the rows of this submission are checked against (only the linked products the
    rows name are loaded)."""
    product = sub.product
    site = session.get(Site, product.site_id)
    evidence = set(
        session.scalars(select(Evidence.id).where(Evidence.organization_id == sub.organization_id))
    )
    wanted = {
        int(r["linked_product_id"]) for r in rows if str(r.get("linked_product_id") or "").isdigit()
    }
    linkable = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(wanted)))}
    named = {
        int(r["external_footprint_id"])
        for r in rows
        if str(r.get("external_footprint_id") or "").isdigit()
    }
    externals = {
        e.id: e
        for e in session.scalars(
            select(ExternalFootprint).where(
                ExternalFootprint.id.in_(named),
                ExternalFootprint.organization_id == sub.organization_id,
            )
        )
    }
    named_certificates = {
        normalize_certificate_id(r.get("certificate_id"))
        for r in rows
        if r.get("certificate_id") not in (None, "")
    }
    instruments = {
        i.certificate_id: i
        for i in session.scalars(
            select(ElectricityInstrument).where(
                ElectricityInstrument.certificate_id.in_(named_certificates)
            )
        )
    }
    return Context(
        product=product,
        rule=rule_version(sub.rule_code, sub.rule_version),
        factors=factor_by_code(session, sub.factor_release_id),
        linkable=linkable,
        evidence_ids=evidence,
        site_grid_region=site.grid_region if site else "",
        generic_factor_prefix=load_reference().categories[product.category].generic_factor,
        section_names=section_names or {},
        externals=externals,
        period=(sub.period_start, sub.period_end),
        site_country=site.country if site else "",
        instruments=instruments,
    )


def save_draft(
    session: Session,
    actor: Actor,
    submission_id: int,
    header: dict[str, Any],
    rows: list[dict[str, Any]],
    lock_version: int | None = None,
    section_names: dict[str, str] | None = None,
    channel: str | None = None,
) -> Checked:
    """Replace the draft's header and rows, all or nothing; returns the warnings."""
    sub = _editable(session, actor, submission_id, lock_version)
    checked = check_rows(rows, context_for(session, sub, rows, section_names), for_submit=False)
    header = dict(header)
    header["exclusions"], header_problems = completeness.check_exclusions(header.get("exclusions"))
    reason = str(header.get("mass_balance_reason") or "").strip()[:2000]
    header["mass_balance_reason"] = reason or None
    header_problems = _check_header(header) + header_problems
    if checked.problems or header_problems:
        session.rollback()
        raise UploadRejected(
            str(_l("Nothing was saved; correct these rows.")), header_problems + checked.problems
        )
    changed = _changed_parts(sub, header, checked.rows)
    seen = sub.lock_version if lock_version is None else lock_version
    for f in (*HEADER_FIELDS, *RATING_FIELDS):
        setattr(sub, f, header.get(f))
    if channel:
        sub.channel = channel
    _take_version(session, sub, seen)
    sub.inputs = [SubmissionInput(position=k, **row) for k, row in enumerate(checked.rows)]
    session.flush()
    loops.refuse_bad_loops(session, sub, section_names)  # rolls back and raises
    audit.record(
        session,
        actor,
        "submission.save",
        sub,
        organization_id=sub.organization_id,
        details={
            "rows": len(checked.rows),
            "channel": channel or sub.channel,
            "lock_version": sub.lock_version,
            "changed": changed,
        },
    )
    links.ask_for_submission(session, actor, sub)  # consent for other makers' products
    session.commit()
    return checked


def _check_header(header: dict[str, Any]) -> list[Problem]:
    """Checks the header and writes its derived ratings into it: the three defaults for the
    rows (PACT dqi) and the single `dqr`, their mean (`activity.check_ratings`)."""
    problems: list[Problem] = []

    def bad(column: str, reason: Any) -> None:
        value = header.get(column)
        problems.append(
            Problem("—", None, column, None if value is None else str(value), str(reason))
        )

    header.update(check_ratings(header, bad))
    for column in CARBON_FIELDS:  # the product's own carbon content, kg C per declared unit
        raw = header.get(column)
        value = parse_number(raw)
        if raw not in (None, "") and (value is None or value < 0):
            bad(column, _l("Enter the carbon content in kg C per unit (0 or more)."))
        header[column] = value
    volume = header.get("production_volume")
    if volume is not None and Decimal(volume) <= 0:
        problems.append(
            Problem(
                "—", None, "production_volume", str(volume), str(_l("Enter a positive number."))
            )
        )
    return problems


def submit_check(
    session: Session, sub: Submission, section_names: dict[str, str] | None = None
) -> tuple[Context, Checked, list[Problem]]:
    """Everything that stops a version from being submitted, short of claiming its certificates
    (which locks them, so it happens only in `submit`'s transaction). The review page and
    `submit` both ask here, so a draft the review calls ready is one that submit accepts."""
    overall = section_names is not None and len(set(section_names.values())) == 1
    rows = [
        {
            **{f: getattr(i, f) for f in FIELDS},
            "kind": i.kind.value,
            **({"_row": n} if overall else {}),
        }
        for n, i in enumerate(sub.inputs, start=1)
    ]
    ctx = context_for(session, sub, rows, section_names)
    checked = check_rows(rows, ctx, for_submit=True)
    problems = list(checked.problems)
    if not problems:
        problems += completeness.submit_problems(sub, checked.rows, ctx)
    if sub.dqr is None:
        problems.append(
            Problem(
                "—",
                None,
                "dqr",
                None,
                str(_l("Give an overall data-quality rating before submitting.")),
            )
        )
    if not sub.inputs:
        problems.append(Problem("—", None, None, None, str(_l("Enter at least one input."))))
    return ctx, checked, problems


def submit(
    session: Session,
    actor: Actor,
    submission_id: int,
    lock_version: int | None = None,
    section_names: dict[str, str] | None = None,
) -> Submission:
    """Make the draft immutable; the previous submitted version of the period is superseded.
    With `section_names` mapping every kind to one name, rows are numbered in overall order
    (the API's inputs[n]); otherwise per section, as the form shows them."""
    sub = _editable(session, actor, submission_id, lock_version)
    ctx, checked, problems = submit_check(session, sub, section_names)
    if not problems:  # certificates are claimed (locked, volume checked) in this transaction
        section = ctx.section_names.get(InputKind.ELECTRICITY.value, InputKind.ELECTRICITY.value)
        problems += instruments.claim(session, sub, checked.rows, section)
    if problems:
        session.rollback()
        raise UploadRejected(str(_l("Not submitted; correct these rows.")), problems)
    _adopt_electricity(sub, checked.rows)
    loops.refuse_bad_loops(
        session,
        sub,
        section_names,
        str(_l("Not submitted; this link would make the footprint impossible to compute.")),
    )
    previous = session.scalars(
        select(Submission).where(
            Submission.product_id == sub.product_id,
            Submission.period_start == sub.period_start,
            Submission.period_end == sub.period_end,
            Submission.status == SubmissionStatus.SUBMITTED,
        )
    ).all()
    for old in previous:
        old.status = SubmissionStatus.SUPERSEDED
    sub.status = SubmissionStatus.SUBMITTED
    sub.submitted_at = utcnow()
    sub.submitted_by_id = actor.user_id
    sub.content_hash = content_hash(sub)
    audit.record(
        session,
        actor,
        "submission.submit",
        sub,
        organization_id=sub.organization_id,
        details={
            "version": sub.version,
            "content_hash": sub.content_hash,
            "supersedes": [o.id for o in previous],
        },
    )
    links.ask_for_submission(session, actor, sub)  # consent for other makers' products
    # The period's footprints follow. The request commits with the submission (an outbox):
    # whatever dies after this commit, the job row is there for the next dispatcher.
    jobs.request(
        session,
        sub.period_start,
        sub.period_end,
        f"{sub.product.part_number} v{sub.version}",
        sub.product_id,
    )
    session.commit()  # the workflow hands the job on (services/workflow.py `submit`)
    return sub


def _adopt_electricity(sub: Submission, rows: list[dict[str, Any]]) -> None:
    """The submitted electricity rows carry what the rule chose at submission: a row copied
    from another period (never saved since) names last year's grid factor, or none where a
    certificate was not carried forward."""
    for item, row in zip(sub.inputs, rows, strict=True):
        if item.kind is InputKind.ELECTRICITY:
            for f in ("factor_code", "td_factor_code", "certificate_id"):
                setattr(item, f, row.get(f))


def submissions_query(organization_id: int) -> Any:
    return (
        select(Submission)
        .where(Submission.organization_id == organization_id)
        .order_by(Submission.period_end.desc(), Submission.product_id, Submission.version.desc())
    )


def submitted_query(organization_id: int) -> Any:
    """The organization's current (submitted, not superseded) versions."""
    return select(Submission).where(
        Submission.organization_id == organization_id,
        Submission.status == SubmissionStatus.SUBMITTED,
    )
