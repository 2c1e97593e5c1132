"""How a reward and its coupon read to merchants, in the API and in webhooks alike: the
statuses as the wire names them, the amount as a person reads it, the incentive's description."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from goodword.campaigns.models import AmountType, IncentiveType
from goodword.coupons.models import Coupon
from goodword.rewards.models import Reward, RewardStatus

# Reward statuses as the wire shows them: a reward still awaiting approval is "Unpaid".
WIRE_STATUS: dict[str, str] = {
    RewardStatus.PENDING: "Unpaid",
    RewardStatus.PAID: "Paid",
    RewardStatus.VOIDED: "Voided",
    RewardStatus.BLOCKED: "Blocked",
    RewardStatus.WAITING: "Waiting for coupon",
}


def amount_text(amount: Decimal, amount_type: str, currency: str) -> str:
    """ "$10", "10%", "10.50 EUR": what a person reads."""
    if amount_type == AmountType.PERCENTAGE:
        return f"{amount.normalize():f}%"
    text = f"{amount:.2f}".removesuffix(".00")
    symbol = {"USD": "$", "CAD": "$", "AUD": "$", "GBP": "£", "EUR": "€"}.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def incentive_description(reward: Reward) -> str:
    amount = amount_text(reward.amount, reward.amount_type, reward.currency)
    if reward.incentive_type == IncentiveType.DISCOUNT_COUPON:
        if reward.coupon_code and reward.coupon_id is None:
            return f'shared coupon "{reward.coupon_code}" for {amount} off'
        return f"single use coupon for {amount} off"
    if reward.incentive_type == IncentiveType.REBATE:
        return f"{amount} back"
    return reward.description


def coupon_wire(
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
        "description": amount_text(amount, amount_type, currency),
        "expires_at": None,
        "id": coupon.pk if coupon is not None else None,
        "percentage_discount": amount_type == AmountType.PERCENTAGE,
        "single_use": single_use,
        "usages": coupon.usages if coupon is not None else None,
        "used": bool(coupon.usages) if coupon is not None else False,
        "valid_until": None,
    }


def reward_wire(reward: Reward) -> dict[str, Any]:
    """Select or prefetch `coupon` when serializing many."""
    coupon = None
    if reward.coupon_code:
        coupon = coupon_wire(
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
