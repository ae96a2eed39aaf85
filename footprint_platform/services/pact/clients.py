"""PACT partner credentials: a data owner's administrator issues a client (id and secret) to a
partner organization; the partner's host system trades it for expiring bearer tokens
(OAuth2 client credentials, RFC 6749 §4.4) and reads what the owner shared with it.

Secrets and tokens follow the API-token pattern (catalogue/accounts.py): 256-bit random values,
shown once, stored as SHA-256. Access tokens are opaque and stored hashed rather than signed:
every use must look up the client anyway (revoked? rotated?), so a signature would save no
query, and a row lets a rotation or revocation end the tokens already handed out at once.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from footprint_platform.errors import InvalidInput, NotFound
from footprint_platform.models import (
    Organization,
    OrgRole,
    PactAccessToken,
    PactClient,
    utcnow,
)
from footprint_platform.policy import Action, Actor, PactGrant, authorize
from footprint_platform.security import digest, new_secret
from footprint_platform.services.catalogue import audit

CLIENT_ID_PREFIX = "pact-"
SECRET_PREFIX = "tps_"
TOKEN_PREFIX = "tpa_"
KEEP_EXPIRED = timedelta(days=1)  # then an expired token's row is deleted (it is no secret)
LAST_USED_EVERY = timedelta(minutes=5)  # coarse, to spare a write per request


def clients_query(owner_id: int) -> Any:
    """The owner's clients, active first, newest first."""
    return (
        select(PactClient)
        .where(PactClient.owner_id == owner_id)
        .order_by(PactClient.revoked_at.is_not(None), PactClient.id.desc())
    )


def partner_choices(session: Session, owner_id: int) -> list[Organization]:
    """Organizations a client may be issued to: buyers other than the owner (the ones a
    footprint can be shared with)."""
    return list(
        session.scalars(
            select(Organization)
            .where(
                Organization.id != owner_id,
                Organization.role_rows.any(role=OrgRole.BUYER),
            )
            .order_by(Organization.name_en)
        )
    )


def create_client(
    session: Session,
    actor: Actor,
    owner_id: int,
    partner_id: int,
    name: str,
    secret: str | None = None,
    client_id: str | None = None,
) -> tuple[PactClient, str]:
    """A new client for `partner_id`; returns it with its secret, shown once. `secret` and
    `client_id` are for the demo only, which prints known credentials."""
    authorize(actor, Action.MANAGE_PACT_CLIENTS, owner_id)
    name = name.strip()
    if not name or len(name) > 100:
        msg = str(_l("Give the client a name of 1 to 100 characters."))
        raise InvalidInput(msg, {"name": [msg]})
    if partner_id == owner_id or partner_id not in {
        o.id for o in partner_choices(session, owner_id)
    }:
        msg = str(_l("Choose another organization."))
        raise InvalidInput(msg, {"partner_id": [msg]})
    secret = secret or new_secret(SECRET_PREFIX)
    client = PactClient(
        client_id=client_id or CLIENT_ID_PREFIX + secrets.token_hex(8),
        owner_id=owner_id,
        partner_id=partner_id,
        name=name,
        secret_hash=digest(secret),
        created_by_id=actor.user_id,
    )
    session.add(client)
    session.flush()
    audit.record(
        session,
        actor,
        "pact_client.create",
        client,
        organization_id=owner_id,
        details={"client_id": client.client_id, "partner_id": partner_id, "name": name},
    )
    session.commit()
    return client, secret


def _owned(session: Session, actor: Actor, owner_id: int, pk: int) -> PactClient:
    authorize(actor, Action.MANAGE_PACT_CLIENTS, owner_id)
    client = session.get(PactClient, pk)
    if client is None or client.owner_id != owner_id:
        raise NotFound(str(_l("No such PACT client.")))
    return client


def _end_tokens(session: Session, client: PactClient, now: datetime) -> None:
    session.execute(
        update(PactAccessToken)
        .where(PactAccessToken.client_pk == client.id, PactAccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def revoke_client(session: Session, actor: Actor, owner_id: int, pk: int) -> PactClient:
    """End the client and every token it holds; the row stays in the record."""
    client = _owned(session, actor, owner_id, pk)
    if client.revoked_at is None:
        now = utcnow()
        client.revoked_at = now
        _end_tokens(session, client, now)
        audit.record(
            session,
            actor,
            "pact_client.revoke",
            client,
            organization_id=owner_id,
            details={"client_id": client.client_id},
        )
        session.commit()
    return client


def rotate_secret(session: Session, actor: Actor, owner_id: int, pk: int) -> tuple[PactClient, str]:
    """A new secret for the same client id; the old secret and its tokens stop working now."""
    client = _owned(session, actor, owner_id, pk)
    if client.revoked_at is not None:
        msg = str(_l("This client is revoked; create a new one."))
        raise InvalidInput(msg, {"client": [msg]})
    secret = new_secret(SECRET_PREFIX)
    now = utcnow()
    client.secret_hash = digest(secret)
    client.rotated_at = now
    _end_tokens(session, client, now)
    audit.record(
        session,
        actor,
        "pact_client.rotate",
        client,
        organization_id=owner_id,
        details={"client_id": client.client_id},
    )
    session.commit()
    return client, secret


# -- tokens ------------------------------------------------------------------------------------


class InvalidClient(Exception):
    """Client authentication failed (RFC 6749 §5.2 `invalid_client`)."""


@dataclass(frozen=True)
class Issued:
    access_token: str
    expires_in: int  # seconds


def pact_actor(client: PactClient, ip: str | None) -> Actor:
    """The actor a client stands for: its partner organization, reading the owner's shares."""
    return Actor(
        user_id=None,
        roles={},
        channel="pact",
        ip=ip,
        pact=PactGrant(client.id, client.owner_id, client.partner_id),
    )


def authenticate(session: Session, client_id: str, secret: str, ip: str | None) -> PactClient:
    """The client if it is active and the secret is its own; InvalidClient otherwise (unknown,
    revoked and wrong secret alike, so nothing tells them apart), audited."""
    client = session.scalar(select(PactClient).where(PactClient.client_id == client_id[:40]))
    presented = digest(secret)
    if (
        client is not None
        and client.revoked_at is None
        and hmac.compare_digest(client.secret_hash, presented)
    ):
        return client
    audit.record(
        session,
        Actor(user_id=None, roles={}, channel="pact", ip=ip),
        "pact.token_refused",
        object_type="PactClient",
        organization_id=client.owner_id if client is not None else None,
        details={"client_id": client_id[:40]},
    )
    session.commit()
    raise InvalidClient(client_id[:40])


def issue_token(session: Session, client: PactClient, ttl: timedelta, ip: str | None) -> Issued:
    """A new access token for an authenticated client; its expired tokens are cleared."""
    now = utcnow()
    token = new_secret(TOKEN_PREFIX)
    session.execute(
        delete(PactAccessToken).where(
            PactAccessToken.client_pk == client.id,
            PactAccessToken.expires_at < now - KEEP_EXPIRED,
        )
    )
    session.add(
        PactAccessToken(client_pk=client.id, token_hash=digest(token), expires_at=now + ttl)
    )
    client.last_used_at = now
    audit.record(
        session,
        pact_actor(client, ip),
        "pact.token",
        client,
        organization_id=client.owner_id,
        details={"client_id": client.client_id, "expires_in": int(ttl.total_seconds())},
    )
    session.commit()
    return Issued(token, int(ttl.total_seconds()))


class TokenExpired(Exception):
    """The bearer token was valid but its time is up."""


def token_client(session: Session, token: str) -> PactClient | None:
    """The client a bearer token belongs to; None if the token is unknown or revoked (or its
    client is); TokenExpired if it was good but expired."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    found = session.scalar(
        select(PactAccessToken).where(PactAccessToken.token_hash == digest(token[:200]))
    )
    if found is None or found.revoked_at is not None or found.client.revoked_at is not None:
        return None
    now = utcnow()
    if now >= found.expires_at:
        raise TokenExpired()
    client = found.client
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_EVERY:
        client.last_used_at = now
        session.commit()
    return client
