"""Reward row locks, always taken in primary-key order."""

from __future__ import annotations

from goodword.rewards.models import Reward, RewardStatus


def rewards_lock_waiting(*, coupon_list_id: int, limit: int) -> list[Reward]:
    """The oldest `limit` rewards waiting for a code of the list, locked until the transaction
    ends. Not SKIP LOCKED: a reward another transaction holds is waited for, not left behind."""
    return list(
        Reward.objects.select_for_update()
        .filter(coupon_list_id=coupon_list_id, status=RewardStatus.WAITING)
        .order_by("pk")[:limit]
    )
