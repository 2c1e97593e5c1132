from django.db import models


class FloorRow(models.Model):
    """Written only by the benchmark's floor endpoint (GOODWORD_BENCH_FLOOR); empty otherwise."""

    order_number = models.CharField(max_length=255)
    email = models.CharField(max_length=254)
    subtotal = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.order_number
