"""The platform's signing keys and detached JSON Web Signatures over the files it serves.

A file is signed as a detached JWS (RFC 7515, Appendix F): the compact serialization with its
payload part left empty, `<protected header>..<signature>`, signed with Ed25519 (alg
`Ed25519`, RFC 9864). A verifier puts the base64url of the file's bytes back between the two
dots, so any JOSE library, or a few lines over an Ed25519 primitive, checks it.

Keys never live in the database. `SIGNING_KEY_FILE` names the current private key (PEM);
`SIGNING_RETIRED_KEY_FILES` lists the keys signed with before (their public halves are all that
is kept), still published at `/.well-known/jwks.json` so that files signed with them verify
after a rotation. Key ids are RFC 7638 thumbprints. Production refuses to start without a key
file; development makes one in the instance folder. The format is in docs/signatures.md.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from flask import Flask, current_app
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import OKPKey

from footprint_platform.settings import ConfigurationError

ALG = "Ed25519"  # RFC 9864; the same signature as "EdDSA" over an Ed25519 key
CURVE: Literal["Ed25519"] = "Ed25519"
DEV_KEY_NAME = "signing-key.pem"
MAX_SIGNATURE_CHARS = 8192  # a header with a few claims and a 64-byte signature is far below
# Our own header parameters are accepted alongside the registered ones; only Ed25519 is.
REGISTRY = jws.JWSRegistry(algorithms=[ALG], strict_check_header=False)


class BadSignature(ValueError):
    """The signature does not verify; `code` says why (see `REASONS`)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


REASONS = {
    "malformed": "not a detached JWS (header..signature)",
    "algorithm": f"not signed with {ALG}",
    "unknown_key": "signed with a key this platform does not publish",
    "mismatch": "the signature does not match the file (changed, or a different file)",
}


@dataclass(frozen=True)
class Keyring:
    """The current signing key and the retired public keys that still verify."""

    current: OKPKey
    retired: tuple[OKPKey, ...] = ()

    @property
    def current_kid(self) -> str:
        return kid_of(self.current)

    def public_key(self, kid: str) -> OKPKey | None:
        return next((k for k in (self.current, *self.retired) if kid_of(k) == kid), None)

    def jwks(self) -> dict[str, Any]:
        """The JWK Set (RFC 7517) of every key that verifies, the current one first."""
        return {"keys": [_public_jwk(k) for k in (self.current, *self.retired)]}


def kid_of(key: OKPKey) -> str:
    """The RFC 7638 thumbprint (SHA-256, base64url) of the key's public members."""
    return str(key.thumbprint())


def _public_jwk(key: OKPKey) -> dict[str, Any]:
    return {**key.as_dict(private=False), "kid": kid_of(key), "alg": ALG, "use": "sig"}


def _read_key(path: str, private: bool) -> OKPKey:
    try:
        key = OKPKey.import_key(Path(path).read_bytes())
    except (OSError, ValueError, JoseError) as exc:
        raise ConfigurationError(f"cannot read the signing key {path}: {exc}") from None
    if key.curve_name != CURVE or (private and not key.is_private):
        kind = "an Ed25519 private key" if private else "an Ed25519 key"
        raise ConfigurationError(f"{path} is not {kind} (PEM)")
    return key if private else OKPKey.import_key(key.as_dict(private=False))


def write_new_key(path: Path) -> OKPKey:
    """A new private key at `path` (PEM, readable by the owner only), never over an existing
    file: two processes starting at once end up with the same key."""
    key = OKPKey.generate_key(CURVE, private=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(key.as_pem(private=True))
        os.link(tmp, path)  # fails if the file exists, unlike a rename
    finally:
        os.unlink(tmp)
    return key


def _retired_paths(value: Any) -> list[str]:
    if isinstance(value, str):  # from the environment: comma-separated
        return [p.strip() for p in value.split(",") if p.strip()]
    return [str(p) for p in value or []]


def load_keyring(app: Flask) -> Keyring:
    path = str(app.config.get("SIGNING_KEY_FILE") or "")
    if not path:
        if app.config["ENV"] == "production":
            raise ConfigurationError(
                "SIGNING_KEY_FILE is not set: production signs every published file; make a "
                "key with `flask signing new-key PATH` and set SIGNING_KEY_FILE to it"
            )
        dev = Path(app.instance_path) / DEV_KEY_NAME
        if not dev.exists():
            with contextlib.suppress(FileExistsError):  # another process made it first
                write_new_key(dev)
        path = str(dev)
    current = _read_key(path, private=True)
    retired = [
        _read_key(p, private=False)
        for p in _retired_paths(app.config.get("SIGNING_RETIRED_KEY_FILES"))
    ]
    return Keyring(current, tuple(k for k in retired if kid_of(k) != kid_of(current)))


def init_signing(app: Flask) -> None:
    app.extensions["tanlian_signing"] = load_keyring(app)


def keyring() -> Keyring:
    ring: Keyring = current_app.extensions["tanlian_signing"]
    return ring


def sign_detached(payload: bytes, header: dict[str, Any]) -> str:
    """`header..signature` over `payload` with the current key; the same payload and header
    always give the same signature (Ed25519 is deterministic)."""
    ring = keyring()
    protected = {"alg": ALG, "kid": ring.current_kid, **header}
    return str(
        jws.detach_content(
            jws.serialize_compact(protected, payload, ring.current, registry=REGISTRY)
        )
    )


def protected_header(signature: str) -> dict[str, Any]:
    """The protected header of a detached JWS, not yet verified."""
    parts = signature.strip().split(".")
    if len(parts) != 3 or parts[1] or len(signature) > MAX_SIGNATURE_CHARS:
        raise BadSignature("malformed")
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (binascii.Error, ValueError):
        raise BadSignature("malformed") from None
    if not isinstance(header, dict):
        raise BadSignature("malformed")
    return header


def verify_detached(ring: Keyring, payload: bytes, signature: str) -> dict[str, Any]:
    """The protected header of `signature` once it verifies over `payload` with a key of
    `ring`; else BadSignature."""
    header = protected_header(signature)
    if header.get("alg") != ALG:
        raise BadSignature("algorithm")
    key = ring.public_key(str(header.get("kid")))
    if key is None:
        raise BadSignature("unknown_key")
    try:
        jws.deserialize_compact(signature.strip(), key, payload=payload, registry=REGISTRY)
    except BadSignatureError:
        raise BadSignature("mismatch") from None
    except (JoseError, ValueError):
        raise BadSignature("malformed") from None
    return header
