"""Signed declaration files: what the protected header says about the declaration a file
comes from, and the check of a file and its signature against the platform's keys and its
record (current, superseded, withdrawn).

The header carries, under `tanlian`, the declaration's public id, version, content hash, the
file's format and the declaration's status when it was signed (docs/signatures.md). Signing
happens when a file is served, over the bytes served: the file and its `.jws` are built by the
same code from the same record, and Ed25519 gives the same signature for the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform import signing
from footprint_platform.models import Declaration, DeclarationStatus

MEDIA_TYPES = {
    "csv": "text/csv",
    "pact": "application/json",
    "batterypass": "application/json",
    "aas": "application/json",
}
CLAIM = "tanlian"


def signed_status(d: Declaration) -> str:
    """The declaration's state as a signature states it: a file of a draft says "draft"."""
    if d.withdrawn_at is not None:
        return "withdrawn"
    if d.published_at is None:
        return "draft"
    return "superseded" if d.status is DeclarationStatus.SUPERSEDED else "published"


def header_for(d: Declaration, fmt: str) -> dict[str, Any]:
    return {
        "cty": MEDIA_TYPES[fmt],
        CLAIM: {
            "declaration": d.public_id,
            "version": d.version,
            "format": fmt,
            "content_hash": d.content_hash,
            "status": signed_status(d),
        },
    }


def sign_file(d: Declaration, fmt: str, body: bytes) -> str:
    """The detached JWS of one served file of `d`."""
    return signing.sign_detached(body, header_for(d, fmt))


@dataclass(frozen=True)
class Check:
    """The outcome of checking a file against its signature.

    `standing` is where the declaration stands now: current, superseded, withdrawn,
    unpublished (a draft's file: nothing more is told), or unknown (no declaration here with
    this id and content hash). `declaration` is set for published ones only."""

    valid: bool
    reason: str | None = None  # a signing.REASONS key when not valid
    public_id: str | None = None
    version: int | None = None
    format: str | None = None
    content_hash: str | None = None
    signed_status: str | None = None
    kid: str | None = None
    current_key: bool = False
    standing: str | None = None
    declaration: Declaration | None = None


def _standing(session: Session, public_id: str, content_hash: str) -> tuple[str, Any]:
    d = session.scalar(select(Declaration).where(Declaration.public_id == public_id))
    if d is None or d.content_hash != content_hash:
        return "unknown", None
    status = signed_status(d)
    if status == "draft":
        return "unpublished", None
    return ("current" if status == "published" else status), d


def check_file(session: Session, ring: signing.Keyring, body: bytes, signature: str) -> Check:
    """Does `signature` verify over `body` with one of the platform's keys, and which
    declaration does it name? A signature without our claims is still checked, then unknown."""
    try:
        header = signing.verify_detached(ring, body, signature)
    except signing.BadSignature as exc:
        return Check(valid=False, reason=exc.code)
    raw = header.get(CLAIM)
    claims: dict[str, Any] = raw if isinstance(raw, dict) else {}
    kid = str(header["kid"])
    public_id, content_hash = claims.get("declaration"), claims.get("content_hash")
    standing, d = (
        _standing(session, public_id, content_hash)
        if isinstance(public_id, str) and isinstance(content_hash, str)
        else ("unknown", None)
    )
    version = claims.get("version")
    return Check(
        valid=True,
        public_id=public_id if isinstance(public_id, str) else None,
        version=version if isinstance(version, int) else None,
        format=str(claims.get("format") or "") or None,
        content_hash=content_hash if isinstance(content_hash, str) else None,
        signed_status=str(claims.get("status") or "") or None,
        kid=kid,
        current_key=kid == ring.current_kid,
        standing=standing,
        declaration=d,
    )
