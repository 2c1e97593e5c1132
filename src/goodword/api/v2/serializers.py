"""Talkable-shaped JSON for people, referrals, rewards and coupons."""

from __future__ import annotations

from typing import Any

from goodword.api.v2.envelope import format_time
from goodword.people.models import Person
from goodword.referrals.models import Referral
from goodword.rewards.models import RewardStatus
from goodword.rewards.wire import coupon_wire, reward_wire


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


# The API shows a reward and a coupon exactly as the domain describes them to merchants.
reward_json = reward_wire
coupon_json = coupon_wire
