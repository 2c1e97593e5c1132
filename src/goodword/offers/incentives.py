"""An offer's incentives as Talkable shows them (`offer.incentives`): keyed by Talkable's action
name, one entry per action. Pure: it reads the campaign snapshot and nothing else, so every
response that embeds an offer (offers, shares, origins, people's shares) shows the same shape.

Talkable names the actions after what the person did; Goodword names reasons after why a reward
is given. They are the same words except `shared`, which Talkable calls `sharing`
(docs/offers.md has the table). A campaign may hold more than one incentive for an action;
the offer shows the one with the highest amount (the first of equals), which is what
Talkable's `highest_amount: true` says.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from goodword.campaigns.program import CampaignInfo, IncentiveInfo

# Goodword's reward reason -> Talkable's action type, in the order the offer lists them.
ACTION_TYPES = {
    "referrer": "referrer",
    "referred": "referred",
    "shared": "sharing",
    "click": "click",
    "signup": "signup",
}
ADVOCATE_REASONS = frozenset({"referrer", "shared", "signup"})
FRIEND_REASONS = frozenset({"referred", "click"})


def offer_incentives(campaign: CampaignInfo) -> dict[str, dict[str, Any]]:
    """`offer.incentives` of an offer of `campaign`."""
    best: dict[str, IncentiveInfo] = {}
    for incentive in campaign.incentives:
        current = best.get(incentive.reason)
        if current is None or incentive.amount > current.amount:
            best[incentive.reason] = incentive
    return {
        ACTION_TYPES[reason]: incentive_json(best[reason])
        for reason in ACTION_TYPES
        if reason in best
    }


def incentive_json(incentive: IncentiveInfo) -> dict[str, Any]:
    """One entry of `offer.incentives`, with the contract's keys in its order."""
    return {
        "action_type": ACTION_TYPES.get(incentive.reason, incentive.reason),
        "amount": _number(incentive.amount),
        "description": incentive.description or None,
        "percentage": incentive.amount_type == "percentage",
        "criteria_config": criteria_config(incentive),
        "for_advocate": incentive.reason in ADVOCATE_REASONS,
        "for_friend": incentive.reason in FRIEND_REASONS,
        "highest_amount": True,
        "identifier": incentive.identifier,
        "incentive_type": incentive.incentive_type,
        # Goodword's coupons do not expire (a merchant's shop may expire them itself).
        "coupon_expires_at": None,
    }


def criteria_config(incentive: IncentiveInfo) -> dict[str, Any]:
    """The incentive's criteria under Talkable's names: the referral form for referral
    rewards (and clicks and signups), the sharing form for sharing rewards. Criteria Talkable
    has and Goodword does not (opt-in, divisibility, Liquid) read as their "off" value."""
    criteria = incentive.criteria
    if incentive.reason == "shared":
        return {
            "once_per_person": criteria.get("reward_uniqueness") == "once_per_advocate",
            "email_shares": None,
            "sharing_channels": None,
            "has_liquid_criteria": False,
        }
    return {
        "new_customer": criteria.get("new_customer"),
        "new_optin": False,
        "subtotal_min": _optional_number(criteria.get("subtotal_min")),
        "subtotal_max": _optional_number(criteria.get("subtotal_max")),
        "referrals_min": criteria.get("referrals_min"),
        "referrals_max": criteria.get("referrals_max"),
        "referrals_divisible_by": None,
        "referrals_not_divisible_by": None,
        "reward_uniqueness": criteria.get("reward_uniqueness", "none"),
        "friend_event_category": criteria.get("friend_event_category"),
        "has_liquid_criteria": False,
    }


def _number(value: Decimal) -> float:
    return float(value)


def _optional_number(value: Any) -> float | None:
    return None if value is None else float(Decimal(str(value)))
