"""Talkable-shaped JSON for people, referrals, rewards and coupons."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from goodword.api.v2.envelope import format_time
from goodword.campaigns.models import AmountType, IncentiveType
from goodword.coupons.models import Coupon
from goodword.people.models import Person
from goodword.referrals.models import Referral
from goodword.rewards.models import Reward, RewardStatus

# Reward statuses as the wire shows them: a reward still awaiting approval is "Unpaid".
WIRE_STATUS: dict[str, str] = {
    RewardStatus.PENDING: "Unpaid",
    RewardStatus.PAID: "Paid",
    RewardStatus.VOIDED: "Voided",
    RewardStatus.BLOCKED: "Blocked",
    RewardStatus.WAITING: "Waiting for coupon",
}


def person_brief(person: Person) -> dict[str, Any]:
    return {
        "email": person.email,
        "first_name": person.first_name,
        "id": person.pk,
        "last_name": person.last_name,
        "phone_number": person.phone_number,
    }


def referral_json(referral: Referral) -> dict[str, Any]:
    """Prefetch `rewards__coupon` when serializing many."""
    status = referral.fraud_policies_status or {}
    rewards = sorted(referral.rewards.all(), key=lambda r: r.pk)
    advocate_rewards = [r for r in rewards if r.reason == "referrer"]
    return {
        "ad_rewarded": any(r.status == RewardStatus.PAID for r in advocate_rewards),
        "advocate_person": person_brief(referral.advocate),
        "advocate_rewards": [reward_json(r) for r in advocate_rewards],
        "campaign_id": referral.campaign_id,
        "created_at": format_time(referral.created_at),
        "fraud_details": referral.fraud_details,
        "fraud_policies_status": {
            "blocked": list(status.get("blocked", [])),
            "flagged": list(status.get("flagged", [])),
            "passed": list(status.get("passed", [])),
            "skipped": list(status.get("skipped", [])),
        },
        "friend_person": person_brief(referral.friend),
        "friend_rewards": [reward_json(r) for r in rewards if r.reason == "referred"],
        "id": referral.pk,
        "offer_id": referral.offer_id,
        "qa_generated": referral.qa_generated,
        "referred_origin_id": referral.origin_id,
        "referred_subtotal": referral.subtotal,
        "status": referral.status,
        "track_method": referral.track_method,
        "updated_at": format_time(referral.updated_at),
    }


def _amount_text(amount: Decimal, amount_type: str, currency: str) -> str:
    """ "$10", "10%", "10.50 EUR": what a person reads."""
    if amount_type == AmountType.PERCENTAGE:
        return f"{amount.normalize():f}%"
    text = f"{amount:.2f}".removesuffix(".00")
    symbol = {"USD": "$", "CAD": "$", "AUD": "$", "GBP": "£", "EUR": "€"}.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def incentive_description(reward: Reward) -> str:
    amount = _amount_text(reward.amount, reward.amount_type, reward.currency)
    if reward.incentive_type == IncentiveType.DISCOUNT_COUPON:
        if reward.coupon_code and reward.coupon_id is None:
            return f'shared coupon "{reward.coupon_code}" for {amount} off'
        return f"single use coupon for {amount} off"
    if reward.incentive_type == IncentiveType.REBATE:
        return f"{amount} back"
    return reward.description


def coupon_json(
    *,
    code: str,
    coupon: Coupon | None,
    amount: Decimal,
    amount_type: str,
    currency: str,
) -> dict[str, Any]:
    """A pool code (`coupon`) or a list's static code (`coupon` None: no row, no id, usage not
    counted)."""
    single_use = coupon is not None
    return {
        "active": True,
        "amount": amount,
        "code": code,
        "description": _amount_text(amount, amount_type, currency),
        "expires_at": None,
        "id": coupon.pk if coupon is not None else None,
        "percentage_discount": amount_type == AmountType.PERCENTAGE,
        "single_use": single_use,
        "usages": coupon.usages if coupon is not None else None,
        "used": bool(coupon.usages) if coupon is not None else False,
        "valid_until": None,
    }


def reward_json(reward: Reward) -> dict[str, Any]:
    """Select or prefetch `coupon` when serializing many."""
    coupon = None
    if reward.coupon_code:
        coupon = coupon_json(
            code=reward.coupon_code,
            coupon=reward.coupon,
            amount=reward.amount,
            amount_type=reward.amount_type,
            currency=reward.currency,
        )
    return {
        "amount": reward.amount,
        "coupon": coupon,
        "coupon_code": reward.coupon_code,
        "id": reward.pk,
        "incentive_custom_description": reward.description or None,
        "incentive_description": incentive_description(reward),
        "incentive_type": reward.incentive_type,
        "reason": reward.reason,
        "status": WIRE_STATUS.get(reward.status, reward.status),
    }
