"""Registering an organization: the operator's one step that brings a company on board."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from footprint_platform.errors import InvalidInput
from footprint_platform.models import (
    DataRequest,
    MemberRole,
    Membership,
    Organization,
    OrganizationRole,
    OrgRole,
    User,
)
from footprint_platform.policy import Actor
from footprint_platform.security import hash_password
from footprint_platform.services.catalogue import accounts, audit, catalog
from footprint_platform.services.exchange import requests


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


def join_as_supplier(
    session: Session,
    token: str,
    data: dict[str, Any],
    display_name: str,
    password: str,
    ip: str | None,
) -> User:
    """A supplier invited by a buyer's request registers its company and its first
    administrator in one step; every request waiting for its e-mail address then reaches it.
    The operator sees the company in its list like any other."""
    request = requests.open_join_link(session, token)
    email = request.supplier_email or ""
    accounts.check_password(password)
    if accounts.find_user(session, email) is not None:
        msg = str(_l("An account with this e-mail exists; ask the operator to add your company."))
        raise InvalidInput(msg, {"password": [msg]})
    if not display_name.strip():
        msg = str(_l("Required."))
        raise InvalidInput(msg, {"display_name": [msg]})
    catalog.check_new_organization(session, data["name_en"])
    org = Organization(
        name_en=data["name_en"],
        name_zh=data.get("name_zh"),
        country=data["country"],
        role_rows=[OrganizationRole(role=OrgRole.SUPPLIER)],
    )
    user = User(
        email=email, display_name=display_name.strip()[:120], password_hash=hash_password(password)
    )
    session.add_all([org, user])
    session.flush()
    session.add(Membership(user_id=user.id, organization_id=org.id, role=MemberRole.ADMIN))
    requests.attach_invited_supplier(session, org.id, email)
    for waiting in session.scalars(select(DataRequest).where(DataRequest.supplier_email == email)):
        waiting.join_token_hash = None
    actor = Actor(user_id=user.id, roles={org.id: MemberRole.ADMIN}, ip=ip)
    audit.record(
        session,
        actor,
        "organization.join",
        org,
        organization_id=org.id,
        details={"via_request": request.id, "name_en": org.name_en},
    )
    session.commit()
    session.refresh(user)
    return user
