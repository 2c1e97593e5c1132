"""`job_backlog`: one site's share of the worker's backlog, for the portal's dashboard."""

from __future__ import annotations

from datetime import timedelta

import pytest

from goodword.worker import queue
from goodword.worker.models import Job
from goodword.worker.queue import MAX_ATTEMPTS
from goodword.worker.selectors import job_backlog
from tests.conftest import NOW
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def test_job_backlog_counts_only_the_sites_jobs(frozen_now):
    # given, at NOW, for one site: a job due for 90 s and claimed, one due now, one scheduled
    # later and one parked; and an older due job of another site
    site, other = SiteFactory(), SiteFactory()
    queue.enqueue(site_id=site.pk, kind="a", ref_id=1, run_after=NOW - timedelta(seconds=90))
    queue.enqueue(site_id=site.pk, kind="b")
    queue.enqueue(site_id=site.pk, kind="c", run_after=NOW + timedelta(hours=1))
    parked = queue.enqueue(site_id=site.pk, kind="d")
    Job.objects.filter(pk=parked.pk).update(attempts=MAX_ATTEMPTS, failed_at=NOW)
    queue.enqueue(site_id=other.pk, kind="a", run_after=NOW - timedelta(hours=2))
    assert len(queue.claim(limit=1, kind="a", ref_id=1)) == 1

    # when the site's backlog is read
    backlog = job_backlog(site_id=site.pk)

    # then it counts the site's jobs only, the oldest due one waiting 90 s
    assert backlog == {
        "due": 2,
        "running": 1,
        "scheduled": 1,
        "failed": 1,
        "oldest_due_at": NOW - timedelta(seconds=90),
        "oldest_due_age_seconds": 90.0,
    }


def test_job_backlog_of_a_site_without_jobs(frozen_now):
    site = SiteFactory()

    assert job_backlog(site_id=site.pk) == {
        "due": 0,
        "running": 0,
        "scheduled": 0,
        "failed": 0,
        "oldest_due_at": None,
        "oldest_due_age_seconds": 0,
    }
