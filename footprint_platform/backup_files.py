"""The dump file at rest: readable by its owner only, and encrypted with a passphrase on request.

A dump holds everything: every supplier's primary data, evidence files, password hashes. So:
- the file is created with mode 0600 (a temporary file in the target's folder, made by
  mkstemp, renamed onto the target once complete): there is no moment at which another account
  may open it, whatever the umask or the mode of a file it replaces, and a half-written dump
  never takes the name;
- `flask export --encrypt` seals it: a 256-bit key from the passphrase by scrypt (n=2^15, r=8,
  p=1, a random 16-byte salt), AES-256-GCM over the whole zip with a random 96-bit nonce, the
  header (format, salt, nonce) authenticated with it. Layout: MAGIC, salt, nonce, ciphertext,
  16-byte tag. The zip is encrypted as it is written, so no clear copy touches the disk.
- Reading it back decrypts into an anonymous temporary file, and the restore reads it only
  after the tag checked out: a wrong passphrase and a changed byte are the same refusal, before
  anything is written to the database.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"TANLIAN-DUMP AES-256-GCM scrypt 1\n"
SALT_BYTES, NONCE_BYTES, TAG_BYTES = 16, 12, 16
HEADER_BYTES = len(MAGIC) + SALT_BYTES + NONCE_BYTES
MIN_PASSPHRASE = 12
CHUNK = 1 << 20
PASSPHRASE_VARIABLE = "TANLIAN_BACKUP_PASSPHRASE"

T = TypeVar("T")


class SealError(Exception):
    """The dump cannot be read (or sealed) as asked; the message says why."""


def _key(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode("utf-8"))


@contextmanager
def private_file(path: Path) -> Iterator[IO[bytes]]:
    """A new file only its owner can read, taking `path`'s name when the block succeeds."""
    fd, temporary = tempfile.mkstemp(dir=path.resolve().parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class _Encrypting:
    """A write-only stream that encrypts what is written into `out` (zipfile writes to it)."""

    def __init__(self, out: IO[bytes], encryptor: CipherContext):
        self._out, self._encryptor = out, encryptor

    def write(self, data: Any) -> int:
        self._out.write(self._encryptor.update(bytes(data)))
        return len(data)

    def flush(self) -> None:
        self._out.flush()


def write_dump(path: Path, write: Callable[[Any], T], passphrase: str | None = None) -> T:
    """Create `path` (mode 0600) with what `write` writes into the stream it is given,
    encrypted when a passphrase is given."""
    if passphrase is not None and len(passphrase) < MIN_PASSPHRASE:
        raise SealError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")
    with private_file(path) as out:
        if passphrase is None:
            return write(out)
        salt, nonce = os.urandom(SALT_BYTES), os.urandom(NONCE_BYTES)
        header = MAGIC + salt + nonce
        encryptor = Cipher(algorithms.AES(_key(passphrase, salt)), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(header)
        out.write(header)
        result = write(_Encrypting(out, encryptor))
        out.write(encryptor.finalize())
        out.write(encryptor.tag)
        return result


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(len(MAGIC)) == MAGIC


@contextmanager
def readable_dump(path: Path, passphrase: Callable[[], str]) -> Iterator[Path | IO[bytes]]:
    """The dump to restore from: the file itself, or for an encrypted one its checked clear
    text in an anonymous temporary file (`passphrase` is asked only then)."""
    if not is_encrypted(path):
        yield path
        return
    with path.open("rb") as sealed, tempfile.TemporaryFile() as clear:
        _decrypt(sealed, path.stat().st_size, passphrase(), clear)
        clear.seek(0)
        yield clear


def _decrypt(sealed: IO[bytes], size: int, passphrase: str, clear: IO[bytes]) -> None:
    body = size - HEADER_BYTES - TAG_BYTES
    if body < 0:
        raise SealError("the encrypted dump is cut short")
    header = sealed.read(HEADER_BYTES)
    salt = header[len(MAGIC) : len(MAGIC) + SALT_BYTES]
    nonce = header[len(MAGIC) + SALT_BYTES :]
    decryptor = Cipher(algorithms.AES(_key(passphrase, salt)), modes.GCM(nonce)).decryptor()
    decryptor.authenticate_additional_data(header)
    while body > 0:
        chunk = sealed.read(min(CHUNK, body))
        if not chunk:
            raise SealError("the encrypted dump is cut short")
        body -= len(chunk)
        clear.write(decryptor.update(chunk))
    try:
        clear.write(decryptor.finalize_with_tag(sealed.read(TAG_BYTES)))
    except (InvalidTag, ValueError):
        raise SealError(
            "cannot decrypt the dump: the passphrase is wrong, or the file was changed"
        ) from None
