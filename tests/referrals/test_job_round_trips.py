"""Guards on the worker's referral jobs: the exact number of SQL statements one attribution job
and one batch of automatic approvals send, raw psycopg statements included, so that the hot
paths cannot creep up unnoticed. The caches a running worker holds (the site's program, its
reference, its webhook subscriptions) are warm, as they are in steady state."""

from __future__ import annotations

from datetime import timedelta

import pytest

from goodword.campaigns.program import forget_program, program_for
from goodword.core.clock import now
from goodword.referrals.models import Referral, ReferralStatus
from goodword.referrals.services import ATTRIBUTE, RESOLVE
from goodword.sites.auth import site_ref
from goodword.sites.models import FraudSettings
from goodword.webhooks.selectors import subscribed_types
from goodword.worker import queue
from goodword.worker.loop import drain, load_handlers
from goodword.worker.models import Job
from tests.conftest import ApiClient, is_postgres
from tests.roundtrips import listing, statements
from tests.worker.support import friend_buys, friend_program

# Real transactions (not the test's savepoints), as a worker runs them.
pytestmark = pytest.mark.django_db(transaction=True)

BATCH = 50


@pytest.fixture
def api(api_site) -> ApiClient:
    """The API with no worker behind it: jobs stay queued until the test runs them."""
    return ApiClient(api_site.key, drain=False)


def warm(site_id: int) -> None:
    load_handlers()
    program_for(site_id)
    site_ref(site_id)
    subscribed_types(site_id)


def test_one_attribution_job_sends_a_fixed_number_of_statements(api, api_site, time_machine):
    # given a friend's purchase waiting for its attribution job, and a warm worker
    time_machine.move_to(now(), tick=False)
    uuid = friend_program(api, api_site.site)
    friend_buys(api, api_site.slug, "F-1", uuid)
    warm(api_site.site.pk)

    # when the worker claims the job and runs it
    with statements() as seen:
        (job,) = queue.claim(limit=10)
        outcome = queue.run_one(job)

    # then the purchase is referred, with exactly this many statements
    assert (job.kind, outcome) == (ATTRIBUTE, "done")
    assert Referral.objects.get().status == ReferralStatus.PENDING
    # the claim; the origin; the candidates; the fraud facts; the referral, its event and its
    # resolve job (one statement on PostgreSQL; on SQLite three in a savepoint, and the
    # transaction's BEGIN is a statement there); the rewards: three reads and an insert;
    # the completion.
    expected = 10 if is_postgres() else 15
    assert len(seen) == expected, listing(seen)


def test_one_batch_of_due_approvals_sends_a_fixed_number_of_statements(api, api_site, time_machine):
    # given 50 pending referrals whose automatic approval is due, and a warm worker
    time_machine.move_to(now(), tick=False)
    uuid = friend_program(api, api_site.site)
    FraudSettings.objects.filter(site=api_site.site).update(
        approval_mode="automatic", approval_delay_seconds=60
    )
    forget_program(api_site.site.pk)
    for i in range(BATCH):
        friend_buys(api, api_site.slug, f"F-{i}", uuid)
    drain()
    assert Referral.objects.filter(status=ReferralStatus.PENDING).count() == BATCH
    time_machine.shift(timedelta(seconds=61))
    warm(api_site.site.pk)

    # when the worker claims the due resolve jobs and runs them as one batch
    with statements() as seen:
        jobs = queue.claim(limit=100)
        outcomes = queue.run_many(jobs)

    # then all 50 are approved, with exactly this many statements for the lot
    assert {job.kind for job in jobs} == {RESOLVE}
    assert outcomes == {"done": BATCH}
    assert Referral.objects.filter(status=ReferralStatus.APPROVED).count() == BATCH
    assert not Job.objects.exists()
    # the claim; the referrals locked; their origins' times; the events; the statuses; the
    # resolve jobs cancelled; the rewards: three reads and one update; the completions
    # (and SQLite's BEGIN): none of them per referral.
    expected = 11 if is_postgres() else 12
    assert len(seen) == expected, listing(seen)
