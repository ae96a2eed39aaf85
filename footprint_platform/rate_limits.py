"""Rate limits beyond sign-in: uploads, counted per uploader (a person, an API token, else an
address), so one busy supplier cannot starve the others and one address cannot flood us; and
PACT events, counted per PACT client, so a partner's system cannot fill an owner's inbox (a new
token or another address does not start a new count)."""

from __future__ import annotations

import hashlib

from flask import current_app, g, request
from flask_login import current_user


def upload_limit() -> str:
    return str(current_app.config["UPLOAD_RATE_LIMIT"])


def uploader_key() -> str:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):  # never the secret itself: it could reach the limiter store
        return "token:" + hashlib.sha256(auth[7:].encode()).hexdigest()[:20]
    if current_user and current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{request.remote_addr}"


def pact_event_limit() -> str:
    return str(current_app.config["PACT_EVENT_RATE_LIMIT"])


def pact_client_key() -> str:
    """The PACT client the bearer token belongs to (the /3/ hook checked it before the view's
    limit runs), else the address."""
    actor = g.get("pact_actor")
    if actor is not None and actor.pact is not None:
        return f"pact-client:{actor.pact.client_pk}"
    return f"ip:{request.remote_addr}"
