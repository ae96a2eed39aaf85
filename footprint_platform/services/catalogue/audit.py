"""Writing to the append-only audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from footprint_platform.models import AuditEvent
from footprint_platform.policy import Actor


def record(
    session: Session,
    actor: Actor,
    action: str,
    obj: Any = None,
    *,
    object_type: str | None = None,
    organization_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit record in the caller's transaction: it lands with the change or not at all."""
    event = AuditEvent(
        actor_user_id=actor.user_id,
        actor_organization_id=actor.acting_organization_id,
        channel=actor.channel,
        action=action,
        object_type=object_type or (type(obj).__name__ if obj is not None else "none"),
        object_id=str(obj.id) if obj is not None and getattr(obj, "id", None) else None,
        organization_id=organization_id,
        ip=actor.ip,
        details=details,
    )
    session.add(event)
    return event
