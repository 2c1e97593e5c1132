from __future__ import annotations

from django.db import models

from goodword.sites.models import Site


class Job(models.Model):
    """Work to do later, written in the same transaction as the change that causes it (ADR 0001).

    A worker claims due rows by setting `claimed_until` (a lease); a worker that dies leaves the
    row claimable again when the lease runs out. A job is deleted in the same transaction as its
    effect, so an effect is applied once even if a job runs twice. A job that keeps failing is
    parked with `failed_at` and its last error, for `goodword status` and an operator.
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, db_index=False)
    kind = models.CharField(max_length=32)
    ref_id = models.BigIntegerField(null=True, blank=True)  # the row it is about (kind-specific)
    payload = models.JSONField(default=dict, blank=True)
    run_after = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    # Who holds the lease: a worker completes a job only while its token is still there.
    claim_token = models.CharField(max_length=32, null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    failed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(
                fields=["run_after", "id"],
                condition=models.Q(failed_at__isnull=True),
                name="job_due_idx",
            ),
            models.Index(fields=["kind", "ref_id"], name="job_kind_ref_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref_id or ''} ({self.pk})"
