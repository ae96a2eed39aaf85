"""Tanlian as a PACT v3 host system (WBCSD PACT Tech Specs 3.0.3): `routes` (discovery, token,
ListFootprints, GetFootprint), `auth` (client credentials and bearer tokens), `filters` (the
list's query and page links), `errors` (PACT's and OAuth's error bodies), `catenax` (the
Catena-X PCF exchange with the same credentials). Separate from the
/api/v1 API: other paths, other credentials (services.pact.clients), other error bodies."""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_pact(app: Flask, csrf: Any) -> None:
    """Register the endpoints, exempt from CSRF: they authenticate by header only (Basic or
    Bearer), never by cookie, so a forged cross-site request carries no credential."""
    from footprint_platform.pact import catenax, errors, routes

    for bp in (routes.auth_bp, routes.bp, catenax.bp):
        app.register_blueprint(bp)
        csrf.exempt(bp)
    app.register_error_handler(errors.PactError, errors.handle_pact_error)
    app.register_error_handler(errors.OAuthError, errors.handle_oauth_error)
