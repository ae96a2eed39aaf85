"""Domain errors raised by services; the web and API layers map them to HTTP answers."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class InvalidInput(DomainError):
    """Input broke a rule; `errors` names each field and the reason."""

    status = 422
    code = "invalid_input"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class NotAllowed(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The object changed since it was read (optimistic version check) or would clash."""

    status = 409
    code = "conflict"
