"""Small database helpers for the hot paths.

`fetch` runs a raw statement: on PostgreSQL through a server-binding psycopg cursor that
prepares it once per connection (Django's default cursor binds on the client and re-plans every
time), elsewhere through Django's cursor. `cast` and `adapt` bridge the few type differences.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, connection


def _row_errors() -> tuple[type[Exception], ...]:
    errors: tuple[type[Exception], ...] = (DataError, IntegrityError)
    try:
        import psycopg
    except ImportError:  # pragma: no cover - SQLite-only installs
        return errors
    return (*errors, psycopg.DataError, psycopg.IntegrityError)


# What the database answers when one row's values are wrong (a value it cannot store, a
# constraint): the row is refused, the connection and the other rows are fine. Django's classes
# and the driver's, since a raw cursor on Django's connection raises the driver's own.
ROW_ERRORS = _row_errors()


@cache
def is_postgres() -> bool:
    # One database per process; asked on every statement of the hot paths, so asked once.
    return "postgresql" in str(settings.DATABASES["default"]["ENGINE"])


def cast(placeholder: str, pg_type: str) -> str:
    """A placeholder typed for PostgreSQL (`%s::inet`); SQLite compares text as it is."""
    return f"{placeholder}::{pg_type}" if is_postgres() else placeholder


def adapt(value: Any) -> Any:
    """A Python value as the database stores it (SQLite keeps uuids as hex and datetimes as
    Django-formatted text; psycopg adapts Python objects itself)."""
    if is_postgres():
        return value
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    if is_postgres():
        from psycopg import Cursor

        connection.ensure_connection()
        # Errors as Django's classes, as from any other cursor.
        with connection.wrap_database_errors, Cursor(connection.connection) as cursor:
            cursor.execute(sql, [adapt(p) for p in params], prepare=True)
            return list(cursor.fetchall()) if cursor.description else []
    with connection.cursor() as cursor:
        cursor.execute(sql, [adapt(p) for p in params])
        return list(cursor.fetchall()) if cursor.description else []


def fetch_many(
    statements: Sequence[tuple[str, Sequence[Any]]], *, prepare: bool = True
) -> list[list[tuple[Any, ...]]]:
    """Run several statements and return each one's rows, in order. On PostgreSQL they go out
    together in one pipeline (one network round trip and one wait for the whole list);
    elsewhere one after another. `prepare=False` plans each execution for its own values and
    the table sizes of the moment, where a prepared statement may keep a generic plan made
    while a table was small (measured: a sequential scan of the growing referral table per
    job when the planner's statistics were stale). A failing statement raises, as `fetch`
    would (inside a transaction, the transaction is then lost)."""
    if not statements:
        return []
    if not is_postgres():
        return [fetch(sql, params) for sql, params in statements]
    from psycopg import Cursor

    connection.ensure_connection()
    conn = connection.connection
    cursors = [Cursor(conn) for _ in statements]
    try:
        with conn.pipeline():
            for cursor, (sql, params) in zip(cursors, statements, strict=True):
                cursor.execute(sql, [adapt(p) for p in params], prepare=prepare)
        return [list(c.fetchall()) if c.description else [] for c in cursors]
    finally:
        for cursor in cursors:
            cursor.close()
