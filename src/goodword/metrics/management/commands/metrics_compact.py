"""`goodword manage metrics_compact`: fold the Metrics API's per-day deltas now (the worker does
it every few seconds; this is for a bulk load, a benchmark, or a stopped worker)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from goodword.metrics.services import rollup_compact


class Command(BaseCommand):
    help = "Fold the Metrics API's per-day deltas into one row per key."

    def handle(self, *args: Any, **options: Any) -> None:
        days = rollup_compact()
        self.stdout.write(f"{days} days folded")
