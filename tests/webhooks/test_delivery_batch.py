"""Delivery in batches: a batch of delivery jobs costs the same few statements whatever its
size (read, lease, record), each delivery is sent once and recorded once, and a job whose lease
another worker took is neither sent nor recorded by the worker that lost it."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from goodword.webhooks import jobs as delivery_jobs
from goodword.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus
from goodword.webhooks.services import DELIVER, webhook_emit
from goodword.webhooks.types import REFERRAL_WEBHOOK_DELIVERED, Subject
from goodword.worker import queue
from goodword.worker.models import Job
from tests.api.test_origin_round_trips import psycopg_statements
from tests.conftest import NOW, is_postgres
from tests.factories import SiteFactory
from tests.webhooks.support import Answer, subscribe

EVENT = "event_web_hook"
REFERRAL = "referral_web_hook"


@pytest.fixture
def site(db, frozen_now):
    return SiteFactory(slug="batch-store")


def claim_deliveries() -> list[queue.Claimed]:
    jobs = queue.claim(limit=1000, kind=DELIVER)
    assert jobs
    return jobs


def statements_of_a_batch(jobs: list[queue.Claimed]) -> list[str]:
    """The statements the batch sends, first words only, savepoints left out (the test's own
    transaction turns the batch's transactions into savepoints)."""
    with CaptureQueriesContext(connection) as django_side, psycopg_statements() as psycopg_side:
        delivery_jobs.deliver_batch(jobs, 4)
    sent = psycopg_side if is_postgres() else [q["sql"] for q in django_side.captured_queries]
    words = [" ".join(s.replace('"', "").split()[:3]) for s in sent]
    return [w for w in words if "SAVEPOINT" not in w]


def emit_mixed(site, n: int, first: int = 1) -> None:
    """n referral webhooks about n referrals from `first` on (each leaves a fact when
    delivered), and for each a second one about the same referral, which waits for the first."""
    for i in range(n):
        for step in ("a", "b"):
            webhook_emit(
                site_id=site.pk,
                hook_type=REFERRAL,
                payload={"n": i, "step": step},
                subject=Subject.referral(first + i),
            )


@pytest.mark.parametrize("size", [3, 40])
def test_a_batch_of_plain_deliveries_costs_six_statements_whatever_its_size(site, receiver, size):
    # given `size` event webhooks waiting at a receiver that takes them
    subscribe(site, receiver.url, EVENT)
    for n in range(size):
        webhook_emit(site_id=site.pk, hook_type=EVENT, payload={"n": n})
    jobs = claim_deliveries()

    # when the worker runs them as one batch
    statements = statements_of_a_batch(jobs)

    # then each was sent once and recorded, in six statements for the whole batch
    assert len(receiver.received) == size
    assert Counter(r.delivery_id for r in receiver.received).most_common(1)[0][1] == 1
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    assert DeliveryAttempt.objects.filter(outcome="delivered").count() == size
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}
    assert not Job.objects.exists()
    assert len(statements) == 6, statements
    assert [s.split()[0] for s in statements] == [
        "SELECT",  # the deliveries with their subscriptions and sites
        "UPDATE",  # the leases renewed for the requests
        "SELECT",  # the sites' webhook settings
        "DELETE",  # the jobs completed
        "INSERT",  # the attempt rows
        "WITH" if not is_postgres() else "UPDATE",  # the deliveries
    ]


def test_a_mixed_batch_costs_the_same_statements_for_few_and_for_many(site, receiver):
    # given referral webhooks in pairs about one referral each (the second waits for the first),
    # where one in three first ones meets a server error
    subscribe(site, receiver.url, REFERRAL)

    def run(n: int, first: int) -> list[str]:
        emit_mixed(site, n, first)
        receiver.answer(*[Answer(status=500 if i % 3 == 0 else 200) for i in range(n)])
        return statements_of_a_batch(claim_deliveries())

    # when a batch of 2 pairs and then one of 30 pairs runs
    few = run(2, first=1)
    Job.objects.filter(kind=DELIVER).delete()
    many = run(30, first=100)

    # then both cost the same statements: nothing in the batch is paid per delivery
    assert few == many
    assert len(many) == 11, many
    # and the second of each pair waited, the first went out once, and each delivered referral
    # webhook left its fact
    delivered = Delivery.objects.filter(status=DeliveryStatus.DELIVERED)
    assert delivered.count() == 20 + 1  # 30 + 2 first ones, one in three failing: 1 + 20
    assert Job.objects.filter(kind=REFERRAL_WEBHOOK_DELIVERED).count() == delivered.count()
    assert not Delivery.objects.filter(payload__step="b").exclude(attempts=0).exists()
    assert len(receiver.received) == 32


def test_the_second_of_a_subject_goes_out_after_the_first_is_recorded(site, receiver):
    # given two referral webhooks about one referral, claimed in one batch
    subscribe(site, receiver.url, REFERRAL)
    emit_mixed(site, 1)
    first_batch = claim_deliveries()
    assert len(first_batch) == 2

    # when the batch runs, then the jobs due after it
    delivery_jobs.deliver_batch(first_batch, 4)
    assert [r.document["payload"]["step"] for r in receiver.received] == ["a"]
    delivery_jobs.deliver_batch(claim_deliveries(), 4)

    # then the first was recorded before the second was woken and sent
    assert [r.document["payload"]["step"] for r in receiver.received] == ["a", "b"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    assert Job.objects.filter(kind=DELIVER).count() == 0


def test_a_job_whose_lease_another_worker_took_is_not_sent_by_the_loser(site, receiver):
    # given three claimed deliveries, one of which another worker took after our lease ran out
    subscribe(site, receiver.url, EVENT)
    for n in range(3):
        webhook_emit(site_id=site.pk, hook_type=EVENT, payload={"n": n})
    jobs = claim_deliveries()
    taken = jobs[1]
    Job.objects.filter(pk=taken.id).update(claim_token="another-worker", claimed_until=NOW)

    # when our worker runs the batch
    ran = delivery_jobs.deliver_batch(jobs, 4)

    # then it sent and recorded the two it still held, and left the third alone
    assert ran == {"done": 2, "lost": 1}
    assert sorted(r.document["payload"]["n"] for r in receiver.received) == [0, 2]
    lost = Delivery.objects.get(pk=taken.ref_id)
    assert (lost.status, lost.attempts) == (DeliveryStatus.PENDING, 0)
    assert Job.objects.get().pk == taken.id


def test_a_lease_lost_while_sending_records_nothing_of_that_delivery(site, receiver, monkeypatch):
    # given two claimed deliveries, and another worker that takes one of them while the
    # requests are out (our lease ran out meanwhile)
    subscribe(site, receiver.url, EVENT)
    for n in range(2):
        webhook_emit(site_id=site.pk, hook_type=EVENT, payload={"n": n})
    jobs = claim_deliveries()
    send_all = delivery_jobs._send_all

    def send_then_lose(*args, **kwargs):
        outcomes = send_all(*args, **kwargs)
        Job.objects.filter(pk=jobs[0].id).update(claim_token="another-worker")
        return outcomes

    monkeypatch.setattr(delivery_jobs, "_send_all", send_then_lose)

    # when the batch records its outcomes
    ran = delivery_jobs.deliver_batch(jobs, 4)

    # then the delivery of the lost job keeps no effect of ours (the other worker records it)
    assert ran == {"done": 1, "lost": 1}
    lost = Delivery.objects.get(pk=jobs[0].ref_id)
    assert (lost.status, lost.attempts) == (DeliveryStatus.PENDING, 0)
    assert not DeliveryAttempt.objects.filter(delivery=lost).exists()
    kept = Delivery.objects.get(pk=jobs[1].ref_id)
    assert (kept.status, kept.attempts) == (DeliveryStatus.DELIVERED, 1)
    assert list(Job.objects.values_list("id", flat=True)) == [jobs[0].id]


def test_a_retry_in_a_batch_is_rescheduled_with_its_backoff(site, receiver):
    # given two deliveries, the first meeting a 503 with Retry-After: 120
    subscribe(site, receiver.url, EVENT)
    receiver.answer(Answer(status=503, headers={"Retry-After": "120"}))
    for n in range(2):
        webhook_emit(site_id=site.pk, hook_type=EVENT, payload={"n": n})

    # when they run as one batch, one request at a time
    ran = delivery_jobs.deliver_batch(claim_deliveries(), 1)

    # then the first waits for the receiver's two minutes, its attempt not counted against the
    # job; the second is delivered
    assert ran == {"done": 1, "rescheduled": 1}
    first, second = Delivery.objects.order_by("id")
    assert (first.status, first.attempts, first.last_status_code) == ("pending", 1, 503)
    assert first.next_attempt_at == NOW + timedelta(seconds=120)
    job = Job.objects.get()
    assert (job.ref_id, job.run_after, job.attempts, job.claim_token) == (
        first.pk,
        NOW + timedelta(seconds=120),
        0,
        None,
    )
    assert second.status == DeliveryStatus.DELIVERED
