"""The column selects a period's graph is built from: products, the submission that stands for
each (the period's, or one carried forward within the rule's limit), and their input rows joined to
their factors, read in id chunks that stay under the databases' bound-parameter caps.

One module because the period's read (common columns for most rows, whole rows for the rest)
and the few-submission read must give the same rows, with the same fuel upstream rows added:
they share the select, its column positions and the pairing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import Float, String, and_, case, cast, func, or_, select, type_coerce
from sqlalchemy.orm import Session, aliased

from footprint_platform.bulk import plain_rows
from footprint_platform.models import (
    EmissionFactor,
    ExternalFootprint,
    FactorRelease,
    Product,
    Submission,
    SubmissionInput,
    SubmissionStatus,
)
from footprint_platform.rules import load_rules, rule_for_category
from footprint_platform.services.graph.input_columns import COMMON


def products_by_id(session: Session, ids: set[int]) -> list[Sequence[Any]]:
    products: list[Sequence[Any]] = []
    for part in id_chunks(sorted(ids)):
        products += session.execute(
            select(
                Product.id, Product.category, Product.declared_unit, Product.organization_id
            ).where(Product.id.in_(part))
        ).all()
    return sorted(products, key=lambda p: int(p[0]))


_IN_LIST = 5000  # ids per IN (...) list: well under SQLite's and PostgreSQL's bound-parameter caps


def id_chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for k in range(0, len(ids), _IN_LIST):
        yield ids[k : k + _IN_LIST]


# submission id, product id, hash, dqr, (technological, temporal, geographical) or None
SubRow = tuple[int, int, str | None, float | None, "Ratings | None"]


Ratings = tuple[float, float, float]


# The columns of a submission the graph needs (`sub_row` turns one into a SubRow).
SUB_COLUMNS = (
    Submission.id,
    Submission.product_id,
    Submission.content_hash,
    cast(Submission.dqr, Float),
    cast(Submission.dqr_technological, Float),
    cast(Submission.dqr_temporal, Float),
    cast(Submission.dqr_geographical, Float),
)


def sub_row(r: Sequence[Any]) -> SubRow:
    """(id, product, hash, dqr, ratings): the three ratings when all are set, else None."""
    ratings = None if any(v is None for v in r[4:7]) else (float(r[4]), float(r[5]), float(r[6]))
    return (int(r[0]), int(r[1]), r[2], None if r[3] is None else float(r[3]), ratings)


def age_in_years(earlier: date, start: date) -> int:
    """Whole reporting years between an earlier period's start and the period's start."""
    return max(round((start - earlier).days / 365.25), 0)


def carried_forward(
    session: Session,
    start: date,
    products: Sequence[Sequence[Any]],
    submitted: set[int],
    pinned: Mapping[int, int] | None = None,
) -> list[SubRow]:
    """For each product without a submission of the period whose rule carries data forward:
    the supplier's latest submitted earlier period within the rule's maximum age, its rating
    lowered by the rule's step per year of age. Pinned, exactly the pinned versions of earlier
    periods (a declaration's carried inputs, whatever was submitted since)."""
    by_category = {c: rule_for_category(c).missing_data for c in {str(p[1]) for p in products}}
    rules = {int(p[0]): by_category[str(p[1])] for p in products}
    oldest = max((r.max_age_years for r in rules.values()), default=0)
    columns = (*SUB_COLUMNS, Submission.period_start)
    if pinned is None:
        stmt = select(*columns).where(
            Submission.status == SubmissionStatus.SUBMITTED,
            Submission.period_end < start,
            Submission.period_start >= date(start.year - oldest, start.month, 1),
        )
    else:
        wanted = [s for p, s in pinned.items() if p not in submitted]
        if not wanted:
            return []
        stmt = select(*columns).where(Submission.id.in_(wanted), Submission.period_end < start)
    newest: dict[int, tuple[Any, ...]] = {}
    for row in session.execute(stmt.order_by(Submission.period_start, Submission.id)):
        product = int(row[1])
        rule = rules.get(product)
        if product in submitted or rule is None or "carry_forward" not in rule.order:
            continue
        if age_in_years(row[7], start) <= rule.max_age_years:
            newest[product] = tuple(row)  # later periods, then later ids, win
    out: list[SubRow] = []
    for product, row in sorted(newest.items()):
        sub_id, _, content_hash, dqr, ratings = sub_row(row)
        age = age_in_years(row[7], start)
        rule = rules[product]
        out.append(
            (
                sub_id,
                product,
                content_hash,
                rule.carried_dqr(dqr, age),
                None if ratings is None else rule.carried_ratings(ratings, age),
            )
        )
    return out


@dataclass(frozen=True)
class ExternalLeaf:
    """What the graph needs of an imported partner footprint (models.ExternalFootprint)."""

    unit: str
    per_unit: float
    by_stage: dict[str, float]
    primary_share: float
    dqr: float


EXTERNAL_COLUMN = 8  # position of external_footprint_id in an input row


def external_leaves(session: Session, rows: Sequence[Sequence[Any]]) -> dict[int, ExternalLeaf]:
    """The imported footprints the rows name."""
    wanted = {int(r[EXTERNAL_COLUMN]) for r in rows if r[EXTERNAL_COLUMN] is not None}
    if not wanted:
        return {}
    found = session.execute(
        select(
            ExternalFootprint.id,
            ExternalFootprint.unit,
            ExternalFootprint.per_unit,
            ExternalFootprint.by_stage,
            ExternalFootprint.primary_data_share,
            ExternalFootprint.dqr,
        ).where(ExternalFootprint.id.in_(wanted))
    ).all()
    return {
        int(pk): ExternalLeaf(
            unit=str(unit),
            per_unit=float(per_unit),
            by_stage={k: float(v) for k, v in (by_stage or {}).items()},
            primary_share=float(share or 0),
            dqr=np.nan if dqr is None else float(dqr),
        )
        for pk, unit, per_unit, by_stage, share, dqr in found
    }


def period_clause(start: date, end: date, pinned: Mapping[int, int] | None) -> Any:
    """Current versions, or (pinned) any submitted version of the period, filtered by id after."""
    status = (
        Submission.status == SubmissionStatus.SUBMITTED
        if pinned is None
        else Submission.status.in_([SubmissionStatus.SUBMITTED, SubmissionStatus.SUPERSEDED])
    )
    return and_(Submission.period_start == start, Submission.period_end == end, status)


def submission_rows(
    session: Session, start: date, end: date, pinned: Mapping[int, int] | None
) -> list[SubRow]:
    rows = (
        session.connection()
        .execute(select(*SUB_COLUMNS).where(period_clause(start, end, pinned)))
        .all()
    )
    wanted = None if pinned is None else set(pinned.values())
    return [sub_row(r) for r in rows if wanted is None or r[0] in wanted]


_RECYCLED = aliased(EmissionFactor, name="recycled_factor")


_VIRGIN = aliased(EmissionFactor, name="virgin_factor")


_TD = aliased(EmissionFactor, name="td_factor")


# The columns of an input row the graph needs, with its factor's unit and value when it names one.
_INPUT_COLUMNS = (
    SubmissionInput.submission_id,
    SubmissionInput.position,
    type_coerce(SubmissionInput.kind, String),
    SubmissionInput.stage,
    cast(SubmissionInput.quantity, Float),
    SubmissionInput.unit,
    SubmissionInput.factor_code,
    SubmissionInput.linked_product_id,
    SubmissionInput.external_footprint_id,
    cast(SubmissionInput.distance_km, Float),
    SubmissionInput.allocation_basis,
    cast(SubmissionInput.allocation_share, String),
    EmissionFactor.unit,
    # An instrument's kWh carry the transmission and distribution factor the rule added
    # (submission_input.td_factor_code, same release, per kWh like the row's factor).
    cast(EmissionFactor.value + func.coalesce(_TD.value, 0), Float),
    # recycled content and end of life (supply_graph/circular.py): R1 or R2, the recycled
    # dataset (Erec or ErecEoL) and the virgin dataset (E*v), each with its unit and value
    cast(SubmissionInput.recycled_share, Float).label("recycled_share"),
    SubmissionInput.recycled_factor_code,
    _RECYCLED.unit.label("recycled_unit"),
    cast(_RECYCLED.value, Float).label("recycled_value"),
    _VIRGIN.unit.label("virgin_unit"),
    cast(_VIRGIN.value, Float).label("virgin_value"),
    SubmissionInput.provenance,
    cast(SubmissionInput.dqr_technological, Float),
    cast(SubmissionInput.dqr_temporal, Float),
    cast(SubmissionInput.dqr_geographical, Float),
)


def _factor(alias: Any, code: Any) -> Any:
    """The join of a factor (`alias`) named by `code` in the submission's own release."""
    return and_(alias.release_id == Submission.factor_release_id, alias.code == code)


def _inputs_select() -> Any:
    factor = _factor
    return (
        select(*_INPUT_COLUMNS)
        .join(Submission, Submission.id == SubmissionInput.submission_id)
        .outerjoin(EmissionFactor, factor(EmissionFactor, SubmissionInput.factor_code))
        .outerjoin(_RECYCLED, factor(_RECYCLED, SubmissionInput.recycled_factor_code))
        .outerjoin(_VIRGIN, factor(_VIRGIN, SubmissionInput.virgin_factor_code))
        .outerjoin(_TD, factor(_TD, SubmissionInput.td_factor_code))
    )


# What an input row is on most rows: the columns read for every row of a period. The others
# (an imported footprint, a co-product's allocation, recycled content and end of life) are
# NULL on all but a few rows; a submission with any of them is read whole by `input_rows_for`.
COMMON_COLUMNS = COMMON  # positions in `_INPUT_COLUMNS`
_UNCOMMON = case(
    (
        or_(
            SubmissionInput.external_footprint_id.is_not(None),
            SubmissionInput.allocation_basis.is_not(None),
            SubmissionInput.allocation_share.is_not(None),
            SubmissionInput.recycled_share.is_not(None),
            SubmissionInput.recycled_factor_code.is_not(None),
            SubmissionInput.virgin_factor_code.is_not(None),
        ),
        1,
    ),
    else_=0,
)


@dataclass
class Inputs:
    """A graph's input rows: `common` as columns (position in `_INPUT_COLUMNS` -> the column)
    of which only the `kept` rows count (the wanted submissions' with common rows only), `rows`
    as tuples (the other submissions', and the fuel upstream rows added to the common ones)."""

    common: dict[int, Sequence[Any]]
    rows: list[Sequence[Any]]
    kept: np.ndarray


def input_rows(
    session: Session,
    start: date,
    end: date,
    pinned: Mapping[int, int] | None,
    wanted: set[int],
) -> Inputs:
    """The input rows of exactly the `wanted` submissions (those `submission_rows` read). The two
    reads are separate statements: a submission committed between them would bring rows of a
    version not read, or take away those of one read, so rows are kept by submission id and the
    few missing are read by id. The period's ~700k rows are read as the common columns only,
    with two of the four factor joins, straight from the DBAPI cursor (plain tuples: no
    SQLAlchemy row per input) and turned into columns at once (bench/RESULTS.md, "Ninth
    round")."""
    stmt = (
        select(*(_INPUT_COLUMNS[k] for k in COMMON_COLUMNS), _UNCOMMON)
        .join(Submission, Submission.id == SubmissionInput.submission_id)
        .outerjoin(EmissionFactor, _factor(EmissionFactor, SubmissionInput.factor_code))
        .outerjoin(_TD, _factor(_TD, SubmissionInput.td_factor_code))
        .where(period_clause(start, end, pinned))
    )
    fetched = plain_rows(session, stmt)
    width = len(COMMON_COLUMNS) + 1
    cols = list(zip(*fetched, strict=True)) if fetched else [()] * width
    sub = np.array(cols[0], dtype=np.int64)
    kept = np.isin(sub, np.array(sorted(wanted), dtype=np.int64))
    whole = set(sub[kept & np.array(cols[-1], dtype=bool)].tolist())
    found = set(np.unique(sub[kept]).tolist())
    if whole:
        kept &= ~np.isin(sub, np.array(sorted(whole), dtype=np.int64))
    common: dict[int, Sequence[Any]] = dict(zip(COMMON_COLUMNS, cols[:-1], strict=True))
    rows = input_rows_for(session, sorted(whole | (wanted - found)))
    return Inputs(common, rows + _fuel_pairs(session, _fuel_rows(common, kept)), kept)


def _fuel_rows(common: dict[int, Sequence[Any]], kept: np.ndarray) -> list[Sequence[Any]]:
    """The kept common rows `_fuel_pairs` reads (those valued with a fuel factor a rule
    pairs, or with the paired factor), as whole rows (None in the uncommon columns)."""
    fuel, upstream = _fuel_codes()
    paired = fuel | upstream
    codes = common[6]
    at = [k for k, code in enumerate(codes) if code in paired and kept[k]]
    width = len(_INPUT_COLUMNS)
    return [tuple(common[c][k] if c in common else None for c in range(width)) for k in at]


def _fuel_codes() -> tuple[set[str], set[str]]:
    """The combustion-only fuel factors the rules pair with a well-to-tank factor
    (`[fuel_upstream]`), and those well-to-tank factors."""
    fuel: set[str] = set()
    upstream: set[str] = set()
    for r in load_rules().values():
        if r.fuel_upstream:
            fuel.update(r.fuel_upstream.pairs)
            upstream.update(r.fuel_upstream.pairs.values())
    return fuel, upstream


def input_rows_for(session: Session, submission_ids: Sequence[int]) -> list[Sequence[Any]]:
    """The input rows of the submissions, each id chunk's rows followed by their fuel pairs
    (`_with_fuel_upstream`), chunks in the order given: whole rows, for the few submissions
    a snapshot is patched with, pinned ones, carried-forward ones and the rare ones the
    period's column read leaves out."""
    rows: list[Sequence[Any]] = []
    for part in id_chunks(submission_ids):
        stmt = _inputs_select().where(SubmissionInput.submission_id.in_(part))
        rows += _with_fuel_upstream(session, list(session.execute(stmt).all()))
    return rows


def _with_fuel_upstream(session: Session, rows: list[Sequence[Any]]) -> list[Sequence[Any]]:
    """The rows and their `_fuel_pairs`."""
    return [*rows, *_fuel_pairs(session, rows)]


def _fuel_pairs(session: Session, rows: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
    """For each input valued with a combustion-only fuel factor that the
    product's rule pairs with its supply chain (`[fuel_upstream]`, from the release it
    names), a row of the same quantity valued with the paired well-to-tank factor of the
    submission's own release, in the raw-material stage, after the input it pairs. A
    submission that enters that upstream factor itself keeps its own row and gets none."""
    pairs, upstream_codes = _fuel_codes()
    wanted = [r for r in rows if r[6] in pairs and r[2] != "material"]
    if not wanted:
        return []
    described: dict[int, tuple[str, int, str]] = {}
    for part in id_chunks(sorted({int(r[0]) for r in wanted})):
        described.update(
            (int(sub), (str(category), int(release), str(version)))
            for sub, category, release, version in session.execute(
                select(Submission.id, Product.category, FactorRelease.id, FactorRelease.version)
                .join(Product, Product.id == Submission.product_id)
                .join(FactorRelease, FactorRelease.id == Submission.factor_release_id)
                .where(Submission.id.in_(part))
            )
        )
    values = {
        (int(release), str(code)): (str(unit), float(value))
        for release, code, unit, value in session.execute(
            select(
                EmissionFactor.release_id,
                EmissionFactor.code,
                EmissionFactor.unit,
                cast(EmissionFactor.value, Float),
            ).where(
                EmissionFactor.release_id.in_({d[1] for d in described.values()}),
                EmissionFactor.code.in_(upstream_codes),
            )
        )
    }
    entered: dict[int, set[str]] = {}
    for r in rows:
        entered.setdefault(int(r[0]), set()).add(str(r[6]))
    added: list[Sequence[Any]] = []
    rules: dict[str, Any] = {}  # category -> its rule's [fuel_upstream], looked up once
    for r in wanted:
        category, release, version = described[int(r[0])]
        if category not in rules:
            rules[category] = rule_for_category(category).fuel_upstream
        rule = rules[category]
        code = rule.upstream_for(r[6], version, entered[int(r[0])]) if rule else None
        if code is None or (release, code) not in values:
            continue
        unit, value = values[(release, code)]
        pair = list(r)  # the input's own columns, but for what the paired factor changes
        pair[1], pair[3], pair[6] = r[1] + 0.5, "raw_material", code
        pair[7:12] = [None] * 5  # not linked, not imported, no distance, no allocation
        pair[12:14] = [unit, value]
        pair[14:20] = [None] * 6  # no recycled content, no end of life
        pair[20] = "secondary"  # a database value, whatever the fuel row's own provenance
        added.append(tuple(pair))
    return added
