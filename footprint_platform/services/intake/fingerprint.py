"""The canonical form of a submitted version and its SHA-256: what a submission's content hash
and a declaration's pins cover.

The rules are written once, over plain mappings of column values (`canonical_form`): a
submission read through the ORM is turned into them (`canonical`, `content_hash`), and the
synthetic industry (footprint_platform/scale.py) hashes the dicts it inserts as they are
(`content_hash_of`), 100k submissions without an object or an attribute look-up each."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.bulk import one_of, typed_rows
from footprint_platform.models import RATING_FIELDS, Submission, SubmissionInput
from footprint_platform.services.intake.activity import FIELDS, LATER_FIELDS, implied_provenance

HEADER_FIELDS = (
    "production_volume",
    "dqr",
    "notes",
    "mass_balance_reason",
    "exclusions",
    "carbon_fossil",
    "carbon_biogenic",
)
# Header fields added after submissions were first hashed: in the canonical form only when set.
LATER_HEADER = ("mass_balance_reason", "exclusions", "carbon_fossil", "carbon_biogenic")
# What `canonical_form` reads of a submission besides its header and ratings.
SUBMISSION_KEYS = (
    "product_id",
    "period_start",
    "period_end",
    "version",
    "rule_code",
    "rule_version",
    "factor_release_id",
)
# An input row's fields always in the canonical form, and those only when set (provenance and
# the ratings have rules of their own).
# Every column of the submission the canonical form reads.
_SUBMISSION_COLUMNS = (*SUBMISSION_KEYS, *HEADER_FIELDS, *RATING_FIELDS)
_FIRST = tuple(f for f in FIELDS if f not in LATER_FIELDS and f not in RATING_FIELDS)
_LATER = tuple(f for f in LATER_FIELDS if f != "provenance" and f not in RATING_FIELDS)
_ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


def canonical(sub: Submission) -> dict[str, Any]:
    """The submitted content in a canonical form: what the content hash covers."""
    values = {f: getattr(sub, f, None) for f in _SUBMISSION_COLUMNS}
    inputs = ({f: getattr(i, f, None) for f in FIELDS} for i in sub.inputs)
    return canonical_form(values, inputs)


def canonical_form(
    values: Mapping[str, Any], inputs: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """The canonical form of a submission's column values (`SUBMISSION_KEYS`, `HEADER_FIELDS`,
    the ratings; a header field added later may be absent) and its input rows' (`FIELDS`; one
    added later may be absent)."""
    get = values.get
    return {
        "product_id": values["product_id"],
        "period": [str(values["period_start"]), str(values["period_end"])],
        "version": values["version"],
        "rule": [values["rule_code"], values["rule_version"]],
        "factor_release_id": values["factor_release_id"],
        "header": {
            **{
                f: _plain(get(f))
                for f in HEADER_FIELDS
                if f not in LATER_HEADER or get(f) is not None
            },
            **_ratings(values),
        },
        "inputs": [_input(i) for i in inputs],
    }


def _plain(v: Any) -> Any:
    """A value as the canonical form writes it: a Decimal without trailing zeros, an enum's
    value, anything else as it is (strings, integers and None first: most values)."""
    if v is None or type(v) is str or type(v) is int:
        return v
    if isinstance(v, Decimal):
        return format(v.normalize(), "f")
    return v.value if hasattr(v, "value") else v


def _ratings(item: Mapping[str, Any]) -> dict[str, Any]:
    """The three ratings (PACT dqi), only where they say more than the single `dqr`: three
    equal to it are what migration 0029 made of a single rating, so hashes made before it
    stay what they were."""
    values = [item.get(f) for f in RATING_FIELDS]
    dqr = item.get("dqr")
    if all(v is None for v in values) or all(v == dqr for v in values):
        return {}
    return {f: _plain(v) for f, v in zip(RATING_FIELDS, values, strict=True)}


def _input(i: Mapping[str, Any]) -> dict[str, Any]:
    """Fields added after submissions were first hashed (`LATER_FIELDS`) are in the canonical
    form only when set, and a provenance only when it differs from the one migration 0029
    gave rows entered before it was recorded (`implied_provenance`), so the hashes of every
    version submitted before them stay what they were."""
    # `_plain` inlined for the commonest values: this runs for 540k rows in the synthetic
    # industry (bench/RESULTS.md, "Loading the 100k industry")
    out: dict[str, Any] = {
        f: v if (v := i[f]) is None or type(v) is str else _plain(v) for f in _FIRST
    }
    get = i.get
    for f in _LATER:
        if (v := get(f)) is not None:
            out[f] = _plain(v)
    provenance = get("provenance")
    if provenance != implied_provenance(
        out["kind"], out["factor_code"], out["linked_product_id"], get("external_footprint_id")
    ):
        out["provenance"] = provenance
    if any(get(f) is not None for f in RATING_FIELDS):
        out.update(_ratings(i))
    return out


def content_hash(sub: Submission) -> str:
    return _sha256(canonical(sub))


def content_hash_of(values: Mapping[str, Any], inputs: Iterable[Mapping[str, Any]]) -> str:
    """`content_hash` of a submission given as column values (as `canonical_form` takes them)."""
    return _sha256(canonical_form(values, inputs))


def stored_hashes(session: Session, submission_ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """Submission id -> (its product, the content hash of what is stored now), recomputed from
    the columns as the ORM would give them (`bulk.typed_rows`) without an object each:
    verification checks a declaration's ~1k pins against these (through the ORM the read
    of their versions and rows was most of its time, and where the cyclic collector ran)."""
    ids = list(submission_ids)
    if not ids:
        return {}
    names = _SUBMISSION_COLUMNS
    heads = typed_rows(
        session,
        select(Submission.id, *(getattr(Submission, f) for f in names)).where(
            one_of(session, Submission.id, ids)
        ),
    )
    rows = typed_rows(
        session,
        select(SubmissionInput.submission_id, *(getattr(SubmissionInput, f) for f in FIELDS))
        .where(one_of(session, SubmissionInput.submission_id, ids))
        .order_by(SubmissionInput.submission_id, SubmissionInput.position),
    )
    inputs: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for sid, *values in rows:
        inputs[sid].append(dict(zip(FIELDS, values, strict=True)))
    return {
        sid: (values[0], content_hash_of(dict(zip(names, values, strict=True)), inputs[sid]))
        for sid, *values in heads
    }


def _sha256(form: dict[str, Any]) -> str:
    return hashlib.sha256(_ENCODE(form).encode("utf-8")).hexdigest()
