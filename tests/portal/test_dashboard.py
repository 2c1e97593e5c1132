"""The dashboard: queue counts, origins today, the worker's backlog, failing deliveries and
coupon pools running low, in a constant number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goodword.campaigns.program import forget_program
from goodword.portal.dashboard import dashboard, low_pools, queue_counts
from goodword.webhooks.emitters import LOW_WATER
from goodword.webhooks.models import Delivery
from goodword.worker import queue
from tests.factories import CouponFactory, CouponListFactory
from tests.portal import queue_support as qs

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        forget_program()
        yield
    forget_program()


def home(site):
    return reverse("portal:site_home", args=[site.slug])


def delivery(site, status, attempts, created_at, **extra):
    return Delivery.objects.create(
        site=site,
        hook_type="referral_web_hook",
        url="https://hooks.example.com/in",
        status=status,
        attempts=attempts,
        created_at=created_at,
        **extra,
    )


def test_queue_counts_count_waiting_referrals_and_the_last_days_approvals_and_voids(api_site):
    site = api_site.site
    qs.referrals(site, 2, "flagged")
    qs.referrals(site, 1, "pending")
    qs.referrals(site, 3, "approved")  # an hour ago
    qs.referrals(site, 1, "approved", at=NOW - timedelta(days=3))  # not recent
    qs.referrals(site, 1, "voided")

    counts = queue_counts(site_id=site.pk, since=NOW - timedelta(days=1))

    assert counts == {"flagged": 2, "pending": 1, "blocked": 0, "approved": 3, "voided": 1}


def test_the_dashboard_counts_origins_today_and_the_sites_backlog(api_site, other_site):
    # given two purchases today, one yesterday, and jobs of this site and another
    site = api_site.site
    qs.referrals(site, 2, "pending", at=NOW - timedelta(hours=2))
    qs.referrals(site, 1, "pending", at=NOW - timedelta(days=1))
    queue.enqueue(site_id=site.pk, kind="resolve", run_after=NOW - timedelta(minutes=10))
    queue.enqueue(site_id=site.pk, kind="resolve", run_after=NOW - timedelta(minutes=2))
    queue.enqueue(site_id=site.pk, kind="resolve", run_after=NOW + timedelta(days=1))
    queue.enqueue(site_id=other_site.pk, kind="resolve", run_after=NOW - timedelta(hours=5))

    data = dashboard(site_id=site.pk)

    # then
    assert data["origins_today"] == 2
    backlog = data["backlog"]
    assert (backlog["due"], backlog["scheduled"], backlog["failed"]) == (2, 1, 0)
    assert backlog["oldest_due_at"] == NOW - timedelta(minutes=10)
    assert backlog["oldest_due_age_seconds"] == 600


def test_failing_deliveries_are_the_given_up_and_the_retrying_of_the_last_week(api_site):
    site = api_site.site
    failed = delivery(site, "failed", 10, NOW - timedelta(hours=5), last_error="HTTP 500")
    retrying = delivery(site, "pending", 2, NOW - timedelta(hours=1))
    delivery(site, "pending", 0, NOW - timedelta(minutes=1))  # not tried yet
    delivery(site, "delivered", 1, NOW - timedelta(hours=2))
    delivery(site, "failed", 10, NOW - timedelta(days=9))  # too old

    data = dashboard(site_id=site.pk)

    assert data["failing_count"] == 2
    assert [d.pk for d in data["failing"]] == [retrying.pk, failed.pk]


def test_pools_running_low_are_listed_emptiest_first(api_site):
    site = api_site.site
    empty = CouponListFactory(site=site, identifier="empty")
    low = CouponListFactory(site=site, identifier="low")
    for i in range(3):
        CouponFactory(coupon_list=low, site=site, code=f"LOW-{i}")
    CouponFactory(coupon_list=low, site=site, code="LOW-USED", claimed_at=NOW)
    full = CouponListFactory(site=site, identifier="full")
    for i in range(LOW_WATER):
        CouponFactory(coupon_list=full, site=site, code=f"FULL-{i}")
    CouponListFactory(site=site, identifier="static", static_code="WELCOME10")

    pools = low_pools(site_id=site.pk)

    assert [(p.identifier, p.left) for p in pools] == [(empty.identifier, 0), ("low", 3)]


def test_the_dashboard_page_shows_each_part(api_site, agent_client):
    site = api_site.site
    qs.referrals(site, 2, "flagged")
    delivery(site, "failed", 10, NOW - timedelta(hours=5), last_error="connection refused")
    CouponListFactory(site=site, identifier="friend-pool")

    response = agent_client.get(home(site))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Find a person, an order or a referral" in body
    flagged_tile = body.split('data-queue="flagged"')[1].split("</a>")[0]
    assert '<span class="n">2</span>' in flagged_tile
    assert "connection refused" in body
    assert "friend-pool" in body
    assert 'id="backlog"' in body


def test_the_dashboard_renders_with_the_same_number_of_queries_for_3_and_30_rows(
    api_site, agent_client
):
    site = api_site.site

    def make(n: int) -> None:
        qs.referrals(site, n, "flagged")
        for i in range(n):
            delivery(site, "failed", 3, NOW - timedelta(minutes=i + 1))
            CouponListFactory(site=site)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert agent_client.get(home(site)).status_code == 200
        return len(ctx.captured_queries)

    make(3)
    queries()
    few = queries()
    make(27)
    assert queries() == few


def test_another_sites_dashboard_is_404(other_site, agent_client):
    assert agent_client.get(home(other_site)).status_code == 404


def test_a_viewer_sees_the_dashboard(api_site, viewer_client):
    assert viewer_client.get(home(api_site.site)).status_code == 200


def test_the_pool_burn_rate_is_the_codes_taken_in_the_last_hour(api_site, agent_client):
    # given a pool that handed out 4 codes in the last hour and 2 before, with 6 left,
    # a pool that handed out nothing lately, and another site's busy pool
    site = api_site.site
    busy = CouponListFactory(site=site, identifier="busy")
    for i in range(4):
        CouponFactory(
            coupon_list=busy, site=site, code=f"B-{i}", claimed_at=NOW - timedelta(minutes=5 + i)
        )
    for i in range(2):
        CouponFactory(
            coupon_list=busy, site=site, code=f"OLD-{i}", claimed_at=NOW - timedelta(hours=2)
        )
    for i in range(6):
        CouponFactory(coupon_list=busy, site=site, code=f"FREE-{i}")
    quiet = CouponListFactory(site=site, identifier="quiet")
    CouponFactory(coupon_list=quiet, site=site, code="Q-1", claimed_at=NOW - timedelta(days=1))

    # when the dashboard is read
    burn = dashboard(site_id=site.pk)["pool_burn"]

    # then only the busy pool shows, at 4 an hour, lasting 1.5 hours at that rate
    assert [(p.identifier, p.taken_last_hour, p.left) for p in burn] == [("busy", 4, 6)]
    assert burn[0].hours_left == 1.5
    body = agent_client.get(home(site)).content.decode()
    burn_card = body.split('id="burn"')[1].split("</section>")[0]
    assert "busy" in burn_card and "quiet" not in burn_card and "1.5 h" in burn_card
