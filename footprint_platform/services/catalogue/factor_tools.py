"""The operator's tools around a factor release: the release as the CSV the upload page asks
for (so a download uploads back unchanged), the list of a release's factors filtered, sorted and
exported, and what a release diff would touch before it is published.

A published declaration pins the release it was computed with and never changes; a new release
reaches only new drafts (a draft pins the latest release) and new runs' fallback datasets. So
`impact` names the products whose current data use a changed factor and the current
declarations that contain them: their next results and declarations would change."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import asc, desc, or_, select
from sqlalchemy.orm import Session

from footprint_platform.csv_cells import safe_cell
from footprint_platform.models import (
    Declaration,
    DeclarationStatus,
    EmissionFactor,
    FactorRelease,
    Product,
    Submission,
    SubmissionInput,
    SubmissionStatus,
)
from footprint_platform.number_format import exact_text
from footprint_platform.services.catalogue import factors
from footprint_platform.services.catalogue.factors import COLUMNS, ReleaseDiff

SORTS = {
    "code": EmissionFactor.code,
    "name": EmissionFactor.name_en,
    "category": EmissionFactor.category,
    "value": EmissionFactor.value,
    "geography": EmissionFactor.geography,
    "series": EmissionFactor.series,
    "year": EmissionFactor.reference_year,
}
PAGE_SIZE = 50


def release_csv(session: Session, release: FactorRelease) -> str:
    """Every factor of a release in the upload's COLUMNS and number form (exact decimals
    without trailing zeros), so the file uploaded again differs in nothing."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    rows = session.scalars(
        select(EmissionFactor)
        .where(EmissionFactor.release_id == release.id)
        .order_by(EmissionFactor.id)
    )
    for f in rows:
        writer.writerow([_cell(getattr(f, c)) for c in COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return exact_text(value)
    return str(value)


def list_query(
    release_id: int,
    category: str | None = None,
    geography: str | None = None,
    series: str | None = None,
    q: str | None = None,
    sort: str = "category",
    descending: bool = False,
) -> Any:
    """A release's factors by category, geography, series and a word of the code or either
    name, in the order asked for (then by code, so pages never overlap)."""
    stmt = factors.filtered(release_id, category, q)
    if geography:
        stmt = stmt.where(EmissionFactor.geography == geography)
    if series:
        stmt = stmt.where(EmissionFactor.series == series)
    column = SORTS.get(sort, EmissionFactor.category)
    return stmt.order_by((desc if descending else asc)(column), EmissionFactor.code)


def geographies(session: Session, release_id: int) -> list[str]:
    """The geographies a release's factors cover (the filter's choices)."""
    stmt = (
        select(EmissionFactor.geography)
        .where(EmissionFactor.release_id == release_id)
        .distinct()
        .order_by(EmissionFactor.geography)
    )
    return list(session.scalars(stmt))


LIST_COLUMNS = (
    "code",
    "name_en",
    "name_zh",
    "category",
    "value",
    "gas_basis",
    "unit",
    "series",
    "gwp",
    "geography",
    "reference_year",
    "source",
)


def list_csv(session: Session, stmt: Any) -> str:
    """The filtered list as CSV (codes for programs, both names for people)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LIST_COLUMNS)
    for f in session.scalars(stmt):
        writer.writerow([safe_cell(_cell(getattr(f, c))) for c in LIST_COLUMNS])
    return out.getvalue()


# -- what a diff would touch -------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One changed factor as the operator reads it: names, the value before and after and the
    relative change of the value (None when the value did not change or was zero)."""

    code: str
    name_en: str
    name_zh: str
    unit: str
    fields: dict[str, tuple[Any, Any]]
    old_value: Decimal
    new_value: Decimal
    percent: Decimal | None

    def name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en


def changes(session: Session, old: FactorRelease | None, diff: ReleaseDiff) -> list[Change]:
    before = (
        {
            f.code: f
            for f in session.scalars(
                select(EmissionFactor).where(EmissionFactor.release_id == old.id)
            )
        }
        if old
        else {}
    )
    out = []
    for code, fields in diff.changed:
        f = before[code]
        new_value = Decimal(fields["value"][1]) if "value" in fields else f.value
        percent = None
        if "value" in fields and f.value:
            percent = (new_value - f.value) / f.value * 100
        name_en = fields["name_en"][1] if "name_en" in fields else f.name_en
        name_zh = fields["name_zh"][1] if "name_zh" in fields else f.name_zh
        unit = fields["unit"][1] if "unit" in fields else f.unit
        out.append(Change(code, name_en, name_zh, unit, fields, f.value, new_value, percent))
    return out


@dataclass(frozen=True)
class Affected:
    """A product whose current data use changed or removed factors, and the codes it uses."""

    product: Product
    codes: list[str]


@dataclass(frozen=True)
class Impact:
    products: list[Affected]
    declarations: list[Declaration]


_CODE_COLUMNS = (
    SubmissionInput.factor_code,
    SubmissionInput.recycled_factor_code,
    SubmissionInput.virgin_factor_code,
    SubmissionInput.td_factor_code,
)


def impact(session: Session, diff: ReleaseDiff) -> Impact:
    """The products whose current (draft or submitted, not superseded) data name a changed or
    removed factor, and the current declarations whose pinned chain contains one of them. Those
    declarations stay as they are (pinned to their release); their next version would differ."""
    codes = {code for code, _ in diff.changed} | {f.code for f in diff.removed}
    if not codes:
        return Impact([], [])
    rows = session.execute(
        select(Submission.product_id, *_CODE_COLUMNS)
        .join(SubmissionInput, SubmissionInput.submission_id == Submission.id)
        .where(Submission.status != SubmissionStatus.SUPERSEDED)
        .where(or_(*(c.in_(codes) for c in _CODE_COLUMNS)))
    ).all()
    used: dict[int, set[str]] = {}
    for product_id, *named in rows:
        used.setdefault(product_id, set()).update(c for c in named if c in codes)
    products = session.scalars(
        select(Product).where(Product.id.in_(used)).order_by(Product.part_number)
    ).all()
    keys = {str(p) for p in used}
    current = session.scalars(
        select(Declaration)
        .where(Declaration.status != DeclarationStatus.SUPERSEDED)
        .order_by(Declaration.id)
    ).all()
    declared = [d for d in current if keys & set((d.pinned or {}).keys())]
    return Impact([Affected(p, sorted(used[p.id])) for p in products], declared)
