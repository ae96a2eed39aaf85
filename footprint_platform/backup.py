"""A complete, versioned dump of the database, and its restore into an empty one.

The dump is a zip: `manifest.json` (format version, the schema's Alembic revision, when, and
each table's row count and SHA-256) and one `<table>.jsonl` per table, rows in primary-key
order, values typed by their column (dates ISO 8601, decimals as strings so no digit is lost,
bytes base64). Restoring checks the format, the revision and every table's hash before it
writes anything, inserts all tables in one transaction in foreign-key order, and on PostgreSQL
moves the id sequences past the restored ids. Declarations come back with the same numbers and
content hashes, so `flask declarations verify` passes on the restored copy.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine

from footprint_platform.models import Base

FORMAT = "tanlian-dump"
FORMAT_VERSION = 1
BATCH = 5000


class DumpRefused(Exception):
    """The dump cannot be restored here (message says why); nothing was written."""


def _encode(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decoder(column: sa.Column[Any]) -> Any:
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl if isinstance(kind.impl, sa.types.TypeEngine) else kind.impl()
    if isinstance(kind, sa.Enum) and kind.enum_class is not None:
        return kind.enum_class
    if isinstance(kind, sa.DateTime):
        return datetime.fromisoformat
    if isinstance(kind, sa.Date):
        return date.fromisoformat
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float):
        return Decimal
    if isinstance(kind, sa.LargeBinary):
        return base64.b64decode
    return None


def schema_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _rows(conn: Connection, table: sa.Table) -> Iterator[bytes]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(stream_results=True).execute(sa.select(table).order_by(*order))
    for row in result.mappings():
        line = {k: _encode(v) for k, v in row.items()}
        yield json.dumps(line, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n"


def export_database(engine: Engine, out: Path | IO[bytes]) -> dict[str, Any]:
    """Write the dump; returns its manifest."""
    manifest: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION, "tables": {}}
    with engine.connect() as conn, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        manifest["schema_revision"] = schema_revision(conn)
        manifest["created_at"] = datetime.now(UTC).isoformat()
        for table in Base.metadata.sorted_tables:
            digest, count = hashlib.sha256(), 0
            with zf.open(f"{table.name}.jsonl", "w") as member:
                for line in _rows(conn, table):
                    member.write(line)
                    digest.update(line)
                    count += 1
            manifest["tables"][table.name] = {"rows": count, "sha256": digest.hexdigest()}
        zf.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def import_database(engine: Engine, source: Path | IO[bytes]) -> dict[str, Any]:
    """Restore a dump into an empty database migrated to the dump's revision; all or nothing."""
    with zipfile.ZipFile(source) as zf:
        manifest = _checked_manifest(zf)
        with engine.begin() as conn:
            _check_target(conn, manifest)
            for table in Base.metadata.sorted_tables:
                _restore_table(conn, zf, table)
            if conn.dialect.name == "postgresql":
                _advance_sequences(conn)
    return manifest


def _checked_manifest(zf: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(zf.read("manifest.json"))
    except (KeyError, ValueError) as exc:
        raise DumpRefused(f"not a Tanlian dump: {exc}") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise DumpRefused(
            f"dump format {manifest.get('format')} {manifest.get('format_version')} is not "
            f"{FORMAT} {FORMAT_VERSION}"
        )
    expected = {t.name for t in Base.metadata.sorted_tables}
    if set(manifest["tables"]) != expected:
        raise DumpRefused("the dump's tables differ from this version's schema")
    for name, info in manifest["tables"].items():
        digest = hashlib.sha256()
        with zf.open(f"{name}.jsonl") as member:
            for chunk in iter(lambda m=member: m.read(1 << 20), b""):  # type: ignore[misc]
                digest.update(chunk)
        if digest.hexdigest() != info["sha256"]:
            raise DumpRefused(f"table {name}: content does not match its SHA-256 (damaged?)")
    return manifest  # type: ignore[no-any-return]


def _check_target(conn: Connection, manifest: dict[str, Any]) -> None:
    revision = schema_revision(conn)
    if revision != manifest["schema_revision"]:
        raise DumpRefused(
            f"the database is at schema revision {revision}, the dump at "
            f"{manifest['schema_revision']}: run `flask db upgrade` to the same revision first"
        )
    for table in Base.metadata.sorted_tables:
        if conn.execute(sa.select(sa.func.count()).select_from(table)).scalar():
            raise DumpRefused(f"the database is not empty (table {table.name} has rows)")


def _restore_table(conn: Connection, zf: zipfile.ZipFile, table: sa.Table) -> None:
    decoders = {c.name: _decoder(c) for c in table.columns}
    batch: list[dict[str, Any]] = []
    with zf.open(f"{table.name}.jsonl") as member:
        for line in member:
            row = json.loads(line)
            for key, value in row.items():
                decode = decoders.get(key)
                if decode is not None and value is not None:
                    row[key] = decode(value)
            batch.append(row)
            if len(batch) >= BATCH:
                conn.execute(sa.insert(table), batch)
                batch = []
    if batch:
        conn.execute(sa.insert(table), batch)


def _advance_sequences(conn: Connection) -> None:
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer):
            continue
        sequence = conn.execute(
            sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk[0].name}
        ).scalar()
        if sequence:
            conn.execute(
                sa.text(
                    f"SELECT setval(:s, COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0)"
                    " + 1, false)"
                ),
                {"s": sequence},
            )
