from __future__ import annotations

from django.db import models

from goodword.sites.models import Site


class Person(models.Model):
    """Someone known to a site, keyed by (lower-cased) email. The same email on two sites is two
    people. Also findable by phone number, customer id or username."""

    # Every query filters by site first; the unique (site, email) index serves it.
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="people", db_index=False)
    email = models.CharField(max_length=254)
    first_name = models.CharField(max_length=100, null=True, blank=True)
    last_name = models.CharField(max_length=100, null=True, blank=True)
    username = models.CharField(max_length=150, null=True, blank=True)
    customer_id = models.CharField(max_length=150, null=True, blank=True)
    phone_number = models.CharField(max_length=32, null=True, blank=True)
    custom_properties = models.JSONField(default=dict, blank=True)
    # Asked to get no more emails (People API unsubscribe).
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # Subscribed again after an unsubscribe (People API update with `unsubscribed: false`).
    subscribed_at = models.DateTimeField(null=True, blank=True)
    # Opted in to marketing email (`gated_param_subscribed: true`).
    opted_in_at = models.DateTimeField(null=True, blank=True)
    # Erased on request (GDPR): the identifying fields were replaced; the row stays so the
    # program's referrals and rewards still add up.
    anonymized_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(fields=["site", "email"], name="person_site_email_uniq"),
        ]
        indexes = [
            models.Index(fields=["site", "customer_id"], name="person_site_customer_idx"),
            models.Index(fields=["site", "phone_number"], name="person_site_phone_idx"),
            models.Index(fields=["site", "username"], name="person_site_username_idx"),
        ]

    def __str__(self) -> str:
        return self.email
