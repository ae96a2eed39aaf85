"""Verification and publication of declarations.

A verifier sees only what it was asked to verify, and every such read is logged. Publication
needs a verified declaration unless the rule allows self-declaration (then it shows as such).
Withdrawing keeps the declaration in the record, marked withdrawn.

One module because verification and publication are one state machine (draft, with the
verifier, verified or rejected, published, withdrawn); its transitions and their checks read
best in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from footprint_platform.errors import Conflict, InvalidInput, NotFound
from footprint_platform.models import (
    STANDARDS,
    Assurance,
    Declaration,
    DeclarationStatus,
    Evidence,
    Organization,
    OrgRole,
    Submission,
    SubmissionInput,
    Verification,
    VerificationStatus,
    utcnow,
)
from footprint_platform.policy import Action, Actor, allowed, refuse
from footprint_platform.rules import load_rules
from footprint_platform.services.catalogue import audit, records
from footprint_platform.services.notify import notifications, webhooks

UNVERIFIED = "unverified"


def _missing_declaration() -> NotFound:
    return NotFound(str(_l("No such declaration.")))


def _declaration(session: Session, declaration_id: int) -> Declaration:
    d = session.get(Declaration, declaration_id)
    if d is None:
        raise _missing_declaration()
    return d


def _asked(session: Session, declaration_id: int) -> list[int]:
    """The verifiers asked to verify the declaration: parties to it, beside its owner."""
    return list(
        session.scalars(
            select(Verification.verifier_id).where(Verification.declaration_id == declaration_id)
        )
    )


def declaration_for(
    session: Session, actor: Actor | None, declaration_id: int, action: Action
) -> Declaration:
    """A declaration whose owner lets the actor do `action`: 403 to its other parties, and to
    anyone else the answer an unknown id gets."""
    d = _declaration(session, declaration_id)
    if not allowed(actor, action, d.organization_id):
        parties = [d.organization_id, *_asked(session, d.id)]
        refuse(actor, action, _missing_declaration(), parties)
    return d


def _verification(
    session: Session, actor: Actor, verification_id: int, action: Action
) -> Verification:
    """A verification for the verifier asked (`action`): 403 to the declaration's owner, the
    answer an unknown id gets to anyone else."""
    return records.record_for(
        session,
        actor,
        Verification,
        verification_id,
        action,
        str(_l("No such verification.")),
        owner=lambda v: v.verifier_id,
        parties=lambda v: [v.declaration.organization_id],
    )


def latest_verification(session: Session, declaration_id: int) -> Verification | None:
    return session.scalars(
        select(Verification)
        .where(Verification.declaration_id == declaration_id)
        .order_by(Verification.id.desc())
        .limit(1)
    ).first()


def verification_status(session: Session, declaration_id: int) -> str:
    latest = latest_verification(session, declaration_id)
    return latest.status.value if latest else UNVERIFIED


def request_verification(
    session: Session, actor: Actor, declaration_id: int, verifier_id: int
) -> Verification:
    d = declaration_for(session, actor, declaration_id, Action.EDIT_SUBMISSIONS)
    verifier = session.get(Organization, verifier_id)
    if verifier is None or not verifier.has_role(OrgRole.VERIFIER):
        msg = str(_l("Choose a verification body."))
        raise InvalidInput(msg, {"verifier_id": [msg]})
    if d.status is DeclarationStatus.SUPERSEDED:
        raise Conflict(str(_l("A newer version replaces this declaration.")))
    if verification_status(session, d.id) in (
        VerificationStatus.UNDER_REVIEW.value,
        VerificationStatus.VERIFIED.value,
    ):
        raise Conflict(str(_l("This declaration is already under review or verified.")))
    v = Verification(
        declaration_id=d.id,
        verifier_id=verifier_id,
        status=VerificationStatus.UNDER_REVIEW,
        requested_by_id=actor.user_id,
    )
    session.add(v)
    session.flush()
    audit.record(
        session,
        actor,
        "verification.request",
        v,
        organization_id=d.organization_id,
        details={"verifier_id": verifier_id, "declaration_id": d.id},
    )
    notifications.record(session, notifications.VERIFICATION_REQUESTED, [verifier_id], v.id)
    session.commit()
    return v


@dataclass(frozen=True)
class Assignment:
    verification: Verification
    declaration: Declaration
    submissions: list[Submission]  # the pinned versions, with their inputs and evidence


def open_assignment(session: Session, actor: Actor, verification_id: int) -> Assignment:
    """What the verifier may see: the declaration and its pinned inputs, nothing else."""
    v = _verification(session, actor, verification_id, Action.VIEW_VERIFICATIONS)
    ids = [pin[0] for pin in v.declaration.pinned.values()]
    subs = list(
        session.scalars(
            select(Submission)
            .where(Submission.id.in_(ids))
            .options(selectinload(Submission.inputs))
            .order_by(Submission.product_id)
        )
    )
    audit.record(
        session,
        actor,
        "verification.read",
        v,
        organization_id=v.declaration.organization_id,
        details={"declaration_id": v.declaration_id, "submissions": ids},
    )
    session.commit()
    return Assignment(v, v.declaration, subs)


def assignment_evidence(
    session: Session, actor: Actor, verification_id: int, evidence_id: int
) -> Evidence:
    """An evidence file behind one of the pinned inputs of the declaration under review: the
    verifier may read it (logged); any other file is not part of the assignment."""
    v = _verification(session, actor, verification_id, Action.VIEW_VERIFICATIONS)
    pinned = [pin[0] for pin in v.declaration.pinned.values()]
    behind = session.scalar(
        select(SubmissionInput.id).where(
            SubmissionInput.submission_id.in_(pinned), SubmissionInput.evidence_id == evidence_id
        )
    )
    item = session.get(Evidence, evidence_id) if behind is not None else None
    if item is None:
        raise NotFound(str(_l("No such evidence file.")))
    audit.record(
        session,
        actor,
        "evidence.read",
        item,
        organization_id=item.organization_id,
        details={"verification_id": v.id, "declaration_id": v.declaration_id},
    )
    session.commit()
    return item


def stated_reasons(session: Session, d: Declaration) -> dict[int, str]:
    """The pinned submissions' mass-balance reasons (submission id -> reason): each must be
    accepted by the verifier before the declaration can pass."""
    ids = [pin[0] for pin in d.pinned.values()]
    rows = session.execute(
        select(Submission.id, Submission.mass_balance_reason).where(
            Submission.id.in_(ids), Submission.mass_balance_reason.is_not(None)
        )
    ).all()
    return {int(i): str(r) for i, r in rows}


@dataclass(frozen=True)
class Statement:
    """A verification statement as verifiers write it (ISO 14064-3:2019 clause 6.3 and 9.6: the
    criteria, the level of assurance, the materiality, the scope, the date), with the body's
    accreditation. Plain strings from a form or the API; `check` says what is wrong."""

    standard: str = ""
    assurance: str = ""
    accreditation_body: str = ""
    accreditation_number: str = ""
    materiality_percent: str = ""
    scope: str = ""
    statement_date: str = ""

    def check(self) -> dict[str, object]:
        """The statement's stored values, or InvalidInput naming each field at fault."""
        errors: dict[str, list[str]] = {}

        def need(name: str, value: str) -> str:
            if not value.strip():
                errors[name] = [str(_l("Required to verify."))]
            return value.strip()

        standard = need("standard", self.standard)
        if standard and standard not in STANDARDS:
            errors["standard"] = [str(_l("Choose one of the standards listed."))]
        assurance = need("assurance", self.assurance)
        if assurance and assurance not in {a.value for a in Assurance}:
            errors["assurance"] = [str(_l("Choose limited or reasonable assurance."))]
        body, number = self.accreditation_body.strip(), self.accreditation_number.strip()
        if bool(body) != bool(number):
            errors["accreditation_number"] = [
                str(_l("Give the accreditation body and its accreditation number together."))
            ]
        materiality: Decimal | None = None
        text = need("materiality_percent", self.materiality_percent)
        if text:
            try:
                materiality = Decimal(text.replace(",", "."))
            except InvalidOperation:
                materiality = None
            if materiality is None or not Decimal(0) < materiality <= Decimal(100):
                errors["materiality_percent"] = [
                    str(_l("A percentage of the declared total, above 0 and at most 100."))
                ]
        scope = need("scope", self.scope)
        when: date | None = None
        text = need("statement_date", self.statement_date)
        if text:
            try:
                when = date.fromisoformat(text)
            except ValueError:
                errors["statement_date"] = [str(_l("A date as YYYY-MM-DD."))]
            else:
                if when > utcnow().date():
                    errors["statement_date"] = [str(_l("The statement date is in the future."))]
        if errors:
            raise InvalidInput(str(_l("Some fields are invalid.")), errors)
        return {
            "standard": standard,
            "assurance": Assurance(assurance),
            "accreditation_body": body[:200] or None,
            "accreditation_number": number[:100] or None,
            "materiality_percent": materiality,
            "scope": scope[:5000],
            "statement_date": when,
        }


STATEMENT_FIELDS = tuple(f.name for f in fields(Statement))


def _checked_decision(
    session: Session,
    v: Verification,
    verdict: str,
    findings: str,
    accepted: list[int] | None,
    statement: Statement | None,
) -> tuple[list[int], dict[str, object]]:
    """Everything a verdict needs, checked before anything is written: findings for either
    verdict (a pass says what was checked and found), every mass-balance reason accepted and a
    complete statement to verify. Returns the accepted reasons and the statement's values."""
    if v.status is not VerificationStatus.UNDER_REVIEW:
        raise Conflict(str(_l("This verification is decided.")))
    if verdict not in (VerificationStatus.VERIFIED.value, VerificationStatus.REJECTED.value):
        raise InvalidInput(
            str(_l("Verify or reject.")), {"verdict": [str(_l("Verify or reject."))]}
        )
    errors: dict[str, list[str]] = {}
    if not findings.strip():
        errors["findings"] = [
            str(
                _l(
                    "Record your findings before a verdict: what you checked and what you found "
                    "(also when the declaration passes)."
                )
            )
        ]
    reasons = stated_reasons(session, v.declaration)
    taken = sorted(set(accepted or []) & reasons.keys())
    values: dict[str, object] = {}
    if verdict == VerificationStatus.VERIFIED.value:
        if set(taken) != reasons.keys():
            errors["accepted"] = [
                str(
                    _l(
                        "Accept every mass-balance reason the submissions state, or reject the "
                        "declaration with your findings."
                    )
                )
            ]
        try:
            values = (statement or Statement()).check()
        except InvalidInput as exc:
            errors.update(exc.errors)
    if errors:
        raise InvalidInput(str(_l("Some fields are invalid.")), errors)
    return taken, values


def check_decision(
    session: Session,
    actor: Actor,
    verification_id: int,
    verdict: str,
    findings: str,
    accepted: list[int] | None = None,
    statement: Statement | None = None,
) -> Verification:
    """The checks of `decide` without recording anything: the web asks the verifier to
    confirm a verdict that would be accepted."""
    v = _verification(session, actor, verification_id, Action.VERIFY)
    _checked_decision(session, v, verdict, findings, accepted, statement)
    return v


def decide(
    session: Session,
    actor: Actor,
    verification_id: int,
    verdict: str,
    findings: str,
    accepted: list[int] | None = None,
    statement: Statement | None = None,
) -> Verification:
    """Record the verifier's decision. Findings are required for either verdict; to verify, it
    accepts, explicitly, every mass-balance reason the pinned submissions state (`accepted`:
    their submission ids) and gives its statement (standard, assurance, materiality, scope,
    date; accreditation where it holds one)."""
    v = _verification(session, actor, verification_id, Action.VERIFY)
    taken, values = _checked_decision(session, v, verdict, findings, accepted, statement)
    for name, value in values.items():
        setattr(v, name, value)
    v.accepted_reasons = taken or None
    v.status, v.findings = VerificationStatus(verdict), findings.strip()[:5000] or None
    v.decided_by_id, v.decided_at = actor.user_id, utcnow()
    audit.record(
        session,
        actor,
        f"verification.{verdict}",
        v,
        organization_id=v.declaration.organization_id,
        details={
            "declaration_id": v.declaration_id,
            "accepted_reasons": taken,
            "standard": v.standard,
            "assurance": v.assurance.value if v.assurance else None,
        },
    )
    if v.status is VerificationStatus.VERIFIED:
        webhooks.declaration_event(session, v.declaration, webhooks.DECLARATION_VERIFIED)
    notifications.record(
        session, notifications.VERDICT_GIVEN, [v.declaration.organization_id], v.id
    )
    session.commit()
    return v


def save_checklist(
    session: Session, actor: Actor, verification_id: int, checks: dict[int, tuple[bool, str]]
) -> Verification:
    """The verifier's checklist of the pinned inputs (checked, note per pinned submission),
    kept while it works; only pinned submissions of this declaration are taken."""
    v = _verification(session, actor, verification_id, Action.VERIFY)
    if v.status is not VerificationStatus.UNDER_REVIEW:
        raise Conflict(str(_l("This verification is decided.")))
    pinned = {pin[0] for pin in v.declaration.pinned.values()}
    v.checklist = {
        str(sid): {"checked": bool(done), "note": note.strip()[:2000]}
        for sid, (done, note) in sorted(checks.items())
        if sid in pinned and (done or note.strip())
    } or None
    audit.record(
        session,
        actor,
        "verification.checklist",
        v,
        organization_id=v.declaration.organization_id,
        details={"checked": sum(1 for c in (v.checklist or {}).values() if c["checked"])},
    )
    session.commit()
    return v


def publish(session: Session, actor: Actor, declaration_id: int) -> Declaration:
    d = declaration_for(session, actor, declaration_id, Action.EDIT_SUBMISSIONS)
    if d.status is not DeclarationStatus.DRAFT:
        raise Conflict(str(_l("Only a current draft declaration can be published.")))
    rule = load_rules()[d.rule_code]
    if (
        verification_status(session, d.id) != VerificationStatus.VERIFIED.value
        and not rule.self_declaration
    ):
        raise Conflict(str(_l("This rule publishes verified declarations only.")))
    d.status, d.published_at = DeclarationStatus.PUBLISHED, utcnow()
    for older in session.scalars(
        select(Declaration).where(
            Declaration.product_id == d.product_id,
            Declaration.period_start == d.period_start,
            Declaration.period_end == d.period_end,
            Declaration.id != d.id,
            Declaration.status == DeclarationStatus.PUBLISHED,
            Declaration.rule_code == d.rule_code,  # China's and the EU's stand side by side
        )
    ):
        older.status = DeclarationStatus.SUPERSEDED  # stays public, marked as replaced
    audit.record(
        session,
        actor,
        "declaration.publish",
        d,
        organization_id=d.organization_id,
        details={"replaces": d.preceding_id},
    )
    webhooks.declaration_event(session, d, webhooks.DECLARATION_PUBLISHED)
    notifications.record(
        session,
        notifications.DECLARATION_PUBLISHED,
        notifications.published_audience(session, d),
        d.id,
    )
    session.commit()
    return d


def withdraw(session: Session, actor: Actor, declaration_id: int) -> Declaration:
    d = declaration_for(session, actor, declaration_id, Action.EDIT_SUBMISSIONS)
    if d.published_at is None or d.withdrawn_at is not None:
        raise Conflict(str(_l("Only a published declaration can be withdrawn.")))
    d.withdrawn_at = utcnow()
    audit.record(session, actor, "declaration.withdraw", d, organization_id=d.organization_id)
    session.commit()
    return d


def public_declaration(session: Session, public_id: str) -> Declaration:
    """A declaration that was published: what anyone may read (withdrawn ones stay, marked)."""
    d = session.scalar(select(Declaration).where(Declaration.public_id == public_id))
    if d is None or d.published_at is None:
        raise NotFound(str(_l("No such published declaration.")))
    return d


def readable_declaration(session: Session, actor: Actor | None, declaration_id: int) -> Declaration:
    """A declaration, drafts included, for its owner's members or for a verifier asked to verify
    it (exports for review). The verifier's read is logged, as every read of its assignment is."""
    d = _declaration(session, declaration_id)
    if allowed(actor, Action.VIEW_PRODUCTS, d.organization_id):
        return d
    asked = _asked(session, d.id)
    verifier = next((o for o in asked if allowed(actor, Action.VIEW_VERIFICATIONS, o)), None)
    if actor is None or verifier is None:
        parties = [d.organization_id, *asked]
        refuse(actor, Action.VIEW_VERIFICATIONS, _missing_declaration(), parties)
    audit.record(
        session,
        actor,
        "declaration.export",
        d,
        organization_id=d.organization_id,
        details={"verifier_id": verifier},
    )
    session.commit()
    return d


def assignments_query(verifier_id: int) -> object:
    return (
        select(Verification)
        .where(Verification.verifier_id == verifier_id)
        .order_by(Verification.id.desc())
    )
