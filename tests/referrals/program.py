"""A small referral program built directly in the database, for flow tests."""

from __future__ import annotations

from decimal import Decimal

from goodword.campaigns.models import Campaign, Coupon, CouponList, Incentive
from goodword.core.clock import now
from goodword.sites.models import FraudSettings, Site, SiteSettings
from goodword.sites.program import forget_program


def build_program(
    site: Site,
    *,
    gate_email: bool = False,
    policy_actions: dict[str, str] | None = None,
    pool_codes: tuple[str, ...] = ("FRIEND-1", "FRIEND-2", "FRIEND-3"),
    sticky: bool = False,
    offer_expiry_days: int | None = None,
    blocklist: tuple[str, ...] = (),
) -> Campaign:
    stamp = now()
    SiteSettings.objects.update_or_create(
        site=site,
        defaults={"base_url": "https://refer.example.com", "sticky_advocate": sticky},
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
        status="Live",
        joinable_category_names=["affiliate_member"],
        destination_url="https://shop.example.com/landing?src=ref",
        offer_expiry_days=offer_expiry_days,
        gate_email=gate_email,
        created_at=stamp,
        updated_at=stamp,
    )
    pool = CouponList.objects.create(site=site, identifier="friend-pool", created_at=stamp)
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
