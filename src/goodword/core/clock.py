"""The one source of the current time, so tests can freeze it, and the one way a moment is
written on the wire."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIME_ZONE = "UTC"


def now() -> datetime:
    return datetime.now(UTC)


@lru_cache(maxsize=1024)
def zone_named(name: str) -> tzinfo:
    """The zone of an IANA name ("America/New_York"); ValueError for a name the system's zone
    database does not know. Cached: a site's zone is looked up once per process, not per
    timestamp."""
    if name == DEFAULT_TIME_ZONE:
        return UTC
    if not name or name != name.strip() or name.startswith(("/", ".")) or ".." in name:
        raise ValueError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name!r}") from None


def format_time(value: datetime | None, zone: tzinfo = UTC) -> str | None:
    """A moment as the API and webhooks write it, as Talkable does: ISO 8601 to the
    millisecond with the site's UTC offset at that moment (`2026-01-15T05:00:00.000-05:00`,
    `2026-07-15T06:00:00.000-04:00` in America/New_York)."""
    if value is None:
        return None
    return value.astimezone(zone).isoformat(timespec="milliseconds")
