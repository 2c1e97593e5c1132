from __future__ import annotations

from django.db import models

from goodword.campaigns.models import Campaign
from goodword.origins.models import Origin
from goodword.people.models import Person
from goodword.sites.models import Site


class AdvocateOffer(models.Model):
    """What an advocate shares. Made when an origin of a kind the campaign accepts arrives."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="offers", db_index=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="offers")
    advocate = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="offers")
    origin = models.ForeignKey(
        Origin, on_delete=models.SET_NULL, null=True, blank=True, related_name="offers"
    )
    short_url_code = models.CharField(max_length=16, unique=True)
    # The advocate's personal coupon: attributes a friend's order that uses it.
    coupon_code = models.CharField(max_length=255, null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # The advocate's own device, from their joining origin and their visits to their show link:
    # what the fraud policies compare a friend's against.
    advocate_ip = models.GenericIPAddressField(null=True, blank=True)
    advocate_user_agent = models.CharField(max_length=1000, blank=True, default="")
    advocate_visitor_uuid = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            # One offer per advocate and campaign: a second join returns the first.
            models.UniqueConstraint(
                fields=["campaign", "advocate"], name="offer_campaign_advocate_uniq"
            ),
            # A personal coupon names one advocate: attribution by coupon must find one offer.
            models.UniqueConstraint(
                fields=["site", "coupon_code"],
                condition=models.Q(coupon_code__isnull=False),
                name="offer_site_coupon_uniq",
            ),
        ]
        indexes = [
            # The Metrics API's advocates and sharing rate: one site's offers by date.
            models.Index(fields=["site", "created_at"], name="offer_site_created_idx"),
        ]

    def __str__(self) -> str:
        return self.short_url_code


class LinkKind(models.TextChoices):
    CLAIM = "claim"
    SHOW = "show"


class ShortLink(models.Model):
    """A public /x/<code> link: an offer's claim link (per sharing channel) or show link."""

    code = models.CharField(max_length=16, unique=True)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, db_index=False)
    offer = models.ForeignKey(AdvocateOffer, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=8, choices=LinkKind.choices)
    channel = models.CharField(max_length=50, null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "kind", "channel"],
                name="shortlink_offer_kind_channel_uniq",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return self.code


class Share(models.Model):
    """An advocate sharing an offer on a channel; email shares keep their recipients."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, db_index=False)
    offer = models.ForeignKey(AdvocateOffer, on_delete=models.CASCADE, related_name="shares")
    channel = models.CharField(max_length=50)
    link = models.ForeignKey(ShortLink, on_delete=models.SET_NULL, null=True, blank=True)
    # An email share's mail as the advocate wrote it (blank: the default wording), and whether
    # it reminds recipients who were sent the offer before.
    subject = models.CharField(max_length=255, blank=True, default="")
    message = models.TextField(blank=True, default="")
    reminder = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        # The Metrics API's shares: one site's shares by date, per channel.
        indexes = [
            models.Index(fields=["site", "created_at", "channel"], name="share_site_created_idx")
        ]

    def __str__(self) -> str:
        return f"{self.offer_id}/{self.channel}"


class RecipientStatus(models.TextChoices):
    QUEUED = "queued"  # the worker sends it
    SENT = "sent"
    SKIPPED = "skipped"  # unsubscribed by the time it was to go out
    FAILED = "failed"  # the mail server refused it, or every retry failed


# Recipients who got nothing attribute nothing (share_email).
NOT_MAILED = (RecipientStatus.SKIPPED, RecipientStatus.FAILED)


class ShareRecipient(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, db_index=False)
    share = models.ForeignKey(Share, on_delete=models.CASCADE, related_name="recipients")
    email = models.CharField(max_length=254)
    status = models.CharField(
        max_length=8, choices=RecipientStatus.choices, default=RecipientStatus.SENT
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["site", "email"], name="sharerecipient_site_email_idx")]

    def __str__(self) -> str:
        return self.email


class Visitor(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, db_index=False)
    uuid = models.UUIDField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "uuid"], name="visitor_site_uuid_uniq")
        ]

    def __str__(self) -> str:
        return str(self.uuid)


class Claim(models.Model):
    """A friend following a claim link (Talkable's visitor offer)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, db_index=False)
    offer = models.ForeignKey(AdvocateOffer, on_delete=models.CASCADE, related_name="claims")
    link = models.ForeignKey(ShortLink, on_delete=models.SET_NULL, null=True, blank=True)
    visitor_uuid = models.UUIDField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=1000, blank=True, default="")
    channel = models.CharField(max_length=50, null=True, blank=True)
    gated_email = models.CharField(max_length=254, null=True, blank=True)
    gated_phone = models.CharField(max_length=32, null=True, blank=True)
    friend_coupon_code = models.CharField(max_length=255, null=True, blank=True)
    # The first click (what cookie and email attribution compare with the origin) and the
    # latest one (what the one-hour IP window counts from).
    created_at = models.DateTimeField()
    clicked_at = models.DateTimeField()
    visited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "visitor_uuid"], name="claim_offer_visitor_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["site", "visitor_uuid"], name="claim_site_uuid_idx"),
            models.Index(
                fields=["site", "gated_email"],
                condition=models.Q(gated_email__isnull=False),
                name="claim_site_email_idx",
            ),
            models.Index(
                fields=["site", "gated_phone"],
                condition=models.Q(gated_phone__isnull=False),
                name="claim_site_phone_idx",
            ),
            models.Index(fields=["site", "ip_address", "clicked_at"], name="claim_site_ip_idx"),
            # The Metrics API's friend claims: one site's claims by date, per channel.
            models.Index(fields=["site", "created_at", "channel"], name="claim_site_created_idx"),
            models.Index(
                fields=["site", "friend_coupon_code"],
                condition=models.Q(friend_coupon_code__isnull=False),
                name="claim_site_coupon_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"claim {self.pk}"
