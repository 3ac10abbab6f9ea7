"""Dialect-aware INSERT ... ON CONFLICT for SQLite and PostgreSQL (both speak the same clause).

Statements are built once per dialect and reused: building a SQLAlchemy statement costs more than
running it on the hot beacon path, which writes plain SQL through the driver's cursor.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Protocol

from sqlalchemy import Connection, Table, func
from sqlalchemy.dialects import postgresql, sqlite


def _module(dialect: str) -> Any:
    return postgresql if dialect == "postgresql" else sqlite


@functools.cache
def insert_ignore(dialect: str, table: Table, returning: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING <column>: a row back means it was new."""
    return _module(dialect).insert(table).on_conflict_do_nothing().returning(table.c[returning])


@functools.cache
def counter_upsert(dialect: str, table: Table, counters: tuple[str, ...], maxima: tuple[str, ...]) -> Any:
    stmt = _module(dialect).insert(table)
    keys = [c.name for c in table.primary_key.columns]
    greatest = func.greatest if dialect == "postgresql" else func.max
    updates: dict[str, Any] = {name: table.c[name] + stmt.excluded[name] for name in counters}
    updates.update({name: greatest(table.c[name], stmt.excluded[name]) for name in maxima})
    return stmt.on_conflict_do_update(index_elements=keys, set_=updates)


def add_counters(
    conn: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    counters: list[str],
    maxima: tuple[str, ...] = (),
) -> None:
    """Insert rows, or add their counters to the existing rows with the same key (one executemany)."""
    if rows:
        conn.execute(counter_upsert(conn.dialect.name, table, tuple(counters), maxima), rows)


@functools.cache
def plain_sql(
    dialect: str,
    table: Table,
    columns: tuple[str, ...],
    counters: tuple[str, ...] = (),
    maxima: tuple[str, ...] = (),
    ignore_returning: str | None = None,
) -> str:
    """A plain INSERT for the driver: ignoring conflicts (RETURNING a column: a row back means it was
    new), or adding `counters` (and keeping the greatest of `maxima`) to the row with the same key."""
    mark = "%s" if dialect == "postgresql" else "?"
    marks = ", ".join([mark] * len(columns))
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    if ignore_returning:
        return sql + f" ON CONFLICT DO NOTHING RETURNING {ignore_returning}"
    if counters or maxima:
        keys = ", ".join(c.name for c in table.primary_key.columns)
        greatest = "GREATEST" if dialect == "postgresql" else "MAX"
        sets = [f"{c} = {table.name}.{c} + excluded.{c}" for c in counters]
        sets += [f"{c} = {greatest}({table.name}.{c}, excluded.{c})" for c in maxima]
        sql += f" ON CONFLICT ({keys}) DO UPDATE SET {', '.join(sets)}"
    return sql


@functools.cache
def update_sql(dialect: str, table: Table, columns: tuple[str, ...], keys: tuple[str, ...]) -> str:
    """UPDATE one row by its key; parameters are the columns' values, then the keys'."""
    mark = "%s" if dialect == "postgresql" else "?"
    sets = ", ".join(f"{c} = {mark}" for c in columns)
    where = " AND ".join(f"{k} = {mark}" for k in keys)
    return f"UPDATE {table.name} SET {sets} WHERE {where}"


def marks(dialect: str, n: int) -> str:
    """n placeholders for an IN list."""
    return ", ".join(["%s" if dialect == "postgresql" else "?"] * n)


class RawCursor(Protocol):
    """The DB-API cursor the hot beacon path writes with (sqlite3 and psycopg both are one)."""

    def execute(self, sql: str, params: Any = ..., /) -> Any: ...
    def executemany(self, sql: str, rows: Any, /) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


def raw_cursor(conn: Connection) -> RawCursor:
    """The driver's own cursor on conn's connection, inside conn's transaction.

    The beacon path runs its statements here: SQLAlchemy's per-statement work costs more than
    SQLite's insert. Values must be driver-ready (see `driver_value`).
    """
    return conn.connection.cursor()  # type: ignore[return-value]


def driver_value(dialect: str, value: Any) -> Any:
    """Dates and times as SQLAlchemy stores them in SQLite (ISO text); unchanged for PostgreSQL."""
    if dialect == "postgresql":
        return value
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
