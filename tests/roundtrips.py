"""Counting the SQL statements a piece of work sends, whichever way it sends them: through the
ORM, through Django's cursor, or through a raw psycopg cursor (core.db.fetch on PostgreSQL
prepares its statements on a psycopg cursor of its own, which Django's wrappers never see).

Transaction control that the driver sends by itself (BEGIN, COMMIT) is not counted; savepoints
are, since Django sends them as statements."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from django.db import connection


@contextmanager
def statements() -> Iterator[list[str]]:
    """The statements sent inside the block, in order, as text."""
    seen: list[str] = []
    if connection.vendor == "postgresql":
        import psycopg

        def counting(real: Callable[..., Any]) -> Callable[..., Any]:
            def send(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
                seen.append(query if isinstance(query, str) else repr(query))
                return real(cursor, query, *args, **kwargs)

            return send

        with (
            mock.patch.object(psycopg.Cursor, "execute", counting(psycopg.Cursor.execute)),
            mock.patch.object(psycopg.Cursor, "executemany", counting(psycopg.Cursor.executemany)),
        ):
            yield seen
        return

    def wrapper(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield seen


def listing(seen: list[str]) -> str:
    """The statements, one a line, shortened: for an assertion's message."""
    return "\n".join(f"{i + 1:3}. {' '.join(sql.split())[:110]}" for i, sql in enumerate(seen))
