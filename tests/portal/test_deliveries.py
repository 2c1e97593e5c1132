"""The webhook delivery log: attempts with status, latency and body excerpt, filters by type
and state, keyset pages, redelivery through the webhooks service, permissions, and a constant
number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goodword.core.errors import NotFound, ValidationFailed
from goodword.portal.access import Forbidden
from goodword.portal.deliveries import delivery_page, delivery_redeliver_by_staff
from goodword.portal.models import AuditEntry
from goodword.webhooks.models import Delivery, DeliveryAttempt, Subscription
from goodword.webhooks.services import DELIVER
from goodword.worker import queue
from tests.portal.support import client_for, staff_of

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HOOK_URL = "https://hooks.example.com/in"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def subscription(api_site):
    return Subscription.objects.create(
        site=api_site.site, hook_type="referral_web_hook", url=HOOK_URL, created_at=NOW
    )


def make(site, subscription=None, *, status="delivered", attempts=1, minutes_ago=1, **extra):
    return Delivery.objects.create(
        site=site,
        subscription=subscription,
        hook_type=extra.pop("hook_type", "referral_web_hook"),
        url=HOOK_URL,
        payload={"referral": {"id": 1}},
        subject="referral:1",
        status=status,
        attempts=attempts,
        created_at=NOW - timedelta(minutes=minutes_ago),
        **extra,
    )


def attempt(delivery, code, latency, body, seconds_ago, outcome="retry"):
    return DeliveryAttempt.objects.create(
        delivery=delivery,
        started_at=NOW - timedelta(seconds=seconds_ago),
        status_code=code,
        latency_ms=latency,
        response_body=body,
        outcome=outcome,
    )


def log_url(site, **query):
    return reverse("portal:deliveries", args=[site.slug]) + (
        "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    )


def redeliver_url(site, delivery):
    return reverse("portal:delivery_redeliver", args=[site.slug, delivery.pk])


def test_the_log_lists_the_newest_first_with_their_latest_attempts(api_site, subscription):
    site = api_site.site
    older = make(site, subscription, status="failed", attempts=2, minutes_ago=30)
    attempt(older, 500, 120, "x" * 500, 60)
    attempt(older, 503, 80, "busy", 30, outcome="failed")
    newer = make(site, subscription, minutes_ago=5)
    attempt(newer, 200, 42, "ok", 10, outcome="delivered")

    page = delivery_page(site_id=site.pk)

    assert [r.delivery.pk for r in page.rows] == [newer.pk, older.pk]
    assert [(a.status_code, a.latency_ms) for a in page.rows[1].attempts] == [(503, 80), (500, 120)]
    assert page.rows[1].attempts[1].response_body == "x" * 200  # an excerpt
    assert page.rows[1].state == "failed"


def test_filters_by_type_and_state(api_site, subscription):
    site = api_site.site
    delivered = make(site, subscription)
    failed = make(site, subscription, status="failed", attempts=10)
    retrying = make(site, subscription, status="pending", attempts=2)
    waiting = make(site, subscription, status="pending", attempts=0)
    reward = make(site, subscription, hook_type="reward_web_hook")

    def only(**filters) -> list[int]:
        return [r.delivery.pk for r in delivery_page(site_id=site.pk, **filters).rows]

    assert only(state="failed") == [failed.pk]
    assert only(state="retrying") == [retrying.pk]
    assert only(state="pending") == [waiting.pk]
    assert only(state="delivered", hook_type="referral_web_hook") == [delivered.pk]
    assert only(hook_type="reward_web_hook") == [reward.pk]


def test_pages_follow_a_keyset_cursor(api_site, subscription):
    site = api_site.site
    made = [make(site, subscription, minutes_ago=m) for m in (5, 4, 3, 2, 1)]

    first = delivery_page(site_id=site.pk, limit=3)
    second = delivery_page(site_id=site.pk, limit=3, before=first.next_cursor or "")

    assert [r.delivery.pk for r in first.rows] == [d.pk for d in reversed(made[2:])]
    assert [r.delivery.pk for r in second.rows] == [made[1].pk, made[0].pk]
    assert second.next_cursor is None


def test_the_page_shows_attempts_and_a_redeliver_button(api_site, subscription, agent_client):
    site = api_site.site
    failed = make(site, subscription, status="failed", attempts=1, last_status_code=500)
    attempt(failed, 500, 321, "Internal trouble", 5, outcome="failed")

    response = agent_client.get(log_url(site, state="failed"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "HTTP 500" in body and "321 ms" in body and "Internal trouble" in body
    assert f"Redeliver {failed.pk}" in body


def test_redelivery_makes_a_new_delivery_the_worker_sends_and_audits_it(
    api_site, subscription, agent
):
    site = api_site.site
    failed = make(site, subscription, status="failed", attempts=10)

    again = delivery_redeliver_by_staff(
        staff=staff_of(agent, site), delivery_id=failed.pk, note="receiver fixed"
    )

    assert again.pk != failed.pk
    assert again.uuid != failed.uuid
    assert (again.redelivery_of_id, again.payload, again.status) == (
        failed.pk,
        failed.payload,
        "pending",
    )
    assert queue.pending_for(kind=DELIVER, ref_id=again.pk)
    audit = AuditEntry.objects.get(action="delivery.redeliver")
    assert (audit.object_type, audit.object_id, audit.note, audit.detail) == (
        "delivery",
        failed.pk,
        "receiver fixed",
        f"sent again as delivery {again.pk}",
    )


def test_redelivery_without_a_subscription_is_refused_with_the_reason(
    api_site, agent, agent_client
):
    site = api_site.site
    orphan = make(site, None, status="failed", attempts=10)

    with pytest.raises(ValidationFailed, match="was removed"):
        delivery_redeliver_by_staff(staff=staff_of(agent, site), delivery_id=orphan.pk)
    response = agent_client.post(redeliver_url(site, orphan), follow=True)

    assert "was removed; nothing to send it to" in response.content.decode()
    assert Delivery.objects.count() == 1
    assert not AuditEntry.objects.exists()


def test_the_redeliver_button_posts_and_says_so(api_site, subscription, agent_client):
    site = api_site.site
    failed = make(site, subscription, status="failed", attempts=10)

    response = agent_client.post(redeliver_url(site, failed), follow=True)

    again = Delivery.objects.exclude(pk=failed.pk).get()
    assert f"Delivery {failed.pk} is sent again as delivery {again.pk}" in (
        response.content.decode()
    )


def test_a_viewer_sees_no_redeliver_button_and_cannot_post(
    api_site, subscription, viewer, viewer_client
):
    site = api_site.site
    failed = make(site, subscription, status="failed", attempts=10)

    body = viewer_client.get(log_url(site)).content.decode()
    assert f'data-delivery="{failed.pk}"' in body
    assert "Redeliver" not in body
    assert viewer_client.post(redeliver_url(site, failed)).status_code == 403
    with pytest.raises(Forbidden):
        delivery_redeliver_by_staff(staff=staff_of(viewer, site), delivery_id=failed.pk)
    assert Delivery.objects.count() == 1


def test_another_sites_log_and_deliveries_are_404(api_site, other_site, agent, agent_client):
    theirs = make(other_site, None, status="failed")

    assert agent_client.get(log_url(other_site)).status_code == 404
    assert agent_client.post(redeliver_url(api_site.site, theirs)).status_code == 404
    with pytest.raises(NotFound):
        delivery_redeliver_by_staff(staff=staff_of(agent, api_site.site), delivery_id=theirs.pk)
    assert Delivery.objects.count() == 1


def test_redelivery_without_the_csrf_token_is_refused(api_site, subscription, agent):
    failed = make(api_site.site, subscription, status="failed", attempts=10)

    response = client_for(agent, csrf=True).post(redeliver_url(api_site.site, failed))

    assert response.status_code == 403
    assert Delivery.objects.count() == 1


def test_the_log_renders_with_the_same_number_of_queries_for_3_and_30_deliveries(
    api_site, subscription, agent_client
):
    site = api_site.site

    def add(n: int) -> None:
        for i in range(n):
            d = make(site, subscription, status="failed", attempts=2, minutes_ago=i + 1)
            attempt(d, 500, 10, "no", 30)
            attempt(d, 502, 11, "no", 20)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert agent_client.get(log_url(site)).status_code == 200
        return len(ctx.captured_queries)

    add(3)
    queries()
    few = queries()
    add(27)
    assert queries() == few
