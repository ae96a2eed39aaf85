"""Evidence files: type and size checked, stored with their SHA-256."""

from __future__ import annotations

import hashlib

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.errors import InvalidInput
from footprint_platform.models import Evidence
from footprint_platform.policy import Action, Actor, authorize
from footprint_platform.services.catalogue import audit, records

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024

# Recognised by their first bytes, not by the name or the browser's word for them.
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"PK\x03\x04", "application/zip"),  # xlsx, docx and other Office Open XML files
)


def sniff(data: bytes) -> str | None:
    """The content type of an accepted evidence file, or None."""
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    if b"\x00" not in data[:4096]:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "text/plain"
    return None


def add_evidence(
    session: Session,
    actor: Actor,
    organization_id: int,
    filename: str,
    data: bytes,
    description: str | None = None,
) -> Evidence:
    """Store a file once per organization (the same bytes again return the stored one)."""
    authorize(actor, Action.EDIT_SUBMISSIONS, organization_id)
    if not data:
        msg = str(_l("The file is empty."))
        raise InvalidInput(msg, {"file": [msg]})
    if len(data) > MAX_EVIDENCE_BYTES:
        msg = str(_l("Evidence files may be at most 10 MB."))
        raise InvalidInput(msg, {"file": [msg]})
    content_type = sniff(data)
    if content_type is None:
        msg = str(_l("Accepted: PDF, PNG, JPEG, Office files and plain text."))
        raise InvalidInput(msg, {"file": [msg]})
    sha = hashlib.sha256(data).hexdigest()
    existing = session.scalar(
        select(Evidence).where(Evidence.organization_id == organization_id, Evidence.sha256 == sha)
    )
    if existing is not None:
        return existing
    name = (filename or "evidence").replace("\\", "/").rsplit("/", 1)[-1][:200]
    evidence = Evidence(
        organization_id=organization_id,
        filename=name,
        sha256=sha,
        content_type=content_type,
        size=len(data),
        data=data,
        description=(description or "")[:200] or None,
        uploaded_by_id=actor.user_id,
    )
    session.add(evidence)
    session.flush()
    audit.record(
        session,
        actor,
        "evidence.add",
        evidence,
        organization_id=organization_id,
        details={"filename": name, "sha256": sha, "size": len(data)},
    )
    session.commit()
    return evidence


def get_evidence(session: Session, actor: Actor, evidence_id: int) -> Evidence:
    missing = str(_l("No such evidence file."))
    evidence = records.record_for(
        session, actor, Evidence, evidence_id, Action.VIEW_SUBMISSIONS, missing
    )
    audit.record(
        session, actor, "evidence.read", evidence, organization_id=evidence.organization_id
    )
    session.commit()
    return evidence
