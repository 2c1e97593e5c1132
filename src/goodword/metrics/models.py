"""Per-day totals of purchases and referrals that the Metrics API sums instead of raw rows.

Database triggers on `origins_origin` and `referrals_referral` append a signed delta row here
in the transaction of every insert, update and delete that changes a figure (ADR 0017), so
the totals are exact at every commit whatever wrote the row (the API, a batch, a bulk status
change, a cascade). Appending, never updating, keeps concurrent writers off each other's rows;
`rollup_compact` folds a day's deltas into one row per key later."""

from __future__ import annotations

from django.db import models

PURCHASE = "purchase"
REFERRAL = "referral"


class DayTotal(models.Model):
    # No foreign keys: the triggers write here while a site's rows are being deleted, and a
    # total references nothing that must exist.
    site_id = models.BigIntegerField()
    kind = models.CharField(max_length=16)  # PURCHASE or REFERRAL
    day = models.DateField()  # UTC day of the origin's occurred_at, the referral's created_at
    # Referrals: the referral's status, campaign and QA flag; "" / null / false for purchases.
    status = models.CharField(max_length=16, default="")
    campaign_id = models.BigIntegerField(null=True)
    # The origin's traffic source (the referral's origin's, for referrals).
    traffic_source = models.CharField(max_length=255, null=True)
    qa_generated = models.BooleanField(default=False)
    count = models.BigIntegerField()
    amount = models.DecimalField(max_digits=20, decimal_places=2)
    # False for a delta appended by a trigger, true for a row `rollup_compact` wrote.
    compacted = models.BooleanField(default=False)

    class Meta:
        indexes = [
            # Every read: one site's totals of one kind over a range of days.
            models.Index(fields=["site_id", "kind", "day"], name="metrics_daytotal_idx"),
            # Compaction finds the days that received deltas since it last ran.
            models.Index(
                fields=["site_id", "kind", "day"],
                condition=models.Q(compacted=False),
                name="metrics_daytotal_fresh_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.day} site {self.site_id}: {self.count} / {self.amount}"
