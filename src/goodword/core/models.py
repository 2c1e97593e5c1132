from django.db import models


class FloorRow(models.Model):
    """Written only by the benchmark's floor endpoint (GOODWORD_BENCH_FLOOR); empty otherwise."""

    order_number = models.CharField(max_length=255)
    email = models.CharField(max_length=254)
    subtotal = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.order_number


class RateCounter(models.Model):
    """Hits of one key (`<what>:<who>`) in one fixed window, shared by every process. Rows of
    ended windows are deleted now and then by `core.ratelimit`."""

    key = models.CharField(max_length=200)
    window_start = models.BigIntegerField()  # the window's start, in seconds since the epoch
    hits = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key", "window_start"], name="ratecounter_key_window_uniq"
            )
        ]
        indexes = [models.Index(fields=["expires_at"], name="ratecounter_expires_idx")]

    def __str__(self) -> str:
        return f"{self.key}@{self.window_start}: {self.hits}"


class AuthVersion(models.Model):
    """One row whose number grows whenever a key or a site changes. Every process reads it at
    most once a second and empties its key cache when it moved: a revocation reaches all the
    servers within a second, with no broker to run (docs/adr/0013-key-revocation-signal.md)."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"auth version {self.version}"
