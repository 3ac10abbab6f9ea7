"""Dialect-aware INSERT ... ON CONFLICT for SQLite and PostgreSQL (both speak the same clause).

Statements are built once per dialect and reused with parameter dicts: building a SQLAlchemy
statement costs more than running it on the hot beacon path.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

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
def _plain_sql(
    dialect: str,
    table: Table,
    columns: tuple[str, ...],
    counters: tuple[str, ...],
    maxima: tuple[str, ...] = (),
    ignore_returning: str | None = None,
) -> str:
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


def driver_executemany(
    conn: Connection,
    table: Table,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    counters: tuple[str, ...] = (),
    maxima: tuple[str, ...] = (),
) -> None:
    """A plain multi-row INSERT (adding counters on conflict) straight to the driver.

    For the hot statements of every beacon: SQLAlchemy's per-statement and per-row processing
    costs more than SQLite's insert. Rows hold driver-ready values (see `driver_value`).
    """
    if rows:
        sql = _plain_sql(conn.dialect.name, table, columns, counters, maxima)
        conn.exec_driver_sql(sql, rows if len(rows) > 1 else rows[0])


def driver_insert_new(
    conn: Connection, table: Table, columns: tuple[str, ...], row: tuple[Any, ...], returning: str
) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING straight to the driver; True when the row was new."""
    sql = _plain_sql(conn.dialect.name, table, columns, (), (), returning)
    return conn.exec_driver_sql(sql, row).first() is not None


@functools.cache
def _update_sql(dialect: str, table: Table, columns: tuple[str, ...], key: str) -> str:
    mark = "%s" if dialect == "postgresql" else "?"
    sets = ", ".join(f"{c} = {mark}" for c in columns)
    return f"UPDATE {table.name} SET {sets} WHERE {key} = {mark}"


def driver_update(conn: Connection, table: Table, columns: tuple[str, ...], key: str, values: tuple[Any, ...]) -> None:
    """UPDATE one row by its key straight to the driver; `values` are the columns' then the key's."""
    conn.exec_driver_sql(_update_sql(conn.dialect.name, table, columns, key), values)


def driver_value(conn: Connection, value: Any) -> Any:
    """Dates and times as SQLAlchemy stores them in SQLite (ISO text); unchanged for PostgreSQL."""
    if conn.dialect.name == "postgresql":
        return value
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
