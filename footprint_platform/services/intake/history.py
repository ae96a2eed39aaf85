"""A product's history: versions of a period, their canonical content and hash, diffs, and
the review a supplier reads before submitting."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.errors import Problem
from footprint_platform.models import InputKind, Submission, SubmissionInput
from footprint_platform.policy import Actor
from footprint_platform.services.intake.activity import (
    FIELDS,
    factor_amount,
    row_footprint,
)
from footprint_platform.services.intake.fingerprint import HEADER_FIELDS, canonical
from footprint_platform.services.intake.submissions import get_submission, submit_check


def versions(session: Session, actor: Actor, submission_id: int) -> list[Submission]:
    """Every version of the same product and period, oldest first."""
    sub = get_submission(session, actor, submission_id)
    return list(
        session.scalars(
            select(Submission)
            .where(
                Submission.product_id == sub.product_id,
                Submission.period_start == sub.period_start,
                Submission.period_end == sub.period_end,
            )
            .order_by(Submission.version)
        )
    )


@dataclass(frozen=True)
class VersionDiff:
    header: dict[str, tuple[Any, Any]]
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[tuple[dict[str, Any], dict[str, tuple[Any, Any]]]]


def diff(session: Session, actor: Actor, old_id: int, new_id: int) -> VersionDiff:
    """What changed between two versions: header fields, and rows matched by kind and
    description (or factor / linked product) so a changed quantity reads as a change."""
    old, new = (canonical(get_submission(session, actor, i)) for i in (old_id, new_id))
    header = {
        f: (old["header"].get(f), new["header"].get(f))
        for f in HEADER_FIELDS
        if old["header"].get(f) != new["header"].get(f)
    }
    key = lambda r: (  # noqa: E731
        r["kind"],
        r["description"],
        r["factor_code"],
        r["linked_product_id"],
        r.get("external_footprint_id"),
    )
    before, after = {key(r): r for r in old["inputs"]}, {key(r): r for r in new["inputs"]}
    changed = []
    for k in before.keys() & after.keys():
        fields = {
            f: (before[k].get(f), after[k].get(f))
            for f in FIELDS
            if before[k].get(f) != after[k].get(f)
        }
        if fields:
            changed.append((after[k], fields))
    return VersionDiff(
        header,
        [after[k] for k in after.keys() - before.keys()],
        [before[k] for k in before.keys() - after.keys()],
        changed,
    )


@dataclass(frozen=True)
class Review:
    """What a supplier checks before submitting: the direct footprint from secondary factors
    by stage, which inputs come from suppliers' own footprints, and what still stops it."""

    direct_by_stage: dict[str, Decimal]
    lines: list[tuple[SubmissionInput, Decimal | None]]  # kg CO2e per declared unit, or None
    linked: list[SubmissionInput]
    problems: list[Problem]
    warnings: list[Problem]


def _paired_upstream(
    sub: Submission, ctx: Any, item: SubmissionInput
) -> tuple[SubmissionInput, Decimal] | None:
    """The well-to-tank line the rule adds to a burnt fuel (`[fuel_upstream]`), as the
    roll-up adds it, so the review shows what the footprint will hold: a line not stored,
    in the raw-material stage, named after the input it belongs to."""
    pairing = ctx.rule.fuel_upstream
    if pairing is None or item.kind is InputKind.MATERIAL:
        return None
    entered = {i.factor_code for i in sub.inputs if i.factor_code}
    code = pairing.upstream_for(item.factor_code, sub.factor_release.version, entered)
    factor = ctx.factors.get(code or "")
    if code is None or factor is None:
        return None
    line = SubmissionInput(
        kind=item.kind,
        stage="raw_material",
        description=str(
            _l(
                "%(input)s: its supply (well-to-tank), added by the rule",
                input=item.description or item.factor_code,
            )
        ),
        quantity=item.quantity,
        unit=item.unit,
        factor_code=code,
    )
    row = {f: getattr(line, f) for f in FIELDS}
    return line, factor_amount(row, factor) * factor.value


def review(session: Session, actor: Actor, submission_id: int) -> Review:
    sub = get_submission(session, actor, submission_id)
    ctx, checked, ready_problems = submit_check(session, sub)
    by_stage = {code: Decimal(0) for code in ctx.rule.stage_codes}
    lines: list[tuple[SubmissionInput, Decimal | None]] = []
    for item in sub.inputs:
        row = {f: getattr(item, f) for f in FIELDS} | {"kind": item.kind}
        kg = row_footprint(row, ctx.factors, ctx.rule)
        lines.append((item, kg))
        if kg is not None:
            by_stage[item.stage] = by_stage.get(item.stage, Decimal(0)) + kg
        paired = _paired_upstream(sub, ctx, item)
        if paired is not None:
            by_stage["raw_material"] = by_stage.get("raw_material", Decimal(0)) + paired[1]
            lines.append(paired)
    # a draft shows what stops it from being submitted; a submitted version only its row checks
    problems = ready_problems if sub.editable else list(checked.problems)
    return Review(
        by_stage,
        lines,
        [i for i in sub.inputs if i.linked_product_id],
        problems if sub.editable else [],
        checked.warnings,
    )
