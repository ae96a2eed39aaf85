"""Links that leave the request: mailed (password resets), shown once to be passed on
(invitations, supplier join links), printed (labels) or written into files (exports).

They are built from the configured PUBLIC_BASE_URL, never from the request's Host or
X-Forwarded-Host: those are whatever the sender of the request wrote, and a reset link to the
sender's host hands the sender the reset token.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute address of `endpoint` under PUBLIC_BASE_URL (its path prefix included)."""
    base = urlsplit(str(current_app.config["PUBLIC_BASE_URL"]))
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def base_url() -> str:
    """PUBLIC_BASE_URL itself, without a trailing slash: the root partners are told to use."""
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
