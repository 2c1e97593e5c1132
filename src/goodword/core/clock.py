"""The one source of the current time, so tests can freeze it."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def format_time(value: datetime | None) -> str | None:
    """A moment as the API and webhooks write it: UTC, ISO 8601 to the millisecond."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds")
