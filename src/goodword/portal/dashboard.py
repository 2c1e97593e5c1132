"""A site's dashboard: how many referrals wait in each queue, what was approved and voided in
the last day, origins received today, the worker's backlog for the site, webhook deliveries that
are failing, coupon pools running low, and how fast pools hand out codes. A fixed number of
queries, each through an index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from goodword.core.clock import now
from goodword.coupons.models import Coupon, CouponList
from goodword.coupons.selectors import coupon_pool_burn
from goodword.origins.models import Origin
from goodword.referrals.models import Referral, ReferralStatus
from goodword.webhooks.emitters import LOW_WATER
from goodword.webhooks.models import Delivery, DeliveryStatus
from goodword.worker.selectors import job_backlog

RECENT = timedelta(days=1)
FAILING_WINDOW = timedelta(days=7)
FAILING_SHOWN = 5


@dataclass(frozen=True)
class PoolLevel:
    identifier: str
    name: str
    left: int


def queue_counts(*, site_id: int, since: datetime) -> dict[str, int]:
    """Referrals waiting in each queue, and those approved or voided since `since`. One query
    over (site, status, updated_at)."""
    waiting = (ReferralStatus.FLAGGED, ReferralStatus.PENDING, ReferralStatus.BLOCKED)
    done = (ReferralStatus.APPROVED, ReferralStatus.VOIDED)
    rows = (
        Referral.objects.filter(site_id=site_id)
        .filter(Q(status__in=waiting) | Q(status__in=done, updated_at__gte=since))
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[str, int] = {str(status): 0 for status in (*waiting, *done)}
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def failing_deliveries(*, site_id: int, since: datetime) -> tuple[int, list[Delivery]]:
    """Deliveries made since `since` that were given up, or are being retried after a failed
    attempt: how many, and the latest few. Two queries over (site, created_at)."""
    failing = Delivery.objects.filter(site_id=site_id, created_at__gte=since).filter(
        Q(status=DeliveryStatus.FAILED) | Q(status=DeliveryStatus.PENDING, attempts__gt=0)
    )
    latest = list(failing.order_by("-created_at", "-id")[:FAILING_SHOWN])
    return failing.count(), latest


def low_pools(*, site_id: int, below: int = LOW_WATER) -> list[PoolLevel]:
    """The site's single-use coupon pools with fewer than `below` unused codes, emptiest
    first. One query (unused codes are counted in the partial index of unclaimed codes)."""
    unused = (
        Coupon.objects.filter(coupon_list_id=OuterRef("pk"), claimed_at__isnull=True)
        .order_by()
        .values("coupon_list_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    pools = (
        CouponList.objects.filter(site_id=site_id, static_code__isnull=True)
        .annotate(left=Coalesce(Subquery(unused), 0))
        .filter(left__lt=below)
        .order_by("left", "identifier")
    )
    return [PoolLevel(p.identifier, p.name, p.left) for p in pools]


def dashboard(*, site_id: int) -> dict[str, Any]:
    """Everything the dashboard shows. Seven queries whatever the site's size."""
    stamp = now()
    midnight = datetime.combine(stamp.date(), time.min, tzinfo=UTC)
    failing_count, failing = failing_deliveries(site_id=site_id, since=stamp - FAILING_WINDOW)
    return {
        "now": stamp,
        "counts": queue_counts(site_id=site_id, since=stamp - RECENT),
        "origins_today": Origin.objects.filter(site_id=site_id, created_at__gte=midnight).count(),
        "backlog": job_backlog(site_id=site_id),
        "failing_count": failing_count,
        "failing": failing,
        "low_pools": low_pools(site_id=site_id),
        "pool_burn": coupon_pool_burn(site_id=site_id),
        "low_water": LOW_WATER,
    }
