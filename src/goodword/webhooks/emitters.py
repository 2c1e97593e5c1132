"""The webhooks domain changes cause, one function each, which the domain services call inside
the causing transaction (the only way a webhook is made): a webhook is stored together with the
change it reports, or not at all. Each asks the cached snapshot first, so a site without that
subscription pays nothing (no query, no payload built)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch

from goodword.coupons.models import CouponList
from goodword.coupons.selectors import coupon_pool_left
from goodword.referrals.models import Referral, ReferralStatus
from goodword.rewards.models import Reward
from goodword.rewards.wire import reward_wire
from goodword.webhooks import payloads
from goodword.webhooks.models import HookType
from goodword.webhooks.selectors import subscribed_types
from goodword.webhooks.services import webhook_emit
from goodword.webhooks.types import Subject, SubjectKind

if TYPE_CHECKING:
    from goodword.campaigns.program import CampaignInfo, IncentiveInfo
    from goodword.offers.models import AdvocateOffer, Claim, Share, ShareRecipient
    from goodword.origins.models import Origin
    from goodword.people.models import Person

# A pool with fewer unused codes than this after a take is "running low".
LOW_WATER = 20


def _emit(
    site_id: int, hook_type: str, subject: Subject, build: Callable[[], dict[str, Any]]
) -> int:
    """`webhook_emit`, the payload built only when the site subscribes to the type."""
    if hook_type not in subscribed_types(site_id):
        return 0
    return webhook_emit(site_id=site_id, hook_type=hook_type, payload=build(), subject=subject)


def event_origin_emit(*, origin: Origin) -> int:
    """An Event origin was stored."""
    return _emit(
        origin.site_id,
        HookType.EVENT,
        Subject(SubjectKind.ORIGIN, origin.pk),
        lambda: payloads.event_payload(origin),
    )


def offer_signup_emit(*, offer: AdvocateOffer, campaign: CampaignInfo) -> int:
    """An advocate joined: a new offer was made."""
    return _emit(
        offer.site_id,
        HookType.OFFER_SIGNUP,
        Subject(SubjectKind.OFFER, offer.pk),
        lambda: payloads.offer_signup_payload(offer, campaign=campaign),
    )


def post_share_emit(*, share: Share, campaign: CampaignInfo, share_link: str | None) -> int:
    """An advocate shared their offer on a channel (`share_link` only for social channels)."""

    def build() -> dict[str, Any]:
        recipients = [r.email for r in share.recipients.all()] if share.pk else []
        return payloads.post_share_payload(
            share, campaign=campaign, recipients=recipients, share_link=share_link
        )

    return _emit(
        share.site_id, HookType.POST_SHARE, Subject(SubjectKind.OFFER, share.offer_id), build
    )


def claim_signup_emit(*, claim: Claim, campaign: CampaignInfo) -> int:
    """A friend gave their email on an email-gated claim page."""
    return _emit(
        claim.site_id,
        HookType.CLAIM_SIGNUP,
        Subject(SubjectKind.CLAIM, claim.pk),
        lambda: payloads.claim_signup_payload(claim, campaign=campaign),
    )


def unsubscribe_emit(*, person: Person) -> int:
    """A person unsubscribed (POST /api/v2/people/{person_slug}/unsubscribe)."""
    return _emit(
        person.site_id,
        HookType.UNSUBSCRIBE,
        Subject(SubjectKind.PERSON, person.pk),
        lambda: payloads.unsubscribe_payload(person),
    )


def check_unsubscribe_emit(
    *, recipient: ShareRecipient, person: Person, campaign: CampaignInfo, email_type: str
) -> int:
    """An email is about to go to `person` (a recipient of an email share): the merchant is
    asked whether they unsubscribed on its side. The sender reads the answer
    (webhooks.selectors.check_unsubscribe_answer) before it sends."""
    return _emit(
        recipient.site_id,
        HookType.CHECK_UNSUBSCRIBE,
        Subject(SubjectKind.SHARE_RECIPIENT, recipient.pk),
        lambda: payloads.check_unsubscribe_payload(
            campaign=campaign, recipient=person, email_type=email_type
        ),
    )


def _reward_dict(reward: Reward) -> dict[str, Any]:
    return {**reward_wire(reward), "incentive_identifier": reward.incentive_identifier}


def referrals_moved_emit(*, referrals: list[Referral]) -> int:
    """Referrals changed status: `referral_web_hook` for each that became approved, with its
    rewards as they stand after the move."""
    approved = [r.pk for r in referrals if r.status == ReferralStatus.APPROVED]
    if not approved or HookType.REFERRAL not in subscribed_types(referrals[0].site_id):
        return 0
    loaded = (
        Referral.objects.filter(pk__in=approved)
        .select_related("campaign", "offer__advocate", "origin", "claim", "advocate", "friend")
        .prefetch_related(Prefetch("rewards", Reward.objects.select_related("coupon")))
        .order_by("pk")
    )
    made = 0
    for referral in loaded:
        rewards = sorted(referral.rewards.all(), key=lambda r: r.pk)
        entries: dict[str, list[dict[str, Any]]] = {"referrer": [], "referred": []}
        for reward in rewards:
            if reward.reason in entries:
                person = referral.advocate if reward.reason == "referrer" else referral.friend
                entries[reward.reason].append(
                    payloads.referral_reward_payload(
                        _reward_dict(reward), person=person, origin=referral.origin
                    )
                )
        made += webhook_emit(
            site_id=referral.site_id,
            hook_type=HookType.REFERRAL,
            payload=payloads.referral_payload(
                referral, advocate_rewards=entries["referrer"], friend_rewards=entries["referred"]
            ),
            subject=Subject.referral(referral.pk),
        )
    return made


def rewards_paid_emit(*, rewards: list[Reward]) -> int:
    """Rewards became Paid: `reward_web_hook` for each, and `coupon_list_low_web_hook` for the
    pools their codes took below the low-water mark."""
    if not rewards:
        return 0
    site_id = rewards[0].site_id
    subscribed = subscribed_types(site_id)
    made = 0
    if HookType.REWARD in subscribed:
        loaded = (
            Reward.objects.filter(pk__in=[r.pk for r in rewards])
            .select_related(
                "coupon",
                "person",
                "campaign",
                "offer__advocate",
                "offer__origin",
                "referral__origin",
            )
            .order_by("pk")
        )
        for reward in loaded:
            friend_origin = reward.referral.origin if reward.referral is not None else None
            made += webhook_emit(
                site_id=site_id,
                hook_type=HookType.REWARD,
                payload=payloads.reward_payload(
                    _reward_dict(reward),
                    person=reward.person,
                    offer=reward.offer,
                    campaign=reward.campaign,
                    origin=reward.offer.origin,
                    advocate_origin=reward.offer.origin,
                    friend_origin=friend_origin,
                ),
                subject=Subject.referral(reward.referral_id) if reward.referral_id else None,
            )
    lists = {r.coupon_list_id for r in rewards if r.coupon_id is not None and r.coupon_list_id}
    if lists and HookType.COUPON_LIST_LOW in subscribed:
        for coupon_list in CouponList.objects.filter(pk__in=lists).order_by("pk"):
            taken = [r for r in rewards if r.coupon_list_id == coupon_list.pk]
            made += _pool_low(
                coupon_list,
                taken=len(taken),
                amount=taken[0].amount,
                percentage=taken[0].amount_type == "percentage",
            )
    return made


def _pool_low(
    coupon_list: CouponList, *, taken: int, amount: Decimal | None, percentage: bool
) -> int:
    """Once per crossing of the low-water mark, not on every take below it."""
    left = coupon_pool_left(coupon_list_id=coupon_list.pk)
    if not (left < LOW_WATER <= left + taken):
        return 0
    return webhook_emit(
        site_id=coupon_list.site_id,
        hook_type=HookType.COUPON_LIST_LOW,
        payload=payloads.coupon_list_low_payload(
            coupon_list,
            codes_left=left,
            low_water=LOW_WATER,
            discount_amount=amount,
            percentage_discount=percentage,
        ),
        extras={"codes_left": left},
    )


def _friend_incentive(campaign: CampaignInfo) -> IncentiveInfo | None:
    """What a friend gets with an advocate's personal coupon: the campaign's friend incentive."""
    return campaign.incentive("referred") or campaign.incentive("click")


def personal_coupon_taken_emit(*, site_id: int, coupon_list_id: int, campaign: CampaignInfo) -> int:
    """An advocate's personal coupon was taken from a pool: the low-water notice when that take
    crossed the mark."""
    if HookType.COUPON_LIST_LOW not in subscribed_types(site_id):
        return 0
    coupon_list = CouponList.objects.filter(pk=coupon_list_id, site_id=site_id).first()
    if coupon_list is None:
        return 0
    friend = _friend_incentive(campaign)
    return _pool_low(
        coupon_list,
        taken=1,
        amount=friend.amount if friend else None,
        percentage=bool(friend and friend.amount_type == "percentage"),
    )


def personal_coupon_made_emit(*, offer: AdvocateOffer, campaign: CampaignInfo) -> int:
    """Goodword made the advocate's personal coupon code from the campaign's pattern:
    `create_coupon_web_hook` asks the merchant's shop to create it, for any number of uses,
    with the discount of the campaign's friend incentive (`referred`, else `click`)."""

    def build() -> dict[str, Any]:
        friend = _friend_incentive(campaign)
        return payloads.create_coupon_payload(
            None,
            coupon_code=offer.coupon_code,
            person=offer.advocate,
            discount_amount=friend.amount if friend else None,
            percentage_discount=bool(friend and friend.amount_type == "percentage"),
            usage_limit=None,
            expires_at=offer.expires_at,
        )

    return _emit(offer.site_id, HookType.CREATE_COUPON, Subject(SubjectKind.OFFER, offer.pk), build)
