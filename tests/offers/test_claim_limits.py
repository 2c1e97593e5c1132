"""Claim pages against anonymous draining of single-use coupon pools: a code at most once per
visitor, per address and claim link, and a few per address across the site within the window;
claim-page hits per address a minute. The friend is always sent on to the store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from goodword.campaigns.program import forget_program
from goodword.coupons.models import Coupon
from goodword.offers.models import Claim
from goodword.sites.models import CLAIM_CODES_PER_IP, SiteSettings
from tests.referrals.program import build_program, click, join, landing

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

POOL = tuple(f"POOL-{i:03d}" for i in range(100))
BOT_IP = "203.0.113.50"


def limits(site, **values: int) -> None:
    SiteSettings.objects.update_or_create(site=site, defaults=values)
    forget_program(site.pk)


def taken() -> int:
    return Coupon.objects.filter(claimed_at__isnull=False).count()


def test_sixty_cookieless_clicks_from_one_address_take_one_code(api, api_site):
    # given a pool of 100 single-use codes and an advocate's claim link
    build_program(api_site.site, pool_codes=POOL)
    url = join(api, api_site.slug)["offer"]["claim_url"]

    # when one address follows the link 60 times without ever keeping the cookie
    answers = [click(url, ip=BOT_IP)[1] for _ in range(60)]

    # then every request was sent on to the store, and only the first took a code
    coupons = [landing(answer).get("tkbl_coupon") for answer in answers]
    assert coupons[0] is not None and coupons[1:] == [None] * 59
    assert taken() == 1
    # and the clicks are still recorded, as visitors without a code
    assert Claim.objects.count() == 60
    assert Claim.objects.exclude(friend_coupon_code=None).count() == 1


def test_one_address_walking_many_links_takes_the_sites_allowance(api, api_site):
    # given a site allowing 3 codes per address a day, and 6 advocates' links
    build_program(api_site.site, pool_codes=POOL)
    limits(api_site.site, claim_codes_per_ip=3)
    urls = [
        join(api, api_site.slug, email=f"adv{n}@example.com")["offer"]["claim_url"]
        for n in range(6)
    ]

    # when one address follows each link twice, cookieless
    answers = [click(url, ip=BOT_IP)[1] for url in urls for _ in range(2)]

    # then 3 codes went out in all, every request still lands on the store
    assert taken() == 3
    assert sum("tkbl_coupon" in landing(a) for a in answers) == 3
    # and a friend at another address still gets theirs
    assert "tkbl_coupon" in landing(click(urls[-1], ip="198.51.100.99")[1])


def test_the_allowance_comes_back_when_the_window_has_passed(api, api_site, time_machine):
    # given an address that took its one code of a link
    build_program(api_site.site, pool_codes=POOL)
    limits(api_site.site, claim_code_window_seconds=3600)
    url = join(api, api_site.slug)["offer"]["claim_url"]
    click(url, ip=BOT_IP)
    assert "tkbl_coupon" not in landing(click(url, ip=BOT_IP)[1])

    # when the window has passed
    time_machine.shift(timedelta(hours=1))

    # then a new visitor at that address may take one again
    assert "tkbl_coupon" in landing(click(url, ip=BOT_IP)[1])
    assert taken() == 2


def test_a_visitor_keeps_their_own_code_on_every_click(api, api_site):
    # given a friend who took a code
    build_program(api_site.site, pool_codes=POOL)
    url = join(api, api_site.slug)["offer"]["claim_url"]
    browser, first = click(url, ip=BOT_IP)

    # when they click again, from the same browser, many times
    again = [landing(click(url, client=browser, ip=BOT_IP)[1]) for _ in range(5)]

    # then they see the same code each time and the pool gave only that one
    assert {tuple(a["tkbl_coupon"]) for a in again} == {tuple(landing(first)["tkbl_coupon"])}
    assert taken() == 1


def test_claim_page_hits_over_the_limit_are_sent_on_unrecorded(api, api_site):
    # given a site recording 10 claim-page hits per address a minute
    build_program(api_site.site, pool_codes=POOL)
    limits(api_site.site, claim_clicks_per_ip_per_minute=10)
    urls = [
        join(api, api_site.slug, email=f"adv{n}@example.com")["offer"]["claim_url"]
        for n in range(15)
    ]

    # when one address follows 15 links within the minute
    answers = [click(url, ip=BOT_IP)[1] for url in urls]

    # then all 15 land on the store with a visitor id, but only 10 clicks were recorded
    assert all("tkbl_cvuuid" in landing(a) for a in answers)
    assert Claim.objects.count() == 10
    assert taken() == min(10, CLAIM_CODES_PER_IP)
    # and another address is not affected
    click(urls[0], ip="198.51.100.99")
    assert Claim.objects.count() == 11


def test_a_gated_claim_over_the_limit_is_sent_on_unrecorded(api, api_site):
    # given an email-gated campaign and an address over its claim-page hits
    build_program(api_site.site, pool_codes=POOL, gate_email=True)
    limits(api_site.site, claim_clicks_per_ip_per_minute=2)
    url = join(api, api_site.slug)["offer"]["claim_url"]
    for n in range(2):
        click(url, ip=BOT_IP, method="post", data={"email": f"f{n}@example.com"})

    # when a third email is posted from that address
    _, response = click(url, ip=BOT_IP, method="post", data={"email": "f3@example.com"})

    # then the friend lands on the store and nothing more was recorded
    assert "tkbl_cvuuid" in landing(response)
    assert Claim.objects.count() == 2
    assert not Claim.objects.filter(gated_email="f3@example.com").exists()
