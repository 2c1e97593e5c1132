from __future__ import annotations

from django.db import models

from goodword.sites.models import Site

# The tables keep the names they had when coupons were part of campaigns: the move between the
# apps changed only Django's state, not one row (see migrations/0001_initial.py).


class CouponList(models.Model):
    """Where coupon codes come from: one static code shared by all, or a pool of single-use
    codes handed out once each."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="coupon_lists")
    identifier = models.CharField(max_length=100)
    name = models.CharField(max_length=200, blank=True, default="")
    static_code = models.CharField(max_length=255, null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "campaigns_couponlist"
        constraints = [
            models.UniqueConstraint(
                fields=["site", "identifier"], name="couponlist_site_identifier_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.identifier

    @property
    def single_use(self) -> bool:
        return not self.static_code


class Coupon(models.Model):
    """A code of a single-use pool. `claimed_at` is set when it is handed out (to a friend on
    claim, to a reward, or as an advocate's personal code); the conditional update that sets it
    is what makes each code go out once."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="coupons", db_index=False)
    coupon_list = models.ForeignKey(CouponList, on_delete=models.CASCADE, related_name="coupons")
    code = models.CharField(max_length=255)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Origins that carried the code (counted when the worker screens the origin).
    usages = models.PositiveIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "campaigns_coupon"
        constraints = [
            models.UniqueConstraint(fields=["site", "code"], name="coupon_site_code_uniq")
        ]
        indexes = [
            models.Index(
                fields=["coupon_list", "id"],
                condition=models.Q(claimed_at__isnull=True),
                name="coupon_unclaimed_idx",
            )
        ]

    def __str__(self) -> str:
        return self.code
