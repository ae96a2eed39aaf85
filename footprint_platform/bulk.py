"""Bulk writes for the large tables (synthetic industries, roll-up results): many rows in one
go instead of ORM objects row by row. On PostgreSQL rows are streamed with COPY through the
session's own psycopg connection (same transaction); on SQLite one DBAPI executemany of the
values as the columns' types bind them; elsewhere one executemany of a Core INSERT. Large reads
come straight from the DBAPI cursor (`plain_rows`, `typed_rows`) or, for one integer column,
as one text the database aggregates (`int_column`), and bulk work may pause the cyclic garbage
collector (`no_cycle_collection`). Measured in bench/platform_rollup.py and
bench/scale_load.py (figures in bench/RESULTS.md)."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

import numpy as np
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def bulk_insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts keyed by column name, every row the same keys) into `table`."""
    if not rows:
        return
    if is_postgres(session):
        columns = list(rows[0])
        copy_rows(session, table, columns, ([r[c] for c in columns] for r in rows))
    elif not _sqlite_executemany(session, table, rows):
        session.execute(insert(table), list(rows))


def _sqlite_executemany(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> bool:
    """On SQLite, what a Core INSERT's executemany would send, without SQLAlchemy's parameter
    processing per row (most of the cost of 100k rows; bench/RESULTS.md): each column's values
    through its type's own bind processor (Numeric to float, dates and enums as SQLAlchemy
    stores them), an omitted column with a constant default given it, as Core gives it. False
    (nothing written) elsewhere, or when an omitted column's default must be computed per row."""
    dialect = session.get_bind().dialect
    if dialect.name != "sqlite":
        return False
    names = list(rows[0])
    defaults: dict[str, Any] = {}
    for column in table.c:
        if column.name in rows[0] or column.default is None:
            continue
        if not column.default.is_scalar:
            return False
        defaults[column.name] = column.default.arg  # type: ignore[attr-defined]
    # row by row into tuples (each dict read while it is in the cache), then column by column
    # through the processors
    get = itemgetter(*names)
    tuples = list(map(get, rows)) if len(names) > 1 else [(get(r),) for r in rows]
    values: list[Sequence[Any]] = list(zip(*tuples, strict=True))
    for k, name in enumerate(names):
        process = table.c[name].type._cached_bind_processor(dialect)
        if process is not None:
            values[k] = list(map(process, values[k]))
    for name, value in defaults.items():
        process = table.c[name].type._cached_bind_processor(dialect)
        values.append([process(value) if process else value] * len(rows))
    quote = dialect.identifier_preparer.quote
    listed = ", ".join(quote(n) for n in [*names, *defaults])
    marks = ", ".join("?" for _ in values)
    session.connection().exec_driver_sql(
        f"INSERT INTO {quote(table.name)} ({listed}) VALUES ({marks})",
        list(zip(*values, strict=True)),
    )
    return True


def copy_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """PostgreSQL COPY FROM STDIN of plain Python values (psycopg adapts them by type; a dict
    or list for a JSON column must be passed already serialised as a string)."""
    raw = session.connection().connection.driver_connection
    names = ", ".join(f'"{c}"' for c in columns)
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row(row)


def next_ids(session: Session, tables: Iterable[Table]) -> dict[str, int]:
    """The first free id of each table with an integer `id` key (rows given explicit ids)."""
    return {
        t.name: (session.scalar(select(func.max(t.c.id))) or 0) + 1 for t in tables if "id" in t.c
    }


def sync_sequences(session: Session, tables: Iterable[Table]) -> None:
    """After explicit ids, move PostgreSQL's id sequences past them (SQLite needs nothing)."""
    if not is_postgres(session):
        return
    for t in tables:
        if "id" in t.c:
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), "
                    f'COALESCE(MAX(id), 0) + 1, false) FROM "{t.name}"'
                )
            )


def analyze(session: Session, tables: Sequence[Table]) -> None:
    """After a bulk load on PostgreSQL, the planner's statistics of the loaded tables: until
    autovacuum gets to them it plans without any (a look-up of 5.6k pinned submissions' rows
    by index became a scan of all 540k rows: 104 ms against 35 ms; bench/RESULTS.md, "Tenth
    round"). SQLite plans from its indexes alone, which these reads were written for, so its
    optional statistics are left out rather than let change every other query's plan."""
    if is_postgres(session):
        session.execute(text("ANALYZE " + ", ".join(f'"{t.name}"' for t in tables)))


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a graph's rows are read and turned into
    columns: millions of new tuples and lists none of which forms a cycle, on which each
    collection would scan every live object again (turning ~700k rows into columns took 4× as
    long with it running; bench/RESULTS.md, "Ninth round"). Reference counting still frees
    everything; a collection runs later as usual. Nested or concurrent uses leave it to
    whoever paused it first."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def plain_rows(session: Session, stmt: Any) -> list[tuple[Any, ...]]:
    """A Core select's rows as the DBAPI cursor gives them (tuples; no SQLAlchemy row each),
    for large reads whose columns need no result processing (numbers, strings)."""
    result = session.connection().execute(stmt)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def typed_rows(session: Session, stmt: Any) -> list[tuple[Any, ...]]:
    """A Core select's rows as tuples, each value as SQLAlchemy would give it (Decimal for a
    Numeric, an enum member, a date) but with no row object each: each column's dialect type
    converts its values, as SQLAlchemy's own result does, given the cursor's type code."""
    dialect = session.get_bind().dialect
    result = session.connection().execute(stmt)
    try:
        rows = result.cursor.fetchall()
        codes = [d[1] for d in result.cursor.description]
    finally:
        result.close()
    processors = [
        c.type.dialect_impl(dialect).result_processor(dialect, code)
        for c, code in zip(stmt.selected_columns, codes, strict=True)
    ]
    if not rows or not any(processors):
        return list(rows)
    columns = [
        values if fn is None else [fn(v) for v in values]
        for fn, values in zip(processors, zip(*rows, strict=True), strict=True)
    ]
    return list(zip(*columns, strict=True))


def one_of(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN values` for thousands of values: on PostgreSQL one array parameter
    (`= ANY(...)`), which it parses and plans as one value, in half the time of a list of
    5.6k parameters (bench/RESULTS.md, "Tenth round"); elsewhere the list."""
    values = list(values)
    if is_postgres(session):
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]


def int_column(session: Session, column: ColumnElement[int], *where: Any) -> np.ndarray:
    """One integer column of the rows matching `where` as an int64 array, in no set order.
    The database joins the values into one text (SQLite's group_concat, PostgreSQL's
    string_agg) that numpy parses: at 100k rows a quarter of the time of one tuple per row
    (bench/RESULTS.md, "Tenth round")."""
    joined = (
        func.string_agg(cast(column, Text), ",")
        if is_postgres(session)
        else func.group_concat(column)
    )
    found = session.execute(select(joined).where(*where)).scalar()
    if not found:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(found, dtype=np.int64, sep=",")
