"""The numbers behind `goodword status` and the scrape-time gauges of `/metrics`: read from the
database, so they are the same whichever process or machine asks."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from goodword.coupons.selectors import coupon_pool_levels
from goodword.webhooks.models import Delivery
from goodword.worker.selectors import job_status


def webhook_deliveries_by_status() -> dict[str, int]:
    rows = Delivery.objects.values("status").annotate(n=Count("id")).order_by("status")
    return {row["status"]: row["n"] for row in rows}


def ops_status() -> dict[str, Any]:
    """The job backlog (as `job_status`, with each kind's oldest due job), webhook deliveries
    by status and coupon pool levels."""
    status = job_status()
    status["webhook_deliveries"] = webhook_deliveries_by_status()
    status["coupon_pools"] = coupon_pool_levels()
    return status
