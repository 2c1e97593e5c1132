"""Webhooks in the configuration file: applied all-or-nothing, exported without secrets, and an
export applies as no change."""

from __future__ import annotations

import copy

import pytest

from goodword.config.schema import ConfigInvalid
from goodword.config.selectors import config_export
from goodword.config.services import config_apply
from goodword.sites.models import Site
from goodword.webhooks.models import Subscription, WebhookSettings
from goodword.webhooks.services import site_subscribes
from tests.config.conftest import minimal_document

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

WEBHOOKS = {
    "security_key": "talkable-key-0123456789",
    "allow_private_targets": False,
    "retry_window": "2d",
    "subscriptions": [
        {"type": "referral_web_hook", "url": "https://shop.example.com/hooks/referral"},
        {
            "type": "event_web_hook",
            "url": "https://shop.example.com/hooks.php",
            "encoding": "form",
            "active": False,
        },
    ],
}


def document(**webhooks):
    doc = minimal_document()
    doc["webhooks"] = {**copy.deepcopy(WEBHOOKS), **webhooks}
    return doc


def test_subscriptions_and_settings_are_applied():
    report = config_apply(document=document())
    site = Site.objects.get(slug="shop")
    settings = WebhookSettings.objects.get(site=site)
    assert settings.security_key == "talkable-key-0123456789"
    assert settings.signing_secret.startswith("whsec_")
    assert (settings.allow_private_targets, settings.retry_window_seconds) == (False, 2 * 86400)
    subs = list(Subscription.objects.order_by("id").values_list("hook_type", "active", "encoding"))
    assert subs == [("referral_web_hook", True, "json"), ("event_web_hook", False, "form")]
    assert "webhook referral_web_hook https://shop.example.com/hooks/referral: created" in [
        str(c) for c in report.changes
    ]
    assert site_subscribes(site_id=site.pk, hook_type="referral_web_hook")
    assert not site_subscribes(site_id=site.pk, hook_type="event_web_hook")  # inactive


def test_export_leaves_secrets_out_and_applies_as_no_change():
    config_apply(document=document())
    site = Site.objects.get(slug="shop")
    exported = config_export(site=site)
    assert exported["webhooks"] == {
        "allow_private_targets": False,
        "retry_window": "2d",
        "subscriptions": [
            {
                "type": "referral_web_hook",
                "url": "https://shop.example.com/hooks/referral",
                "active": True,
                "encoding": "json",
            },
            {
                "type": "event_web_hook",
                "url": "https://shop.example.com/hooks.php",
                "active": False,
                "encoding": "form",
            },
        ],
    }
    before = WebhookSettings.objects.get(site=site).security_key
    report = config_apply(document=exported)
    assert not report.changed, report.summary()
    # the key the file no longer names is kept, not reset
    assert WebhookSettings.objects.get(site=site).security_key == before


def test_a_site_without_webhooks_exports_no_section():
    config_apply(document=minimal_document())
    assert "webhooks" not in config_export(site=Site.objects.get(slug="shop"))
    assert not WebhookSettings.objects.exists()


def test_a_subscription_left_out_is_deleted_and_a_changed_one_updated():
    config_apply(document=document())
    report = config_apply(
        document=document(
            subscriptions=[
                {
                    "type": "referral_web_hook",
                    "url": "https://shop.example.com/hooks/referral",
                    "active": False,
                }
            ]
        )
    )
    assert Subscription.objects.count() == 1 and not Subscription.objects.get().active
    actions = {str(c) for c in report.changes}
    assert "webhook event_web_hook https://shop.example.com/hooks.php: deleted" in actions
    assert (
        "webhook referral_web_hook https://shop.example.com/hooks/referral: updated (active)"
        in actions
    )


@pytest.mark.parametrize(
    ("webhooks", "message"),
    [
        (
            {"subscriptions": [{"type": "nope_web_hook", "url": "https://x.example"}]},
            "must be one of",
        ),
        (
            {"subscriptions": [{"type": "event_web_hook", "url": "ftp://x.example/h"}]},
            "http(s) URL",
        ),
        (
            {"subscriptions": [{"type": "event_web_hook", "url": "http://127.0.0.1:9000/h"}]},
            "loopback address; set webhooks.allow_private_targets",
        ),
        (
            {"subscriptions": [{"type": "event_web_hook", "url": "http://169.254.169.254/x"}]},
            "metadata",
        ),
        (
            {"subscriptions": [{"type": "event_web_hook", "url": "http://10.1.2.3/x"}]},
            "private",
        ),
        (
            {
                "subscriptions": [
                    {"type": "event_web_hook", "url": "https://x.example/h"},
                    {"type": "event_web_hook", "url": "https://x.example/h"},
                ]
            },
            "already at",
        ),
        (
            {
                "subscriptions": [
                    {"type": "event_web_hook", "url": "https://x.example", "encoding": "xml"}
                ]
            },
            "must be one of json, form",
        ),
        ({"security_key": "short"}, "at least 16"),
        ({"retry_window": "10s"}, "between 1m and 30d"),
        ({"retry_window": "forever"}, "duration"),
        ({"surprise": 1}, "unknown key"),
        ({"subscriptions": [{"url": "https://x.example"}]}, "required"),
    ],
)
def test_bad_webhooks_are_refused_and_nothing_is_applied(webhooks, message):
    doc = minimal_document()
    doc["webhooks"] = webhooks
    with pytest.raises(ConfigInvalid) as refused:
        config_apply(document=doc)
    assert message in str(refused.value)
    assert all(str(e).startswith("webhooks") for e in refused.value.errors)
    assert not Site.objects.exists() and not Subscription.objects.exists()


def test_private_targets_are_accepted_when_allowed():
    config_apply(
        document=document(
            allow_private_targets=True,
            subscriptions=[{"type": "event_web_hook", "url": "http://127.0.0.1:9000/h"}],
        )
    )
    assert Subscription.objects.get().url == "http://127.0.0.1:9000/h"
