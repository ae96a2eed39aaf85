"""API authentication: organization tokens sent as `Authorization: Bearer tlk_…`.

Runs before the request body is parsed, so an unauthenticated or read-only caller learns
nothing from validation errors."""

from __future__ import annotations

from flask import g, request
from flask_smorest import abort

from footprint_platform.extensions import db
from footprint_platform.models import MemberRole
from footprint_platform.policy import Actor
from footprint_platform.services.catalogue.accounts import token_actor

READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def authenticate_api_request() -> None:
    """401 without a valid token; 403 for a read-scope token on a write method. Sessions do
    not count here, so the API needs no CSRF protection."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    found = None
    if scheme.lower() == "bearer" and secret:
        found = token_actor(db.session, secret.strip()[:200], request.remote_addr)
    if found is None:
        abort(401, message="A valid API token is required (Authorization: Bearer …).")
    if request.method not in READ_METHODS and MemberRole.EDITOR not in found.roles.values():
        abort(403, message="This token has read scope only.")
    g.api_actor = found


def api_actor() -> Actor:
    """The actor of the current API request (set by authenticate_api_request)."""
    return g.api_actor  # type: ignore[no-any-return]
