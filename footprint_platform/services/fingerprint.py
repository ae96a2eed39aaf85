"""The canonical form of a submitted version and its SHA-256: what a submission's content hash
and a declaration's pins cover."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from footprint_platform.models import Submission
from footprint_platform.services.activity import FIELDS

HEADER_FIELDS = ("production_volume", "dqr", "notes", "mass_balance_reason", "exclusions")
# Header fields added after submissions were first hashed: in the canonical form only when set.
LATER_HEADER = ("mass_balance_reason", "exclusions")


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
            f: plain(getattr(sub, f))
            for f in HEADER_FIELDS
            if f not in LATER_HEADER or getattr(sub, f, None) is not None
        },
        "inputs": [_input(i, plain) for i in sub.inputs],
    }


# Fields added after submissions were first hashed: in the canonical form only when set, so the
# hashes of every version submitted before them stay what they were.
LATER_FIELDS = (
    "external_footprint_id",
    "recycled_share",
    "recycled_factor_code",
    "virgin_factor_code",
    "uncertainty",
    "certificate_id",
    "td_factor_code",
)


def _input(i: Any, plain: Any) -> dict[str, Any]:
    out = {f: plain(getattr(i, f)) for f in FIELDS if f not in LATER_FIELDS}
    out.update({f: plain(getattr(i, f)) for f in LATER_FIELDS if getattr(i, f, None) is not None})
    return out


def content_hash(sub: Submission) -> str:
    blob = json.dumps(canonical(sub), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
