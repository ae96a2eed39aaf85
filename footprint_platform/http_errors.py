"""One mapping from errors to HTTP answers: JSON under /api/, PACT's bodies on the PACT paths
(footprint_platform.pact.errors), HTML pages elsewhere.

API error body: {"code": "invalid_input", "message": "…", "errors": {"field": ["reason"]}}.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from footprint_platform.errors import DomainError
from footprint_platform.extensions import db
from footprint_platform.pact import errors as pact_errors

API_PREFIX = "/api/"

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    500: "internal_error",
}


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def _flatten(errors: Any) -> dict[str, list[str]]:
    """webargs nests errors by location ({"json": {"name": [...]}}); callers want fields."""
    if not isinstance(errors, dict):
        return {}
    flat: dict[str, list[str]] = {}
    for key, value in errors.items():
        if key in {"json", "query", "form", "headers", "path", "files"} and isinstance(value, dict):
            flat.update(_flatten(value))
        elif isinstance(value, dict):
            for sub, msgs in _flatten(value).items():
                flat[f"{key}.{sub}"] = msgs
        else:
            flat[str(key)] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return flat


def api_error(
    status: int,
    message: str,
    errors: dict[str, list[str]] | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    body: dict[str, Any] = {"code": code or _HTTP_CODES.get(status, "error"), "message": message}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def handle_domain_error(exc: DomainError) -> Any:
    if pact_errors.is_pact_request():
        return pact_errors.handle(exc)
    if is_api_request():
        return api_error(exc.status, exc.message, exc.errors, exc.code)
    return render_template("error.html", status=exc.status, message=exc.message), exc.status


def handle_http_exception(exc: HTTPException) -> Any:
    if pact_errors.is_pact_request():
        return pact_errors.handle(exc)
    status = exc.code or 500
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    if is_api_request():
        data = getattr(exc, "data", None) or {}
        errors = _flatten(data.get("errors") or data.get("messages"))
        message = data.get("message") or (
            "Some fields are invalid." if errors else (exc.description or exc.name)
        )
        if status == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="tanlian"')
        return api_error(status, str(message), errors, headers=headers)
    page = render_template("error.html", status=status, message=exc.description)
    return page, status, headers


# PostgreSQL SQLSTATEs of a transaction that lost a race: deadlock, serialization failure.
_RACE_STATES = {"40P01", "40001"}


def handle_concurrent_change(exc: Exception) -> Any:
    """Two requests changed the same thing at once and this one lost: an optimistic version
    check (StaleDataError), a unique key taken first (IntegrityError), a deadlock the database
    broke. Nothing of this request was written; the person or client tries again."""
    if isinstance(exc, OperationalError) and getattr(exc.orig, "sqlstate", None) not in (
        _RACE_STATES
    ):
        raise exc
    db.session.rollback()
    message = str(
        _l("Someone changed this at the same moment; nothing was saved. Reload and try again.")
    )
    if is_api_request():
        return api_error(409, message, code="conflict")
    return render_template("error.html", status=409, message=message), 409


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    for race in (StaleDataError, IntegrityError, OperationalError):
        app.register_error_handler(race, handle_concurrent_change)
