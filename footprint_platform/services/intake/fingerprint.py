"""The canonical form of a submitted version and its SHA-256: what a submission's content hash
and a declaration's pins cover."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from footprint_platform.models import RATING_FIELDS, Submission
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


def canonical(sub: Submission) -> dict[str, Any]:
    """The submitted content in a canonical form: what the content hash covers."""

    def plain(v: Any) -> Any:
        if isinstance(v, Decimal):
            return format(v.normalize(), "f")
        return v.value if hasattr(v, "value") else v

    return {
        "product_id": sub.product_id,
        "period": [str(sub.period_start), str(sub.period_end)],
        "version": sub.version,
        "rule": [sub.rule_code, sub.rule_version],
        "factor_release_id": sub.factor_release_id,
        "header": {
            **{
                f: plain(getattr(sub, f))
                for f in HEADER_FIELDS
                if f not in LATER_HEADER or getattr(sub, f, None) is not None
            },
            **_ratings(sub, plain),
        },
        "inputs": [_input(i, plain) for i in sub.inputs],
    }


def _ratings(item: Any, plain: Any) -> dict[str, Any]:
    """The three ratings (PACT dqi), only where they say more than the single `dqr`: three
    equal to it are what migration 0029 made of a single rating, so hashes made before it
    stay what they were."""
    values = [getattr(item, f, None) for f in RATING_FIELDS]
    if all(v is None for v in values) or all(v == item.dqr for v in values):
        return {}
    return {f: plain(v) for f, v in zip(RATING_FIELDS, values, strict=True)}


def _input(i: Any, plain: Any) -> dict[str, Any]:
    """Fields added after submissions were first hashed (`LATER_FIELDS`) are in the canonical
    form only when set, and a provenance only when it differs from the one migration 0029
    gave rows entered before it was recorded (`implied_provenance`), so the hashes of every
    version submitted before them stay what they were."""
    out = {f: plain(getattr(i, f)) for f in FIELDS if f not in LATER_FIELDS}
    out.update({f: plain(getattr(i, f)) for f in LATER_FIELDS if getattr(i, f, None) is not None})
    out.pop("provenance", None)
    out = {k: v for k, v in out.items() if k not in RATING_FIELDS}
    provenance = getattr(i, "provenance", None)
    if provenance != implied_provenance(
        plain(i.kind), i.factor_code, i.linked_product_id, i.external_footprint_id
    ):
        out["provenance"] = provenance
    out.update(_ratings(i, plain))
    return out


def content_hash(sub: Submission) -> str:
    blob = json.dumps(canonical(sub), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
