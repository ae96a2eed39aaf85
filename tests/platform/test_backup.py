"""`flask export` writes a complete, versioned dump; `flask import` restores it into an empty
database with the same declarations and hashes, and refuses, changing nothing, what it cannot
restore."""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import select

from footprint_platform.backup import DumpRefused, export_database, import_database
from footprint_platform.extensions import db
from footprint_platform.models import Base, Declaration, Evidence
from footprint_platform.services.disclosure import declarations
from footprint_platform.services.intake import evidence

pytestmark = pytest.mark.postgres


def _counts() -> dict[str, int]:
    return {
        t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t)) or 0
        for t in Base.metadata.sorted_tables
    }


def test_a_dump_restores_to_the_same_declarations_and_hashes(
    prepared_app: Flask, app: Flask, tmp_path: Path
) -> None:
    dump = tmp_path / "tanlian.zip"
    result = prepared_app.test_cli_runner().invoke(args=["export", str(dump)])
    assert result.exit_code == 0, result.output
    with prepared_app.app_context():
        before = _counts()
        hashes = {
            d.public_id: (d.total, d.content_hash) for d in db.session.scalars(select(Declaration))
        }
        files = {e.sha256: e.data for e in db.session.scalars(select(Evidence))}
    result = app.test_cli_runner().invoke(args=["import", str(dump)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert _counts() == before
        restored = {
            d.public_id: (d.total, d.content_hash) for d in db.session.scalars(select(Declaration))
        }
        assert restored == hashes and len(hashes) >= 3
        assert declarations.verify(db.session) == []
        assert {e.sha256: e.data for e in db.session.scalars(select(Evidence))} == files
    verify = app.test_cli_runner().invoke(args=["declarations", "verify"])
    assert verify.exit_code == 0, verify.output
    assert app.test_client().get(f"/d/{next(iter(hashes))}").status_code == 200
    # the restored database goes on: new rows get fresh ids (PostgreSQL sequences moved on)
    from tests.platform.demo_ids import admin_actor, org_id

    with app.app_context():
        newest = max(e.id for e in db.session.scalars(select(Evidence)))
        added = evidence.add_evidence(
            db.session,
            admin_actor("admin@huadong-pack.example"),
            org_id("Huadong Battery Systems"),
            "after-restore.txt",
            b"a new file after the restore",
        )
        assert added.id > newest


def test_a_non_empty_database_is_refused(demo_app: Flask) -> None:
    out = io.BytesIO()
    with demo_app.app_context():
        export_database(db.engine, out)
        before = _counts()
        with pytest.raises(DumpRefused, match="not empty"):
            import_database(db.engine, io.BytesIO(out.getvalue()))
        assert _counts() == before


def _rewrite(blob: bytes, change: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item.filename, change.get(item.filename, src.read(item.filename)))
    return out.getvalue()


def test_a_damaged_or_foreign_dump_changes_nothing(demo_app: Flask, app: Flask) -> None:
    out = io.BytesIO()
    with demo_app.app_context():
        export_database(db.engine, out)
    blob = out.getvalue()
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        declarations_rows = zf.read("declaration.jsonl")
    tampered = _rewrite(
        blob, {"declaration.jsonl": declarations_rows.replace(b'"total": "', b'"total": "1')}
    )
    older = _rewrite(
        blob, {"manifest.json": json.dumps({**manifest, "schema_revision": "0001"}).encode()}
    )
    cases = [
        (tampered, "SHA-256"),
        (older, "schema revision"),
        (_rewrite(blob, {"manifest.json": b'{"format": "other"}'}), "format"),
    ]
    with app.app_context():
        for dump, reason in cases:
            with pytest.raises(DumpRefused, match=reason):
                import_database(db.engine, io.BytesIO(dump))
            assert set(_counts().values()) == {0}
    bad = app.test_cli_runner().invoke(args=["import", "/dev/null"])
    assert bad.exit_code != 0


# -- the file at rest ----------------------------------------------------------------------------

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def open_umask() -> Any:
    """A umask that lets every file be read by everyone: the dump's mode must not depend on it."""
    previous = os.umask(0)
    yield
    os.umask(previous)


@pytest.mark.parametrize("encrypt", [False, True])
def test_a_dump_is_readable_by_its_owner_only(
    demo_app: Flask,
    tmp_path: Path,
    open_umask: Any,
    monkeypatch: pytest.MonkeyPatch,
    encrypt: bool,
) -> None:
    monkeypatch.setenv("TANLIAN_BACKUP_PASSPHRASE", PASSPHRASE)
    dump = tmp_path / "tanlian.zip"
    dump.write_bytes(b"an older file, readable by all")
    dump.chmod(0o644)
    args = ["export", str(dump)] + (["--encrypt"] if encrypt else [])
    result = demo_app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["tanlian.zip"]  # no temporary file left


def _export_encrypted(app: Flask, dump: Path) -> None:
    """`flask export --encrypt`, the passphrase typed twice at the prompt."""
    typed = f"{PASSPHRASE}\n{PASSPHRASE}\n"
    result = app.test_cli_runner().invoke(args=["export", str(dump), "--encrypt"], input=typed)
    assert result.exit_code == 0, result.output


def test_an_encrypted_dump_round_trips_and_shows_nothing_in_clear(
    prepared_app: Flask, app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TANLIAN_BACKUP_PASSPHRASE", raising=False)
    dump = tmp_path / "tanlian.zip.enc"
    _export_encrypted(prepared_app, dump)
    sealed = dump.read_bytes()
    assert not zipfile.is_zipfile(dump)
    assert b"manifest" not in sealed and b"huadong" not in sealed.lower()
    with prepared_app.app_context():
        before = _counts()
    monkeypatch.setenv("TANLIAN_BACKUP_PASSPHRASE", PASSPHRASE)
    result = app.test_cli_runner().invoke(args=["import", str(dump)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert _counts() == before
        assert declarations.verify(db.session) == []


def _flipped(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def test_a_wrong_passphrase_or_a_changed_byte_imports_nothing(
    demo_app: Flask, app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dump = tmp_path / "tanlian.zip.enc"
    _export_encrypted(demo_app, dump)
    sealed = dump.read_bytes()
    header = len(b"TANLIAN-DUMP AES-256-GCM scrypt 1\n")
    cases = {
        "wrong passphrase": (sealed, "Correct horse battery staple"),
        "changed content": (_flipped(sealed, len(sealed) // 2), PASSPHRASE),
        "changed salt": (_flipped(sealed, header + 3), PASSPHRASE),
        "changed tag": (_flipped(sealed, len(sealed) - 1), PASSPHRASE),
        "cut short": (sealed[: header + 20], PASSPHRASE),
    }
    for case, (content, passphrase) in cases.items():
        target = tmp_path / f"{case}.enc"
        target.write_bytes(content)
        monkeypatch.setenv("TANLIAN_BACKUP_PASSPHRASE", passphrase)
        result = app.test_cli_runner().invoke(args=["import", str(target)])
        assert result.exit_code != 0, case
        assert "Not imported, nothing changed" in result.output, case
        with app.app_context():
            assert set(_counts().values()) == {0}, case
        if case != "cut short":
            assert "the passphrase is wrong, or the file was changed" in result.output, case
