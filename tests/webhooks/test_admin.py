"""The admin: subscriptions and settings editable (URLs checked), the delivery log read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from goodword.core.clock import now
from goodword.webhooks.models import Delivery, Subscription, WebhookSettings
from goodword.webhooks.services import site_subscribes, webhook_emit
from tests.factories import SiteFactory

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def staff() -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


def add(staff, site, url):
    return staff.post(
        "/admin/webhooks/subscription/add/",
        {
            "site": site.pk,
            "hook_type": "event_web_hook",
            "url": url,
            "active": "on",
            "encoding": "json",
        },
    )


def test_a_subscription_added_in_the_admin_is_seen_at_once(staff):
    site = SiteFactory()
    assert not site_subscribes(site_id=site.pk, hook_type="event_web_hook")
    response = add(staff, site, "https://shop.example.com/hooks")
    assert response.status_code == 302, response.content
    assert Subscription.objects.get().created_at is not None


@pytest.mark.parametrize(
    ("url", "message"),
    [("ftp://x.example/h", "only http and https"), ("http://127.0.0.1:8000/h", "loopback")],
)
def test_bad_urls_are_refused_in_the_admin(staff, url, message):
    site = SiteFactory()
    response = add(staff, site, url)
    assert response.status_code == 200 and message in response.content.decode()
    assert not Subscription.objects.exists()


def test_private_urls_pass_when_the_site_allows_them(staff):
    site = SiteFactory()
    WebhookSettings.objects.create(
        site=site, security_key="k" * 20, signing_secret="s", allow_private_targets=True
    )
    assert add(staff, site, "http://127.0.0.1:8000/h").status_code == 302


def test_the_delivery_log_is_read_only(staff):
    site = SiteFactory()
    Subscription.objects.create(
        site=site, hook_type="event_web_hook", url="https://x.example/h", created_at=now()
    )
    webhook_emit(site_id=site.pk, hook_type="event_web_hook", payload={})
    delivery = Delivery.objects.get()
    assert staff.get("/admin/webhooks/delivery/").status_code == 200
    page = staff.get(f"/admin/webhooks/delivery/{delivery.pk}/change/")
    assert page.status_code == 200
    assert (
        staff.post(f"/admin/webhooks/delivery/{delivery.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
