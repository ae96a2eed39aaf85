"""Domain errors raised by services; the web and API layers map them to HTTP answers."""

from __future__ import annotations

from dataclasses import dataclass


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


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or doubtful) in an uploaded file: where it is, what it says, why."""

    sheet: str
    row: int | None
    column: str | None
    value: str | None
    reason: str

    @property
    def location(self) -> str:
        """A key for API error bodies: inputs[3].unit, Materials[7].quantity, file."""
        where = self.sheet if self.sheet not in ("", "—") else ""
        if self.row is not None:
            where = f"{where}[{self.row}]"
        if self.column:
            where = f"{where}.{self.column}" if where else self.column
        return where or "file"

    def __str__(self) -> str:
        where = ", ".join(
            p for p in (self.sheet, f"row {self.row}" if self.row else None, self.column) if p
        )
        shown = f" {self.value!r}" if self.value not in (None, "") else ""
        return f"{where}:{shown} {self.reason}"


class UploadRejected(InvalidInput):
    """An upload with problems: nothing of it was written."""

    code = "upload_rejected"

    def __init__(self, message: str, problems: list[Problem]):
        errors: dict[str, list[str]] = {}
        for p in problems:
            errors.setdefault(p.location, []).append(p.reason)
        super().__init__(message, errors)
        self.problems = problems
