"""Small database helpers shared by the hot paths."""

from __future__ import annotations

from django.db import connection


def is_postgres() -> bool:
    return connection.vendor == "postgresql"
