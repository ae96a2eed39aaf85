"""The PACT endpoints' error answers, kept apart from the rest of Tanlian's.

Under /3/: PACT's `{"code", "message"}` body with its status codes (Tech Specs 3.0.3, "Error
Handling"): BadRequest 400, TokenExpired 401, AccessDenied 403, NotFound 404, InternalError
500, NotImplemented 501. A missing, malformed or unknown bearer token is 401 with code
BadRequest (what the conformance tool expects); an expired one is 401 TokenExpired.
At /auth/token: OAuth 2.0's `{"error", "error_description"}` (RFC 6749 §5.2).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException

from footprint_platform.errors import DomainError

API_PREFIX = "/3/"
CATENAX_PREFIX = "/catenax/"  # the Catena-X PCF exchange answers errors in the same format
AUTH_PATHS = ("/auth/token", "/.well-known/openid-configuration")

# HTTP status -> PACT error code; statuses PACT has no code for borrow BadRequest's.
CODES = {
    400: "BadRequest",
    401: "BadRequest",
    403: "AccessDenied",
    404: "NotFound",
    500: "InternalError",
    501: "NotImplemented",
}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class PactError(Exception):
    """An answer in PACT's error format, raised by the PACT views and their authentication."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status, self.message = status, message
        self.code = code or CODES.get(status, "BadRequest")
        self.headers = headers or {}


class OAuthError(Exception):
    """An answer of the token endpoint in RFC 6749 §5.2's format."""

    def __init__(
        self, status: int, error: str, description: str, headers: dict[str, str] | None = None
    ):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        self.headers = headers or {}


def is_pact_request() -> bool:
    return request.path.startswith((API_PREFIX, CATENAX_PREFIX)) or request.path in AUTH_PATHS


def pact_response(status: int, message: str, code: str | None = None, headers: Any = None) -> Any:
    response = jsonify({"code": code or CODES.get(status, "BadRequest"), "message": message})
    response.status_code = status
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def oauth_response(status: int, error: str, description: str, headers: Any = None) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    for k, v in {**NO_STORE, **(headers or {})}.items():
        response.headers[k] = v
    return response


def handle_pact_error(exc: PactError) -> Any:
    return pact_response(exc.status, exc.message, exc.code, exc.headers)


def handle_oauth_error(exc: OAuthError) -> Any:
    return oauth_response(exc.status, exc.error, exc.description, exc.headers)


def handle(exc: Exception) -> Any:
    """Tanlian's domain and HTTP errors on a PACT path, in the format that path speaks."""
    if isinstance(exc, DomainError):
        status, message = (400 if exc.status == 422 else exc.status), exc.message
        headers: dict[str, str] = {}
    elif isinstance(exc, HTTPException):
        status, message = exc.code or 500, exc.description or exc.name
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    else:  # pragma: no cover - Flask hands only the two above to our handlers
        status, message, headers = 500, "Internal error.", {}
    if status == 500:
        message = "Internal error."  # nothing of the cause leaves the host
    if request.path.startswith((API_PREFIX, CATENAX_PREFIX)):
        return pact_response(status, message, headers=headers)
    error = {429: "temporarily_unavailable", 500: "server_error"}.get(status, "invalid_request")
    return oauth_response(status, error, message, headers)
