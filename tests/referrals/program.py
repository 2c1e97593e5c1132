"""A small referral program built directly in the database, and the HTTP steps of a referral
(advocate joins, friend clicks, friend buys), for flow tests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.test import Client

from goodword.campaigns.models import Campaign, Incentive
from goodword.campaigns.program import forget_program
from goodword.core.clock import now
from goodword.coupons.models import Coupon, CouponList
from goodword.referrals.models import Referral
from goodword.sites.models import FraudSettings, Site, SiteSettings

BASE_URL = "https://refer.example.com"
DESTINATION = "https://shop.example.com/landing?src=ref"
JOIN_URL = "/api/v2/origins/affiliate_member"
PURCHASE_URL = "/api/v2/origins/purchase"
EVENT_URL = "/api/v2/origins/event"
FRIEND_IP = "198.51.100.7"
FRIEND_AGENT = "FriendBrowser/1.0"


def build_program(
    site: Site,
    *,
    gate_email: bool = False,
    policy_actions: dict[str, str] | None = None,
    pool_codes: tuple[str, ...] = ("FRIEND-1", "FRIEND-2", "FRIEND-3"),
    sticky: bool = False,
    offer_expiry_days: int | None = None,
    blocklist: tuple[str, ...] = (),
    static_code: str | None = None,
    void_on_refund: bool = True,
    destination_url: str = DESTINATION,
    status: str = "Live",
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> Campaign:
    """A live invite campaign that makes affiliate members advocates. Friends get a code from
    `pool_codes` on their click (or the one `static_code` when given)."""
    stamp = now()
    SiteSettings.objects.update_or_create(
        site=site,
        defaults={
            "base_url": BASE_URL,
            "sticky_advocate": sticky,
            "void_on_refund": void_on_refund,
        },
    )
    FraudSettings.objects.update_or_create(
        site=site, defaults={"policy_actions": policy_actions or {}}
    )
    for value in blocklist:
        site.blocklist.create(value=value)
    campaign = Campaign.objects.create(
        site=site,
        slug="invite",
        name="Invite a friend",
        tags=["invite"],
        status=status,
        starts_at=starts_at,
        ends_at=ends_at,
        joinable_category_names=["affiliate_member"],
        destination_url=destination_url,
        offer_expiry_days=offer_expiry_days,
        gate_email=gate_email,
        created_at=stamp,
        updated_at=stamp,
    )
    pool = CouponList.objects.create(
        site=site, identifier="friend-pool", static_code=static_code, created_at=stamp
    )
    if static_code is None:
        for code in pool_codes:
            Coupon.objects.create(site=site, coupon_list=pool, code=code, created_at=stamp)
    Incentive.objects.create(
        campaign=campaign,
        identifier="friend-click",
        reason="click",
        incentive_type="discount_coupon",
        amount=Decimal("10"),
        coupon_list=pool,
        description="$10 off",
    )
    Incentive.objects.create(
        campaign=campaign,
        identifier="advocate-rebate",
        reason="referrer",
        incentive_type="rebate",
        amount=Decimal("10"),
        description="$10 back",
    )
    forget_program(site.id)
    return campaign


def set_fraud_actions(site: Site, policy_actions: dict[str, str]) -> None:
    FraudSettings.objects.update_or_create(site=site, defaults={"policy_actions": policy_actions})
    forget_program(site.id)


# ---- the HTTP steps -------------------------------------------------------------------------


def join(
    api: Any, site_slug: str, email: str = "advocate@example.com", channels=None, **data: Any
) -> dict[str, Any]:
    """The advocate joins (POST /origins/affiliate_member); the API result."""
    body = {"email": email, "first_name": "Ada", **data}
    if channels:
        body["sharing_channels"] = channels
    response = api.post(JOIN_URL, {"site_slug": site_slug, "data": body})
    assert response.status_code == 201, response.content
    result = response.json()["result"]
    assert result["offer"] is not None, result
    return result


def click(
    url: str,
    *,
    client: Client | None = None,
    ip: str = FRIEND_IP,
    agent: str = FRIEND_AGENT,
    method: str = "get",
    data: dict[str, Any] | None = None,
) -> tuple[Client, Any]:
    """A browser following a public /x/ link (only its path matters to the test server)."""
    client = client or Client()
    path = urlsplit(url).path
    send = client.post if method == "post" else client.get
    response = send(path, data or {}, REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)
    return client, response


def landing(response: Any) -> dict[str, list[str]]:
    """The query of the merchant page a claim redirected to."""
    assert response.status_code == 302, response.status_code
    return parse_qs(urlsplit(response["Location"]).query, keep_blank_values=True)


def visitor_of(response: Any) -> str:
    return landing(response)["tkbl_cvuuid"][0]


def friend_clicks(url: str, **kwargs: Any) -> tuple[Client, str]:
    """A friend's click on a claim link: their browser and their visitor uuid."""
    client, response = click(url, **kwargs)
    return client, visitor_of(response)


def buy(api: Any, site_slug: str, order: str, email: str, **data: Any) -> dict[str, Any]:
    """The merchant reports a purchase (POST /origins/purchase); the API result."""
    body = {
        "site_slug": site_slug,
        "data": {"email": email, "order_number": order, "subtotal": 80, **data},
    }
    response = api.post(PURCHASE_URL, body)
    assert response.status_code == 201, response.content
    return response.json()["result"]


def referral_of(order: str) -> Referral | None:
    return Referral.objects.filter(origin__order_number=order).first()


def put_status(api: Any, site_slug: str, origin_slug: str, status: Any) -> Any:
    return api.put(
        f"/api/v2/origins/{origin_slug}/referral",
        {"site_slug": site_slug, "data": {"status": status}},
    )
