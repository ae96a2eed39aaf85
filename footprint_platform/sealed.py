"""Secrets Tanlian must present later (a partner's PACT client secret, a webhook's signing
secret), encrypted at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from
PACT_CREDENTIAL_KEY, else from the application's SECRET_KEY. The derivation's label stays as it
was first written, so secrets sealed before still open."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


class SealBroken(Exception):
    """A sealed secret no longer opens (the key changed, or the value is not ours)."""


def _fernet() -> Fernet:
    material = current_app.config.get("PACT_CREDENTIAL_KEY") or current_app.secret_key
    key = hashlib.sha256(f"tanlian-pact-credential:{material}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise SealBroken("the stored secret cannot be decrypted (was the key changed?)") from None
