"""The job queue (ADR 0001): enqueue, claim with a lease, complete only while the lease is ours,
fail with backoff, park after MAX_ATTEMPTS, release; and `job_status` for `goodword status`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from goodword.sites.models import Site
from goodword.worker import queue
from goodword.worker.models import Job
from goodword.worker.queue import LEASE, MAX_ATTEMPTS
from goodword.worker.selectors import job_status
from tests.conftest import NOW
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

KIND = "test_kind"
SECOND = timedelta(seconds=1)


@pytest.fixture
def site(frozen_now) -> Site:
    return SiteFactory()


@pytest.fixture
def effects() -> Any:
    """A test handler for KIND: it stores a Site named by the payload's `mark` (its effect),
    then raises when the payload says `fail`, or reschedules itself when it says `later`. The
    effect is counted by name, so a job applied twice shows as two rows."""

    def handle(job: queue.Claimed) -> None:
        SiteFactory(name=job.payload["mark"])
        if job.payload.get("fail"):
            raise ValueError(job.payload["fail"])
        if job.payload.get("later"):
            raise queue.Reschedule(NOW + timedelta(seconds=job.payload["later"]))

    queue.handler(KIND)(handle)
    yield lambda mark: Site.objects.filter(name=mark).count()
    queue.HANDLERS.pop(KIND, None)


def enqueue(site: Site, mark: str = "done", **payload: Any) -> Job:
    return queue.enqueue(site_id=site.pk, kind=KIND, payload={"mark": mark, **payload})


def fresh(job: Job | queue.Claimed) -> Job:
    return Job.objects.get(pk=job.id)


# ---- enqueue and claim -------------------------------------------------------------------


def test_enqueue_stores_a_due_unclaimed_job(site):
    # when a job is enqueued without run_after
    job = queue.enqueue(site_id=site.pk, kind=KIND, ref_id=42, payload={"a": [1, {"b": None}]})

    # then it is due now, unclaimed, never attempted
    stored = fresh(job)
    assert (stored.kind, stored.ref_id, stored.payload) == (KIND, 42, {"a": [1, {"b": None}]})
    assert stored.run_after == NOW
    assert stored.created_at == NOW
    assert (stored.claimed_until, stored.claim_token, stored.attempts) == (None, None, 0)
    assert stored.failed_at is None
    assert queue.pending_for(kind=KIND, ref_id=42) is True
    assert queue.pending_for(kind=KIND, ref_id=43) is False


def test_claim_leases_due_jobs_oldest_first_up_to_the_limit(site):
    # given three due jobs, the last one due earliest
    first, second = enqueue(site, "1"), enqueue(site, "2")
    earliest = queue.enqueue(site_id=site.pk, kind=KIND, run_after=NOW - SECOND)

    # when a worker claims two
    claimed = queue.claim(limit=2)

    # then it gets the two due first (by run_after, then id), under one token and a lease
    assert sorted(c.id for c in claimed) == sorted([earliest.pk, first.pk])
    assert len({c.token for c in claimed}) == 1
    for c in claimed:
        assert c.attempts == 1
        stored = fresh(c)
        assert stored.claimed_until == NOW + LEASE
        assert stored.claim_token == c.token
        assert stored.attempts == 1
    assert [c.payload for c in claimed if c.id == first.pk] == [{"mark": "1"}]
    # and the next claim gets only the one left, under another token
    rest = queue.claim(limit=10)
    assert [c.id for c in rest] == [second.pk]
    assert rest[0].token != claimed[0].token
    assert queue.claim(limit=10) == []


def test_claim_can_be_narrowed_to_a_kind_and_a_row(site):
    # given jobs of two kinds about two rows
    wanted = queue.enqueue(site_id=site.pk, kind=KIND, ref_id=7)
    queue.enqueue(site_id=site.pk, kind=KIND, ref_id=8)
    queue.enqueue(site_id=site.pk, kind="other", ref_id=7)

    # when one kind about one row is claimed
    claimed = queue.claim(limit=10, kind=KIND, ref_id=7)

    # then only that job is leased
    assert [c.id for c in claimed] == [wanted.pk]
    assert Job.objects.filter(claim_token__isnull=False).count() == 1


def test_a_claimed_job_is_not_claimed_again_until_its_lease_ends(site, time_machine):
    # given a job claimed by one worker
    job = enqueue(site)
    [held] = queue.claim(limit=10)

    # when other workers claim while the lease runs, up to its last moment
    time_machine.move_to(NOW + LEASE - SECOND, tick=False)
    assert queue.claim(limit=10) == []
    time_machine.move_to(NOW + LEASE, tick=False)
    assert queue.claim(limit=10) == []

    # then only once it has run out is the job claimable again, by a new token
    time_machine.move_to(NOW + LEASE + SECOND, tick=False)
    [again] = queue.claim(limit=10)
    assert again.id == job.pk
    assert again.token != held.token
    assert again.attempts == 2
    assert fresh(job).claimed_until == NOW + LEASE + SECOND + LEASE


def test_claim_honours_run_after(site, time_machine):
    # given a job to run in ten minutes
    job = queue.enqueue(site_id=site.pk, kind=KIND, run_after=NOW + timedelta(minutes=10))

    # then it is not claimed before then
    assert queue.claim(limit=10) == []
    time_machine.move_to(NOW + timedelta(minutes=10) - SECOND, tick=False)
    assert queue.claim(limit=10) == []
    # and it is at that time
    time_machine.move_to(NOW + timedelta(minutes=10), tick=False)
    assert [c.id for c in queue.claim(limit=10)] == [job.pk]


# ---- run, complete, lost leases ----------------------------------------------------------


def test_run_one_applies_the_effect_and_deletes_the_job(site, effects):
    # given a claimed job
    job = enqueue(site, "applied")
    [claimed] = queue.claim(limit=1)

    # when it runs
    outcome = queue.run_one(claimed)

    # then its effect is there and the job is gone
    assert outcome == "done"
    assert effects("applied") == 1
    assert not Job.objects.filter(pk=job.pk).exists()


def test_complete_fails_when_the_lease_was_taken_over(site, time_machine):
    # given a job claimed by worker A, whose lease ran out, then claimed by worker B
    job = enqueue(site)
    [by_a] = queue.claim(limit=1)
    time_machine.move_to(NOW + LEASE + SECOND, tick=False)
    [by_b] = queue.claim(limit=1)

    # when A completes it, it is refused and the job stays B's
    assert queue.complete(by_a) is False
    assert fresh(job).claim_token == by_b.token
    # and B completes it
    assert queue.complete(by_b) is True
    assert not Job.objects.filter(pk=job.pk).exists()
    # and a second completion finds nothing
    assert queue.complete(by_b) is False


def test_a_worker_that_lost_its_lease_rolls_its_effect_back(site, effects, time_machine):
    # given a job that worker A claimed and stalled on past the lease, and worker B took over
    job = enqueue(site, "once")
    [by_a] = queue.claim(limit=1)
    time_machine.move_to(NOW + LEASE + SECOND, tick=False)
    [by_b] = queue.claim(limit=1)

    # when A gets round to running it
    outcome = queue.run_one(by_a)

    # then A's effect is rolled back and B's lease is untouched
    assert outcome == "lost"
    assert effects("once") == 0
    stored = fresh(job)
    assert stored.claim_token == by_b.token
    assert stored.last_error == ""
    # and when B runs it the effect is applied, once
    assert queue.run_one(by_b) == "done"
    assert effects("once") == 1
    assert not Job.objects.filter(pk=job.pk).exists()


def test_a_job_done_by_the_new_holder_is_not_applied_again_by_the_old(site, effects, time_machine):
    # given a job that B took over from A and finished
    enqueue(site, "twice?")
    [by_a] = queue.claim(limit=1)
    time_machine.move_to(NOW + LEASE + SECOND, tick=False)
    [by_b] = queue.claim(limit=1)
    assert queue.run_one(by_b) == "done"

    # when A, which stalled, runs it after all
    outcome = queue.run_one(by_a)

    # then its effect is rolled back: applied once in all
    assert outcome == "lost"
    assert effects("twice?") == 1
    assert Job.objects.count() == 0


# ---- failures, retries, parking -----------------------------------------------------------


def test_a_failing_job_is_rolled_back_and_retried_with_backoff(site, effects, time_machine):
    # given a job whose handler writes its effect and then raises
    job = enqueue(site, "half", fail="boom")
    [claimed] = queue.claim(limit=1)

    # when it runs
    outcome = queue.run_one(claimed)

    # then the attempt is recorded, the half-done effect rolled back, the lease given up, and
    # a retry scheduled 2 s later (2 ** attempts)
    assert outcome == "failed"
    assert effects("half") == 0
    stored = fresh(job)
    assert stored.last_error == "ValueError: boom"
    assert stored.attempts == 1
    assert (stored.claimed_until, stored.claim_token, stored.failed_at) == (None, None, None)
    assert stored.run_after == NOW + 2 * SECOND
    # and it is not claimed again before the retry time, then it is
    time_machine.move_to(NOW + SECOND, tick=False)
    assert queue.claim(limit=1) == []
    time_machine.move_to(NOW + 2 * SECOND, tick=False)
    [retry] = queue.claim(limit=1)
    assert retry.attempts == 2
    # and a second failure doubles the delay
    assert queue.run_one(retry) == "failed"
    assert fresh(job).run_after == NOW + 2 * SECOND + 4 * SECOND


def test_a_job_failing_max_attempts_times_is_parked(site, effects, time_machine):
    # given a job that always fails
    job = enqueue(site, "never", fail="still broken")
    delays = []

    # when workers try it MAX_ATTEMPTS times, each at its retry time
    for attempt in range(1, MAX_ATTEMPTS + 1):
        due = fresh(job).run_after
        time_machine.move_to(due, tick=False)
        [claimed] = queue.claim(limit=1)
        assert claimed.attempts == attempt
        assert queue.run_one(claimed) == "failed"
        stored = fresh(job)
        if stored.failed_at is None:
            delays.append((stored.run_after - due).total_seconds())

    # then it waited 2, 4, ... 512 s between attempts and is parked after the last one
    assert delays == [2.0**n for n in range(1, MAX_ATTEMPTS)]
    stored = fresh(job)
    assert stored.failed_at is not None
    assert stored.attempts == MAX_ATTEMPTS
    assert stored.last_error == "ValueError: still broken"
    assert (stored.claimed_until, stored.claim_token) == (None, None)
    # and no worker claims it again, however late
    time_machine.move_to(NOW + timedelta(days=30), tick=False)
    assert queue.claim(limit=10) == []
    assert effects("never") == 0


def test_a_job_of_an_unknown_kind_fails(site):
    # given a job no handler is registered for
    job = queue.enqueue(site_id=site.pk, kind="no_such_kind", ref_id=5)
    [claimed] = queue.claim(limit=1)

    # when it runs
    outcome = queue.run_one(claimed)

    # then it is recorded as a failed attempt, kept for a retry (a newer worker may know it)
    assert outcome == "failed"
    stored = fresh(job)
    assert stored.last_error == "no handler for job kind 'no_such_kind'"
    assert stored.attempts == 1
    assert stored.claim_token is None
    assert stored.run_after == NOW + 2 * SECOND
    assert stored.failed_at is None


def test_a_worker_that_lost_its_lease_does_not_record_a_failure(site, effects, time_machine):
    # given a failing job that A claimed, whose lease B took over
    job = enqueue(site, "x", fail="A's error")
    [by_a] = queue.claim(limit=1)
    time_machine.move_to(NOW + LEASE + SECOND, tick=False)
    [by_b] = queue.claim(limit=1)

    # when A's attempt fails
    assert queue.run_one(by_a) == "failed"

    # then B's lease and schedule are untouched
    stored = fresh(job)
    assert stored.claim_token == by_b.token
    assert stored.claimed_until == NOW + 2 * LEASE + SECOND
    assert stored.last_error == ""


def test_a_job_that_is_not_due_yet_is_rescheduled_without_counting_an_attempt(
    site, effects, time_machine
):
    # given a job whose handler finds it must run an hour later
    job = enqueue(site, "early", later=3600)
    [claimed] = queue.claim(limit=1)

    # when it runs
    outcome = queue.run_one(claimed)

    # then its effect is rolled back and it waits, unclaimed and unblamed, for that time
    assert outcome == "rescheduled"
    assert effects("early") == 0
    stored = fresh(job)
    assert stored.run_after == NOW + timedelta(hours=1)
    assert (stored.claimed_until, stored.claim_token, stored.attempts) == (None, None, 0)
    assert (stored.last_error, stored.failed_at) == ("", None)
    assert queue.claim(limit=1) == []
    time_machine.move_to(NOW + timedelta(hours=1), tick=False)
    assert [c.id for c in queue.claim(limit=1)] == [job.pk]


# ---- release -------------------------------------------------------------------------------


def test_release_gives_leases_back_without_counting_an_attempt(site):
    # given two claimed jobs a stopping worker did not get to
    enqueue(site, "1")
    enqueue(site, "2")
    claimed = queue.claim(limit=10)

    # when it releases them
    queue.release(claimed)

    # then they are claimable at once, as if never attempted
    for c in claimed:
        stored = fresh(c)
        assert (stored.claimed_until, stored.claim_token, stored.attempts) == (None, None, 0)
    again = queue.claim(limit=10)
    assert sorted(c.id for c in again) == sorted(c.id for c in claimed)
    assert {c.attempts for c in again} == {1}


def test_release_of_a_lost_lease_leaves_the_new_holder_alone(site, time_machine):
    # given a job A claimed and B took over after the lease
    job = enqueue(site)
    [by_a] = queue.claim(limit=1)
    time_machine.move_to(NOW + LEASE + SECOND, tick=False)
    [by_b] = queue.claim(limit=1)

    # when A releases it
    queue.release([by_a])

    # then B still holds it
    stored = fresh(job)
    assert stored.claim_token == by_b.token
    assert stored.attempts == 2
    assert queue.claim(limit=1) == []


# ---- job_status ----------------------------------------------------------------------------


def test_job_status_counts_the_backlog(site, time_machine):
    # given, at NOW: one job due for 90 s, one due now and claimed, one scheduled for later,
    # and one parked after its last attempt
    old = queue.enqueue(site_id=site.pk, kind=KIND, run_after=NOW - timedelta(seconds=90))
    enqueue(site)
    queue.enqueue(site_id=site.pk, kind="later", run_after=NOW + timedelta(hours=1))
    parked = queue.enqueue(site_id=site.pk, kind="broken")
    Job.objects.filter(pk=parked.pk).update(
        attempts=MAX_ATTEMPTS, failed_at=NOW, last_error="gave up"
    )
    queue.claim(limit=1, kind=KIND, ref_id=None)  # the oldest: `old`
    assert fresh(old).claim_token is not None

    # when the status is read
    status = job_status()

    # then due counts what is ready to run (claimed or not), running the leased ones,
    # scheduled the later ones and failed the parked one; the oldest due job waited 90 s
    assert status == {
        "due": 2,
        "running": 1,
        "scheduled": 1,
        "failed": 1,
        "oldest_due_age_seconds": 90.0,
        "by_kind": {
            KIND: {
                "due": 2,
                "scheduled": 0,
                "running": 1,
                "failed": 0,
                "oldest_due_age_seconds": 90.0,
            },
            "later": {
                "due": 0,
                "scheduled": 1,
                "running": 0,
                "failed": 0,
                "oldest_due_age_seconds": 0,
            },
            "broken": {
                "due": 0,
                "scheduled": 0,
                "running": 0,
                "failed": 1,
                "oldest_due_age_seconds": 0,
            },
        },
    }

    # and once the lease has run out nothing counts as running, and the due jobs have aged
    time_machine.move_to(NOW + LEASE + SECOND, tick=False)
    later = job_status()
    assert (later["due"], later["running"], later["scheduled"]) == (2, 0, 1)
    assert later["oldest_due_age_seconds"] == 90.0 + 61.0


def test_job_status_of_an_empty_queue(db, frozen_now):
    assert job_status() == {
        "due": 0,
        "running": 0,
        "scheduled": 0,
        "failed": 0,
        "oldest_due_age_seconds": 0,
        "by_kind": {},
    }
