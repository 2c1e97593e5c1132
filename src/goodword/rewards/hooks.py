"""How approvals and rewards reach the merchant's systems: `referral_web_hook` when a referral
is approved, `reward_web_hook` when a reward is paid, `create_coupon_web_hook` when a pool runs
low; and the rule that a site subscribed to `referral_web_hook` pays the advocate's reward for
a referral only once that webhook was delivered (ENGINE.md).

Everything here runs inside the transaction of its cause, so a webhook is stored together with
the change it reports, or not at all. Wired in at app start (rewards/apps.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from goodword.core.clock import now
from goodword.coupons.models import CouponList
from goodword.coupons.selectors import coupon_pool_left
from goodword.referrals import services as referral_services
from goodword.referrals.models import Referral, ReferralStatus
from goodword.rewards import services as reward_services
from goodword.rewards.models import Reward, RewardStatus
from goodword.webhooks.models import HookType
from goodword.webhooks.payloads import (
    create_coupon_payload,
    referral_payload,
    referral_reward_payload,
    reward_payload,
)
from goodword.webhooks.services import on_delivered, site_subscribes, webhook_emit

# A pool with fewer unused codes than this after a take is "running low".
LOW_WATER = 20
GATED = "Waiting for the referral webhook to be delivered"


def _subject(referral_id: int) -> str:
    return f"referral:{referral_id}"


def _reward_dict(reward: Reward) -> dict[str, Any]:
    from goodword.api.v2.serializers import reward_json

    return {**reward_json(reward), "incentive_identifier": reward.incentive_identifier}


def advocate_gate(site_id: int) -> str | None:
    return GATED if site_subscribes(site_id=site_id, hook_type=HookType.REFERRAL) else None


def referrals_moved(referrals: list[Referral]) -> None:
    """`referral_web_hook` for each referral that became approved."""
    approved = [r.pk for r in referrals if r.status == ReferralStatus.APPROVED]
    if not approved or not site_subscribes(
        site_id=referrals[0].site_id, hook_type=HookType.REFERRAL
    ):
        return
    loaded = (
        Referral.objects.filter(pk__in=approved)
        .select_related("campaign", "offer__advocate", "origin", "claim", "advocate", "friend")
        .prefetch_related(Prefetch("rewards", Reward.objects.select_related("coupon")))
        .order_by("pk")
    )
    for referral in loaded:
        rewards = sorted(referral.rewards.all(), key=lambda r: r.pk)

        def entries(reason: str, referral: Referral = referral, rewards: list[Reward] = rewards):
            person = referral.advocate if reason == "referrer" else referral.friend
            return [
                referral_reward_payload(_reward_dict(r), person=person, origin=referral.origin)
                for r in rewards
                if r.reason == reason
            ]

        webhook_emit(
            site_id=referral.site_id,
            hook_type=HookType.REFERRAL,
            payload=referral_payload(
                referral, advocate_rewards=entries("referrer"), friend_rewards=entries("referred")
            ),
            subject=_subject(referral.pk),
        )


def rewards_paid(rewards: list[Reward]) -> None:
    """`reward_web_hook` for each paid reward; `create_coupon_web_hook` for pools running low."""
    site_id = rewards[0].site_id
    if site_subscribes(site_id=site_id, hook_type=HookType.REWARD):
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
            webhook_emit(
                site_id=site_id,
                hook_type=HookType.REWARD,
                payload=reward_payload(
                    _reward_dict(reward),
                    person=reward.person,
                    offer=reward.offer,
                    campaign=reward.campaign,
                    origin=reward.offer.origin,
                    advocate_origin=reward.offer.origin,
                    friend_origin=friend_origin,
                ),
                subject=_subject(reward.referral_id) if reward.referral_id else None,
            )
    lists = {r.coupon_list_id for r in rewards if r.coupon_id is not None and r.coupon_list_id}
    if lists and site_subscribes(site_id=site_id, hook_type=HookType.CREATE_COUPON):
        for coupon_list in CouponList.objects.filter(pk__in=lists).order_by("pk"):
            _pool_low(coupon_list, [r for r in rewards if r.coupon_list_id == coupon_list.pk])


def _pool_low(coupon_list: CouponList, taken: list[Reward]) -> None:
    """Once per crossing of the low-water mark, not on every take below it."""
    left = coupon_pool_left(coupon_list_id=coupon_list.pk)
    if not (left < LOW_WATER <= left + len(taken)):
        return
    sample = taken[0]
    webhook_emit(
        site_id=coupon_list.site_id,
        hook_type=HookType.CREATE_COUPON,
        payload=create_coupon_payload(
            coupon_list,
            discount_amount=sample.amount,
            percentage_discount=sample.amount_type == "percentage",
            usage_limit=1,
        ),
        extras={"codes_left": left},
    )


@on_delivered(HookType.REFERRAL)
def pay_after_referral_webhook(delivery: Any) -> None:
    """The referral webhook arrived: pay the advocate's rewards that waited for it."""
    subject = delivery.subject or ""
    if not subject.startswith("referral:"):
        return
    referral = Referral.objects.select_for_update().filter(pk=int(subject.split(":", 1)[1])).first()
    if referral is None:
        return
    waiting = list(
        Reward.objects.filter(
            referral=referral,
            reason="referrer",
            status=RewardStatus.PENDING,
            given_at__isnull=False,
        )
    )
    if not waiting:
        return  # paid already (another subscription's delivery came first), or never gated
    paid = reward_services.rewards_pay(waiting, now())
    reward_services.rewards_save(waiting)
    reward_services.rewards_paid_notify(paid)


def install() -> None:
    if advocate_gate not in reward_services.advocate_pay_gates:
        reward_services.advocate_pay_gates.append(advocate_gate)
    if rewards_paid not in reward_services.paid_listeners:
        reward_services.paid_listeners.append(rewards_paid)
    if referrals_moved not in referral_services.moved_listeners:
        referral_services.moved_listeners.append(referrals_moved)
