"""Sample payloads for `goodword webhooks sample`: built by the real builders from unsaved
example objects, so a sample has exactly the shape a real webhook of the type has."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from goodword.campaigns.models import Campaign
from goodword.coupons.models import CouponList
from goodword.offers.models import AdvocateOffer, Claim, Share
from goodword.origins.models import Origin
from goodword.people.models import Person
from goodword.referrals.models import Referral
from goodword.webhooks import payloads

AT = datetime(2026, 7, 7, 18, 6, 14, tzinfo=UTC)


def _origin(**fields: Any) -> Origin:
    """An example origin in dollars, made at the samples' moment."""
    return Origin(currency="USD", occurred_at=AT, created_at=AT, **fields)


def sample_payload(hook_type: str) -> dict[str, Any]:
    advocate = Person(
        id=1,
        email="advocate@example.com",
        first_name="Ada",
        last_name="Lovelace",
        customer_id="1024",
        phone_number="+12025551111",
        custom_properties={"plan": "gold"},
    )
    friend = Person(id=2, email="friend@example.com", first_name="Fred")
    campaign = Campaign(
        id=123,
        slug="invite",
        name="Invite",
        tags=["default"],
        joinable_category_names=["affiliate_member"],
    )
    joined = _origin(id=1233, type="AffiliateMember", email=advocate.email, ip_address="192.0.2.10")
    purchase = _origin(
        id=1234,
        type="Purchase",
        email=friend.email,
        order_number="11111",
        subtotal=Decimal("100.00"),
        coupon_codes=["FRIEND-10"],
        ip_address="192.0.2.255",
    )
    event = _origin(
        id=1235,
        type="Event",
        email=advocate.email,
        event_category="app_installed",
        event_number="subscription_12345",
        subtotal=Decimal("10.00"),
    )
    event.person = advocate
    offer = AdvocateOffer(
        id=10,
        campaign=campaign,
        advocate=advocate,
        origin=joined,
        short_url_code="1a2PV",
        advocate_ip="192.0.2.10",
        created_at=AT,
    )
    reward = {
        "id": 77,
        "reason": "referrer",
        "status": "Paid",
        "incentive_type": "rebate",
        "incentive_identifier": "advocate-rebate",
        "incentive_description": "$10 back",
        "incentive_custom_description": None,
        "amount": Decimal("10.00"),
        "coupon_code": None,
        "coupon": None,
    }
    if hook_type == "referral_web_hook":
        referral = Referral(
            id=5, campaign=campaign, offer=offer, advocate=advocate, friend=friend, origin=purchase
        )
        entry = payloads.referral_reward_payload(reward, person=advocate, origin=purchase)
        return payloads.referral_payload(referral, advocate_rewards=[entry])
    if hook_type == "reward_web_hook":
        return payloads.reward_payload(
            reward,
            person=advocate,
            offer=offer,
            campaign=campaign,
            origin=joined,
            advocate_origin=joined,
            friend_origin=purchase,
        )
    if hook_type == "post_share_web_hook":
        share = Share(id=3, offer=offer, channel="facebook", created_at=AT)
        return payloads.post_share_payload(
            share, campaign=campaign, share_link="https://refer.example.com/x/AbC12"
        )
    if hook_type == "event_web_hook":
        return payloads.event_payload(event)
    if hook_type == "offer_signup_web_hook":
        return payloads.offer_signup_payload(offer, campaign=campaign)
    if hook_type == "claim_signup_web_hook":
        claim = Claim(
            id=4,
            offer=offer,
            gated_email=friend.email,
            ip_address="192.0.2.255",
            created_at=AT,
            clicked_at=AT,
        )
        return payloads.claim_signup_payload(claim, campaign=campaign)
    if hook_type == "unsubscribe_web_hook":
        return payloads.unsubscribe_payload(advocate)
    if hook_type == "check_unsubscribe_web_hook":
        return payloads.check_unsubscribe_payload(
            campaign=campaign, recipient=advocate, email_type="notifier_offers_email"
        )
    if hook_type == "create_coupon_web_hook":
        # An advocate's personal coupon made from the campaign's pattern.
        return payloads.create_coupon_payload(
            None,
            coupon_code="REF-7KQ2MX",
            person=advocate,
            discount_amount=Decimal("10.0"),
            usage_limit=None,
        )
    if hook_type == "coupon_list_low_web_hook":
        coupon_list = CouponList(id=8, identifier="friend-pool", name="Friend coupons")
        return payloads.coupon_list_low_payload(
            coupon_list, codes_left=19, low_water=20, discount_amount=Decimal("10.0")
        )
    raise ValueError(f"unknown webhook type {hook_type!r}")
