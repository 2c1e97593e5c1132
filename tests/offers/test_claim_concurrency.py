"""Concurrent clicks by different friends never share a single-use code (PostgreSQL, real HTTP
against the live server, one thread per browser, released together by a barrier)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from goodword.coupons.models import Coupon
from goodword.offers.models import Claim
from goodword.offers.views import visitor_cookie
from tests.conftest import ApiClient, postgres_only
from tests.factories import SiteFactory, make_key
from tests.referrals.program import build_program, join

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

CODES = 20
FRIENDS = 30


def test_concurrent_clicks_never_hand_out_the_same_code(live_server, settings):
    # given a pool of 20 codes and an advocate's claim link
    site = SiteFactory()
    codes = tuple(f"POOL-{i:02d}" for i in range(CODES))
    build_program(site, pool_codes=codes)
    joined = join(ApiClient(make_key(site).raw_key), site.slug)
    url = live_server.url + urlsplit(joined["offer"]["claim_url"]).path
    barrier = threading.Barrier(FRIENDS)
    # each friend at their own address (a proxy in front says which)
    settings.TRUST_X_FORWARDED_FOR = True

    def follow(n: int) -> tuple[int, str | None]:
        # each friend is a fresh browser: no cookie, so a new visitor
        with requests.Session() as browser:
            barrier.wait(timeout=30)
            response = browser.get(
                url,
                allow_redirects=False,
                timeout=60,
                headers={"X-Forwarded-For": f"198.51.100.{n + 1}"},
            )
            query = parse_qs(urlsplit(response.headers.get("Location", "")).query)
            return response.status_code, query.get("tkbl_coupon", [None])[0]

    # when 30 friends click at the same moment
    with ThreadPoolExecutor(max_workers=FRIENDS) as pool:
        answers = list(pool.map(follow, range(FRIENDS)))

    # then everyone was redirected, the 20 codes went to 20 different friends, 10 got none
    assert [status for status, _ in answers] == [302] * FRIENDS
    handed = [code for _, code in answers if code is not None]
    assert sorted(handed) == sorted(codes)
    assert len(answers) - len(handed) == FRIENDS - CODES
    # and the database agrees: 30 claims, each code on exactly one, none left unclaimed
    stored = list(Claim.objects.values_list("friend_coupon_code", flat=True))
    assert len(stored) == FRIENDS
    assert sorted(c for c in stored if c) == sorted(codes)
    assert not Coupon.objects.filter(site=site, claimed_at__isnull=True).exists()


SAME_BROWSER_CLICKS = 12


def test_concurrent_clicks_from_one_browser_make_one_claim(live_server):
    # given a known visitor (the merchant registered it through POST /visitors) whose browser
    # carries its cookie
    site = SiteFactory()
    api = ApiClient(make_key(site).raw_key)
    build_program(site, pool_codes=tuple(f"ONE-{i}" for i in range(SAME_BROWSER_CLICKS)))
    joined = join(api, site.slug)
    url = live_server.url + urlsplit(joined["offer"]["claim_url"]).path
    visitor = "9b2f7c1e-5d4a-4e3b-8c2d-1f0e9d8c7b6a"
    registered = api.post("/api/v2/visitors", {"site_slug": site.slug, "data": {"uuid": visitor}})
    assert registered.status_code == 200
    barrier = threading.Barrier(SAME_BROWSER_CLICKS)

    def follow(_: int) -> tuple[int, list[str] | None, list[str] | None]:
        with requests.Session() as browser:
            browser.cookies.set(visitor_cookie(site.id), visitor)
            barrier.wait(timeout=30)
            response = browser.get(url, allow_redirects=False, timeout=60)
            query = parse_qs(urlsplit(response.headers.get("Location", "")).query)
            return response.status_code, query.get("tkbl_cvuuid"), query.get("tkbl_coupon")

    # when the friend double-clicks (or the link is prefetched) several times at once
    with ThreadPoolExecutor(max_workers=SAME_BROWSER_CLICKS) as pool:
        answers = list(pool.map(follow, range(SAME_BROWSER_CLICKS)))

    # then every click lands on the shop as the same visitor with the same single coupon
    assert [status for status, _, _ in answers] == [302] * SAME_BROWSER_CLICKS, answers
    assert {tuple(uuid or ()) for _, uuid, _ in answers} == {(visitor,)}
    coupons = {tuple(coupon or ()) for _, _, coupon in answers}
    assert len(coupons) == 1 and () not in coupons
    # and there is one claim, holding the one code that went out
    claim = Claim.objects.get()
    assert (claim.friend_coupon_code,) == next(iter(coupons))
    assert Coupon.objects.filter(site=site, claimed_at__isnull=False).count() == 1
