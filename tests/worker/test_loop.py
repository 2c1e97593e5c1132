"""The worker loop in this process: batches, stopping mid-batch, `once`, database errors.

`transactional_db`: the loop closes stale connections between batches, which a test wrapped in
one transaction would not survive."""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import OperationalError, connection

from goodword.sites.models import Site
from goodword.worker import queue
from goodword.worker.loop import Worker
from goodword.worker.models import Job
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db(transaction=True)

KIND = "loop_test"


@pytest.fixture(autouse=True)
def _keep_signal_handlers() -> Iterator[None]:
    """Worker.run installs SIGTERM/SIGINT handlers; give pytest its own back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.fixture
def site(transactional_db) -> Site:
    return SiteFactory()


@pytest.fixture
def ran() -> Iterator[list[int]]:
    """A handler for KIND that records the job ids it ran (and stops a worker when told)."""
    seen: list[int] = []

    def handle(job: queue.Claimed) -> None:
        seen.append(job.id)
        if job.payload.get("fail"):
            raise RuntimeError("handler broke")
        stopper = job.payload.get("stop")
        if stopper is not None:
            WORKERS[stopper].stop()

    queue.handler(KIND)(handle)
    yield seen
    queue.HANDLERS.pop(KIND, None)
    WORKERS.clear()


WORKERS: dict[str, Worker] = {}


def events(caplog: Any, name: str) -> list[dict[str, Any]]:
    found = []
    for record in caplog.records:
        if record.name == "goodword.worker" and record.getMessage().startswith("{"):
            event = json.loads(record.getMessage())
            if event["event"] == name:
                found.append(event)
    return found


def enqueue(site: Site, count: int, **payload: Any) -> list[int]:
    return [
        queue.enqueue(site_id=site.pk, kind=KIND, payload=dict(payload)).pk for _ in range(count)
    ]


def test_once_runs_every_due_batch_then_returns(site, ran, caplog):
    # given 25 due jobs
    ids = enqueue(site, 25)

    # when a worker with batches of 10 runs once
    with caplog.at_level(logging.INFO, logger="goodword.worker"):
        total = Worker(batch=10, poll=0.01).run(once=True)

    # then it ran all of them in three batches, oldest first, and the queue is empty
    assert total == 25
    assert ran == ids
    assert Job.objects.count() == 0
    assert [(e["claimed"], e["done"]) for e in events(caplog, "batch")] == [
        (10, 10),
        (10, 10),
        (5, 5),
    ]
    assert [e["jobs_done"] for e in events(caplog, "worker_stopped")] == [25]


def test_once_does_not_spin_on_a_failing_job(site, ran, caplog):
    # given a job that fails
    [job_id] = enqueue(site, 1, fail=True)

    # when a worker runs once (in a thread, so that a worker that spins is stopped and fails
    # the test rather than hanging it)
    worker = Worker(batch=10, poll=0.01)

    def run() -> None:
        try:
            worker.run(once=True)
        finally:
            connection.close()  # the thread's own connection

    thread = threading.Thread(target=run)
    with caplog.at_level(logging.INFO, logger="goodword.worker"):
        thread.start()
        thread.join(timeout=5)
        spinning = thread.is_alive()
        worker.stop()
        thread.join(timeout=5)

    # then it returned by itself, having tried the job once, and left it for its retry time
    assert not spinning
    assert ran == [job_id]
    job = Job.objects.get()
    assert (job.attempts, job.last_error) == (1, "RuntimeError: handler broke")
    assert [e.get("failed") for e in events(caplog, "batch")] == [1]


def test_stopping_mid_batch_finishes_the_job_at_hand_and_gives_the_rest_back(site, ran):
    # given ten due jobs, the third of which asks the worker to stop (as SIGTERM would)
    worker = Worker(batch=10, poll=0.01)
    WORKERS["w"] = worker
    ids = enqueue(site, 2) + enqueue(site, 1, stop="w") + enqueue(site, 7)

    # when the worker takes them in one batch
    worker.run()

    # then it finishes the job at hand and stops
    assert ran == ids[:3]
    # and gives the other seven back untried, claimable at once
    assert sorted(Job.objects.values_list("id", flat=True)) == ids[3:]
    assert set(Job.objects.values_list("attempts", "claim_token", "claimed_until")) == {
        (0, None, None)
    }
    assert sorted(c.id for c in queue.claim(limit=100)) == ids[3:]


def test_stopping_mid_batch_reports_the_jobs_done_not_the_jobs_claimed(site, ran, caplog):
    # given ten due jobs, the third of which asks the worker to stop
    worker = Worker(batch=10, poll=0.01)
    WORKERS["w"] = worker
    enqueue(site, 2)
    enqueue(site, 1, stop="w")
    enqueue(site, 7)

    # when the worker takes them in one batch and stops after the third
    with caplog.at_level(logging.INFO, logger="goodword.worker"):
        total = worker.run()

    # then the batch says three were done (true today)
    assert [(e["claimed"], e["done"]) for e in events(caplog, "batch")] == [(10, 3)]
    # and so do run() and the stop event (they say 10)
    assert [e["jobs_done"] for e in events(caplog, "worker_stopped")] == [3]
    assert total == 3


def test_a_database_error_while_claiming_is_logged_and_retried(site, ran, caplog, monkeypatch):
    # given due jobs and a database that refuses the first claim (a restart, a failover)
    ids = enqueue(site, 3)
    real_claim = queue.claim
    calls = []

    def flaky_claim(**kwargs: Any) -> list[queue.Claimed]:
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_claim(**kwargs)

    monkeypatch.setattr(queue, "claim", flaky_claim)

    # when a worker runs once
    with caplog.at_level(logging.INFO, logger="goodword.worker"):
        total = Worker(batch=10, poll=0.01).run(once=True)

    # then it logged the error, waited, and then did the jobs
    [error] = events(caplog, "database_error")
    assert error["error"] == "OperationalError: server closed the connection unexpectedly"
    assert total == 3
    assert ran == ids
    assert Job.objects.count() == 0
