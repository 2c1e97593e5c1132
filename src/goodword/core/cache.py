"""A small in-process cache whose entries expire after a few seconds.

The hot paths read the same few rows (an API key's site, a site's program, the hook types it
subscribes to) hundreds of times a second. Each process keeps them for a short time-to-live;
the process that changes one forgets it at once, the others see the change within the TTL.
Reads take no lock (a dict lookup is atomic under the GIL); writes and forgets do.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    """`get(key, load)` answers from the cache while the entry is younger than `seconds`, else
    calls `load(key)`, keeps its result and returns it. An exception from `load` is not cached.
    (`load` takes the key so that callers pass a plain function: no closure made per call.)

    `seconds` may be a callable, read on every store, for a TTL that comes from settings. With
    `max_entries`, a full cache is emptied before the next store: entries are cheap to reload,
    and this bounds memory against a flood of distinct keys (bad API keys are not stored, but
    many good ones could be)."""

    def __init__(
        self, *, seconds: float | Callable[[], float], max_entries: int | None = None
    ) -> None:
        self._seconds = seconds
        self._max_entries = max_entries
        self._entries: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K, load: Callable[[K], V]) -> V:
        stamp = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > stamp:
            return hit[1]
        value = load(key)
        ttl = self._seconds() if callable(self._seconds) else self._seconds
        with self._lock:
            if self._max_entries is not None and len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[key] = (stamp + ttl, value)
        return value

    def forget(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
