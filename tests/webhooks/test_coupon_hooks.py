"""The two coupon webhooks: `create_coupon_web_hook` (Talkable's meaning: a code the shop should
create, tested with personal coupons in tests/offers/test_personal_coupon.py) and Goodword's own
`coupon_list_low_web_hook`, the pool low-water notice; and the migration that keeps the sites
which heard that notice on `create_coupon_web_hook` hearing it."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from goodword.campaigns.program import forget_program
from goodword.core.clock import now
from goodword.webhooks.emitters import LOW_WATER
from goodword.webhooks.models import Delivery, Subscription
from tests.factories import SiteFactory
from tests.referrals.program import build_program, join
from tests.rewards.program import pool, set_incentive
from tests.webhooks.support import subscribe

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

LOW, CREATE = "coupon_list_low_web_hook", "create_coupon_web_hook"


def test_a_pool_falling_below_the_mark_sends_the_low_notice_once(api, api_site, receiver):
    # given a signup coupon from a pool of exactly LOW_WATER codes, and a site subscribed to
    # both coupon types
    campaign = build_program(api_site.site)
    codes = tuple(f"WELCOME-{n}" for n in range(LOW_WATER))
    welcome = pool(api_site.site, "welcome", codes)
    welcome.name = "Welcome coupons"
    welcome.save(update_fields=["name"])
    set_incentive(
        campaign, "signup", incentive_type="discount_coupon", amount="5", coupon_list=welcome
    )
    subscribe(api_site.site, receiver.url, LOW, CREATE)

    # when two advocates join, each taking a code
    join(api, api_site.slug, "ada@example.com")
    join(api, api_site.slug, "bob@example.com")

    # then the crossing below the mark is told once, on the low notice's own type, and the
    # shop is not asked to create any code (its pool codes exist already)
    (delivery,) = Delivery.objects.filter(hook_type__in=[LOW, CREATE])
    assert delivery.hook_type == LOW
    assert delivery.payload == {
        "coupon_list_id": welcome.pk,
        "coupon_list_identifier": "welcome",
        "coupon_list_name": "Welcome coupons",
        "codes_left": LOW_WATER - 1,
        "low_water": LOW_WATER,
        "discount_amount": "5.00",
        "percentage_discount": False,
    }
    assert [r.document["type"] for r in receiver.received] == [LOW]


def test_advocates_taking_personal_codes_from_a_pool_send_the_low_notice_once(
    api, api_site, receiver
):
    # given a campaign whose advocates take personal codes from a pool of LOW_WATER codes
    campaign = build_program(api_site.site)
    personal = pool(api_site.site, "advocates", tuple(f"ADV-{n}" for n in range(LOW_WATER)))
    campaign.advocate_coupon_list = personal
    campaign.save(update_fields=["advocate_coupon_list"])
    forget_program(api_site.site.id)
    subscribe(api_site.site, receiver.url, LOW, CREATE)

    # when two advocates join
    join(api, api_site.slug, "ada@example.com")
    join(api, api_site.slug, "bob@example.com")

    # then the first take crossed the mark and said so, with the friend's discount (the click
    # coupon's $10); the second said nothing
    (delivery,) = Delivery.objects.filter(hook_type__in=[LOW, CREATE])
    assert delivery.hook_type == LOW
    assert delivery.payload["coupon_list_identifier"] == "advocates"
    assert delivery.payload["codes_left"] == LOW_WATER - 1
    assert delivery.payload["discount_amount"] == "10.00"


def test_the_migration_subscribes_create_coupon_urls_to_the_low_notice():
    # given sites subscribed to create_coupon_web_hook (one paused), and one already to both
    migration = importlib.import_module("goodword.webhooks.migrations.0002_coupon_list_low_type")
    first, second = SiteFactory(), SiteFactory()
    stamp = now()
    for site, url, active in (
        (first, "https://a.example/hook", True),
        (second, "https://b.example/hook", False),
        (second, "https://b.example/both", True),
    ):
        Subscription.objects.create(
            site=site, hook_type=CREATE, url=url, active=active, created_at=stamp
        )
    Subscription.objects.create(
        site=second, hook_type=LOW, url="https://b.example/both", created_at=stamp
    )

    # when the data migration runs
    migration.keep_low_water_notices(apps, None)

    # then each create_coupon URL also hears the low notice, as active as it was, once
    low = Subscription.objects.filter(hook_type=LOW).order_by("site_id", "url")
    assert [(s.site_id, s.url, s.active) for s in low] == [
        (first.pk, "https://a.example/hook", True),
        (second.pk, "https://b.example/both", True),
        (second.pk, "https://b.example/hook", False),
    ]
    assert Subscription.objects.filter(hook_type=CREATE).count() == 3
