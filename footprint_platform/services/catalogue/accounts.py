"""Accounts: invitations, sign-in, password resets, members and API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from footprint_platform.errors import Conflict, InvalidInput, NotFound
from footprint_platform.models import (
    ApiToken,
    Invitation,
    MemberRole,
    Membership,
    Organization,
    PasswordReset,
    TokenScope,
    User,
    utcnow,
)
from footprint_platform.policy import Action, Actor, allowed, authorize
from footprint_platform.security import (
    MIN_PASSWORD_LENGTH,
    digest,
    dummy_verify,
    hash_password,
    new_secret,
    verify_password,
)
from footprint_platform.services.catalogue import audit

TOKEN_PREFIX = "tlk_"


def normalize_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(str(_l("Invalid e-mail address.")), {"email": [str(exc)]}) from exc


def check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        msg = str(_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
        raise InvalidInput(msg, {field: [msg]})


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(session: Session, email: str, password: str, ip: str | None) -> User | None:
    """The user if e-mail and password match an active account, else None. Same cost either way."""
    user = find_user(session, email)
    if user is None:
        dummy_verify(password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password) and user.active
    actor = Actor(user_id=user.id if user else None, roles={}, ip=ip)
    audit.record(
        session,
        actor,
        "auth.login" if ok else "auth.login_failed",
        object_type="User",
        details=None if ok else {"email": email[:254]},
    )
    if ok and user is not None:
        user.last_login_at = utcnow()
    session.commit()
    return user if ok else None


def session_user(session: Session, cookie_id: str) -> User | None:
    """The user a sign-in or remember-me cookie names (User.get_id: "<id>:<version>"), or None
    if the account is inactive or the cookie was issued under an earlier session version."""
    user_id, _, version = cookie_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def sign_out(session: Session, user: User, ip: str | None) -> None:
    """Signing out ends every session of the user, not only this browser's: a copied session
    or remember-me cookie is worth nothing afterwards."""
    user.end_sessions()
    audit.record(session, Actor(user_id=user.id, roles={}, ip=ip), "auth.logout", user)
    session.commit()


def set_preferred_language(session: Session, user: User, code: str) -> None:
    """Remembered across sessions and devices, so a person need switch only once."""
    if user.locale != code:
        user.locale = code
        session.commit()


def invite(
    session: Session,
    actor: Actor,
    organization_id: int,
    email: str,
    role: MemberRole,
    ttl: timedelta,
) -> tuple[Invitation, str]:
    """Create an invitation; returns it with the one-time token (only its hash is stored).
    An organization's administrators invite; the operator invites the first administrator of
    an organization it registered."""
    if not allowed(actor, Action.MANAGE_MEMBERS, organization_id):
        authorize(actor, Action.ADMINISTER_PLATFORM)
    email = normalize_email(email)
    existing = find_user(session, email)
    if existing and existing.membership_in(organization_id):
        msg = str(_l("This person is already a member."))
        raise InvalidInput(msg, {"email": [msg]})
    token = new_secret()
    inv = Invitation(
        organization_id=organization_id,
        email=email,
        role=role,
        token_hash=digest(token),
        invited_by_id=actor.user_id,
        expires_at=utcnow() + ttl,
    )
    session.add(inv)
    session.flush()
    audit.record(
        session,
        actor,
        "member.invite",
        inv,
        organization_id=organization_id,
        details={"email": email, "role": role.value},
    )
    session.commit()
    return inv, token


def open_invitation(session: Session, token: str) -> Invitation:
    inv = session.scalar(select(Invitation).where(Invitation.token_hash == digest(token)))
    if inv is None or not inv.is_open(utcnow()):
        raise NotFound(str(_l("This invitation is invalid, used or expired.")))
    return inv


def accept_invitation(
    session: Session, token: str, display_name: str, password: str, ip: str | None
) -> User:
    """Sign up through an invitation, or join with an existing account (password proves it)."""
    inv = open_invitation(session, token)
    user = find_user(session, inv.email)
    if user is None:
        check_password(password)
        if not display_name.strip():
            msg = str(_l("Required."))
            raise InvalidInput(msg, {"display_name": [msg]})
        user = User(
            email=inv.email,
            display_name=display_name.strip()[:120],
            password_hash=hash_password(password),
        )
        session.add(user)
        session.flush()
    elif not verify_password(user.password_hash, password):
        msg = str(_l("Enter the password of your existing account."))
        raise InvalidInput(msg, {"password": [msg]})
    session.add(Membership(user_id=user.id, organization_id=inv.organization_id, role=inv.role))
    inv.accepted_at = utcnow()
    actor = Actor(user_id=user.id, roles={inv.organization_id: inv.role}, ip=ip)
    audit.record(
        session,
        actor,
        "member.join",
        inv,
        organization_id=inv.organization_id,
        details={"role": inv.role.value},
    )
    session.commit()
    session.refresh(user)
    return user


def request_password_reset(
    session: Session, email: str, ttl: timedelta, ip: str | None
) -> str | None:
    """A reset token for the account, or None if there is none. The caller answers the same
    either way so the form does not reveal which addresses have accounts."""
    user = find_user(session, email)
    if user is None or not user.active:
        return None
    token = new_secret()
    session.add(PasswordReset(user_id=user.id, token_hash=digest(token), expires_at=utcnow() + ttl))
    audit.record(session, Actor(user_id=user.id, roles={}, ip=ip), "auth.reset_requested", user)
    session.commit()
    return token


def open_password_reset(session: Session, token: str) -> PasswordReset:
    reset = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == digest(token)))
    if reset is None or reset.used_at is not None or utcnow() >= reset.expires_at:
        raise NotFound(str(_l("This reset link is invalid, used or expired.")))
    return reset


def reset_password(session: Session, token: str, password: str, ip: str | None) -> User:
    reset = open_password_reset(session, token)
    check_password(password)
    reset.used_at = utcnow()
    _set_password(session, reset.user, password)
    audit.record(
        session, Actor(user_id=reset.user_id, roles={}, ip=ip), "auth.password_reset", reset.user
    )
    session.commit()
    return reset.user


def change_password(
    session: Session, user: User, current: str, password: str, ip: str | None
) -> None:
    """A signed-in person's new password, proved by the current one. Every session of theirs
    ends (the caller signs this browser in again) and every open reset link closes."""
    if not verify_password(user.password_hash, current):
        msg = str(_l("This is not your current password."))
        raise InvalidInput(msg, {"current_password": [msg]})
    check_password(password)
    _set_password(session, user, password)
    audit.record(session, Actor(user_id=user.id, roles={}, ip=ip), "auth.password_changed", user)
    session.commit()


def _set_password(session: Session, user: User, password: str) -> None:
    """A new password ends every session of the user and every reset link still open: whoever
    held the old password, a cookie or a mailed link is out."""
    user.password_hash = hash_password(password)
    user.end_sessions()
    now = utcnow()
    for open_reset in session.scalars(
        select(PasswordReset).where(
            PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None)
        )
    ):
        open_reset.used_at = now


def change_member_role(
    session: Session, actor: Actor, organization_id: int, membership_id: int, role: MemberRole
) -> Membership:
    authorize(actor, Action.MANAGE_MEMBERS, organization_id)
    m = _membership(session, organization_id, membership_id)
    if m.role is MemberRole.ADMIN and role is not MemberRole.ADMIN:
        _keep_an_admin(session, organization_id)
    m.role = role
    audit.record(
        session,
        actor,
        "member.role",
        m,
        organization_id=organization_id,
        details={"role": role.value, "user_id": m.user_id},
    )
    session.commit()
    return m


def remove_member(session: Session, actor: Actor, organization_id: int, membership_id: int) -> None:
    authorize(actor, Action.MANAGE_MEMBERS, organization_id)
    m = _membership(session, organization_id, membership_id)
    if m.role is MemberRole.ADMIN:
        _keep_an_admin(session, organization_id)
    audit.record(
        session,
        actor,
        "member.remove",
        m,
        organization_id=organization_id,
        details={"user_id": m.user_id},
    )
    session.delete(m)
    session.commit()


def revoke_invitation(session: Session, actor: Actor, organization_id: int, inv_id: int) -> None:
    authorize(actor, Action.MANAGE_MEMBERS, organization_id)
    inv = session.get(Invitation, inv_id)
    if inv is None or inv.organization_id != organization_id:
        raise NotFound(str(_l("No such invitation.")))
    inv.revoked_at = utcnow()
    audit.record(session, actor, "member.invitation_revoked", inv, organization_id=organization_id)
    session.commit()


def _membership(session: Session, organization_id: int, membership_id: int) -> Membership:
    m = session.get(Membership, membership_id)
    if m is None or m.organization_id != organization_id:
        raise NotFound(str(_l("No such member.")))
    return m


def _keep_an_admin(session: Session, organization_id: int) -> None:
    admins = session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.organization_id == organization_id, Membership.role == MemberRole.ADMIN)
    )
    if (admins or 0) <= 1:
        raise Conflict(str(_l("An organization needs at least one administrator.")))


def create_api_token(
    session: Session,
    actor: Actor,
    organization_id: int,
    name: str,
    scope: TokenScope,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token; the secret is returned once and only its hash is kept."""
    authorize(actor, Action.MANAGE_TOKENS, organization_id)
    name = name.strip()
    if not name or len(name) > 100:
        msg = str(_l("Give the token a name of 1 to 100 characters."))
        raise InvalidInput(msg, {"name": [msg]})
    secret = new_secret(TOKEN_PREFIX)
    token = ApiToken(
        organization_id=organization_id,
        name=name,
        scope=scope,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=digest(secret),
        created_by_id=actor.user_id,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor,
        "token.create",
        token,
        organization_id=organization_id,
        details={"name": name, "scope": scope.value, "prefix": token.prefix},
    )
    session.commit()
    return token, secret


def revoke_api_token(session: Session, actor: Actor, organization_id: int, token_id: int) -> None:
    authorize(actor, Action.MANAGE_TOKENS, organization_id)
    token = session.get(ApiToken, token_id)
    if token is None or token.organization_id != organization_id:
        raise NotFound(str(_l("No such token.")))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, actor, "token.revoke", token, organization_id=organization_id)
        session.commit()


def token_actor(session: Session, secret: str, ip: str | None) -> Actor | None:
    """The actor an API token stands for, or None if the token is unknown, revoked or expired."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    now = utcnow()
    if token is None or not token.is_usable(now):
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now  # coarse, to spare a write per request
        session.commit()
    role = MemberRole.EDITOR if token.scope is TokenScope.WRITE else MemberRole.VIEWER
    org = session.get(Organization, token.organization_id)
    assert org is not None
    return Actor(
        user_id=None,
        roles={org.id: role},
        org_roles={org.id: frozenset(org.roles)},
        channel="api",
        ip=ip,
        token_id=token.id,
    )


def user_actor(user: User, channel: str = "web", ip: str | None = None) -> Actor:
    return Actor(
        user_id=user.id,
        roles={m.organization_id: m.role for m in user.memberships},
        org_roles={m.organization_id: frozenset(m.organization.roles) for m in user.memberships},
        channel=channel,
        ip=ip,
    )
