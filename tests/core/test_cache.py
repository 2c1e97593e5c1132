"""goodword.core.cache: the TTL cache the hot paths share."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from goodword.core import cache
from goodword.core.cache import TTLCache


class Loads:
    """A loader that notes the keys it is asked for and returns the call number."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    @property
    def calls(self) -> int:
        return len(self.keys)

    def __call__(self, key: str) -> int:
        self.keys.append(key)
        return self.calls


def later(monkeypatch, seconds: float) -> None:
    real = time.monotonic
    monkeypatch.setattr(cache, "time", SimpleNamespace(monotonic=lambda: real() + seconds))


def test_a_fresh_entry_is_answered_without_loading():
    # given an entry loaded once
    ttl: TTLCache[str, int] = TTLCache(seconds=10)
    load = Loads()
    assert ttl.get("k", load) == 1

    # when it is asked again within the TTL, then the loader is not called again
    assert ttl.get("k", load) == 1
    assert load.keys == ["k"]


def test_an_entry_is_loaded_again_once_its_ttl_has_passed(monkeypatch):
    # given an entry loaded with a 10 s TTL
    ttl: TTLCache[str, int] = TTLCache(seconds=10)
    load = Loads()
    ttl.get("k", load)

    # when 9 s pass it still answers; after 11 s it loads again
    later(monkeypatch, 9)
    assert ttl.get("k", load) == 1
    later(monkeypatch, 11)
    assert ttl.get("k", load) == 2


def test_the_ttl_may_be_read_at_each_store(monkeypatch):
    # given a TTL that a setting decides, at 0 s: nothing stays
    seconds = {"now": 0.0}
    ttl: TTLCache[str, int] = TTLCache(seconds=lambda: seconds["now"])
    load = Loads()
    ttl.get("k", load)
    assert ttl.get("k", load) == 2

    # when the setting says 60 s, the next store stays
    seconds["now"] = 60.0
    ttl.get("k", load)
    assert ttl.get("k", load) == 3


def test_forget_and_clear_drop_entries():
    # given two entries
    ttl: TTLCache[str, int] = TTLCache(seconds=10)
    a, b = Loads(), Loads()
    ttl.get("a", a)
    ttl.get("b", b)

    # when one is forgotten, only it loads again; after clear, both do
    ttl.forget("a")
    assert (ttl.get("a", a), ttl.get("b", b)) == (2, 1)
    ttl.clear()
    assert (ttl.get("a", a), ttl.get("b", b)) == (3, 2)


def test_a_failing_load_caches_nothing():
    # given a loader that refuses
    ttl: TTLCache[str, int] = TTLCache(seconds=10)

    def refuse(key: str) -> int:
        raise LookupError("no such key")

    # when it is asked, the error comes through, and nothing was stored
    with pytest.raises(LookupError):
        ttl.get("k", refuse)
    load = Loads()
    assert ttl.get("k", load) == 1


def test_a_full_cache_is_emptied_before_the_next_store():
    # given a cache of at most two entries, full
    ttl: TTLCache[str, int] = TTLCache(seconds=10, max_entries=2)
    loads = {key: Loads() for key in "abc"}
    ttl.get("a", loads["a"])
    ttl.get("b", loads["b"])

    # when a third key is stored, the others are dropped
    ttl.get("c", loads["c"])
    assert ttl.get("c", loads["c"]) == 1
    assert ttl.get("a", loads["a"]) == 2
