"""The emission-factor database: reading a release file, publishing it, comparing releases."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from footprint_platform.errors import InvalidInput, NotFound, Problem, UploadRejected
from footprint_platform.models import EmissionFactor, FactorRelease
from footprint_platform.policy import SYSTEM, Action, Actor, authorize
from footprint_platform.reference import CONFIG_DIR
from footprint_platform.services.catalogue import audit
from supply_graph.units import is_unit

COLUMNS = (
    "code",
    "name_en",
    "name_zh",
    "category",
    "unit",
    "value",
    "gas_basis",
    "gwp",
    "series",
    "geography",
    "reference_year",
    "published",
    "range_low",
    "range_high",
    "source",
    "licence",
)
# Optional columns (a release file may leave them out): a material's carbon content, kg C per
# factor unit, fossil and biogenic (PACT v3.0.3 carbon content; disclosure/carbon_content.py),
# from the row's own source; empty where the source states none.
CARBON_COLUMNS = ("carbon_fossil", "carbon_biogenic")
CATEGORIES = ("electricity", "fuel", "heat", "transport", "material", "process_gas", "waste")
ELECTRICITY_SERIES = ("carbon_footprint", "co2_emission")
OTHER_SERIES = ("life_cycle", "combustion")
SEED_FILE = CONFIG_DIR / "factors" / "seed-2025.1.csv"
SEED_VERSION = "2025.1"
MAX_RELEASE_BYTES = 5 * 1024 * 1024
_CODE = re.compile(r"^[a-z0-9][a-z0-9_.\-]{1,79}$")
# A CO2-only row (gas_basis CO2: no CH4, N2O …) is marked as such in its name, so a reader
# never takes it for CO2e; the rule that uses one states how it is completed.
_CO2_ONLY = re.compile(r"\bCO2\b(?!e)")
# The stored columns' lengths: a longer text is a problem of its row, like any other, not a
# database error at publication (SQLite would store it whole, PostgreSQL refuses it).
_LENGTHS: dict[str, int] = {
    c.name: n
    for c in EmissionFactor.__table__.columns
    if c.name in COLUMNS and isinstance(n := getattr(c.type, "length", None), int)
}


def _decimal(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _check_row(row: dict[str, str], n: int, sheet: str) -> tuple[dict[str, Any], list[Problem]]:
    """One CSV row as factor fields, or the problems that stop it (row n, 1-based w/ header)."""
    problems: list[Problem] = []

    def bad(column: str, reason: str) -> None:
        problems.append(Problem(sheet, n, column, row.get(column), reason))

    for column in ("code", "name_en", "name_zh", "unit", "source", "licence", "geography"):
        if not row.get(column):
            bad(column, "required")
    for column, limit in _LENGTHS.items():
        if len(row.get(column) or "") > limit:
            bad(column, f"at most {limit} characters")
    if row.get("code") and not _CODE.match(row["code"]):
        bad("code", "lower-case letters, digits and . _ - only")
    if row.get("category") not in CATEGORIES:
        bad("category", f"one of {', '.join(CATEGORIES)}")
    if row.get("unit") and not is_unit(row["unit"]):
        bad("unit", "not a unit (use kWh, MJ, kg, t, m^3, L, m^2, t*km, piece …)")
    value = _decimal(row.get("value", ""))
    if value is None or value < 0:
        bad("value", "a finite number >= 0")
    if row.get("gas_basis") not in ("CO2e", "CO2"):
        bad("gas_basis", "CO2e or CO2")
    if row.get("gas_basis") == "CO2" and not _CO2_ONLY.search(row.get("name_en", "")):
        bad("name_en", "a CO2-only factor says so in its name (CO2, not CO2e)")
    if row.get("gwp") not in ("", "AR5", "AR6"):
        bad("gwp", "AR5, AR6 or empty")
    series = row.get("series")
    allowed = ELECTRICITY_SERIES if row.get("category") == "electricity" else OTHER_SERIES
    if series not in allowed:
        bad("series", f"one of {', '.join(allowed)}")
    year = row.get("reference_year", "")
    if not (year.isdigit() and 1990 <= int(year) <= 2100):
        bad("reference_year", "a year between 1990 and 2100")
    if not re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", row.get("published", "")):
        bad("published", "a date YYYY-MM-DD, YYYY-MM or YYYY")
    low, high = (_decimal(row[c]) if row.get(c) else None for c in ("range_low", "range_high"))
    for c, v in (("range_low", low), ("range_high", high)):
        if row.get(c) and v is None:
            bad(c, "a number or empty")
    if value is not None and (
        (low is not None and low > value) or (high is not None and high < value)
    ):
        bad("value", "outside its own range_low … range_high")
    carbon = {c: _decimal(row[c]) if row.get(c) else None for c in CARBON_COLUMNS}
    for c, v in carbon.items():
        if row.get(c) and (v is None or v < 0):
            bad(c, "kg C per unit: a number >= 0, or empty")
        elif v is not None and row.get("category") != "material":
            bad(c, "only a material dataset states a carbon content")
    if problems:
        return {}, problems
    fields = {c: row[c] for c in COLUMNS}
    fields.update(carbon)
    fields.update(
        value=value,
        range_low=low,
        range_high=high,
        reference_year=int(year),
        gwp=row["gwp"] or None,
    )
    return fields, []


def read_release(data: bytes, sheet: str = "CSV") -> list[dict[str, Any]]:
    """Parse a release file (UTF-8 CSV with the COLUMNS header). All rows or an UploadRejected
    naming every problem."""
    if len(data) > MAX_RELEASE_BYTES:
        raise UploadRejected(
            str(_l("The file is too large.")),
            [Problem(sheet, None, None, None, f"over {MAX_RELEASE_BYTES} bytes")],
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadRejected(
            str(_l("The file is not UTF-8 text.")), [Problem(sheet, None, None, None, str(exc))]
        ) from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise UploadRejected(
            str(_l("The header is missing columns.")),
            [Problem(sheet, 1, c, None, "missing column") for c in missing],
        )
    rows, problems, seen = [], [], {}
    for n, raw in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        fields, found = _check_row(row, n, sheet)
        if fields and fields["code"] in seen:
            found.append(
                Problem(
                    sheet, n, "code", fields["code"], f"duplicate of row {seen[fields['code']]}"
                )
            )
        problems += found
        if fields:
            seen.setdefault(fields["code"], n)
            rows.append(fields)
    if not rows and not problems:
        problems.append(Problem(sheet, None, None, None, "no factor rows"))
    if problems:
        raise UploadRejected(
            str(_l("The release was not published; correct these rows.")), problems
        )
    return rows


def publish_release(
    session: Session,
    actor: Actor,
    version: str,
    title: str,
    data: bytes,
    notes: str | None = None,
) -> FactorRelease:
    """Publish a release from a CSV file; the operator only; one transaction."""
    authorize(actor, Action.ADMINISTER_PLATFORM)
    return _publish(session, actor, version, title, data, notes)


def _publish(
    session: Session, actor: Actor, version: str, title: str, data: bytes, notes: str | None
) -> FactorRelease:
    version = version.strip()
    if not re.match(r"^\d{4}\.\d{1,3}$", version):
        msg = str(_l("A release version looks like 2026.1."))
        raise InvalidInput(msg, {"version": [msg]})
    if session.scalar(select(FactorRelease.id).where(FactorRelease.version == version)):
        msg = str(_l("This release version exists; releases never change."))
        raise InvalidInput(msg, {"version": [msg]})
    rows = read_release(data)
    previous = session.get(FactorRelease, _latest_id(session) or 0)
    diff = diff_release(session, previous, rows)
    release = FactorRelease(
        version=version,
        title=title.strip()[:200] or version,
        notes=notes,
        source_sha256=hashlib.sha256(data).hexdigest(),
        published_by_id=actor.user_id,
        previous_id=_latest_id(session),
    )
    release.factors = [EmissionFactor(**r) for r in rows]
    session.add(release)
    session.flush()
    audit.record(
        session,
        actor,
        "factors.publish",
        release,
        details={
            "version": version,
            "factors": len(rows),
            "sha256": release.source_sha256,
            "previous": previous.version if previous else None,
            "added": [r["code"] for r in diff.added],
            "changed": [code for code, _ in diff.changed],
            "removed": [f.code for f in diff.removed],
        },
    )
    session.commit()
    return release


def load_seed(session: Session, path: Path = SEED_FILE) -> FactorRelease | None:
    """Publish the seed release that ships in config/ if the database has no release yet."""
    if session.scalar(select(func.count()).select_from(FactorRelease)):
        return None
    return _publish(
        session,
        SYSTEM,
        SEED_VERSION,
        "Tanlian seed release",
        path.read_bytes(),
        "Shipped with Tanlian; every factor cites its source.",
    )


def _latest_id(session: Session) -> int | None:
    return session.scalar(
        select(FactorRelease.id)
        .order_by(FactorRelease.published_at.desc(), FactorRelease.id.desc())
        .limit(1)
    )


def latest_release(session: Session) -> FactorRelease:
    release_id = _latest_id(session)
    if release_id is None:
        raise NotFound(str(_l("No factor release is published yet.")))
    release = session.get(FactorRelease, release_id)
    assert release is not None
    return release


def factor_by_code(session: Session, release_id: int) -> dict[str, EmissionFactor]:
    factors = session.scalars(select(EmissionFactor).where(EmissionFactor.release_id == release_id))
    return {f.code: f for f in factors}


@dataclass(frozen=True)
class ReleaseDiff:
    added: list[dict[str, Any]]
    removed: list[EmissionFactor]
    changed: list[tuple[str, dict[str, tuple[Any, Any]]]]  # code -> field -> (old, new)


def diff_release(
    session: Session, old: FactorRelease | None, new_rows: list[dict[str, Any]]
) -> ReleaseDiff:
    """What a new set of rows changes against a release: added, removed, changed fields."""
    before = factor_by_code(session, old.id) if old else {}
    after = {r["code"]: r for r in new_rows}
    changed = []
    for code in sorted(before.keys() & after.keys()):
        fields = {
            c: (getattr(before[code], c), after[code][c])
            for c in (*COLUMNS, *CARBON_COLUMNS)
            if c != "code" and _differs(getattr(before[code], c), after[code][c])
        }
        if fields:
            changed.append((code, fields))
    return ReleaseDiff(
        added=[after[c] for c in sorted(after.keys() - before.keys())],
        removed=[before[c] for c in sorted(before.keys() - after.keys())],
        changed=changed,
    )


def _differs(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return (old is None) != (new is None) or (old is not None and Decimal(old) != Decimal(new))
    return bool(old != new)


def release_by_version(session: Session, version: str) -> FactorRelease:
    """A release by its version, or the newest for `latest`."""
    if version == "latest":
        return latest_release(session)
    release = session.scalar(select(FactorRelease).where(FactorRelease.version == version))
    if release is None:
        raise NotFound(str(_l("No such factor release.")))
    return release


def search_query(release_id: int, category: str | None = None, q: str | None = None) -> Any:
    """Factors of a release, by category and by a word of the code or either name."""
    return filtered(release_id, category, q).order_by(EmissionFactor.category, EmissionFactor.code)


def filtered(release_id: int, category: str | None = None, q: str | None = None) -> Any:
    """A release's factors of a category and matching a word of the code or either name,
    unordered: the search's filter, which the operator's factor list narrows further."""
    stmt = select(EmissionFactor).where(EmissionFactor.release_id == release_id)
    if category:
        stmt = stmt.where(EmissionFactor.category == category)
    if q:
        stmt = stmt.where(
            or_(
                EmissionFactor.code.ilike(f"%{q}%"),
                EmissionFactor.name_en.ilike(f"%{q}%"),
                EmissionFactor.name_zh.like(f"%{q}%"),
            )
        )
    return stmt


def sources_of(session: Session, release_id: int) -> list[tuple[str, str, int]]:
    """The publications a release's factors come from, with their licence and how many
    factors each gives: what a reader of a declaration may know of its secondary data."""
    rows = session.execute(
        select(EmissionFactor.source, EmissionFactor.licence, func.count())
        .where(EmissionFactor.release_id == release_id)
        .group_by(EmissionFactor.source, EmissionFactor.licence)
        .order_by(func.count().desc(), EmissionFactor.source)
    )
    return [(source, licence, int(n)) for source, licence, n in rows]
