from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

SLUG_RE = r"^[a-z0-9][a-z0-9_-]{0,62}$"

# The claim-page limits' defaults: a household or an office behind one address gets a few
# codes a day; a script replaying links gets the same few.
CLAIM_CODES_PER_IP = 5
CLAIM_CODE_WINDOW_SECONDS = 24 * 3600
CLAIM_CLICKS_PER_IP_PER_MINUTE = 60


class Site(models.Model):
    """One merchant's referral program. Every other row belongs to exactly one site."""

    slug = models.CharField(
        max_length=63,
        unique=True,
        validators=[RegexValidator(SLUG_RE, "lowercase letters, digits, '-' and '_' only")],
    )
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, default="USD")
    # An IANA name: the API and webhooks write every timestamp with this zone's offset, as
    # Talkable writes them in a site's zone. Times are stored in UTC whatever it is.
    time_zone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.slug


class ApiKey(models.Model):
    """An API key. Only its SHA-256 is stored: keys are long random tokens, so a fast hash is
    enough to make a leaked table useless, and it lets a request find its key by index."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True, default="")
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["site", "created_at"])]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.site_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class SiteSettings(models.Model):
    """A site's program-wide switches (ENGINE.md), one row per site."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="settings")
    base_url = models.URLField(max_length=500, null=True, blank=True)
    sticky_advocate = models.BooleanField(default=False)
    void_on_refund = models.BooleanField(default=True)
    # Claim pages against anonymous draining of single-use coupon pools (docs/configuration.md):
    # codes one client address may take within the window, across all the site's claim links
    # (and never more than one per link), and claim-page hits recorded per address a minute.
    claim_codes_per_ip = models.PositiveIntegerField(default=CLAIM_CODES_PER_IP)
    claim_code_window_seconds = models.PositiveIntegerField(default=CLAIM_CODE_WINDOW_SECONDS)
    claim_clicks_per_ip_per_minute = models.PositiveIntegerField(
        default=CLAIM_CLICKS_PER_IP_PER_MINUTE
    )

    def __str__(self) -> str:
        return f"settings of {self.site_id}"


class FraudSettings(models.Model):
    """Per-policy actions (`block`, `flag`, `off`) and the approval settings."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="fraud_settings")
    policy_actions = models.JSONField(default=dict, blank=True)
    approval_mode = models.CharField(max_length=10, default="automatic")
    approval_delay_seconds = models.PositiveIntegerField(default=24 * 3600)
    flagged_resolution = models.CharField(max_length=10, default="voided")
    flagged_delay_seconds = models.PositiveIntegerField(default=7 * 24 * 3600)

    def __str__(self) -> str:
        return f"fraud settings of {self.site_id}"


class BlocklistEntry(models.Model):
    """An email pattern (`*` wildcards), an IP address or a CIDR range."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="blocklist")
    value = models.CharField(max_length=254)
    note = models.CharField(max_length=200, blank=True, default="")
    # Who added it in the portal, and when; blank for entries from the configuration file.
    added_by = models.CharField(max_length=254, blank=True, default="")
    added_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "value"], name="blocklist_site_value_uniq")
        ]

    def __str__(self) -> str:
        return self.value
