from django.db import models


class FloorRow(models.Model):
    """Written only by the benchmark's floor endpoint (GOODWORD_BENCH_FLOOR); empty otherwise."""

    order_number = models.CharField(max_length=255)
    email = models.CharField(max_length=254)
    subtotal = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.order_number


class AuthVersion(models.Model):
    """One row whose number grows whenever a key or a site changes. Every process reads it at
    most once a second and empties its key cache when it moved: a revocation reaches all the
    servers within a second, with no broker to run (docs/adr/0014-key-revocation-signal.md)."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"auth version {self.version}"
