"""Registering an organization: the operator's one step that brings a company on board."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from footprint_platform.models import MemberRole, Organization
from footprint_platform.policy import Actor
from footprint_platform.services import accounts, catalog, requests


def register_organization(
    session: Session, actor: Actor, data: dict[str, Any], ttl: timedelta
) -> tuple[Organization, str | None]:
    """Create the organization; invite its first administrator if an e-mail is given, and
    hand it the data requests buyers addressed to that e-mail while it was not on Tanlian.
    Returns the organization and the one-time invitation token."""
    org = catalog.create_organization(session, actor, data)
    email = data.get("admin_email")
    if not email:
        return org, None
    _, token = accounts.invite(session, actor, org.id, email, MemberRole.ADMIN, ttl)
    if requests.attach_invited_supplier(session, org.id, accounts.normalize_email(email)):
        session.commit()
    return org, token
