"""Referral row locks, always taken in primary-key order so that two transactions locking
overlapping sets wait for each other instead of deadlocking."""

from __future__ import annotations

from collections.abc import Iterable

from goodword.referrals.models import Referral


def referrals_lock(*, ids: Iterable[int]) -> list[Referral]:
    """The referrals with these ids that exist, locked until the transaction ends."""
    return list(Referral.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk"))


def referrals_lock_for_origins(*, origin_ids: Iterable[int]) -> list[Referral]:
    """The referrals of these origins (at most one each), locked until the transaction ends."""
    return list(
        Referral.objects.select_for_update()
        .filter(origin_id__in=sorted(set(origin_ids)))
        .order_by("pk")
    )
