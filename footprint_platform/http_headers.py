"""Security headers on every response, and the per-request nonce that lets our own few inline
scripts run under the content security policy while an injected one cannot.

The policy allows scripts only from our origin or carrying this request's nonce, no plugins,
no framing, forms posting only to us. Styles allow 'unsafe-inline' because plotly.js sets
element styles at run time; styles cannot run code. HSTS is sent on HTTPS only (a browser
ignores it over HTTP, and local `make run` is HTTP). Every answer is `private, no-store` unless
its route says it is public.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request

POLICY = (
    "default-src 'self'; "
    "script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; "
    "font-src 'self' data:; "
    "connect-src 'self'; "
    "object-src 'none'; "
    "base-uri 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)

FIXED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"
PRIVATE = "private, no-store"
# What anyone may read (published declarations and their files): shared caches may keep it a
# few minutes, so a withdrawal shows everywhere within that time.
PUBLIC_CACHE = "public, max-age=300"


def csp_nonce() -> str:
    """This request's nonce (made on first use): `<script nonce="{{ csp_nonce() }}">`."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return str(g.csp_nonce)


def _secure(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", POLICY.format(nonce=csp_nonce()))
    for name, value in FIXED.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    # Private unless the route says otherwise: a page, API answer, evidence file, workbook or
    # export may carry confidential data, and a proxy or the browser's disk keeps none of it.
    # Static assets (send_file sets their own) and published declarations (PUBLIC_CACHE) opt out.
    response.headers.setdefault("Cache-Control", PRIVATE)
    return response


def init_http_headers(app: Flask) -> None:
    app.after_request(_secure)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
