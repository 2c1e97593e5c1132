from __future__ import annotations

from django.db import models

from goodword.campaigns.models import (
    AmountType,
    Campaign,
    Incentive,
    IncentiveReason,
    IncentiveType,
)
from goodword.coupons.models import Coupon, CouponList
from goodword.offers.models import AdvocateOffer, Claim, Share
from goodword.people.models import Person
from goodword.referrals.models import Referral
from goodword.sites.models import Site


class RewardStatus(models.TextChoices):
    PENDING = "Pending"  # awaiting the referral's approval
    PAID = "Paid"
    VOIDED = "Voided"
    BLOCKED = "Blocked"  # never paid; `status_reason` says why
    WAITING = "Waiting for coupon"  # the pool ran dry; paid when codes are imported


# What caps and uniqueness count, among rewards with `given_at` set: given, owed as soon as
# codes arrive, or decided and waiting for the referral webhook before it is paid.
GIVEN = frozenset({RewardStatus.PAID, RewardStatus.WAITING, RewardStatus.PENDING})
# Not decided for good: re-evaluated when the referral moves.
OPEN = frozenset({RewardStatus.PENDING, RewardStatus.BLOCKED})


class Reward(models.Model):
    """What a person gets for an incentive. The incentive's terms are copied in when the reward
    is made, so a later configuration change never rewrites what was promised.

    Exactly once, by constraint: one reward per referral and reason (`referrer`, `referred`),
    one `click` reward per claim, one `signup` and one `shared` reward per offer, and one
    reward per single-use coupon.
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, db_index=False)
    # The recipient: the advocate (signup, shared, referrer) or the friend (referred, click). A
    # click reward goes to a visitor who may not be a known person yet.
    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rewards",
        db_index=False,
    )
    visitor_uuid = models.UUIDField(null=True, blank=True)
    # The advocate whose offer the reward is about, whoever receives it: caps count by it.
    advocate = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_index=False)
    friend = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    reason = models.CharField(max_length=16, choices=IncentiveReason.choices)
    status = models.CharField(max_length=20, choices=RewardStatus.choices)
    status_reason = models.CharField(max_length=500, blank=True, default="")
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    incentive = models.ForeignKey(
        Incentive, on_delete=models.PROTECT, related_name="rewards", db_index=False
    )
    incentive_identifier = models.CharField(max_length=100)
    incentive_type = models.CharField(max_length=20, choices=IncentiveType.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    amount_type = models.CharField(max_length=12, choices=AmountType.choices)
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=500, blank=True, default="")
    coupon_list = models.ForeignKey(
        CouponList,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    coupon = models.ForeignKey(
        Coupon,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rewards",
        db_index=False,
    )
    coupon_code = models.CharField(max_length=255, null=True, blank=True)
    offer = models.ForeignKey(AdvocateOffer, on_delete=models.CASCADE, related_name="rewards")
    referral = models.ForeignKey(
        Referral,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rewards",
        db_index=False,
    )
    claim = models.ForeignKey(
        Claim, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    share = models.ForeignKey(
        Share, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # When it was given (became Paid, or Waiting for coupon): caps per month count by it.
    given_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "reason"],
                condition=models.Q(referral__isnull=False),
                name="reward_one_per_referral_reason",
            ),
            models.UniqueConstraint(
                fields=["claim"],
                condition=models.Q(reason="click"),
                name="reward_one_click_per_claim",
            ),
            models.UniqueConstraint(
                fields=["offer", "reason"],
                condition=models.Q(reason__in=["signup", "shared"]),
                name="reward_one_signup_shared_per_offer",
            ),
            models.UniqueConstraint(
                fields=["coupon"],
                condition=models.Q(coupon__isnull=False),
                name="reward_one_per_coupon",
            ),
        ]
        indexes = [
            models.Index(fields=["site", "person", "id"], name="reward_person_idx"),
            models.Index(fields=["site", "visitor_uuid", "id"], name="reward_visitor_idx"),
            models.Index(fields=["incentive", "advocate", "given_at"], name="reward_caps_idx"),
            models.Index(
                fields=["coupon_list", "id"],
                condition=models.Q(status="Waiting for coupon"),
                name="reward_waiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"reward {self.pk} {self.reason} ({self.status})"
