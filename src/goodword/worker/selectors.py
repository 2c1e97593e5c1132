"""Reads of the job queue: the backlog for `goodword status`, `/metrics` and the portal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q

from goodword.core.clock import now
from goodword.worker.models import Job


def jobs_by_kind() -> dict[str, dict[str, Any]]:
    """Per job kind: due, scheduled, running and failed (parked) counts, and the age in seconds
    of the oldest due job (0 when none is due). One query."""
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
            "oldest_due_age_seconds": _age(stamp, row["oldest_due"]),
        }
        for row in rows.order_by("kind")
    }


def job_status() -> dict[str, Any]:
    """The whole backlog for `goodword status`: totals, then each kind's counts."""
    stamp = now()
    by_kind = jobs_by_kind()
    totals = {
        name: sum(kind[name] for kind in by_kind.values())
        for name in ("due", "running", "scheduled", "failed")
    }
    oldest = Job.objects.filter(failed_at__isnull=True, run_after__lte=stamp).aggregate(
        oldest=Min("run_after")
    )["oldest"]
    return {**totals, "oldest_due_age_seconds": _age(stamp, oldest), "by_kind": by_kind}


def _age(stamp: datetime, since: datetime | None) -> float:
    return round((stamp - since).total_seconds(), 3) if since else 0


def job_backlog(*, site_id: int) -> dict[str, Any]:
    """One site's share of the worker's backlog, for the portal's dashboard: jobs due now,
    held by a worker, scheduled for later and parked as failed, and since when the oldest due
    job has waited. One query."""
    stamp = now()
    open_job = Q(failed_at__isnull=True)
    row = Job.objects.filter(site_id=site_id).aggregate(
        due=Count("id", filter=open_job & Q(run_after__lte=stamp)),
        running=Count("id", filter=open_job & Q(claimed_until__gt=stamp)),
        scheduled=Count("id", filter=open_job & Q(run_after__gt=stamp)),
        failed=Count("id", filter=Q(failed_at__isnull=False)),
        oldest_due=Min("run_after", filter=open_job & Q(run_after__lte=stamp)),
    )
    oldest = row["oldest_due"]
    return {
        "due": row["due"],
        "running": row["running"],
        "scheduled": row["scheduled"],
        "failed": row["failed"],
        "oldest_due_at": oldest,
        "oldest_due_age_seconds": _age(stamp, oldest),
    }
