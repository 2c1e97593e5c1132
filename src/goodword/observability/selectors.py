"""The numbers behind `goodword status` and the scrape-time gauges of `/metrics`: read from the
database, so they are the same whichever process or machine asks."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Min, Q

from goodword.core.clock import now
from goodword.coupons.models import CouponList
from goodword.webhooks.models import Delivery
from goodword.worker.models import Job
from goodword.worker.selectors import job_status


def jobs_by_kind() -> dict[str, dict[str, Any]]:
    """Per job kind: due, scheduled, running and failed (parked) counts, and the age in seconds
    of the oldest due job (0 when none is due)."""
    stamp = now()
    open_ = Q(failed_at__isnull=True)
    rows = Job.objects.values("kind").annotate(
        due=Count("id", filter=open_ & Q(run_after__lte=stamp)),
        scheduled=Count("id", filter=open_ & Q(run_after__gt=stamp)),
        running=Count("id", filter=open_ & Q(claimed_until__gt=stamp)),
        failed=Count("id", filter=Q(failed_at__isnull=False)),
        oldest_due=Min("run_after", filter=open_ & Q(run_after__lte=stamp)),
    )
    return {
        row["kind"]: {
            "due": row["due"],
            "scheduled": row["scheduled"],
            "running": row["running"],
            "failed": row["failed"],
            "oldest_due_age_seconds": (
                round((stamp - row["oldest_due"]).total_seconds(), 3) if row["oldest_due"] else 0
            ),
        }
        for row in rows.order_by("kind")
    }


def webhook_deliveries_by_status() -> dict[str, int]:
    rows = Delivery.objects.values("status").annotate(n=Count("id")).order_by("status")
    return {row["status"]: row["n"] for row in rows}


def coupon_pool_levels() -> list[dict[str, Any]]:
    """Every single-use pool: codes left to hand out and codes handed out, by site and list."""
    rows = (
        CouponList.objects.filter(Q(static_code__isnull=True) | Q(static_code=""))
        .values("site__slug", "identifier")
        .annotate(
            available=Count("coupons", filter=Q(coupons__claimed_at__isnull=True)),
            claimed=Count("coupons", filter=Q(coupons__claimed_at__isnull=False)),
        )
        .order_by("site__slug", "identifier")
    )
    return [
        {
            "site_slug": row["site__slug"],
            "coupon_list": row["identifier"],
            "available": row["available"],
            "claimed": row["claimed"],
        }
        for row in rows
    ]


def ops_status() -> dict[str, Any]:
    """The job backlog (as `job_status`, with each kind's oldest due job), webhook deliveries
    by status and coupon pool levels."""
    status = job_status()
    status["by_kind"] = jobs_by_kind()
    status["webhook_deliveries"] = webhook_deliveries_by_status()
    status["coupon_pools"] = coupon_pool_levels()
    return status
