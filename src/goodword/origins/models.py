from __future__ import annotations

from django.db import models

from goodword.people.models import Person
from goodword.sites.models import Site


class OriginType(models.TextChoices):
    PURCHASE = "Purchase"
    EVENT = "Event"
    AFFILIATE_MEMBER = "AffiliateMember"


# Column sizes; the API validates against the same numbers so nothing reaches the database too
# long (PostgreSQL would refuse it, SQLite would silently keep it).
LEN_ORDER_NUMBER = 255
LEN_EVENT = 255
LEN_SHORT = 255
LEN_ADDRESS = 1000
LEN_ZIP = 32
# The worker job that attributes and screens a friend's origin: origins.intake enqueues it with
# the origin, referrals/jobs.py runs it.
ATTRIBUTE = "attribute"
# Where the origin came from, as the merchant's marketing tags it: stored as sent, read by no rule.
TRACKING_FIELDS = (
    "traffic_source",
    "segment1",
    "segment2",
    "segment3",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
)


class Origin(models.Model):
    """Something a person did that the merchant reported: a purchase, an event, or joining the
    program as an affiliate member. Identity (ENGINE.md): a Purchase is (site, order_number), an
    Event (site, event_category, event_number); both enforced by partial unique indexes so
    concurrent duplicates resolve in the database."""

    # Every query filters by site first; the composite indexes below serve it.
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="origins", db_index=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="origins")
    type = models.CharField(max_length=16, choices=OriginType.choices)

    order_number = models.CharField(max_length=LEN_ORDER_NUMBER, null=True, blank=True)
    event_category = models.CharField(max_length=LEN_EVENT, null=True, blank=True)
    event_number = models.CharField(max_length=LEN_EVENT, null=True, blank=True)

    # The person's identity as sent with this origin (a person's email may change later).
    email = models.CharField(max_length=254)
    customer_id = models.CharField(max_length=150, null=True, blank=True)

    subtotal = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3)
    coupon_codes = models.JSONField(default=list, blank=True)
    items = models.JSONField(default=list, blank=True)
    shipping_address = models.CharField(max_length=LEN_ADDRESS, null=True, blank=True)
    shipping_zip = models.CharField(max_length=LEN_ZIP, null=True, blank=True)

    ip_address = models.GenericIPAddressField(null=True, blank=True)
    uuid = models.UUIDField(null=True, blank=True)
    traffic_source = models.CharField(max_length=LEN_SHORT, null=True, blank=True)
    segment1 = models.CharField(max_length=LEN_SHORT, null=True, blank=True)
    segment2 = models.CharField(max_length=LEN_SHORT, null=True, blank=True)
    segment3 = models.CharField(max_length=LEN_SHORT, null=True, blank=True)
    utm_source = models.CharField(max_length=LEN_SHORT, null=True, blank=True)
    utm_medium = models.CharField(max_length=LEN_SHORT, null=True, blank=True)
    utm_campaign = models.CharField(max_length=LEN_SHORT, null=True, blank=True)
    utm_term = models.CharField(max_length=LEN_SHORT, null=True, blank=True)
    utm_content = models.CharField(max_length=LEN_SHORT, null=True, blank=True)
    campaign_tags = models.JSONField(default=list, blank=True)

    # When it happened (the request's created_at/order_date, else when it arrived).
    occurred_at = models.DateTimeField()
    # SHA-256 of the data as sent: a re-send with equal data is a retry, anything else a conflict.
    fingerprint = models.CharField(max_length=64)

    refunded_at = models.DateTimeField(null=True, blank=True)
    refund_subtotal = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "order_number"],
                condition=models.Q(type="Purchase"),
                name="origin_purchase_uniq",
            ),
            models.UniqueConstraint(
                fields=["site", "event_category", "event_number"],
                condition=models.Q(type="Event"),
                name="origin_event_uniq",
            ),
            models.CheckConstraint(
                condition=~models.Q(type="Purchase") | models.Q(order_number__isnull=False),
                name="origin_purchase_has_number",
            ),
            models.CheckConstraint(
                condition=~models.Q(type="Event")
                | models.Q(event_category__isnull=False, event_number__isnull=False),
                name="origin_event_has_number",
            ),
        ]
        indexes = [
            models.Index(fields=["site", "email"], name="origin_site_email_idx"),
            # The Traffic Sources API walks the distinct values of this index.
            models.Index(
                fields=["site", "traffic_source"],
                condition=models.Q(traffic_source__isnull=False),
                name="origin_site_traffic_idx",
            ),
            # The Metrics API's purchases and revenue: a range of one site's purchases by date,
            # the subtotal in the index so the sum reads no table rows.
            models.Index(
                fields=["site", "type", "occurred_at", "subtotal"], name="origin_metrics_idx"
            ),
            # Screening reads an advocate's latest origins for every friend origin. With only
            # the person index, a planner without fresh statistics (a bulk load, autovacuum
            # off or behind) ANDs it with a site index and reads every origin of the site per
            # job: 15 ms at 120,000 origins, growing with the table (docs/benchmarks.md). This
            # index answers that query alone, whatever the statistics say.
            models.Index(fields=["site", "person", "-id"], name="origin_site_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.slug}"

    @property
    def slug(self) -> str:
        if self.type == OriginType.EVENT:
            return f"{self.event_category}:{self.event_number}"
        if self.type == OriginType.PURCHASE:
            return str(self.order_number)
        return str(self.pk)

    @property
    def coupon_code(self) -> str | None:
        return ",".join(self.coupon_codes) if self.coupon_codes else None

    @property
    def partially_refunded(self) -> bool:
        return (
            self.refund_subtotal is not None
            and self.subtotal is not None
            and self.refund_subtotal < self.subtotal
        )


class OriginBatch(models.Model):
    """Origins posted together to /api/v2/origins/batch/<kind>: validated and stored by the worker
    (the contract validates asynchronously). Its rows wait in `OriginBatchChunk`s, written in the
    same transaction as the batch and the chunks' jobs; a chunk is deleted in the transaction
    that stores its origins, so the chunks left are exactly the work not yet done."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, db_index=False)
    type = models.CharField(max_length=16, choices=OriginType.choices)
    create_offers = models.BooleanField(default=False)
    # The caller's address, for rows that send `"ip_address": "current"`.
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    row_count = models.PositiveIntegerField()
    stored = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # Why the posted `data` could not be read as rows at all (missing, not an array): the
    # contract validates asynchronously, so such a batch is accepted, kept with no rows and
    # reported with this sentence instead of a 400.
    error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["site", "-created_at"], name="origin_batch_site_idx")]

    def __str__(self) -> str:
        return f"{self.type} batch {self.pk} ({self.row_count} rows)"


class OriginBatchChunk(models.Model):
    """Up to CHUNK_ROWS raw rows of a batch, as posted; one worker job each."""

    batch = models.ForeignKey(OriginBatch, on_delete=models.CASCADE, related_name="chunks")
    first_row = models.PositiveIntegerField()  # index of rows[0] in the posted `data`
    rows = models.JSONField()

    def __str__(self) -> str:
        return f"chunk of batch {self.batch_id} from row {self.first_row}"


class OriginBatchError(models.Model):
    """A row of a batch that was not stored, with the reason the single-origin API would give."""

    batch = models.ForeignKey(OriginBatch, on_delete=models.CASCADE, related_name="errors")
    row_index = models.PositiveIntegerField()
    message = models.TextField()
    data = models.JSONField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_index"], name="origin_batch_error_uniq")
        ]

    def __str__(self) -> str:
        return f"batch {self.batch_id} row {self.row_index}: {self.message}"
