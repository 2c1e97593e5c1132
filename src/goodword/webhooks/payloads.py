"""Webhook payloads, one builder per type, with exactly the fields of
talkable-webhooks.openapi.yml (a field Goodword has no value for is null, never left out).

Payloads are built when the causing change happens and stored with the delivery, so a retry sends
what was true then. Numbers the contract types as `number` go out as JSON numbers; amounts it
types as strings go out as decimal strings. Times stay datetimes here: `webhook_emit` writes them
with `core.clock.format_time` in the site's zone (ISO 8601 to the millisecond with the site's
offset), the one place that knows the site.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q

from goodword.campaigns.models import Campaign
from goodword.campaigns.program import CampaignInfo
from goodword.coupons.models import CouponList
from goodword.offers.models import AdvocateOffer, Claim, Share
from goodword.origins.models import Origin, OriginType
from goodword.people.briefs import person_brief_build
from goodword.people.models import Person

REWARD_KEYS = (
    "id",
    "reason",
    "status",
    "incentive_type",
    "incentive_identifier",
    "incentive_description",
    "incentive_custom_description",
    "amount",
    "coupon_code",
    "coupon",
)
COUPON_KEYS = (
    "active",
    "amount",
    "code",
    "description",
    "id",
    "percentage_discount",
    "single_use",
    "usages",
    "used",
    "expires_at",
    "valid_until",
)


def _number(value: Decimal | int | float | None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return float(value)


def _decimal_string(value: Decimal | int | float | str | None) -> str | None:
    return None if value is None else str(value)


# ---------------------------------------------------------------- shared objects


def campaign_payload(campaign: Campaign | CampaignInfo | None) -> dict[str, Any] | None:
    if campaign is None:
        return None
    joinable = (
        campaign.joinable
        if isinstance(campaign, CampaignInfo)
        else campaign.joinable_category_names
    )
    return {
        "id": campaign.id,
        "type": "StandaloneCampaign",
        "cached_slug": campaign.id,
        "tag_names": list(campaign.tags or ()),
        "joinable_category_names": list(joinable or ()),
        "origin_min_age": None,
        "origin_max_age": None,
    }


def offer_payload(offer: AdvocateOffer | None) -> dict[str, Any] | None:
    if offer is None:
        return None
    advocate = offer.advocate
    return {
        "email": advocate.email,
        "phone_number": advocate.phone_number,
        "short_url_code": offer.short_url_code,
        "ip_address": offer.advocate_ip,
    }


def referral_counts(person: Person | None) -> dict[str, int]:
    if person is None or person.pk is None:
        return {"total": 0, "approved": 0, "pending": 0}
    from goodword.referrals.models import Referral, ReferralStatus

    counts = Referral.objects.filter(site_id=person.site_id, advocate=person).aggregate(
        total=Count("id"),
        approved=Count("id", filter=Q(status=ReferralStatus.APPROVED)),
        pending=Count("id", filter=Q(status=ReferralStatus.PENDING)),
    )
    return {key: int(value or 0) for key, value in counts.items()}


def _person_fields(person: Person | None) -> dict[str, Any]:
    """The person fields the signup payloads share (the person schema without customer_id)."""
    return {
        "first_name": person.first_name if person else None,
        "last_name": person.last_name if person else None,
        "username": person.username if person else None,
        # The person's own subscription times as stored; phone opt-in is not recorded, and there
        # is no loyalty state: Talkable's null/false values.
        "unsubscribed_at": person.unsubscribed_at if person else None,
        "subscribed_at": person.subscribed_at if person else None,
        "opted_in_at": person.opted_in_at if person else None,
        "phone_opted_in_at": None,
        "is_loyalty_member": False,
        "loyalty_member": None,
        "custom_properties": dict(person.custom_properties or {}) if person else {},
        "gender": None,
        "referral_counts": referral_counts(person),
        "sub_choice": False,
    }


def person_payload(person: Person | None) -> dict[str, Any] | None:
    if person is None:
        return None
    fields = _person_fields(person)
    return {
        **person_brief_build(person=person, with_id=False),
        "username": fields["username"],
        "customer_id": person.customer_id,
        **{k: fields[k] for k in _PERSON_TAIL},
    }


_PERSON_TAIL = (
    "unsubscribed_at",
    "subscribed_at",
    "opted_in_at",
    "phone_opted_in_at",
    "is_loyalty_member",
    "loyalty_member",
    "custom_properties",
    "gender",
    "referral_counts",
    "sub_choice",
)


def _origin_common(origin: Origin) -> dict[str, Any]:
    return {
        "id": origin.pk,
        "email": origin.email,
        "phone_number": _origin_phone(origin),
        "customer_id": origin.customer_id,
        "traffic_source": origin.traffic_source,
        "ip_address": origin.ip_address,
    }


def _origin_phone(origin: Origin) -> str | None:
    person = origin.person if origin.person_id else None
    return person.phone_number if person else None


def _origin_tail(origin: Origin) -> dict[str, Any]:
    return {
        "segment1": origin.segment1,
        "segment2": origin.segment2,
        "segment3": origin.segment3,
        "utm_campaign": origin.utm_campaign,
        "utm_content": origin.utm_content,
        "utm_medium": origin.utm_medium,
        "utm_source": origin.utm_source,
        "utm_term": origin.utm_term,
    }


def origin_payload(origin: Origin | None) -> dict[str, Any] | None:
    """The contract's `origin` object (a purchase, event or affiliate member)."""
    if origin is None:
        return None
    purchase = origin.type == OriginType.PURCHASE
    event = origin.type == OriginType.EVENT
    return {
        "type": origin.type,
        **_origin_common(origin),
        "order_number": origin.order_number if purchase else None,
        "order_date": origin.occurred_at if purchase else None,
        "subtotal": _number(origin.subtotal),
        "currency_iso_code": origin.currency,
        "coupon_code": origin.coupon_code,
        "event_category": origin.event_category if event else None,
        "event_number": origin.event_number if event else None,
        **_origin_tail(origin),
    }


def event_origin_payload(origin: Origin) -> dict[str, Any]:
    """The contract's `event` object (generic_origin plus the event fields)."""
    return {
        **_origin_common(origin),
        "subtotal": _number(origin.subtotal),
        "coupon_code": origin.coupon_code,
        **_origin_tail(origin),
        "currency_iso_code": origin.currency,
        "type": origin.type,
        "event_category": origin.event_category,
        "event_number": origin.event_number,
    }


# ---------------------------------------------------------------- one builder per type


def event_payload(origin: Origin) -> dict[str, Any]:
    """event_web_hook: an Event origin was stored."""
    return {"person": person_payload(origin.person), "origin": event_origin_payload(origin)}


def offer_signup_payload(
    offer: AdvocateOffer, *, campaign: Campaign | CampaignInfo | None = None
) -> dict[str, Any]:
    """offer_signup_web_hook: an advocate joined (a new offer was made)."""
    advocate = offer.advocate
    return {
        "campaign": campaign_payload(campaign or offer.campaign),
        "offer": offer_payload(offer),
        "email": advocate.email,
        "phone_number": advocate.phone_number,
        **_person_fields(advocate),
    }


def post_share_payload(
    share: Share,
    *,
    campaign: Campaign | CampaignInfo | None = None,
    recipients: Iterable[str] = (),
    share_link: str | None = None,
) -> dict[str, Any]:
    """post_share_web_hook: an advocate shared their offer."""
    offer = share.offer
    return {
        "campaign": campaign_payload(campaign or offer.campaign),
        "share_type": share.channel,
        "share_info": {"recipients": list(recipients)},
        "sharer_info": person_payload(offer.advocate),
        "share_link": share_link,
        "origin": origin_payload(offer.origin),
    }


def claim_signup_payload(
    claim: Claim, *, campaign: Campaign | CampaignInfo | None = None
) -> dict[str, Any]:
    """claim_signup_web_hook: a friend gave their email on an email-gated claim page."""
    offer = claim.offer
    email = claim.gated_email
    friend = (
        Person.objects.filter(site_id=claim.site_id, email=email).first()
        if email and claim.site_id
        else None
    )
    return {
        "offer": offer_payload(offer),
        "campaign": campaign_payload(campaign or offer.campaign),
        "email": email,
        "phone_number": claim.gated_phone or (friend.phone_number if friend else None),
        **_person_fields(friend),
        "ip_address": claim.ip_address,
    }


def unsubscribe_payload(person: Person) -> dict[str, Any]:
    """unsubscribe_web_hook: a person unsubscribed."""
    return {"person": person_payload(person)}


def check_unsubscribe_payload(
    *, campaign: Campaign | CampaignInfo | None, recipient: Person, email_type: str
) -> dict[str, Any]:
    """check_unsubscribe_web_hook: asked before an email goes out."""
    return {
        "campaign": campaign_payload(campaign),
        "recipient": person_payload(recipient),
        "email_type": email_type,
    }


def create_coupon_payload(
    coupon_list: CouponList | None,
    *,
    coupon_code: str | None = None,
    person: Person | None = None,
    discount_amount: Decimal | str | None = None,
    percentage_discount: bool = False,
    usage_limit: int | None = 1,
    expires_at: datetime | None = None,
    coupon_auto_sync_enabled: bool = False,
) -> dict[str, Any]:
    """create_coupon_web_hook: a code the merchant's shop should create, because Goodword made
    it (an advocate's personal coupon from a pattern: `person` is the advocate). A code made
    from a pattern belongs to no coupon list: `coupon_list` is None then."""
    return {
        "coupon_auto_sync_enabled": coupon_auto_sync_enabled,
        "coupon_code": coupon_code,
        "coupon_list_id": coupon_list.pk if coupon_list else None,
        "coupon_list_name": (coupon_list.name or coupon_list.identifier) if coupon_list else None,
        "email": person.email if person else None,
        "phone_number": person.phone_number if person else None,
        "discount_amount": _decimal_string(discount_amount),
        "percentage_discount": percentage_discount,
        "usage_limit": usage_limit,
        "expires_at": expires_at,
    }


def coupon_list_low_payload(
    coupon_list: CouponList,
    *,
    codes_left: int,
    low_water: int,
    discount_amount: Decimal | str | None = None,
    percentage_discount: bool = False,
) -> dict[str, Any]:
    """coupon_list_low_web_hook (Goodword's own type): a pool of single-use codes fell below
    `low_water` unused codes; import more before it runs dry."""
    return {
        "coupon_list_id": coupon_list.pk,
        "coupon_list_identifier": coupon_list.identifier,
        "coupon_list_name": coupon_list.name or coupon_list.identifier,
        "codes_left": codes_left,
        "low_water": low_water,
        "discount_amount": _decimal_string(discount_amount),
        "percentage_discount": percentage_discount,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def reward_object(reward_dict: Mapping[str, Any]) -> dict[str, Any]:
    """The contract's `reward` object from a serialized reward (unknown keys dropped, missing
    ones null; `amount` a number, the coupon with exactly its contract fields)."""
    out = {key: _jsonable(reward_dict.get(key)) for key in REWARD_KEYS}
    coupon = reward_dict.get("coupon")
    if isinstance(coupon, Mapping):
        out["coupon"] = {key: _jsonable(coupon.get(key)) for key in COUPON_KEYS}
    return out


def reward_payload(
    reward_dict: Mapping[str, Any],
    *,
    person: Person | None,
    offer: AdvocateOffer | None,
    campaign: Campaign | CampaignInfo | None,
    origin: Origin | None,
    advocate_origin: Origin | None,
    friend_origin: Origin | None,
) -> dict[str, Any]:
    """reward_web_hook: a reward was paid. `origin` is the one that issued the offer."""
    return {
        "campaign": campaign_payload(campaign),
        "offer": offer_payload(offer),
        "person": person_payload(person),
        "origin": origin_payload(origin),
        "reward": reward_object(reward_dict),
        "advocate_origin": origin_payload(advocate_origin),
        "friend_origin": origin_payload(friend_origin),
    }


def referral_reward_payload(
    reward_dict: Mapping[str, Any], *, person: Person | None, origin: Origin | None
) -> dict[str, Any]:
    """The contract's `referral_reward` (the entries of a referral payload's reward lists)."""
    coupon = reward_dict.get("coupon")
    code = reward_dict.get("coupon_code") or (
        coupon.get("code") if isinstance(coupon, Mapping) else None
    )
    # "Amount of money to reward": a rebate's; a coupon's value is the coupon's, not money paid.
    amount = reward_dict.get("amount") if reward_dict.get("incentive_type") == "rebate" else None
    return {
        "id": reward_dict.get("id"),
        "amount": _decimal_string(amount) if amount is not None else None,
        "email": person.email if person else None,
        "person": person_payload(person),
        "incentive": reward_dict.get("incentive_type"),
        "incentive_description": reward_dict.get("incentive_description"),
        "reward_coupon_code": code,
        "origin": origin_payload(origin),
    }


def referral_payload(
    referral: Any,
    *,
    advocate_rewards: list[dict[str, Any]] | None = None,
    friend_rewards: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """referral_web_hook: a referral was approved. The reward lists hold `referral_reward`
    objects (see referral_reward_payload); `referrer` and `referred` are their first entries."""
    advocate_rewards = list(advocate_rewards or [])
    friend_rewards = list(friend_rewards or [])
    claim = referral.claim if referral.claim_id else None
    return {
        "campaign": campaign_payload(referral.campaign),
        "offer": offer_payload(referral.offer),
        "advocate_rewards": advocate_rewards,
        "friend_rewards": friend_rewards,
        "referrer": advocate_rewards[0] if advocate_rewards else None,
        "referred": friend_rewards[0] if friend_rewards else None,
        "referred_origin": origin_payload(referral.origin),
        "share": {"channel": claim.channel if claim else None},
    }
