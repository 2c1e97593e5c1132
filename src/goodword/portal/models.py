"""Staff access to sites, the audit trail of staff actions, and failed logins."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from goodword.sites.models import Site


class Role(models.TextChoices):
    VIEWER = "viewer"  # reads everything of the site
    AGENT = "agent"  # and acts: approve, void, unblock, manual referrals, unsubscribe, ...
    MANAGER = "manager"  # and sees program settings and API keys


# Each role can do what the roles before it can.
ROLE_RANK: dict[str, int] = {Role.VIEWER: 0, Role.AGENT: 1, Role.MANAGER: 2}


class StaffMembership(models.Model):
    """A staff user's role on one site. A user sees only the sites they belong to."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_memberships"
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="staff_memberships")
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "site"], name="staff_user_site_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.site_id}"


class AuditEntry(models.Model):
    """One staff action: who, when, on which site and object, with their note. Written in the
    transaction of the action itself, so an action that did not happen leaves no entry."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, db_index=False)
    # The user may be removed later; their email stays with what they did.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    user_email = models.CharField(max_length=254)
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=20)
    object_id = models.BigIntegerField(null=True, blank=True)
    object_label = models.CharField(max_length=300, blank=True, default="")
    note = models.CharField(max_length=1000, blank=True, default="")
    # What the action changed, in a few words ("flagged -> approved").
    detail = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["site", "-id"], name="audit_site_idx"),
            models.Index(fields=["site", "object_type", "object_id", "-id"], name="audit_obj_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_email} {self.action} {self.object_type}:{self.object_id}"


class LoginFailure(models.Model):
    """A failed portal login; recent ones lock the account name (and the address) for a while."""

    username = models.CharField(max_length=254)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["username", "created_at"], name="loginfail_user_idx"),
            models.Index(fields=["ip_address", "created_at"], name="loginfail_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.username} at {self.created_at}"
