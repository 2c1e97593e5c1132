from __future__ import annotations

from django.db import models

from goodword.coupons.models import CouponList
from goodword.sites.models import Site


class CampaignStatus(models.TextChoices):
    LIVE = "Live"
    TEST = "Test"
    DISABLED = "Disabled"
    SCHEDULED = "Scheduled"


class Campaign(models.Model):
    """A referral program configuration. `joinable_category_names` says which origins make an
    advocate: "affiliate_member", "purchase", or an event category."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="campaigns")
    slug = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    tags = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.LIVE
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    joinable_category_names = models.JSONField(default=list, blank=True)
    destination_url = models.URLField(max_length=2000)
    offer_expiry_days = models.PositiveIntegerField(null=True, blank=True)
    gate_email = models.BooleanField(default=False)
    # The advocate's personal coupon code, given when their offer is made (docs/offers.md):
    # one code of this pool, or one made from this pattern; neither set, no personal coupon.
    advocate_coupon_list = models.ForeignKey(
        CouponList,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="advocate_campaigns",
    )
    advocate_coupon_pattern = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "slug"], name="campaign_site_slug_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.site_id}/{self.slug}"


class IncentiveReason(models.TextChoices):
    REFERRER = "referrer"
    REFERRED = "referred"
    CLICK = "click"
    SHARED = "shared"
    SIGNUP = "signup"


class IncentiveType(models.TextChoices):
    DISCOUNT_COUPON = "discount_coupon"
    REBATE = "rebate"
    OTHER = "other"


class AmountType(models.TextChoices):
    FIXED = "fixed"
    PERCENTAGE = "percentage"


class Incentive(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="incentives")
    identifier = models.CharField(max_length=100)
    reason = models.CharField(max_length=16, choices=IncentiveReason.choices)
    incentive_type = models.CharField(max_length=20, choices=IncentiveType.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    amount_type = models.CharField(
        max_length=12, choices=AmountType.choices, default=AmountType.FIXED
    )
    currency = models.CharField(max_length=3, null=True, blank=True)
    coupon_list = models.ForeignKey(
        CouponList, on_delete=models.PROTECT, null=True, blank=True, related_name="incentives"
    )
    description = models.CharField(max_length=500, blank=True, default="")
    criteria = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "identifier"], name="incentive_campaign_identifier_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.identifier}"
