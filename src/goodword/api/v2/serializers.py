"""Talkable-shaped JSON for every API resource: origins, offers, shares, people, referrals,
rewards and coupons. Serializers read what they are given; the views fetch it."""

from __future__ import annotations

from typing import Any

from goodword.api.v2.envelope import format_time
from goodword.campaigns.models import Campaign
from goodword.campaigns.program import CampaignInfo
from goodword.offers.email_shares import EmailShareResult
from goodword.offers.incentives import offer_incentives
from goodword.offers.models import Share
from goodword.offers.offer_claims import OfferClaimResult
from goodword.offers.services import OfferView, link_url
from goodword.origins.models import Origin, OriginType
from goodword.people.briefs import person_brief_build
from goodword.people.models import Person
from goodword.privacy.models import Erasure
from goodword.privacy.services import KEPT
from goodword.referrals.models import Referral
from goodword.rewards.models import RewardStatus
from goodword.rewards.wire import coupon_wire, reward_wire


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
    return {
        "claim_url": link_url(view.program, view.claim_code),
        "email": offer.advocate.email,
        "id": offer.pk,
        "short_url_code": offer.short_url_code,
        "show_url": link_url(view.program, view.show_code),
        "coupon_code": offer.coupon_code,
        "incentives": offer_incentives(campaign),
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
        "opted_in_at": person.opted_in_at,
        "personal_claim_url": claim_url,
        "phone_number": person.phone_number,
        "phone_opted_in_at": None,
        "referral_counts": referral_counts,
        "referred_by": invited_by.email if invited_by else None,
        "reward_counts": {"total": rewards_count},
        "share_counts": {"total": shares_count},
        "sub_choice": False,
        "subscribed_at": person.subscribed_at,
        "unsubscribed_at": person.unsubscribed_at,
        "username": person.username,
    }


def email_share_json(
    share: Share, view: OfferView, *, email: str, clicks: int, friends: int
) -> dict[str, Any]:
    """An email share, one entry per recipient as Talkable lists them."""
    return {
        **share_json(share, view, clicks=clicks, friends=friends),
        "type": "EmailOfferShare",
        "email": email,
    }


def erasure_json(erasure: Erasure) -> dict[str, Any]:
    """The receipt of an erasure: when, rows changed per kind, and what was kept."""
    return {
        "erased_at": format_time(erasure.erased_at),
        "rows": dict(erasure.rows),
        "kept": list(KEPT),
    }


def person_brief(person: Person) -> dict[str, Any]:
    return person_brief_build(person=person)


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


def campaign_json(campaign: Campaign | CampaignInfo, *, is_active: bool) -> dict[str, Any]:
    """A campaign as the Campaigns API and shares show it; `is_active`: running now."""
    tags = campaign.tags if isinstance(campaign, CampaignInfo) else campaign.tags or []
    joinable = (
        campaign.joinable
        if isinstance(campaign, CampaignInfo)
        else campaign.joinable_category_names or []
    )
    return {
        "slug": campaign.slug,
        "is_active": is_active,
        "appearance": "inline",
        "id": campaign.id,
        "joinable_category_names": list(joinable),
        "name": campaign.name,
        "origin_max_age": None,
        "origin_min_age": None,
        "status": campaign.status,
        "tag_names": list(tags),
        "live_period": {
            "starts_at": format_time(campaign.starts_at),
            "ends_at": format_time(campaign.ends_at),
        },
    }


def email_share_result_json(result: EmailShareResult) -> dict[str, Any]:
    """The answer to an email share: each listed address judged, and what was queued."""
    verdicts = result.recipients
    currently = result.currently_sent
    return {
        "success": currently > 0
        if not result.validation_only
        else any(v.sharable for v in verdicts.values()),
        "validation_only": result.validation_only,
        "stats": {
            "currently_sent": currently,
            "currently_not_sent": len(verdicts) - currently,
            "previously_sent": sum(1 for v in verdicts.values() if v.previously_sent),
            "total_sent": result.total_sent,
            "sent_limit_exceeded": result.limit_exceeded,
            "left_emails": result.left_emails,
            "advocate_blocked": result.advocate_blocked,
        },
        "recipients": {address: v.as_dict() for address, v in verdicts.items()},
        "reward": reward_json(result.reward) if result.reward is not None else None,
        "rewards": [reward_json(r) for r in result.rewards],
    }


def offer_claim_json(result: OfferClaimResult) -> dict[str, Any]:
    return {
        "friend_reward": reward_json(result.friend_reward)
        if result.friend_reward is not None
        else None,
        "friend_unredeem_reason": result.unredeem_reason,
        "friend_human_unredeem_reason": result.human_unredeem_reason,
    }
