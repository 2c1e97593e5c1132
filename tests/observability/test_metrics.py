"""/metrics: off unless asked for, guarded by its token, and the listed series with the right
numbers: requests by route and status with latencies, the job backlog by kind, jobs run and
failed, webhook attempts by outcome with latency, and coupon pool levels."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings

from goodword.observability.metrics import UNMATCHED, exposition
from goodword.webhooks.models import Delivery, DeliveryAttempt
from goodword.worker import queue
from goodword.worker.loop import Worker
from goodword.worker.models import Job
from tests.conftest import NOW, ApiClient
from tests.factories import CouponFactory, CouponListFactory, PurchaseDataFactory, SiteFactory
from tests.helpers import PURCHASE_URL
from tests.observability.support import sample, scrape

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-0123456789"


def test_metrics_are_off_by_default():
    response = Client().get("/metrics")
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_message": "Metrics are off (GOODWORD_METRICS)."}


@override_settings(METRICS_ENABLED=True, METRICS_TOKEN="")
def test_metrics_on_without_a_token_are_open():
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "# TYPE goodword_jobs_due gauge" in response.content.decode()


@override_settings(METRICS_ENABLED=True, METRICS_TOKEN=TOKEN)
@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x"]
)
def test_a_scrape_without_the_token_is_refused(authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = Client().get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert response.json()["ok"] is False
    assert "goodword_" not in response.content.decode()


@override_settings(METRICS_ENABLED=True, METRICS_TOKEN=TOKEN)
def test_a_scrape_with_the_token_gets_the_metrics():
    response = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert "goodword_http_requests_total" in response.content.decode()


@override_settings(METRICS_ENABLED=True)
def test_requests_are_counted_by_route_method_and_status_with_their_latency(api_site):
    # given the counts so far
    route = PURCHASE_URL
    created = scrape("goodword_http_requests_total", route=route, method="POST", status="201")
    refused = scrape("goodword_http_requests_total", route=route, method="POST", status="400")
    timed = scrape("goodword_http_request_duration_seconds_count", route=route)
    unmatched = scrape("goodword_http_requests_total", route=UNMATCHED, status="404")

    # when a purchase is created, one is refused and a path nothing serves is asked for
    api = ApiClient(api_site.key)  # made after the override: its middleware counts
    body = {"site_slug": api_site.slug, "data": dict(PurchaseDataFactory())}
    assert api.post(PURCHASE_URL, body).status_code == 201
    assert api.post(PURCHASE_URL, {"site_slug": api_site.slug, "data": {}}).status_code == 400
    assert api.get("/no/such/page-123").status_code == 404

    # then each is counted under its route pattern and status, and both purchases were timed
    after = exposition(database=False).decode()
    labels = {"route": route, "method": "POST"}
    assert sample(after, "goodword_http_requests_total", **labels, status="201") == created + 1
    assert sample(after, "goodword_http_requests_total", **labels, status="400") == refused + 1
    assert sample(after, "goodword_http_request_duration_seconds_count", route=route) == timed + 2
    assert sample(after, "goodword_http_requests_total", route=UNMATCHED, status="404") == (
        unmatched + 1
    )
    # no path makes a series of its own
    assert "page-123" not in after


def test_the_job_backlog_by_kind_is_read_from_the_database(frozen_now):
    # given attribute jobs due for 30 and 5 s, a webhook job due in an hour and a parked one
    site = SiteFactory()
    queue.enqueue(
        site_id=site.pk, kind="attribute", ref_id=1, run_after=NOW - timedelta(seconds=30)
    )
    queue.enqueue(site_id=site.pk, kind="attribute", ref_id=2, run_after=NOW - timedelta(seconds=5))
    queue.enqueue(site_id=site.pk, kind="webhook", run_after=NOW + timedelta(hours=1))
    parked = queue.enqueue(site_id=site.pk, kind="webhook")
    Job.objects.filter(pk=parked.pk).update(failed_at=NOW)
    queue.claim(limit=1, kind="attribute", ref_id=2)

    # when scraped
    text = exposition().decode()

    # then the gauges say so, by kind
    assert sample(text, "goodword_jobs_due", kind="attribute") == 2
    assert sample(text, "goodword_jobs_running", kind="attribute") == 1
    assert sample(text, "goodword_jobs_oldest_due_age_seconds", kind="attribute") == 30
    assert sample(text, "goodword_jobs_due", kind="webhook") == 0
    assert sample(text, "goodword_jobs_scheduled", kind="webhook") == 1
    assert sample(text, "goodword_jobs_failed", kind="webhook") == 1
    assert sample(text, "goodword_jobs_oldest_due_age_seconds", kind="webhook") == 0


def test_coupon_pool_levels_and_deliveries_by_status(frozen_now):
    # given a pool with three codes, one handed out, a static list, and three deliveries
    site = SiteFactory(slug="shop")
    pool = CouponListFactory(site=site, identifier="friend-10")
    CouponFactory(coupon_list=pool, claimed_at=NOW)
    CouponFactory.create_batch(2, coupon_list=pool)
    CouponListFactory(site=site, identifier="welcome", static_code="WELCOME")
    for status in ("pending", "delivered", "delivered"):
        Delivery.objects.create(
            site=site,
            hook_type="referral_web_hook",
            url="https://h.example/",
            status=status,
            created_at=NOW,
        )

    # when scraped
    text = exposition().decode()

    # then the pool's levels and the deliveries by status are there; a static list has no level
    labels = {"site": "shop", "coupon_list": "friend-10"}
    assert sample(text, "goodword_coupon_pool_available", **labels) == 2
    assert sample(text, "goodword_coupon_pool_claimed", **labels) == 1
    assert sample(text, "goodword_coupon_pool_available", coupon_list="welcome") is None
    assert sample(text, "goodword_webhook_deliveries", status="pending") == 1
    assert sample(text, "goodword_webhook_deliveries", status="delivered") == 2


@pytest.mark.django_db(transaction=True)
def test_jobs_run_are_counted_by_kind_and_outcome(monkeypatch):
    # given a kind whose jobs succeed and one whose jobs fail
    def ok(job: queue.Claimed) -> None:
        pass

    def broken(job: queue.Claimed) -> None:
        raise RuntimeError("broken on purpose")

    monkeypatch.setitem(queue.HANDLERS, "metrics_test_ok", ok)
    monkeypatch.setitem(queue.HANDLERS, "metrics_test_broken", broken)

    site = SiteFactory()
    for kind in ("metrics_test_ok", "metrics_test_ok", "metrics_test_broken"):
        queue.enqueue(site_id=site.pk, kind=kind)
    done = scrape("goodword_jobs_run_total", kind="metrics_test_ok", outcome="done")
    failed = scrape("goodword_jobs_run_total", kind="metrics_test_broken", outcome="failed")

    # when a worker runs a batch
    Worker().run_batch()

    # then both outcomes are counted under their kind
    assert scrape("goodword_jobs_run_total", kind="metrics_test_ok", outcome="done") == done + 2
    assert scrape("goodword_jobs_run_total", kind="metrics_test_broken", outcome="failed") == (
        failed + 1
    )


def test_webhook_attempts_are_counted_by_outcome_with_their_latency(
    frozen_now, django_capture_on_commit_callbacks
):
    # given a delivery and the counts so far
    site = SiteFactory()
    delivery = Delivery.objects.create(
        site=site, hook_type="referral_web_hook", url="https://h.example/", created_at=NOW
    )
    delivered = scrape("goodword_webhook_attempts_total", outcome="delivered")
    retried = scrape("goodword_webhook_attempts_total", outcome="retry")
    slow = scrape("goodword_webhook_attempt_duration_seconds_bucket", outcome="retry", le="0.5")
    slower = scrape("goodword_webhook_attempt_duration_seconds_bucket", outcome="retry", le="1.0")

    # when one attempt got a 500 after 800 ms and the next a 200 after 40 ms
    with django_capture_on_commit_callbacks(execute=True):
        for outcome, status, latency in (("retry", 500, 800), ("delivered", 200, 40)):
            DeliveryAttempt.objects.create(
                delivery=delivery,
                started_at=NOW,
                status_code=status,
                latency_ms=latency,
                outcome=outcome,
            )

    # then each is counted under its outcome, and the slow one falls in the 1 s bucket only
    assert scrape("goodword_webhook_attempts_total", outcome="delivered") == delivered + 1
    assert scrape("goodword_webhook_attempts_total", outcome="retry") == retried + 1
    assert (
        scrape("goodword_webhook_attempt_duration_seconds_bucket", outcome="retry", le="0.5")
        == slow
    )
    assert (
        scrape("goodword_webhook_attempt_duration_seconds_bucket", outcome="retry", le="1.0")
        == slower + 1
    )


def test_an_attempt_rolled_back_is_not_counted(frozen_now):
    # given a delivery
    site = SiteFactory()
    delivery = Delivery.objects.create(
        site=site, hook_type="referral_web_hook", url="https://h.example/", created_at=NOW
    )
    before = scrape("goodword_webhook_attempts_total", outcome="failed")

    # when an attempt is stored in a transaction that never commits (the test's own)
    DeliveryAttempt.objects.create(
        delivery=delivery, started_at=NOW, latency_ms=5, outcome="failed"
    )

    # then it is not counted
    assert scrape("goodword_webhook_attempts_total", outcome="failed") == before
