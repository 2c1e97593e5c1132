"""Batch handlers (queue.run_many): many claimed jobs of a kind in one transaction, with the
jobs that are not due yet rescheduled, and every job run on its own when the batch fails or a
lease was lost; and own-transaction jobs run side by side by a worker's threads."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from goodword.sites.models import Site
from goodword.worker import queue
from goodword.worker.loop import Worker
from goodword.worker.models import Job
from tests.conftest import NOW, is_postgres
from tests.factories import SiteFactory

KIND = "test_batch_kind"
SOLO = "test_solo_kind"


@pytest.fixture
def site(db, frozen_now) -> Site:
    return SiteFactory()


@pytest.fixture
def calls() -> Any:
    """Handlers for KIND: the batch handler stores one Site per job named by its `mark` (so a
    job applied twice shows as two rows), fails the whole batch when a job says `poison`, and
    asks for `later` jobs to come back in that many seconds; the single handler does the same
    for one job and raises for a poisoned one."""
    seen: dict[str, int] = {"batches": 0, "singles": 0}

    def one(job: queue.Claimed) -> None:
        seen["singles"] += 1
        if job.payload.get("poison"):
            raise ValueError("poisoned")
        SiteFactory(name=job.payload["mark"])

    def many(jobs: list[queue.Claimed]) -> dict[int, Any]:
        seen["batches"] += 1
        later = {}
        for job in jobs:
            if job.payload.get("poison"):
                raise ValueError("poisoned batch")
            if job.payload.get("later"):
                later[job.id] = NOW + timedelta(seconds=job.payload["later"])
                continue
            SiteFactory(name=job.payload["mark"])
        return later

    queue.handler(KIND)(one)
    queue.batch_handler(KIND)(many)
    yield seen
    queue.HANDLERS.pop(KIND, None)
    queue.BATCH_HANDLERS.pop(KIND, None)


def applied(mark: str) -> int:
    return Site.objects.filter(name=mark).count()


def enqueue(site: Site, mark: str, kind: str = KIND, **payload: Any) -> Job:
    return queue.enqueue(site_id=site.pk, kind=kind, payload={"mark": mark, **payload})


def test_a_batch_applies_every_job_once_in_one_go(site, calls):
    # given three due jobs of a kind with a batch handler
    for i in range(3):
        enqueue(site, f"m{i}")

    # when they are claimed and run together
    outcomes = queue.run_many(queue.claim(limit=10))

    # then one batch call applied each once and the jobs are gone
    assert outcomes == {"done": 3}
    assert calls == {"batches": 1, "singles": 0}
    assert [applied(f"m{i}") for i in range(3)] == [1, 1, 1]
    assert not Job.objects.exists()


def test_jobs_not_due_yet_are_rescheduled_not_completed(site, calls):
    enqueue(site, "now")
    later = enqueue(site, "later", later=60)

    outcomes = queue.run_many(queue.claim(limit=10))

    assert outcomes == {"done": 1, "rescheduled": 1}
    job = Job.objects.get()
    assert job.pk == later.pk
    assert job.run_after == NOW + timedelta(seconds=60)
    assert job.claim_token is None
    assert job.attempts == 0


def test_a_failing_batch_is_rolled_back_and_each_job_runs_alone(site, calls):
    # given a batch with one poisoned job among good ones
    enqueue(site, "a")
    poisoned = enqueue(site, "p", poison=True)
    enqueue(site, "b")

    # when the batch runs
    outcomes = queue.run_many(queue.claim(limit=10))

    # then the batch's effects were undone, the good jobs ran alone once each, and only the
    # poisoned one is left for a retry
    assert outcomes == {"done": 2, "failed": 1}
    assert calls["singles"] == 3
    assert applied("a") == applied("b") == 1
    assert applied("p") == 0
    left = Job.objects.get()
    assert left.pk == poisoned.pk
    assert "poisoned" in left.last_error


def test_a_lost_lease_rolls_the_batch_back_and_the_rest_run_alone(site, calls, time_machine):
    # given a batch claimed by us whose lease on one job another worker took over
    enqueue(site, "a")
    taken = enqueue(site, "t")
    claimed = queue.claim(limit=10)
    Job.objects.filter(pk=taken.pk).update(claim_token="someone-else")

    # when the batch runs
    outcomes = queue.run_many(claimed)

    # then nothing of the batch stuck; job "a" ran alone, job "t" is the other worker's
    assert outcomes == {"done": 1, "lost": 1}
    assert applied("a") == 1
    assert applied("t") == 0
    assert Job.objects.get().claim_token == "someone-else"


@pytest.mark.django_db(transaction=True)
def test_own_transaction_jobs_run_side_by_side_in_a_worker(frozen_now):
    if not is_postgres():
        pytest.skip("threads with their own connections: PostgreSQL")
    # given eight jobs whose handler waits until four of them are running at once
    site = SiteFactory()
    running = threading.Semaphore(0)
    together = threading.Barrier(4, timeout=10)
    done: list[int] = []

    def slow(job: queue.Claimed) -> None:
        running.release()
        together.wait()
        with queue.transaction.atomic():
            done.append(job.id)
            queue.complete(job)

    queue.handler(SOLO, own_transaction=True)(slow)
    try:
        for i in range(8):
            enqueue(site, f"s{i}", kind=SOLO)
        # when a worker with four threads runs once
        Worker(concurrency=4, poll=0.01).run(once=True)
    finally:
        queue.HANDLERS.pop(SOLO, None)
        queue.OWN_TRANSACTION.discard(SOLO)

    # then all eight ran (four at a time: the barrier would have timed out otherwise)
    assert sorted(done) == sorted(set(done)) and len(done) == 8
    assert not Job.objects.filter(kind=SOLO).exists()
