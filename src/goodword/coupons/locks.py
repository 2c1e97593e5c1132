"""Coupon list row locks."""

from __future__ import annotations

from goodword.coupons.models import CouponList


def coupon_list_lock(*, id: int) -> CouponList | None:
    """The coupon list, locked until the transaction ends: imports into one list run one at a
    time. None when it is gone."""
    return CouponList.objects.select_for_update().filter(pk=id).order_by("pk").first()
