"""Fixed-window counters: the shared one in the database and the per-process one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from goodword.core.models import RateCounter
from goodword.core.ratelimit import LocalWindows, counter_hit, counter_spent

pytestmark = pytest.mark.django_db

# 10:00:45 UTC: 45 s into a minute, 45 min into an hour.
AT = datetime(2026, 7, 7, 10, 45, 45, tzinfo=UTC)


def test_the_shared_counter_counts_per_key_and_window(time_machine):
    time_machine.move_to(AT, tick=False)

    hits = [counter_hit(key="a", window_seconds=60) for _ in range(3)]
    other = counter_hit(key="b", window_seconds=60)

    assert [h.count for h in hits] == [1, 2, 3] and other.count == 1
    assert hits[-1].retry_after == 15 and hits[-1].over(2) and not hits[-1].over(3)
    assert counter_spent(key="a", window_seconds=60) == 3

    # the next window starts from nothing
    time_machine.move_to(AT + timedelta(seconds=15), tick=False)
    assert counter_hit(key="a", window_seconds=60).count == 1
    assert counter_hit(key="a", window_seconds=60).retry_after == 60


def test_a_hit_in_a_rolled_back_transaction_is_given_back(time_machine):
    time_machine.move_to(AT, tick=False)
    counter_hit(key="k", window_seconds=3600)

    with pytest.raises(RuntimeError), transaction.atomic():
        assert counter_hit(key="k", window_seconds=3600).count == 2
        raise RuntimeError("the click failed")

    assert counter_spent(key="k", window_seconds=3600) == 1


def test_rows_of_ended_windows_are_swept(time_machine, monkeypatch):
    from goodword.core import ratelimit

    time_machine.move_to(AT, tick=False)
    counter_hit(key="old", window_seconds=60)
    time_machine.move_to(AT + timedelta(minutes=5), tick=False)
    monkeypatch.setattr(ratelimit, "_SWEEP_ONE_IN", 1)

    counter_hit(key="new", window_seconds=60)

    assert list(RateCounter.objects.values_list("key", flat=True)) == ["new"]


def test_the_process_counter_counts_per_key_and_forgets_the_last_window(time_machine):
    time_machine.move_to(AT, tick=False)
    windows = LocalWindows(60)

    counts = [windows.hit("x").count for _ in range(4)]
    assert counts == [1, 2, 3, 4] and windows.hit("y").count == 1
    assert windows.hit("x").retry_after == 15

    time_machine.move_to(AT + timedelta(seconds=15), tick=False)
    assert windows.hit("x").count == 1
    assert set(windows._counts) == {"x"}
