"""Person row locks, always taken in primary-key order so that two transactions locking
overlapping sets of people wait for each other instead of deadlocking."""

from __future__ import annotations

from collections.abc import Iterable

from goodword.people.models import Person


def people_lock(*, ids: Iterable[int]) -> list[Person]:
    """The people with these ids that exist, locked until the transaction ends."""
    return list(Person.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk"))
