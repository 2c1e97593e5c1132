from __future__ import annotations

from django.db import models

from goodword.campaigns.models import Campaign
from goodword.offers.models import AdvocateOffer, Claim
from goodword.origins.models import Origin
from goodword.people.models import Person
from goodword.sites.models import Site


class ReferralStatus(models.TextChoices):
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    FLAGGED = "flagged"
    PENDING = "pending"
    APPROVED = "approved"
    VOIDED = "voided"


class TrackMethod(models.TextChoices):
    MANUALLY_GENERATED = "manually_generated"
    FORCE_MANUALLY_GENERATED = "force_manually_generated"
    STICKY_ADVOCATE = "sticky_advocate"
    COUPON = "coupon"
    COOKIE = "cookie"
    GATED_EMAIL = "gated_email"
    PHONE_NUMBER = "phone_number"
    SHARE_EMAIL = "share_email"
    IP_ADDRESS = "ip_address"
    EVENT_CHAIN = "event_chain"


class Actor(models.TextChoices):
    ENGINE = "engine"
    API = "api"
    STAFF = "staff"
    AUTOMATIC = "automatic"


class Referral(models.Model):
    """A friend's origin tied to an advocate's offer. An origin is referred at most once."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, db_index=False)
    # Foreign keys without their own index where a composite index below serves every query
    # (all of them filter by site): a referral insert maintains fewer indexes.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="referrals", db_index=False
    )
    offer = models.ForeignKey(AdvocateOffer, on_delete=models.PROTECT, related_name="referrals")
    claim = models.ForeignKey(
        Claim, on_delete=models.SET_NULL, null=True, blank=True, db_index=False
    )
    advocate = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="referrals_as_advocate", db_index=False
    )
    friend = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="referrals_as_friend", db_index=False
    )
    origin = models.OneToOneField(Origin, on_delete=models.PROTECT, related_name="referral")
    track_method = models.CharField(max_length=32, choices=TrackMethod.choices)
    status = models.CharField(max_length=16, choices=ReferralStatus.choices)
    subtotal = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    fraud_policies_status = models.JSONField(default=dict, blank=True)
    fraud_details = models.CharField(max_length=500, null=True, blank=True)
    fraud_evidence = models.JSONField(default=list, blank=True)
    qa_generated = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["site", "advocate", "created_at"], name="referral_advocate_idx"),
            models.Index(fields=["site", "friend", "created_at"], name="referral_friend_idx"),
            models.Index(fields=["site", "status"], name="referral_site_status_idx"),
            # The Metrics API's referral figures: one site's referrals by date.
            models.Index(fields=["site", "created_at"], name="referral_site_created_idx"),
        ]

    def __str__(self) -> str:
        return f"referral {self.pk} ({self.status})"


class ReferralEvent(models.Model):
    """Every status change of a referral, written in the same transaction as the change: the
    audit trail (and, for the worker, the record of what happened)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, db_index=False)
    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    from_status = models.CharField(max_length=16, choices=ReferralStatus.choices)
    to_status = models.CharField(max_length=16, choices=ReferralStatus.choices)
    actor = models.CharField(max_length=16, choices=Actor.choices)
    actor_detail = models.CharField(max_length=200, blank=True, default="")
    reason = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["referral", "created_at"], name="refevent_referral_idx")]

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.from_status} -> {self.to_status}"
