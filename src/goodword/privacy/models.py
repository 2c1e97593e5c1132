from __future__ import annotations

from django.db import models

from goodword.people.models import Person
from goodword.sites.models import Site


class Erasure(models.Model):
    """The receipt of one person's erasure: when, by whom, and how many rows of each kind were
    changed. `email_digest` (a keyed hash of the erased address, never the address) lets a
    repeated request by that address answer with this receipt instead of "not found"."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, db_index=False)
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="erasure")
    email_digest = models.CharField(max_length=64)
    actor = models.CharField(max_length=300)
    rows = models.JSONField(default=dict)
    erased_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["site", "email_digest"], name="erasure_site_digest_idx")]

    def __str__(self) -> str:
        return f"erasure of person {self.person_id}"
