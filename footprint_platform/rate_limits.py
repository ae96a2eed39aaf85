"""Rate limits beyond sign-in: uploads, counted per uploader (a person, an API token, else an
address), so one busy supplier cannot starve the others and one address cannot flood us."""

from __future__ import annotations

import hashlib

from flask import current_app, request
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
