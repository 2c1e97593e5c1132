"""Delivery by the worker against a real receiver on 127.0.0.1: retry policy, attempt log,
exactly one arrival per delivery id, order per subject, the fact a delivered referral webhook
leaves on the queue."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from goodword.webhooks import services
from goodword.webhooks.jobs import request_build
from goodword.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, WebhookSettings
from goodword.webhooks.selectors import forget_hooks
from goodword.webhooks.services import webhook_emit
from goodword.webhooks.signing import verify
from goodword.webhooks.types import REFERRAL_WEBHOOK_DELIVERED, Subject, SubjectKind
from goodword.worker import queue
from goodword.worker.loop import drain
from goodword.worker.models import Job
from tests.conftest import NOW
from tests.factories import SiteFactory
from tests.webhooks.support import SECRET, SECURITY_KEY, Answer, subscribe

EVENT = "event_web_hook"


@pytest.fixture
def site(db, frozen_now):
    return SiteFactory(slug="my-store")


def emit(site, n=1, subject=None, hook_type=EVENT):
    return sum(
        webhook_emit(
            site_id=site.pk,
            hook_type=hook_type,
            payload={"n": i},
            extras={"x": 1},
            subject=subject,
        )
        for i in range(n)
    )


def run_until_quiet(time_machine, *, step=timedelta(minutes=1), limit=timedelta(days=4)):
    """Drain, then move the frozen clock to the next due job, until no job is left or `limit`
    has passed."""
    at = NOW
    while at - NOW <= limit:
        drain()
        next_job = Job.objects.filter(failed_at__isnull=True).order_by("run_after").first()
        if next_job is None:
            return
        # the next due job's time exactly (a retry capped at the deadline can be seconds after
        # the previous try); a job already due that drain left alone moves the clock one step
        at = next_job.run_after if next_job.run_after > at else at + step
        time_machine.move_to(at, tick=False)


def test_a_delivery_arrives_once_signed_with_the_legacy_key(site, receiver):
    # given a site subscribed to event_web_hook at the receiver
    subscribe(site, receiver.url, EVENT)

    # when an event webhook is emitted and the worker runs
    assert emit(site) == 1
    drain()

    # then the receiver got one POST with the contract's envelope and a valid signature
    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert got.path == "/hooks"
    assert got.headers["content-type"] == "application/json"
    assert got.document == {
        "key": SECURITY_KEY,
        "site": "my-store",
        "type": EVENT,
        "extras": {"x": 1},
        "payload": {"n": 0},
    }
    assert got.headers["x-goodword-timestamp"] == str(int(NOW.timestamp()))
    assert verify(
        secret=SECRET,
        header=got.headers["x-goodword-signature"],
        timestamp=got.headers["x-goodword-timestamp"],
        body=got.body,
    )
    assert not verify(
        secret="wrong",
        header=got.headers["x-goodword-signature"],
        timestamp=got.headers["x-goodword-timestamp"],
        body=got.body,
    )
    delivery = Delivery.objects.get()
    assert got.delivery_id == str(delivery.uuid)
    assert (delivery.status, delivery.attempts, delivery.finished_at) == ("delivered", 1, NOW)
    attempt = DeliveryAttempt.objects.get()
    assert (attempt.status_code, attempt.outcome, attempt.response_body) == (200, "delivered", "ok")
    assert attempt.started_at == NOW and attempt.latency_ms >= 0
    assert not Job.objects.exists()


def test_form_encoding_puts_the_json_in_the_payload_field(site, receiver):
    subscribe(site, receiver.url, EVENT, encoding="form")
    emit(site)
    drain()
    got = receiver.received[0]
    assert got.headers["content-type"] == "application/x-www-form-urlencoded"
    assert got.document["payload"] == {"n": 0} and got.document["key"] == SECURITY_KEY
    assert verify(
        secret=SECRET,
        header=got.headers["x-goodword-signature"],
        timestamp=got.headers["x-goodword-timestamp"],
        body=got.body,
    )


def test_no_subscription_no_delivery_and_no_query(site, django_assert_num_queries):
    subscribe(site, "https://example.com/x", "referral_web_hook")
    services.site_subscribes(site_id=site.pk, hook_type=EVENT)  # warm the snapshot
    with django_assert_num_queries(0):
        assert emit(site) == 0
        assert not services.site_subscribes(site_id=site.pk, hook_type=EVENT)
    assert services.site_subscribes(site_id=site.pk, hook_type="referral_web_hook")


def test_inactive_subscriptions_get_nothing(site, receiver):
    (sub,) = subscribe(site, receiver.url, EVENT)
    sub.active = False
    sub.save()
    forget_hooks(site.pk)
    assert emit(site) == 0


@pytest.mark.parametrize("failures", [[500], [503, 502, 500], [408, 504]])
def test_server_errors_are_retried_until_the_receiver_takes_it(
    site, receiver, time_machine, failures
):
    # given a receiver that fails N times, then answers 200
    subscribe(site, receiver.url, EVENT)
    receiver.answer(*(Answer(status=s, body="busy") for s in failures))

    # when the worker runs as the clock moves on
    emit(site)
    run_until_quiet(time_machine)

    # then the same delivery id arrived N+1 times, and it was taken once
    ids = {r.delivery_id for r in receiver.received}
    assert len(receiver.received) == len(failures) + 1 and len(ids) == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", len(failures) + 1)
    outcomes = list(DeliveryAttempt.objects.order_by("id").values_list("status_code", "outcome"))
    assert outcomes == [(s, "retry") for s in failures] + [(200, "delivered")]
    # and the waits grow: exponential backoff with jitter between half and all of the step
    starts = list(DeliveryAttempt.objects.order_by("id").values_list("started_at", flat=True))
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
    for n, gap in enumerate(gaps, start=1):
        step = 10 * 2 ** (n - 1)
        assert step / 2 <= gap <= step + 60  # +60: the test clock moves in minute steps


def test_a_hanging_receiver_times_out_and_is_retried(site, receiver, time_machine):
    subscribe(site, receiver.url, EVENT)
    receiver.answer(Answer(hang=3.0))
    emit(site)
    drain()
    attempt = DeliveryAttempt.objects.get()
    # (how long the attempt waited is the transport's READ_TIMEOUT, not a thing to time here)
    assert (attempt.status_code, attempt.error, attempt.outcome) == (None, "timeout", "retry")
    receiver.release.set()
    run_until_quiet(time_machine)
    assert Delivery.objects.get().status == "delivered"
    assert len({r.delivery_id for r in receiver.received}) == 1


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422, 301])
def test_other_answers_fail_at_once(site, receiver, status):
    subscribe(site, receiver.url, EVENT)
    receiver.answer(Answer(status=status, body="no such hook" * 200))
    emit(site)
    drain()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        "failed",
        1,
        status,
    )
    assert delivery.finished_at == NOW and delivery.next_attempt_at is None
    attempt = DeliveryAttempt.objects.get()
    assert len(attempt.response_body) == 1000  # the start of the body is kept
    assert not Job.objects.exists() and len(receiver.received) == 1


def test_429_honours_retry_after(site, receiver, time_machine):
    subscribe(site, receiver.url, EVENT)
    receiver.answer(Answer(status=429, headers={"Retry-After": "900"}))
    emit(site)
    drain()
    delivery = Delivery.objects.get()
    assert delivery.next_attempt_at == NOW + timedelta(seconds=900)
    assert Job.objects.get().run_after == NOW + timedelta(seconds=900)
    time_machine.move_to(NOW + timedelta(seconds=899), tick=False)
    drain()
    assert len(receiver.received) == 1
    time_machine.move_to(NOW + timedelta(seconds=900), tick=False)
    drain()
    assert len(receiver.received) == 2 and Delivery.objects.get().status == "delivered"


def test_a_receiver_down_for_two_days_gets_everything_once_when_back(site, receiver, time_machine):
    # given a receiver that is down
    subscribe(site, receiver.url, EVENT, "post_share_web_hook")
    receiver.stop()
    emit(site, n=5)
    emit(site, n=2, hook_type="post_share_web_hook")

    # when the worker keeps trying for two days of (frozen) time
    run_until_quiet(time_machine, limit=timedelta(days=2))
    assert Delivery.objects.filter(status="pending").count() == 7
    assert DeliveryAttempt.objects.filter(error__startswith="ConnectionRefusedError").exists()

    # and the receiver comes back
    receiver.start()
    run_until_quiet(time_machine, limit=timedelta(days=3))

    # then every delivery arrived exactly once
    ids = [r.delivery_id for r in receiver.received]
    assert sorted(ids) == sorted(str(u) for u in Delivery.objects.values_list("uuid", flat=True))
    assert Delivery.objects.filter(status="delivered").count() == 7


def test_the_retry_window_ends_in_failure(site, receiver, time_machine):
    subscribe(site, receiver.url, EVENT, retry_window=6 * 3600)
    receiver.default = Answer(status=503)
    emit(site)
    run_until_quiet(time_machine, limit=timedelta(days=1))
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.last_error.startswith("retry window over")
    assert delivery.finished_at == NOW + timedelta(hours=6)  # the last try is at the deadline
    assert not Job.objects.exists()
    assert delivery.attempts == DeliveryAttempt.objects.count() == len(receiver.received)


def test_deliveries_about_one_subject_go_out_in_order(site, receiver, time_machine):
    # given the first of three deliveries about one referral meets a failing receiver
    subscribe(site, receiver.url, EVENT)
    receiver.answer(Answer(status=500))
    for n in range(3):
        webhook_emit(
            site_id=site.pk, hook_type=EVENT, payload={"n": n}, subject=Subject.referral(1)
        )
    webhook_emit(site_id=site.pk, hook_type=EVENT, payload={"n": 99}, subject=Subject.referral(2))

    run_until_quiet(time_machine)

    # then the other subject was not held up, and the three arrived in order, once each
    bodies = [r.document["payload"]["n"] for r in receiver.received]
    assert bodies == [0, 99, 0, 1, 2]
    assert Delivery.objects.filter(status="delivered").count() == 4


def test_a_later_delivery_waits_for_an_earlier_one_given_up(site, receiver, time_machine):
    subscribe(site, receiver.url, EVENT)
    receiver.answer(Answer(status=410))
    about = Subject(SubjectKind.ORIGIN, 1)
    webhook_emit(site_id=site.pk, hook_type=EVENT, payload={"n": 1}, subject=about)
    webhook_emit(site_id=site.pk, hook_type=EVENT, payload={"n": 2}, subject=about)
    drain()
    assert [r.document["payload"]["n"] for r in receiver.received] == [1, 2]
    assert list(Delivery.objects.order_by("id").values_list("status", flat=True)) == [
        "failed",
        "delivered",
    ]


def test_a_delivered_referral_webhook_leaves_its_fact_on_the_queue(site, receiver):
    # given a referral webhook about referral 7 and an event webhook about an origin
    subscribe(site, receiver.url, "referral_web_hook", EVENT)
    webhook_emit(
        site_id=site.pk, hook_type="referral_web_hook", payload={}, subject=Subject.referral(7)
    )
    emit(site, subject=Subject(SubjectKind.ORIGIN, 7))

    # when the worker runs the two delivery jobs, and only those
    jobs = queue.claim(limit=10)
    assert {j.kind for j in jobs} == {services.DELIVER}
    for job in jobs:
        queue.run_one(job)

    # then both were delivered, and the referral's delivery left the fact for its readers
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
    fact = Job.objects.get()
    assert (fact.kind, fact.ref_id, fact.site_id) == (REFERRAL_WEBHOOK_DELIVERED, 7, site.pk)
    assert fact.run_after == NOW


def test_a_given_up_referral_webhook_leaves_no_fact(site, receiver):
    subscribe(site, receiver.url, "referral_web_hook")
    receiver.answer(Answer(status=410))
    webhook_emit(
        site_id=site.pk, hook_type="referral_web_hook", payload={}, subject=Subject.referral(7)
    )
    drain()
    assert Delivery.objects.get().status == "failed"
    assert not Job.objects.exists()


def test_a_failing_reader_of_the_fact_is_retried_without_sending_again(site, receiver, monkeypatch):
    # given a reader of the "referral webhook delivered" fact that fails
    from goodword.rewards import jobs as reward_jobs

    def boom(**_):
        raise RuntimeError("rewards table locked")

    monkeypatch.setattr(reward_jobs, "rewards_pay_after_referral_webhook", boom)
    subscribe(site, receiver.url, "referral_web_hook")
    webhook_emit(
        site_id=site.pk, hook_type="referral_web_hook", payload={}, subject=Subject.referral(7)
    )

    # when the worker runs
    drain()

    # then the delivery stands delivered and was sent once; the reader's job waits for a retry
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
    assert len(receiver.received) == 1
    job = Job.objects.get()
    assert job.kind == REFERRAL_WEBHOOK_DELIVERED
    assert "rewards table locked" in job.last_error


def test_rotation_signs_with_both_secrets_during_the_overlap(site, receiver, time_machine):
    subscribe(site, receiver.url, EVENT)
    new = services.signing_secret_rotate(site_id=site.pk, overlap=timedelta(hours=1))
    emit(site)
    drain()
    got = receiver.received[0]
    header = got.headers["x-goodword-signature"]
    assert header.count("v1=") == 2
    for secret in (SECRET, new):
        assert verify(
            secret=secret,
            header=header,
            timestamp=got.headers["x-goodword-timestamp"],
            body=got.body,
        )
    # after the overlap only the new secret signs
    time_machine.move_to(NOW + timedelta(hours=1), tick=False)
    emit(site)
    drain()
    late = receiver.received[1]
    assert late.headers["x-goodword-signature"].count("v1=") == 1
    assert verify(
        secret=new,
        header=late.headers["x-goodword-signature"],
        timestamp=late.headers["x-goodword-timestamp"],
        body=late.body,
    )


def test_redeliver_sends_again_under_a_new_delivery_id(site, receiver):
    subscribe(site, receiver.url, EVENT)
    emit(site)
    drain()
    first = Delivery.objects.get()
    again = services.delivery_redeliver(delivery=services.delivery_find(ident=str(first.uuid)))
    drain()
    assert again.redelivery_of_id == first.pk
    assert [r.delivery_id for r in receiver.received] == [str(first.uuid), str(again.uuid)]
    assert receiver.received[0].document == receiver.received[1].document


def test_the_body_takes_the_current_security_key(site):
    subscribe(site, "https://example.com/h", EVENT)
    emit(site)
    WebhookSettings.objects.filter(site=site).update(security_key="rotated")
    delivery = Delivery.objects.select_related("subscription").get()
    settings = WebhookSettings.objects.get(site=site)
    request = request_build(delivery=delivery, settings=settings, site_slug="my-store", timestamp=1)
    assert b'"key":"rotated"' in request.body
