"""Talkable-shaped JSON for every API resource: origins, offers, shares, people, referrals,
rewards and coupons. Serializers read what they are given; the views fetch it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from goodword.api.v2.envelope import format_time
from goodword.campaigns.models import AmountType, Coupon, IncentiveType
from goodword.offers.models import Share
from goodword.offers.services import OfferView, link_url
from goodword.origins.models import Origin, OriginType
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


def origin_json(origin: Origin) -> dict[str, Any]:
    """The origin object exactly as the contract shows it for each type."""
    body: dict[str, Any] = {}
    if origin.type != OriginType.AFFILIATE_MEMBER:
        body["subtotal"] = origin.subtotal
    body["customer_id"] = origin.customer_id
    body["email"] = origin.email
    if origin.type == OriginType.EVENT:
        body["event_number"] = origin.event_number
    body["id"] = origin.pk
    body["ip_address"] = origin.ip_address
    if origin.type == OriginType.PURCHASE:
        body["order_number"] = origin.order_number
    if origin.type != OriginType.AFFILIATE_MEMBER:
        body["refunded_at"] = format_time(origin.refunded_at)
    body["type"] = origin.type
    for name in (
        "segment1",
        "segment2",
        "segment3",
        "utm_campaign",
        "utm_content",
        "utm_medium",
        "utm_source",
        "utm_term",
    ):
        body[name] = getattr(origin, name)
    if origin.type == OriginType.PURCHASE:
        body["order_date"] = format_time(origin.occurred_at)
    if origin.type == OriginType.EVENT:
        body["event_category"] = origin.event_category
    if origin.type != OriginType.AFFILIATE_MEMBER:
        body["coupon_code"] = origin.coupon_code
        body["partially_refunded"] = origin.partially_refunded
        body["refund_subtotal"] = origin.refund_subtotal
    return body


def offer_json(view: OfferView) -> dict[str, Any]:
    offer, campaign = view.offer, view.campaign
    incentives = {
        i.identifier: {
            "identifier": i.identifier,
            "action_type": i.reason,
            "incentive_type": i.incentive_type,
            "amount": i.amount,
            "percentage": i.amount_type == "percentage",
            "description": i.description or None,
            "for_advocate": i.reason in ("referrer", "shared", "signup"),
            "for_friend": i.reason in ("referred", "click"),
        }
        for i in campaign.incentives
    }
    return {
        "claim_url": link_url(view.program, view.claim_code),
        "email": offer.advocate.email,
        "id": offer.pk,
        "short_url_code": offer.short_url_code,
        "show_url": link_url(view.program, view.show_code),
        "coupon_code": offer.coupon_code,
        "incentives": incentives,
        "trigger_widget": False,
        "campaign_tags": list(campaign.tags),
    }


def share_json(share: Share, view: OfferView, *, clicks: int, friends: int) -> dict[str, Any]:
    """A social share of the offer in `view`; `clicks` on its link, `friends` the offer's
    referrals."""
    campaign = view.campaign
    return {
        "campaign": {
            "appearance": "inline",
            "id": campaign.id,
            "is_active": campaign.status == "Live",
            "joinable_category_names": list(campaign.joinable),
            "live_period": {
                "ends_at": format_time(campaign.ends_at),
                "starts_at": format_time(campaign.starts_at),
            },
            "name": campaign.name,
            "origin_max_age": None,
            "origin_min_age": None,
            "slug": campaign.slug,
            "status": campaign.status,
            "tag_names": list(campaign.tags),
        },
        "channel_identifier": share.channel,
        "friend_clicks_count": clicks,
        "friends_count": friends,
        "id": share.pk,
        "offer": offer_json(view),
        "shared_at": format_time(share.created_at),
        "short_url": view.claim_links[share.channel],
        "type": "SocialOfferShare",
    }


def person_json(
    person: Person,
    *,
    referral_counts: dict[str, int],
    invited_by: Person | None,
    events_count: int,
    rewards_count: int,
    shares_count: int,
    claim_url: str | None,
) -> dict[str, Any]:
    """A person with what they did: `invited_by` is the advocate of their latest referral as a
    friend, `claim_url` their personal claim link (of their first offer)."""
    return {
        "custom_properties": person.custom_properties or {},
        "customer_id": person.customer_id,
        "email": person.email,
        "events_count": events_count,
        "first_name": person.first_name,
        "gender": None,
        "last_invited_by": invited_by.email if invited_by else None,
        "last_name": person.last_name,
        "opted_in_at": None,
        "personal_claim_url": claim_url,
        "phone_number": person.phone_number,
        "phone_opted_in_at": None,
        "referral_counts": referral_counts,
        "referred_by": invited_by.email if invited_by else None,
        "reward_counts": {"total": rewards_count},
        "share_counts": {"total": shares_count},
        "sub_choice": False,
        "subscribed_at": None,
        "unsubscribed_at": person.unsubscribed_at,
        "username": person.username,
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
