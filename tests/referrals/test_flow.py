"""End-to-end referral flows over HTTP: advocate joins, friend clicks, friend buys."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from goodword.referrals.models import Referral, ReferralEvent
from tests.referrals.program import build_program

pytestmark = pytest.mark.django_db


def join(api, site, email="advocate@example.com", channels=None, **extra):
    data = {"email": email, "first_name": "Ada", **extra}
    if channels:
        data["sharing_channels"] = channels
    response = api.post("/api/v2/origins/affiliate_member", {"site_slug": site.slug, "data": data})
    assert response.status_code == 201, response.content
    return response.json()["result"]


def click(claim_url, *, ip="198.51.100.7", agent="FriendBrowser/1.0", client=None):
    client = client or Client()
    path = urlsplit(claim_url).path
    response = client.get(path, REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)
    return client, response


def buy(api, site, order, email, **data):
    body = {
        "site_slug": site.slug,
        "data": {"email": email, "order_number": order, "subtotal": 80, **data},
    }
    response = api.post("/api/v2/origins/purchase", body)
    assert response.status_code == 201, response.content
    return response.json()["result"]


def test_advocate_offer_then_cookie_referral(api, api_site):
    # given a live invite campaign and an advocate who joined
    build_program(api_site.site)
    joined = join(api, api_site, channels=["facebook", "custom"])
    offer = joined["offer"]
    assert offer["email"] == "advocate@example.com"
    assert offer["campaign_tags"] == ["invite"]
    assert offer["claim_url"].startswith("https://refer.example.com/x/")
    assert set(joined["claim_links"]) == {"facebook", "custom"}

    # when a friend follows the claim link
    _, response = click(joined["claim_links"]["facebook"])
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    query = parse_qs(target.query)
    assert target.netloc == "shop.example.com"
    assert query["src"] == ["ref"]
    uuid = query["tkbl_cvuuid"][0]
    assert query["tkbl_coupon"] == ["FRIEND-1"]

    # and buys with the uuid
    buy(api, api_site, "F-1", "friend@example.org", uuid=uuid)

    # then a pending referral tracked by cookie exists, with its event row
    referral = Referral.objects.get(origin__order_number="F-1")
    assert referral.track_method == "cookie"
    assert referral.status == "pending"
    assert referral.fraud_policies_status["blocked"] == []
    events = list(ReferralEvent.objects.filter(referral=referral))
    assert [(e.from_status, e.to_status, e.actor) for e in events] == [
        ("in_progress", "pending", "engine")
    ]


def test_coupon_referral_and_status_api(api, api_site):
    build_program(api_site.site)
    joined = join(api, api_site)
    _, response = click(joined["offer"]["claim_url"])
    coupon = parse_qs(urlsplit(response["Location"]).query)["tkbl_coupon"][0]

    buy(api, api_site, "F-2", "buyer@example.net", coupon_codes=coupon, ip_address="203.0.113.9")

    referral = Referral.objects.get(origin__order_number="F-2")
    assert referral.track_method == "coupon"
    put = api.put(
        "/api/v2/origins/F-2/referral", {"site_slug": api_site.slug, "data": {"status": "approved"}}
    )
    assert put.status_code == 200, put.content
    body = put.json()["result"]["referral"]
    assert body["status"] == "approved"
    assert body["track_method"] == "coupon"
    assert body["advocate_person"]["email"] == "advocate@example.com"
    again = api.put(
        "/api/v2/origins/F-2/referral", {"site_slug": api_site.slug, "data": {"status": "voided"}}
    )
    assert again.status_code == 400
    assert Referral.objects.get(pk=referral.pk).status == "approved"


def test_self_referral_is_blocked(api, api_site):
    build_program(api_site.site)
    joined = join(api, api_site)
    _, response = click(joined["offer"]["claim_url"])
    uuid = parse_qs(urlsplit(response["Location"]).query)["tkbl_cvuuid"][0]
    buy(api, api_site, "F-3", "advocate@example.com", uuid=uuid)
    referral = Referral.objects.get(origin__order_number="F-3")
    assert referral.status == "blocked"
    assert (
        "Matching Email or Cookie on Friend Purchase" in referral.fraud_policies_status["blocked"]
    )
    assert referral.fraud_details == "Self Referral"


def test_refund_voids_pending_referral(api, api_site):
    build_program(api_site.site)
    joined = join(api, api_site)
    _, response = click(joined["offer"]["claim_url"])
    uuid = parse_qs(urlsplit(response["Location"]).query)["tkbl_cvuuid"][0]
    buy(api, api_site, "F-4", "f4@example.org", uuid=uuid)
    refund = api.post("/api/v2/origins/F-4/refund", {"site_slug": api_site.slug})
    assert refund.status_code == 200, refund.content
    assert refund.json()["result"]["origin"]["refunded_at"] is not None
    assert Referral.objects.get(origin__order_number="F-4").status == "voided"
    again = api.post("/api/v2/origins/F-4/refund", {"site_slug": api_site.slug})
    assert again.json() == {"ok": False, "error_message": "Origin has already been refunded"}
