"""A webhook receiver down for two days (frozen clock, a real receiver on 127.0.0.1 that refuses
connections, then answers again): every delivery is retried on the documented schedule
(exponential backoff with jitter, an hour at most between attempts), given up when the site's
retry window is over, and none is lost: each ends delivered exactly once or failed, and a failed
one redelivered arrives once."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import timedelta

import pytest

from goodword.webhooks.jobs import BACKOFF_BASE, BACKOFF_CAP
from goodword.webhooks.models import Delivery, DeliveryAttempt
from goodword.webhooks.services import delivery_redeliver, webhook_emit
from goodword.worker.loop import drain
from goodword.worker.models import Job
from tests.conftest import NOW, postgres_only
from tests.factories import SiteFactory
from tests.faults.conftest import figures
from tests.webhooks.support import Receiver, subscribe

pytestmark = [pytest.mark.postgres, postgres_only, pytest.mark.django_db]

EVENT = "event_web_hook"
DELIVERIES = 6
DOWN = timedelta(days=2)
DAY = 24 * 3600
STEP = timedelta(seconds=1)  # the least the test's clock moves between two worker runs


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.release.set()
    receiver.stop()


def run_until(time_machine, until, *, step=STEP):
    """Drain, then move the frozen clock to the next due job (at least `step` on), until no job
    is left or the clock passes `until`. Returns how many times the worker ran."""
    at, runs = NOW, 0
    while at <= until:
        drain()
        runs += 1
        next_job = Job.objects.filter(failed_at__isnull=True).order_by("run_after").first()
        if next_job is None:
            return runs
        at = max(next_job.run_after, at + step)
        time_machine.move_to(at, tick=False)
    return runs


def assert_on_schedule(delivery: Delivery, deadline) -> int:
    """The waits between a delivery's attempts follow the backoff: half to all of the step
    (10 s doubling, an hour at most), or cut short by the retry window's end."""
    starts = list(
        DeliveryAttempt.objects.filter(delivery=delivery)
        .order_by("id")
        .values_list("started_at", flat=True)
    )
    for n, (a, b) in enumerate(itertools.pairwise(starts), start=1):
        step = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (n - 1))
        gap = (b - a).total_seconds()
        # (+1 s: the test's clock moves at least a second a step, so an attempt due while
        # another ran may start up to a second late)
        cut_short = deadline is not None and deadline <= b <= deadline + STEP
        assert step / 2 <= gap <= step + 1 or cut_short, (n, gap, step)
    return len(starts)


def emit(site, n):
    for i in range(n):
        webhook_emit(site_id=site.pk, hook_type=EVENT, payload={"n": i}, extras={})


def test_a_receiver_down_past_the_retry_window_gets_every_delivery_given_up_then_redelivered(
    receiver, frozen_now, time_machine
):
    # given a site whose deliveries are retried for one day, and its receiver down
    site = SiteFactory()
    subscribe(site, receiver.url, EVENT, retry_window=DAY)
    receiver.stop()

    # when deliveries are made and the worker runs through two days
    emit(site, DELIVERIES)
    runs = run_until(time_machine, NOW + DOWN)

    # then each was tried on schedule until the window closed, and given up; none is left
    deadline = NOW + timedelta(seconds=DAY)
    deliveries = list(Delivery.objects.order_by("id"))
    assert [d.status for d in deliveries] == ["failed"] * DELIVERIES
    attempts = [assert_on_schedule(d, deadline) for d in deliveries]
    assert all(d.last_error.startswith("retry window over") for d in deliveries)
    last = DeliveryAttempt.objects.order_by("-started_at").first()
    assert last is not None and deadline <= last.started_at <= deadline + STEP
    assert not Job.objects.filter(failed_at__isnull=True).exists()
    assert receiver.received == []

    # when the receiver is back and each given-up delivery is redelivered
    receiver.start()
    for delivery in deliveries:
        delivery_redeliver(delivery=delivery)
    run_until(time_machine, NOW + DOWN + timedelta(hours=1))

    # then each payload arrives exactly once more
    arrived = Counter(r.document["payload"]["n"] for r in receiver.received)
    assert arrived == Counter(range(DELIVERIES))
    figures(
        "receiver down 2 days, 1-day window",
        deliveries=DELIVERIES,
        attempts_each=f"{min(attempts)}-{max(attempts)}",
        given_up=sum(d.status == "failed" for d in deliveries),
        redelivered_once=len(arrived),
        worker_runs=runs,
    )


def test_a_receiver_down_for_two_days_within_the_window_gets_every_delivery_once(
    receiver, frozen_now, time_machine
):
    # given a site with the default three-day retry window, and its receiver down
    site = SiteFactory()
    subscribe(site, receiver.url, EVENT, retry_window=3 * DAY)
    receiver.stop()
    emit(site, DELIVERIES)

    # when the worker runs through two days of the outage, then the receiver comes back
    runs = run_until(time_machine, NOW + DOWN)
    down_attempts = DeliveryAttempt.objects.count()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}
    receiver.start()
    runs += run_until(time_machine, NOW + DOWN + timedelta(hours=2))

    # then every delivery arrived exactly once, after attempts on schedule, and nothing is left
    deliveries = list(Delivery.objects.order_by("id"))
    assert [d.status for d in deliveries] == ["delivered"] * DELIVERIES
    attempts = [assert_on_schedule(d, None) for d in deliveries]
    by_id = Counter(r.delivery_id for r in receiver.received)
    assert sorted(by_id) == sorted(str(d.uuid) for d in deliveries)
    assert set(by_id.values()) == {1}
    assert all(d.finished_at is not None and d.finished_at >= NOW + DOWN for d in deliveries)
    assert not Job.objects.exists()
    figures(
        "receiver down 2 days, 3-day window",
        deliveries=DELIVERIES,
        attempts_while_down=down_attempts,
        attempts_each=f"{min(attempts)}-{max(attempts)}",
        delivered_once=len(by_id),
        worker_runs=runs,
    )
