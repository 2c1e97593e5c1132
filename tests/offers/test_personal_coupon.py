"""The advocate's personal coupon code: a campaign setting (a pool, or a pattern), given when the
advocate's offer is made, returned as the offer's `coupon_code`, and attributing a friend's
purchase that carries it (track method `coupon`). A code made from a pattern is announced with
`create_coupon_web_hook` so the merchant's shop can create it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from goodword.campaigns.models import Campaign
from goodword.campaigns.program import forget_program
from goodword.core.clock import now
from goodword.coupons import services as coupon_services
from goodword.coupons.models import Coupon, CouponList
from goodword.offers.models import AdvocateOffer
from goodword.webhooks.models import Delivery
from tests.referrals.program import build_program, buy, join, referral_of
from tests.webhooks import contract
from tests.webhooks.support import Receiver, receiver_fixture, subscribe

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

PATTERN_CODE = re.compile(r"^REF-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{6}$")


def personal_pool(campaign: Campaign, *codes: str) -> CouponList:
    pool = CouponList.objects.create(
        site=campaign.site, identifier="advocate-pool", created_at=now()
    )
    for code in codes:
        Coupon.objects.create(site=campaign.site, coupon_list=pool, code=code, created_at=now())
    campaign.advocate_coupon_list = pool
    campaign.save(update_fields=["advocate_coupon_list"])
    forget_program(campaign.site_id)
    return pool


def with_pattern(campaign: Campaign, pattern: str = "REF-{RANDOM6}") -> None:
    campaign.advocate_coupon_pattern = pattern
    campaign.save(update_fields=["advocate_coupon_pattern"])
    forget_program(campaign.site_id)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from receiver_fixture()


@pytest.fixture
def fixed_codes(monkeypatch) -> Iterator[list[str]]:
    """Pattern codes taken from a list, in order, instead of at random."""
    queue: list[str] = []
    monkeypatch.setattr(coupon_services, "pattern_make", lambda pattern: queue.pop(0))
    yield queue


# ---- from a pool ----------------------------------------------------------------------------


def test_each_advocate_takes_one_pool_code_once(api, api_site):
    # given a campaign whose advocates get a code of a pool
    campaign = build_program(api_site.site)
    personal_pool(campaign, "ADV-1", "ADV-2", "ADV-3")

    # when two advocates join, and the first joins again
    first = join(api, api_site.slug, "ada@example.com")["offer"]
    second = join(api, api_site.slug, "bob@example.com")["offer"]
    again = join(api, api_site.slug, "ada@example.com")["offer"]

    # then each has a code of their own, kept on a second join, and the pool gave out two
    assert (first["coupon_code"], second["coupon_code"]) == ("ADV-1", "ADV-2")
    assert again["coupon_code"] == "ADV-1"
    assert AdvocateOffer.objects.get(advocate__email="ada@example.com").coupon_code == "ADV-1"
    taken = Coupon.objects.filter(coupon_list__identifier="advocate-pool", claimed_at__isnull=False)
    assert sorted(taken.values_list("code", flat=True)) == ["ADV-1", "ADV-2"]
    got = api.get(f"/api/v2/offers/{first['short_url_code']}", {"site_slug": api_site.slug})
    assert got.json()["result"]["offer"]["coupon_code"] == "ADV-1"


def test_a_dry_pool_still_makes_the_offer_without_a_code(api, api_site):
    # given a personal pool with one code
    campaign = build_program(api_site.site)
    personal_pool(campaign, "ADV-1")
    join(api, api_site.slug, "ada@example.com")

    # when a second advocate joins
    offer = join(api, api_site.slug, "bob@example.com")["offer"]

    # then they become an advocate all the same, without a personal code
    assert offer["coupon_code"] is None
    assert AdvocateOffer.objects.count() == 2


def test_without_the_setting_an_offer_has_no_personal_code(api, api_site):
    build_program(api_site.site)
    assert join(api, api_site.slug)["offer"]["coupon_code"] is None


# ---- made from a pattern --------------------------------------------------------------------


def test_a_pattern_makes_a_readable_code_for_each_advocate(api, api_site):
    campaign = build_program(api_site.site)
    with_pattern(campaign)

    codes = [
        join(api, api_site.slug, f"a{n}@example.com")["offer"]["coupon_code"] for n in range(3)
    ]

    assert all(PATTERN_CODE.match(code) for code in codes), codes
    assert len(set(codes)) == 3
    stored = AdvocateOffer.objects.values_list("coupon_code", flat=True)
    assert sorted(stored) == sorted(codes)


def test_a_made_code_that_collides_is_made_again(api, api_site, fixed_codes):
    # given a pattern whose second code repeats the first advocate's, and one a pool holds
    campaign = build_program(api_site.site)
    with_pattern(campaign)
    fixed_codes.extend(["REF-AAAAAA", "REF-AAAAAA", "FRIEND-1", "REF-BBBBBB"])

    # when two advocates join
    first = join(api, api_site.slug, "ada@example.com")["offer"]
    second = join(api, api_site.slug, "bob@example.com")["offer"]

    # then the second gets a code nobody holds: no offer's, no pool's
    assert first["coupon_code"] == "REF-AAAAAA"
    assert second["coupon_code"] == "REF-BBBBBB"
    assert fixed_codes == []


def test_a_made_code_is_sent_to_the_shop_to_create(api, api_site, receiver, fixed_codes):
    # given a site that creates coupons on create_coupon_web_hook, and an offer expiring in 30 d
    campaign = build_program(api_site.site, offer_expiry_days=30)
    with_pattern(campaign)
    subscribe(api_site.site, receiver.url, "create_coupon_web_hook")
    fixed_codes.append("REF-7KQ2MX")

    # when an advocate joins
    join(api, api_site.slug, "ada@example.com")

    # then the shop hears the code, whose it is, and the friend's discount, as the contract says
    (delivery,) = Delivery.objects.filter(hook_type="create_coupon_web_hook")
    payload: dict[str, Any] = delivery.payload
    assert payload["coupon_code"] == "REF-7KQ2MX"
    assert payload["email"] == "ada@example.com"
    assert payload["coupon_list_id"] is None
    assert (payload["discount_amount"], payload["percentage_discount"]) == ("10.00", False)
    assert payload["usage_limit"] is None
    assert payload["expires_at"] == "2026-08-06T18:00:00.000+00:00"
    (received,) = receiver.received
    contract.assert_valid(received.document, "create_coupon_web_hook")


def test_a_pool_code_is_not_sent_to_the_shop(api, api_site, receiver):
    # the shop already has a pool's codes: it imported them
    campaign = build_program(api_site.site)
    personal_pool(campaign, "ADV-1")
    subscribe(api_site.site, receiver.url, "create_coupon_web_hook")

    join(api, api_site.slug)

    assert not Delivery.objects.filter(hook_type="create_coupon_web_hook").exists()


# ---- the "advocate's personal coupon" tracking method ---------------------------------------


@pytest.mark.parametrize("source", ["pool", "pattern"])
def test_a_friends_purchase_with_the_personal_code_is_the_advocates_referral(api, api_site, source):
    # given an advocate with a personal code, and another advocate
    campaign = build_program(api_site.site)
    if source == "pool":
        personal_pool(campaign, "ADV-1", "ADV-2")
    else:
        with_pattern(campaign)
    code = join(api, api_site.slug, "ada@example.com")["offer"]["coupon_code"]
    join(api, api_site.slug, "bob@example.com")

    # when a friend who never clicked a link buys with the code
    buy(api, api_site.slug, "F-1", "friend@example.org", coupon_codes=code)

    # then the purchase is Ada's referral, tracked by coupon, and the API says so
    referral = referral_of("F-1")
    assert referral is not None
    assert referral.advocate.email == "ada@example.com"
    assert referral.track_method == "coupon"
    put = api.put(
        "/api/v2/origins/F-1/referral",
        {"site_slug": api_site.slug, "data": {"status": "approved"}},
    )
    assert put.status_code == 200, put.content
    body = put.json()["result"]["referral"]
    assert body["track_method"] == "coupon"
    assert body["advocate_person"]["email"] == "ada@example.com"
