"""The REST API under /api/v1 (flask-smorest): OpenAPI at /api/openapi.json, docs at /api/docs."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Flask
from flask_smorest import Api

from footprint_platform.schemas import DecimalString


class ApiErrorSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"example": "invalid_input"})
    message = ma.fields.String(required=True)
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Reasons by field name"},
    )


class TanlianApi(Api):  # type: ignore[misc]
    """flask-smorest's Api with our error body, and without its app-wide JSON error handler
    (footprint_platform.http_errors answers JSON under /api/ and HTML elsewhere)."""

    ERROR_SCHEMA = ApiErrorSchema

    def _register_error_handlers(self) -> None:
        pass


def init_api(app: Flask, api: Any, csrf: Any) -> None:
    """Register the API blueprints. They are exempt from CSRF: they authenticate by token
    header only, never by cookie, so a forged cross-site request carries no credential."""
    from footprint_platform.api import (
        catalog,
        declarations,
        instruments,
        requests,
        results,
        sharing,
        submissions,
        webhooks,
    )

    app.config["OPENAPI_SWAGGER_UI_URL"] = "/static/vendor/swagger-ui/"
    api.init_app(
        app,
        spec_kwargs={
            "info": {
                "description": "Tanlian: supply-chain carbon-footprint disclosure. "
                "Authenticate with an organization API token: "
                "`Authorization: Bearer tlk_…`."
            },
        },
    )
    api.register_field(DecimalString, "string", "decimal")
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for blp in (
        catalog.blp,
        submissions.blp,
        requests.blp,
        results.blp,
        declarations.blp,
        sharing.blp,
        webhooks.blp,
        instruments.blp,
    ):
        api.register_blueprint(blp, url_prefix="/api/v1")
        csrf.exempt(blp)
    app.extensions["tanlian_api"] = api
