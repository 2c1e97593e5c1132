"""`goodword worker` as a real process on the test database: it picks up what the API queued,
stops cleanly on SIGTERM, drains and exits with `--once`, and survives SIGKILL mid-run without
losing a job or applying one twice (DESIGN.md house style 6, ADR 0001)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction

from goodword.core.clock import now
from goodword.referrals.models import Referral
from goodword.worker.models import Job
from goodword.worker.queue import LEASE
from tests.conftest import ApiClient, ApiSite, postgres_only
from tests.factories import SiteFactory, make_key
from tests.worker.support import (
    WorkerProcess,
    assert_each_origin_referred_once,
    attribute_jobs,
    friend_program,
    friends_buy,
    log_events,
    run_once,
    worker_starter,
)

pytestmark = pytest.mark.django_db(transaction=True)

POLL = ("--poll", "0.05")


@pytest.fixture
def shop(transactional_db) -> ApiSite:
    site = SiteFactory()
    return ApiSite(site=site, key=make_key(site).raw_key)


@pytest.fixture
def api(shop) -> ApiClient:
    """The API with no worker in this process: the worker processes do the jobs."""
    return ApiClient(shop.key, drain=False)


@pytest.fixture
def uuid(api, shop) -> str:
    return friend_program(api, shop.site)


@pytest.fixture
def var_dir(tmp_path) -> Path:
    return tmp_path


@pytest.fixture
def start_worker(var_dir) -> Iterator[Callable[..., WorkerProcess]]:
    yield from worker_starter(var_dir)


def test_a_running_worker_attributes_purchases_as_they_come(api, shop, uuid, start_worker):
    # given a worker waiting for work
    worker = start_worker("idle", *POLL).started()

    # when friends buy, with no worker in the API process
    friends_buy(api, shop.slug, uuid, 5, prefix="A")

    # then the worker attributes each purchase within a few seconds and the queue empties
    worker.wait_for(
        "5 referrals", lambda: Referral.objects.count() == 5 and attribute_jobs().count() == 0
    )
    assert_each_origin_referred_once(5)
    assert worker.proc.poll() is None  # still running, waiting for more
    # and its log shows what it did
    done = sum(e.get("done", 0) for e in worker.events("batch"))
    assert done == 5


def test_sigterm_stops_an_idle_worker_cleanly(start_worker, transactional_db):
    # given an idle worker
    worker = start_worker("term", *POLL).started()

    # when it is sent SIGTERM
    code = worker.terminate()

    # then it exits 0 and says so in its log
    assert code == 0, worker.text()
    [stopped] = worker.events("worker_stopped")
    assert stopped["jobs_done"] == 0
    assert stopped["pid"] == worker.proc.pid


def test_sigterm_mid_run_gives_back_the_unworked_leases(api, shop, uuid, start_worker, var_dir):
    # given 300 queued attributions and a worker taking them 100 at a time
    friends_buy(api, shop.slug, uuid, 300, prefix="T")
    worker = start_worker("busy", *POLL, "--batch", "100")

    # when it is sent SIGTERM in the middle of a batch
    worker.wait_for("a first referral", lambda: Referral.objects.count() >= 5)
    code = worker.terminate()

    # then it exits 0 after the job at hand, logging that it stopped
    assert code == 0, worker.text()
    assert worker.events("worker_stopped")
    left = attribute_jobs().count()
    assert 0 < left < 300, "the worker should have stopped part way"
    # and it left no lease behind: the rest is claimable at once, not after the lease
    assert Job.objects.filter(claim_token__isnull=False).count() == 0
    assert Job.objects.filter(claimed_until__gt=now()).count() == 0
    assert set(attribute_jobs().values_list("attempts", flat=True)) == {0}
    code, log = run_once(var_dir, "finish", "--batch", "100")
    assert code == 0, log
    assert_each_origin_referred_once(300)


def test_worker_once_drains_the_queue_and_exits_0(api, shop, uuid, var_dir):
    # given 20 queued attributions
    friends_buy(api, shop.slug, uuid, 20, prefix="O")
    assert attribute_jobs().count() == 20

    # when `goodword worker --once` runs, as from cron
    code, log = run_once(var_dir, "once", "--batch", "7")

    # then it exits 0 with everything done
    assert code == 0, log
    assert_each_origin_referred_once(20)
    [started] = [e for e in log_events(log) if e["event"] == "worker_started"]
    assert started["once"] is True
    [stopped] = [e for e in log_events(log) if e["event"] == "worker_stopped"]
    assert stopped["jobs_done"] == 20
    # and run again on an empty queue it exits 0 at once, having done nothing
    code, log = run_once(var_dir, "empty")
    assert code == 0, log
    assert [e["jobs_done"] for e in log_events(log) if e["event"] == "worker_stopped"] == [0]


def test_a_worker_killed_mid_run_loses_nothing_and_applies_nothing_twice(
    api, shop, uuid, start_worker
):
    # given 300 queued attributions and a worker taking them 50 at a time
    orders, batch = 300, 50
    friends_buy(api, shop.slug, uuid, orders, prefix="K")
    first = start_worker("killed", *POLL, "--batch", str(batch))

    # when it is killed (SIGKILL: no cleanup at all) in the middle of a batch, with a lease on
    # that batch (attribution commits a batch at once: mid-batch is after a first batch
    # committed, while the worker holds the leases of one it has not committed yet)
    def mid_batch() -> bool:
        made = Referral.objects.count()
        return (
            0 < made <= orders - 2 * batch
            and attribute_jobs().filter(claimed_until__gt=now()).exists()
        )

    first.wait_for("a referral mid-batch", mid_batch)
    first.kill()
    made_by_first = Referral.objects.count()
    leased = dict(attribute_jobs().filter(claimed_until__gt=now()).values_list("id", "claim_token"))
    assert 0 < made_by_first < orders
    assert leased, "the killed worker held leases on the rest of its batch"

    # then a second worker does everything else but leaves the killed worker's leases alone
    # while they run (it claims oldest first, so it would have taken those first)
    second = start_worker("second", *POLL, "--batch", str(batch)).started()
    second.wait_for("all but the leased jobs", lambda: attribute_jobs().count() <= len(leased))
    assert dict(attribute_jobs().values_list("id", "claim_token")) == leased
    assert set(attribute_jobs().values_list("attempts", flat=True)) == {1}

    # and once the leases have run out (moved back: the clock of another process cannot be
    # frozen, and LEASE is 60 s) it takes those jobs too
    Job.objects.filter(id__in=leased).update(claimed_until=now() - LEASE - timedelta(seconds=1))
    second.wait_for("an empty queue", lambda: attribute_jobs().count() == 0)

    # and every purchase ends with exactly one referral and one first event
    assert_each_origin_referred_once(orders)
    assert second.terminate() == 0
    done = sum(e.get("done", 0) for e in second.events("batch"))
    assert done == orders - made_by_first
    assert not any(e.get("lost") or e.get("failed") for e in second.events("batch"))


@postgres_only
def test_two_workers_share_the_queue_and_run_each_job_once(api, shop, uuid, start_worker):
    # given two workers polling the same database
    workers = [start_worker(f"w{i}", *POLL, "--batch", "10").started() for i in range(2)]

    # when 500 friend purchases commit at once
    orders = 500
    with transaction.atomic():
        friends_buy(api, shop.slug, uuid, orders, prefix="P")

    # then the queue empties, every purchase has exactly one referral with one first event
    workers[0].wait_for(
        "an empty queue",
        lambda: attribute_jobs().count() == 0 and Referral.objects.count() == orders,
    )
    assert_each_origin_referred_once(orders)
    # and the workers split the jobs between them, each done once, none lost or failed
    for worker in workers:
        assert worker.terminate() == 0, worker.text()
    batches = [[e for e in w.events("batch")] for w in workers]
    done = [sum(e.get("done", 0) for e in b) for b in batches]
    assert sum(done) == orders
    assert all(d > 0 for d in done), done
    assert not any(e.get("lost") or e.get("failed") for b in batches for e in b)
