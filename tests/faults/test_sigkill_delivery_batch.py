"""SIGKILL of a worker in the middle of a batch of webhook deliveries: it has sent every request
of the batch and has most answers, but has recorded none. Nothing is lost and nothing is
recorded twice: when the leases run out, another worker sends the batch again under the same
delivery ids (at least once; the receiver de-duplicates on the id) and records each delivery
once, with one attempt."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import transaction

from goodword.core.clock import now
from goodword.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus
from goodword.webhooks.services import DELIVER, webhook_emit
from goodword.worker.models import Job
from tests.conftest import postgres_only
from tests.factories import SiteFactory
from tests.faults.conftest import figures
from tests.webhooks.support import Answer, Receiver, subscribe
from tests.worker.support import worker_starter

pytestmark = [pytest.mark.postgres, postgres_only, pytest.mark.django_db(transaction=True)]

EVENT = "event_web_hook"
DELIVERIES = 20


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.release.set()
    receiver.stop()


@pytest.fixture
def start_worker(tmp_path) -> Iterator:
    yield from worker_starter(tmp_path)


def test_a_worker_killed_mid_batch_loses_nothing_and_records_each_delivery_once(
    receiver, start_worker
):
    # given twenty event webhooks stored in one transaction, and a receiver that answers the
    # first nineteen requests at once and holds the twentieth
    site = SiteFactory()
    subscribe(site, receiver.url, EVENT)
    receiver.answer(*[Answer() for _ in range(DELIVERIES - 1)], Answer(hang=60))
    with transaction.atomic():
        for n in range(DELIVERIES):
            webhook_emit(site_id=site.pk, hook_type=EVENT, payload={"n": n})

    # when a worker claims them as one batch, sends them all, and is killed with SIGKILL while
    # it waits for the last answer (nineteen successes in hand, nothing recorded)
    first = start_worker("worker-1", "--poll", "0.05").started()
    first.wait_for("every request of the batch", lambda: len(receiver.received) == DELIVERIES)
    first.kill()
    sent_before_kill = Counter(r.delivery_id for r in receiver.received)
    assert not Delivery.objects.exclude(status=DeliveryStatus.PENDING).exists()
    assert not DeliveryAttempt.objects.exists()
    leases = set(Job.objects.filter(kind=DELIVER).values_list("claim_token", flat=True))
    assert len(leases) == 1 and None not in leases  # one batch, still leased to the dead worker

    # and their leases run out (made to happen now rather than in a minute), the receiver
    # answers everything, and another worker runs
    receiver.release.set()
    Job.objects.filter(kind=DELIVER).update(claimed_until=now() - timedelta(seconds=1))
    second = start_worker("worker-2", "--poll", "0.05").started()
    second.wait_for(
        "every delivery recorded",
        lambda: not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists(),
        timeout=60,
    )
    assert second.terminate() == 0

    # then every delivery was sent again under its id and recorded once: delivered, one attempt,
    # one attempt row, its job gone
    arrivals = Counter(r.delivery_id for r in receiver.received)
    ids = {str(u) for u in Delivery.objects.values_list("uuid", flat=True)}
    assert set(sent_before_kill) == ids
    assert arrivals == Counter({delivery_id: 2 for delivery_id in ids})
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}
    assert DeliveryAttempt.objects.count() == DELIVERIES
    assert set(DeliveryAttempt.objects.values_list("outcome", flat=True)) == {"delivered"}
    assert not Job.objects.exists()

    figures(
        "SIGKILL of a worker mid-batch of deliveries",
        deliveries=DELIVERIES,
        sent_before_kill=sum(sent_before_kill.values()),
        resent_same_id=sum(arrivals.values()) - DELIVERIES,
        recorded=Delivery.objects.filter(status="delivered").count(),
    )
