"""Password hashing (argon2id) and one-time secrets stored only as hashes."""

from __future__ import annotations

import functools
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, has_app_context

# argon2id with the library's recommended parameters (RFC 9106 low-memory profile) unless the
# application configures cheaper ones for tests (ARGON2_TIME_COST / ARGON2_MEMORY_COST_KIB).
_DEFAULT_HASHER = PasswordHasher()


def _hasher() -> PasswordHasher:
    if has_app_context():
        return current_app.extensions.get("password_hasher", _DEFAULT_HASHER)  # type: ignore[no-any-return]
    return _DEFAULT_HASHER


def configure_hasher(app: Flask) -> None:
    time_cost = app.config.get("ARGON2_TIME_COST")
    memory = app.config.get("ARGON2_MEMORY_COST_KIB")
    if time_cost or memory:
        app.extensions["password_hasher"] = PasswordHasher(
            time_cost=int(time_cost or _DEFAULT_HASHER.time_cost),
            memory_cost=int(memory or _DEFAULT_HASHER.memory_cost),
        )


MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A valid hash to verify against when the account does not exist, so a login for an unknown
# e-mail costs the same time as one with a wrong password (no user enumeration by timing).
def dummy_verify(password: str) -> None:
    hasher = _hasher()
    verify_password(_dummy_hash(hasher.time_cost, hasher.memory_cost), password)


@functools.cache
def _dummy_hash(time_cost: int, memory_cost: int) -> str:
    """One throw-away hash per parameter set, made as dearly as real ones."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost).hash(
        secrets.token_urlsafe(16)
    )


def new_secret(prefix: str = "") -> str:
    """A URL-safe secret with 256 bits of entropy."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret: enough at rest, and lets us look it up."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
