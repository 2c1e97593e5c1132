"""Reads for `goodword status`."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Min, Q

from goodword.core.clock import now
from goodword.worker.models import Job


def job_status() -> dict[str, Any]:
    stamp = now()
    open_jobs = Job.objects.filter(failed_at__isnull=True)
    due = open_jobs.filter(run_after__lte=stamp)
    oldest = due.aggregate(oldest=Min("run_after"))["oldest"]
    by_kind = {
        row["kind"]: {"due": row["due"], "scheduled": row["scheduled"], "failed": row["failed"]}
        for row in Job.objects.values("kind").annotate(
            due=Count("id", filter=Q(failed_at__isnull=True, run_after__lte=stamp)),
            scheduled=Count("id", filter=Q(failed_at__isnull=True, run_after__gt=stamp)),
            failed=Count("id", filter=Q(failed_at__isnull=False)),
        )
    }
    return {
        "due": due.count(),
        "running": open_jobs.filter(claimed_until__gt=stamp).count(),
        "scheduled": open_jobs.filter(run_after__gt=stamp).count(),
        "failed": Job.objects.filter(failed_at__isnull=False).count(),
        "oldest_due_age_seconds": round((stamp - oldest).total_seconds(), 3) if oldest else 0,
        "by_kind": by_kind,
    }


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
        "oldest_due_age_seconds": round((stamp - oldest).total_seconds(), 3) if oldest else 0,
    }
