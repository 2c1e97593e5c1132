"""Fixed-window counters: one shared by every process (a database row per key and window) for
the few limits that must hold across the whole deployment, and one per process (a dict) for
the limits checked on every API request, where a database write per request would cost more
than the limit saves. docs/adr/0012-rate-limits.md gives the reasons and the semantics.

A fixed window starts at a multiple of its length since the epoch: a client may spend one
window's allowance at its end and the next one's at the start of the next window, so in the
worst case twice the limit passes in one window's length. Both counters accept that for a
lookup and one write per hit."""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection

from goodword.core.clock import now
from goodword.core.db import adapt

# One hit in this many deletes the rows of ended windows (an indexed range delete).
_SWEEP_ONE_IN = 500


@dataclass(frozen=True)
class Hit:
    """A counted hit: how many the window holds with it, and when the window ends."""

    count: int
    retry_after: int  # whole seconds until the window ends, at least 1

    def over(self, limit: int) -> bool:
        return self.count > limit


def _window(seconds: int) -> tuple[int, int]:
    stamp = now().timestamp()
    start = int(stamp // seconds) * seconds
    return start, max(1, math.ceil(start + seconds - stamp))


def counter_hit(*, key: str, window_seconds: int) -> Hit:
    """Count one hit of `key` in the current window, shared by every process: one upsert, which
    also serialises concurrent hits of the key. Inside a transaction the hit is undone with it,
    so a rolled-back action does not spend the allowance."""
    start, retry_after = _window(window_seconds)
    expires = datetime.fromtimestamp(start + window_seconds, UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_ratecounter (key, window_start, hits, expires_at) "
            "VALUES (%s, %s, 1, %s) ON CONFLICT (key, window_start) "
            "DO UPDATE SET hits = core_ratecounter.hits + 1 "
            "RETURNING hits",
            [key[:200], start, adapt(expires)],
        )
        row = cursor.fetchone()
        if random.randrange(_SWEEP_ONE_IN) == 0:  # a sweep now and then, not security
            cursor.execute("DELETE FROM core_ratecounter WHERE expires_at < %s", [adapt(now())])
    return Hit(count=int(row[0]) if row else 1, retry_after=retry_after)


def counter_spent(*, key: str, window_seconds: int) -> int:
    """How many hits `key` has in the current window (0 when none), without counting one."""
    start, _ = _window(window_seconds)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT hits FROM core_ratecounter WHERE key = %s AND window_start = %s",
            [key[:200], start],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


class LocalWindows:
    """Fixed-window counters in this process only: `hit(key, limit)` counts and tells whether
    the key is over `limit` in the current `window_seconds`. Each process counts its own
    requests, so N server processes let through up to N times the limit in total. Memory is
    bounded: the keys of the previous window are dropped when a new window starts."""

    def __init__(self, window_seconds: int = 60) -> None:
        self.window_seconds = window_seconds
        self._lock = threading.Lock()
        self._start = 0
        self._counts: dict[str, int] = {}

    def hit(self, key: str) -> Hit:
        start, retry_after = _window(self.window_seconds)
        with self._lock:
            if start != self._start:
                self._start = start
                self._counts = {}
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
        return Hit(count=count, retry_after=retry_after)

    def clear(self) -> None:
        with self._lock:
            self._start = 0
            self._counts = {}


def window_left(*, window_seconds: int) -> timedelta:
    """How long the current fixed window of this length still runs."""
    return timedelta(seconds=_window(window_seconds)[1])
