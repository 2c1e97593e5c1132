"""Webhook subscriptions, deliveries and their attempts (ENGINE.md, Webhooks).

A delivery is written in the same transaction as the change that causes it, together with the
worker job that sends it. Its body is assembled at send time from the stored `payload` and
`extras` plus the site's current security key, so rotating the key never leaves stale copies of
it in the log.
"""

from __future__ import annotations

import uuid

from django.db import models

from goodword.sites.models import Site

DEFAULT_RETRY_WINDOW = 3 * 24 * 3600


class HookType(models.TextChoices):
    REFERRAL = "referral_web_hook"
    REWARD = "reward_web_hook"
    POST_SHARE = "post_share_web_hook"
    EVENT = "event_web_hook"
    OFFER_SIGNUP = "offer_signup_web_hook"
    CLAIM_SIGNUP = "claim_signup_web_hook"
    UNSUBSCRIBE = "unsubscribe_web_hook"
    CHECK_UNSUBSCRIBE = "check_unsubscribe_web_hook"
    CREATE_COUPON = "create_coupon_web_hook"
    # Goodword's own: a coupon pool is running low (docs/webhooks.md).
    COUPON_LIST_LOW = "coupon_list_low_web_hook"


class Encoding(models.TextChoices):
    JSON = "json"  # application/json, the body as in talkable-webhooks.openapi.yml
    FORM = "form"  # application/x-www-form-urlencoded, `payload` holds the JSON body


class WebhookSettings(models.Model):
    """A site's webhook security: the legacy `key` carried in every body, the HMAC signing
    secret (and, during a rotation, the previous one until it expires), the private-target
    switch and the retry window. Secrets are kept in clear because signing needs them; they are
    never exported (docs/webhooks.md)."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="webhook_settings")
    security_key = models.CharField(max_length=255)
    signing_secret = models.CharField(max_length=255)
    previous_signing_secret = models.CharField(max_length=255, null=True, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    allow_private_targets = models.BooleanField(default=False)
    retry_window_seconds = models.PositiveIntegerField(default=DEFAULT_RETRY_WINDOW)

    class Meta:
        verbose_name_plural = "webhook settings"

    def __str__(self) -> str:
        return f"webhook settings of {self.site_id}"


class Subscription(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="webhook_subscriptions")
    hook_type = models.CharField(max_length=32, choices=HookType.choices)
    url = models.URLField(max_length=2000)
    active = models.BooleanField(default=True)
    encoding = models.CharField(max_length=8, choices=Encoding.choices, default=Encoding.JSON)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "hook_type", "url"], name="webhook_sub_site_type_url_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.hook_type} → {self.url}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Delivery(models.Model):
    """One webhook to one subscription. `uuid` is the delivery id receivers de-duplicate on: it
    stays the same across retries (a redelivery is a new delivery with a new id)."""

    uuid = models.UUIDField(unique=True, default=uuid.uuid4)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, db_index=False)
    # Kept when the subscription is removed: the log outlives it (a pending delivery is then
    # given up at its next attempt).
    subscription = models.ForeignKey(
        Subscription, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    hook_type = models.CharField(max_length=32, choices=HookType.choices)
    url = models.CharField(max_length=2000)  # the subscription's URL when it was made
    payload = models.JSONField(default=dict)
    extras = models.JSONField(default=dict, blank=True)
    # What the delivery is about ("referral:123"): deliveries with one subject go out in order.
    subject = models.CharField(max_length=100, null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    redelivery_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="redeliveries"
    )
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["site", "-created_at"], name="delivery_site_created_idx"),
            models.Index(
                fields=["site", "subject", "id"],
                condition=models.Q(status="pending", subject__isnull=False),
                name="delivery_pending_subject_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hook_type} {self.uuid} ({self.status})"


class DeliveryAttempt(models.Model):
    """One HTTP request of a delivery: when, what came back, how long it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    started_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=500, blank=True, default="")
    response_body = models.CharField(max_length=1000, blank=True, default="")
    outcome = models.CharField(max_length=10)  # delivered, retry, failed

    class Meta:
        indexes = [models.Index(fields=["delivery", "started_at"], name="attempt_delivery_idx")]

    def __str__(self) -> str:
        return f"attempt of {self.delivery_id}: {self.status_code or self.error}"
