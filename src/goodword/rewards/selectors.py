"""Reward reads for the Rewards API, and the Coupons API's read of a code with who holds it."""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import QuerySet

from goodword.campaigns.models import Incentive
from goodword.core.errors import ValidationFailed
from goodword.coupons.models import Coupon, CouponList
from goodword.coupons.selectors import coupon_code_find
from goodword.offers.models import AdvocateOffer, Claim
from goodword.people.models import Person
from goodword.rewards.models import Reward, RewardStatus

MAX_REWARDS = 1000

# The Rewards API's `status` filter: Unpaid is what is still owed (awaiting approval, or a code).
STATUS_FILTERS: dict[str, tuple[str, ...] | None] = {
    "Paid": (RewardStatus.PAID,),
    "Unpaid": (RewardStatus.PENDING, RewardStatus.WAITING),
    "Voided": (RewardStatus.VOIDED,),
    "All": None,
}


def _filtered(rewards: QuerySet[Reward], status: str | None) -> QuerySet[Reward]:
    wanted = STATUS_FILTERS.get(status or "All", ())
    if wanted == ():
        raise ValidationFailed(
            "status_invalid", '`status` must be within ["Paid", "Unpaid", "Voided", "All"]'
        )
    if wanted is not None:
        rewards = rewards.filter(status__in=wanted)
    return rewards.select_related("coupon").order_by("id")


def rewards_for_visitor(
    *, site_id: int, visitor_uuid: str | None, status: str | None
) -> list[Reward]:
    if not visitor_uuid:
        raise ValidationFailed("visitor_uuid_required", "`visitor_uuid` is required")
    try:
        uuid = uuidlib.UUID(visitor_uuid)
    except ValueError:
        raise ValidationFailed("visitor_uuid_invalid", "`visitor_uuid` is invalid") from None
    rewards = Reward.objects.filter(site_id=site_id, visitor_uuid=uuid)
    return list(_filtered(rewards, status)[:MAX_REWARDS])


def rewards_for_person(*, person: Person, status: str | None = None) -> list[Reward]:
    rewards = Reward.objects.filter(site_id=person.site_id, person=person)
    return list(_filtered(rewards, status)[:MAX_REWARDS])


def reward_count_for_person(*, site_id: int, person_id: int) -> int:
    return Reward.objects.filter(site_id=site_id, person_id=person_id).count()


@dataclass(frozen=True)
class CouponFound:
    code: str
    coupon: Coupon | None  # None: a list's static code
    coupon_list: CouponList
    amount: Decimal
    amount_type: str
    currency: str
    reward: Reward | None  # the reward that holds this single-use code
    owner_id: int | None  # the person it was issued to, when known
    offer_expires_at: datetime | None  # the offer a friend's code came from


def coupon_find(*, site_id: int, currency: str, code: str) -> CouponFound:
    """The code (coupons' `coupon_code_find`) with the reward or offer that holds it."""
    found = coupon_code_find(site_id=site_id, code=code)
    code, coupon, coupon_list = found.code, found.coupon, found.coupon_list
    reward = None
    if coupon is not None:
        reward = Reward.objects.filter(coupon=coupon).select_related("coupon").first()
    owner_id: int | None = reward.person_id if reward is not None else None
    offer_expires_at = None
    if coupon is not None and reward is None:
        offer = AdvocateOffer.objects.filter(site_id=site_id, coupon_code=code).first()
        if offer is not None:
            owner_id = offer.advocate_id
        claim = (
            Claim.objects.select_related("offer")
            .filter(site_id=site_id, friend_coupon_code=code)
            .first()
        )
        if claim is not None:
            offer_expires_at = claim.offer.expires_at
            if claim.gated_email:
                owner_id = (
                    Person.objects.filter(site_id=site_id, email=claim.gated_email.lower())
                    .values_list("id", flat=True)
                    .first()
                )
    if reward is not None:
        amount, amount_type, currency = reward.amount, reward.amount_type, reward.currency
    else:
        incentive = Incentive.objects.filter(coupon_list=coupon_list).order_by("id").first()
        amount = incentive.amount if incentive is not None else Decimal("0.00")
        amount_type = incentive.amount_type if incentive is not None else "fixed"
        currency = (incentive.currency if incentive is not None else None) or currency
    return CouponFound(
        code=code,
        coupon=coupon,
        coupon_list=coupon_list,
        amount=amount,
        amount_type=amount_type,
        currency=currency,
        reward=reward,
        owner_id=owner_id,
        offer_expires_at=offer_expires_at,
    )
