"""A referral program with reward incentives, built on tests/referrals/program.py: the campaign's
incentives rewritten per test, coupon pools, and the steps that make referrals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from goodword.campaigns.models import Campaign, Incentive
from goodword.campaigns.program import forget_program
from goodword.core.clock import now
from goodword.coupons.models import Coupon, CouponList
from goodword.referrals.models import Referral
from goodword.rewards.models import Reward
from goodword.sites.models import FraudSettings, Site
from tests.referrals.program import buy, friend_clicks, join, referral_of


def pool(site: Site, identifier: str, codes: tuple[str, ...] = ()) -> CouponList:
    """A single-use coupon list holding `codes`, in that id order."""
    coupon_list = CouponList.objects.create(site=site, identifier=identifier, created_at=now())
    for code in codes:
        Coupon.objects.create(site=site, coupon_list=coupon_list, code=code, created_at=now())
    return coupon_list


def static_list(site: Site, identifier: str, code: str) -> CouponList:
    return CouponList.objects.create(
        site=site, identifier=identifier, static_code=code, created_at=now()
    )


def set_incentive(
    campaign: Campaign,
    reason: str,
    *,
    incentive_type: str = "rebate",
    amount: str = "10",
    amount_type: str = "fixed",
    coupon_list: CouponList | None = None,
    criteria: dict[str, Any] | None = None,
    description: str = "",
) -> Incentive:
    """The campaign's one incentive for `reason`, replaced by these terms."""
    Incentive.objects.filter(campaign=campaign, reason=reason).delete()
    incentive = Incentive.objects.create(
        campaign=campaign,
        identifier=f"{reason}-incentive",
        reason=reason,
        incentive_type=incentive_type,
        amount=Decimal(amount),
        amount_type=amount_type,
        coupon_list=coupon_list,
        criteria=criteria or {},
        description=description,
    )
    forget_program(campaign.site_id)
    return incentive


def manual_approval(site: Site) -> None:
    """Nothing is approved by itself: tests that move the clock far approve by hand."""
    FraudSettings.objects.filter(site=site).update(approval_mode="manual")
    forget_program(site.id)


def drop_incentive(campaign: Campaign, reason: str) -> None:
    Incentive.objects.filter(campaign=campaign, reason=reason).delete()
    forget_program(campaign.site_id)


def advocate_with_friend(api: Any, slug: str, email: str = "advocate@example.com") -> str:
    """An advocate joins and a friend clicks the claim link: the friend's visitor uuid."""
    joined = join(api, slug, email=email)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    return uuid


def referred_purchase(
    api: Any, slug: str, order: str, email: str, uuid: str, **data: Any
) -> Referral:
    """A friend's purchase attributed by cookie; its referral."""
    buy(api, slug, order, email, uuid=uuid, **data)
    referral = referral_of(order)
    assert referral is not None, f"{order} was not referred"
    return referral


def reward_of(referral: Referral, reason: str = "referrer") -> Reward:
    return Reward.objects.get(referral=referral, reason=reason)


def rewards_of(referral: Referral) -> dict[str, tuple[str, str]]:
    """reason -> (status, status_reason) of a referral's rewards."""
    return {r.reason: (r.status, r.status_reason) for r in Reward.objects.filter(referral=referral)}
