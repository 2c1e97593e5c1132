"""Reward writes: incentives turned into rewards, for referrals and for clicks, shares and
signups; paying them (coupon codes from pools or a static code), paying the ones that waited
for codes, and a referral's ones that waited for the referral webhook. Each service gathers
the facts (rewards/facts.py), asks the pure decision (rewards/decision.py) and stores what it
says, in the caller's transaction.

Who may change a referral's rewards: only whoever holds the referral's row lock (a status
change), plus the payer of rewards waiting for a coupon, which only touches those. The unique
constraints on Reward are the backstop if anything races past the advocates' locks that caps
and uniqueness are decided under.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction

from goodword.campaigns.models import IncentiveReason, IncentiveType
from goodword.campaigns.program import CampaignInfo, IncentiveInfo, Program, program_for
from goodword.core.clock import now
from goodword.core.db import is_postgres
from goodword.coupons.models import CouponList
from goodword.coupons.services import ImportReport, coupons_import, coupons_release, coupons_take
from goodword.offers.models import AdvocateOffer, Claim, Share
from goodword.origins.models import Origin
from goodword.referrals.locks import referrals_lock
from goodword.referrals.models import Referral, ReferralStatus
from goodword.rewards.decision import (
    SETTLED,
    Decision,
    Outcome,
    action_reward_decide,
    judged,
    referral_pay_gate,
    referral_reward_decide,
)
from goodword.rewards.facts import (
    OriginFacts,
    Plan,
    action_refusal,
    origins_load,
    referral_facts_gather,
)
from goodword.rewards.locks import rewards_lock_waiting
from goodword.rewards.models import Reward, RewardStatus
from goodword.sites.models import Site
from goodword.webhooks.emitters import rewards_paid_emit
from goodword.webhooks.models import HookType
from goodword.webhooks.selectors import referral_webhook_delivered
from goodword.webhooks.services import site_subscribes
from goodword.worker import queue

# Worker job: pay the rewards of a coupon list that waited for codes (after an import).
PAY_WAITING = "rewards_pay_waiting"
WAITING_BATCH = 500  # waiting rewards paid per statement round
REFERRAL_REASONS = (IncentiveReason.REFERRER, IncentiveReason.REFERRED)


def _currency(incentive: IncentiveInfo, site_currency: str) -> str:
    return incentive.currency or site_currency


def _new_reward(
    *,
    incentive: IncentiveInfo,
    campaign: CampaignInfo,
    site_id: int,
    currency: str,
    offer_id: int,
    advocate_id: int,
    person_id: int | None,
    stamp: datetime,
    **links: Any,
) -> Reward:
    return Reward(
        site_id=site_id,
        person_id=person_id,
        advocate_id=advocate_id,
        reason=incentive.reason,
        status=RewardStatus.PENDING,
        campaign_id=campaign.id,
        incentive_id=incentive.id,
        incentive_identifier=incentive.identifier,
        incentive_type=incentive.incentive_type,
        amount=incentive.amount,
        amount_type=incentive.amount_type,
        currency=currency,
        description=incentive.description,
        coupon_list_id=incentive.coupon_list_id
        if incentive.incentive_type == IncentiveType.DISCOUNT_COUPON
        else None,
        offer_id=offer_id,
        created_at=stamp,
        updated_at=stamp,
        **links,
    )


def _apply(reward: Reward, decision: Decision, stamp: datetime) -> bool:
    """Set the reward's status fields as decided; True when it is to be paid now."""
    if decision.outcome in (Outcome.KEEP, Outcome.PAY):
        return decision.outcome == Outcome.PAY
    if decision.outcome == Outcome.VOID:
        reward.status = RewardStatus.VOIDED
        reward.status_reason = decision.reason
    elif decision.outcome == Outcome.BLOCK:
        reward.status = RewardStatus.BLOCKED
        reward.status_reason = decision.reason[:500]
    else:
        # Held (not given yet), or given and gated: Pending either way, the reason says which.
        reward.status = RewardStatus.PENDING
        reward.status_reason = decision.reason
        reward.given_at = stamp if decision.given else None
    reward.updated_at = stamp
    return False


def rewards_pay(rewards: Sequence[Reward], stamp: datetime) -> list[Reward]:
    """Give rewards: codes for coupon rewards (Waiting for coupon when a pool is dry), Paid
    for the rest. Returns those that became Paid."""
    by_list: dict[int, list[Reward]] = {}
    paid: list[Reward] = []
    for reward in rewards:
        reward.given_at = reward.given_at or stamp
        reward.updated_at = stamp
        reward.status_reason = ""
        if reward.coupon_list_id is None:
            reward.status = RewardStatus.PAID
            reward.paid_at = stamp
            paid.append(reward)
        else:
            by_list.setdefault(reward.coupon_list_id, []).append(reward)
    for list_id, waiting in by_list.items():
        codes = coupons_take(site_id=waiting[0].site_id, coupon_list_id=list_id, count=len(waiting))
        for reward, (coupon_id, code) in zip(waiting, codes, strict=False):
            reward.coupon_id = coupon_id
            reward.coupon_code = code
            reward.status = RewardStatus.PAID
            reward.paid_at = stamp
            paid.append(reward)
        for reward in waiting[len(codes) :]:
            reward.status = RewardStatus.WAITING
            reward.status_reason = "The coupon list has no codes left"
    return paid


def rewards_paid_notify(rewards: list[Reward]) -> None:
    """Tell the merchant about rewards that just became Paid (their webhooks)."""
    if rewards:
        rewards_paid_emit(rewards=rewards)


# --- referrals -----------------------------------------------------------------------------


def _plans(program: Program, referrals: Sequence[Referral]) -> list[Plan]:
    plans: list[Plan] = []
    for referral in referrals:
        campaign = program.campaign(referral.campaign_id)
        if campaign is None:
            continue
        for reason in REFERRAL_REASONS:
            incentive = campaign.incentive(reason)
            if incentive is not None:
                plans.append((referral, campaign, incentive))
    return plans


def _open_plans(plans: list[Plan]) -> tuple[dict[tuple[int | None, str], Reward], list[Plan]]:
    """The rewards the plans already have, and the plans whose reward is not settled."""
    existing = {
        (r.referral_id, r.reason): r
        for r in Reward.objects.filter(referral_id__in=[p[0].pk for p in plans])
    }
    todo = [
        p
        for p in plans
        if (r := existing.get((p[0].pk, p[2].reason))) is None or r.status not in SETTLED
    ]
    return existing, todo


def _approval_gate(site_id: int, plans: list[Plan]) -> str | None:
    if not any(p[0].status == ReferralStatus.APPROVED for p in plans):
        return None
    # The referral webhook about an approval is made in this very transaction.
    return referral_pay_gate(
        subscribes_to_referral_hook=site_subscribes(site_id=site_id, hook_type=HookType.REFERRAL),
        referral_webhook_delivered=False,
    )


def _referral_reward_new(
    plan: Plan, *, currency: str, origin: OriginFacts | None, stamp: datetime
) -> Reward:
    referral, campaign, incentive = plan
    referred = incentive.reason == IncentiveReason.REFERRED
    return _new_reward(
        incentive=incentive,
        campaign=campaign,
        site_id=referral.site_id,
        currency=_currency(incentive, currency),
        offer_id=referral.offer_id,
        advocate_id=referral.advocate_id,
        person_id=referral.friend_id if referred else referral.advocate_id,
        stamp=stamp,
        friend_id=referral.friend_id,
        referral_id=referral.pk,
        visitor_uuid=origin.uuid if origin is not None and referred else None,
    )


def rewards_sync(*, referrals: Sequence[Referral]) -> list[Reward]:
    """Bring the `referrer` and `referred` rewards of referrals in line with their status
    (rewards/decision.py says how). Call in the transaction that changed them, holding their
    row locks. Returns the rewards made Paid."""
    if not referrals:
        return []
    site_id = referrals[0].site_id
    assert all(r.site_id == site_id for r in referrals)
    program = program_for(site_id)
    stamp = now()
    existing, todo = _open_plans(_plans(program, referrals))
    if not todo:
        return []
    facts = referral_facts_gather(
        program,
        [p for p in todo if judged(p[0].status)],
        stamp,
        exclude=[r.pk for r in existing.values()],
    )
    # A blocked or voided referral is not judged, but its new `referred` reward still needs
    # the origin's visitor uuid: the Rewards API finds it by that once the referral is unblocked.
    facts.origins.update(origins_load({p[0].origin_id for p in todo} - facts.origins.keys()))
    gate = _approval_gate(site_id, todo)
    site_currency = _site_currency(site_id)
    created: list[Reward] = []
    changed: list[Reward] = []
    to_pay: list[Reward] = []
    for plan in todo:
        referral, _, incentive = plan
        reward = existing.get((referral.pk, incentive.reason))
        fresh = reward is None
        if reward is None:
            origin = facts.origins.get(referral.origin_id)
            reward = _referral_reward_new(plan, currency=site_currency, origin=origin, stamp=stamp)
        before = (reward.status, reward.status_reason)
        decision = referral_reward_decide(
            referral_status=referral.status,
            reward_status=reward.status,
            refusal=facts.refusal(referral, incentive, reward) if judged(referral.status) else None,
            gate=gate,
            fraud_details=referral.fraud_details or "",
        )
        pay = _apply(reward, decision, stamp)
        if pay:
            to_pay.append(reward)
        if decision.given:
            facts.counts.add(reward)
        if fresh:
            created.append(reward)
        elif pay or (reward.status, reward.status_reason) != before:
            changed.append(reward)
    paid = rewards_pay(to_pay, stamp)
    if created:
        Reward.objects.bulk_create(created)
    rewards_save(changed)
    rewards_paid_notify(paid)
    return paid


def rewards_pay_after_referral_webhook(*, site_id: int, referral_id: int) -> list[Reward]:
    """The referral webhook about a referral was delivered: pay its rewards that waited for it
    (the advocate's `referrer` and the friend's `referred` alike), when the gate is open now.
    Idempotent: a second delivery (another subscription's) finds nothing left waiting. Returns
    the rewards made Paid."""
    locked = referrals_lock(ids=[referral_id])
    if not locked or locked[0].site_id != site_id:
        return []
    referral = locked[0]
    gate = referral_pay_gate(
        subscribes_to_referral_hook=site_subscribes(site_id=site_id, hook_type=HookType.REFERRAL),
        referral_webhook_delivered=referral_webhook_delivered(
            site_id=site_id, referral_id=referral_id
        ),
    )
    if gate is not None:
        return []
    waiting = list(
        Reward.objects.filter(
            referral=referral,
            reason__in=REFERRAL_REASONS,
            status=RewardStatus.PENDING,
            given_at__isnull=False,
        ).order_by("id")
    )
    if not waiting:
        return []  # paid already (another subscription's delivery came first), or never gated
    paid = rewards_pay(waiting, now())
    rewards_save(waiting)
    rewards_paid_notify(paid)
    return paid


def rewards_save(rewards: Sequence[Reward]) -> None:
    """Store the changed status fields of many rewards in a few statements: one UPDATE per
    distinct set of values (a batch of approvals mostly shares one: Paid, at one time), and the
    per-reward codes in one more. `bulk_update` would build a CASE per row and field, which
    costs more Python than the approvals themselves."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    coded: list[Reward] = []
    for reward in rewards:
        key = (
            reward.status,
            reward.status_reason,
            reward.given_at,
            reward.paid_at,
            reward.updated_at,
        )
        groups.setdefault(key, []).append(reward.pk)
        if reward.coupon_code is not None:
            coded.append(reward)
    for (status, reason, given_at, paid_at, updated_at), ids in groups.items():
        Reward.objects.filter(pk__in=ids).update(
            status=status,
            status_reason=reason,
            given_at=given_at,
            paid_at=paid_at,
            updated_at=updated_at,
        )
    if not coded:
        return
    table = Reward._meta.db_table
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(
                f"UPDATE {table} AS r SET coupon_id = v.coupon_id, coupon_code = v.code "
                f"FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS v(id, coupon_id, code) "
                f"WHERE r.id = v.id",
                [
                    [r.pk for r in coded],
                    [r.coupon_id for r in coded],
                    [r.coupon_code for r in coded],
                ],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET coupon_id = %s, coupon_code = %s WHERE id = %s",
                [(r.coupon_id, r.coupon_code, r.pk) for r in coded],
            )


def _site_currency(site_id: int) -> str:
    from goodword.sites.auth import site_ref

    return site_ref(site_id).currency


# --- clicks, shares, signups ------------------------------------------------------------------


def reward_for_offer_action(
    *,
    program: Program,
    campaign: CampaignInfo,
    offer: AdvocateOffer,
    reason: str,
    person_id: int | None,
    claim: Claim | None = None,
    share: Share | None = None,
    origin: Origin | None = None,
    visitor_uuid: Any = None,
) -> Reward | None:
    """The reward for a click (the friend), a share or a signup (the advocate), given at once:
    Paid, Waiting for coupon, or Blocked with the reason. One per claim or offer by constraint;
    a repeat returns the first. Call inside the transaction of the action."""
    incentive = campaign.incentive(reason)
    if incentive is None:
        return None
    stamp = now()
    links: dict[str, Any] = {"visitor_uuid": visitor_uuid}
    if claim is not None:
        links["claim_id"] = claim.pk
    if share is not None:
        links["share_id"] = share.pk
    reward = _new_reward(
        incentive=incentive,
        campaign=campaign,
        site_id=offer.site_id,
        currency=_currency(incentive, _site_currency(offer.site_id)),
        offer_id=offer.pk,
        advocate_id=offer.advocate_id,
        person_id=person_id,
        stamp=stamp,
        **links,
    )
    decision = action_reward_decide(
        refusal=action_refusal(
            program=program,
            campaign=campaign,
            incentive=incentive,
            offer=offer,
            person_id=person_id,
            origin=origin,
            stamp=stamp,
        )
    )
    paid = rewards_pay([reward], stamp) if _apply(reward, decision, stamp) else []
    try:
        with transaction.atomic():
            reward.save(force_insert=True)
    except IntegrityError:
        # Already rewarded (a repeat, or a concurrent twin): the first stands. The code taken
        # for this attempt was claimed outside the savepoint: hand it back.
        _release_coupon(reward)
        return _existing_for_action(reason=reason, offer=offer, claim=claim)
    rewards_paid_notify(paid)
    return reward


def _release_coupon(reward: Reward) -> None:
    if reward.coupon_id is not None:
        coupons_release(coupon_ids=[reward.coupon_id])


def _existing_for_action(
    *, reason: str, offer: AdvocateOffer, claim: Claim | None
) -> Reward | None:
    if reason == IncentiveReason.CLICK and claim is not None:
        return Reward.objects.filter(claim_id=claim.pk, reason=reason).first()
    return Reward.objects.filter(offer_id=offer.pk, reason=reason).first()


# --- rewards waiting for codes ----------------------------------------------------------------


def rewards_waiting_enqueue(*, site_id: int, coupon_list_id: int) -> None:
    """After codes were added to a list: have the worker pay what waited for them."""
    if Reward.objects.filter(coupon_list_id=coupon_list_id, status=RewardStatus.WAITING).exists():
        queue.enqueue(site_id=site_id, kind=PAY_WAITING, ref_id=coupon_list_id)


def coupons_import_and_pay_waiting(
    *, site: Site, coupon_list: CouponList, codes: Iterable[str]
) -> ImportReport:
    """Import single-use codes into a pool and, in the same transaction, have the worker pay
    the rewards that waited for that list's codes. Every import an operator starts goes
    through here; coupons themselves know nothing of rewards (ADR 0010)."""
    with transaction.atomic():
        report = coupons_import(site=site, coupon_list=coupon_list, codes=codes)
        if report.imported:
            rewards_waiting_enqueue(site_id=site.pk, coupon_list_id=coupon_list.pk)
    return report


def rewards_pay_waiting(*, coupon_list_id: int, limit: int = WAITING_BATCH) -> int:
    """Pay rewards of a list that waited for codes, oldest first, while codes last. Returns how
    many were paid."""
    waiting = rewards_lock_waiting(coupon_list_id=coupon_list_id, limit=limit)
    if not waiting:
        return 0
    paid = rewards_pay(waiting, now())
    rewards_save(waiting)
    for reward in paid:
        if reward.claim_id is not None and reward.coupon_code:
            # A friend whose click reward waited gets the code on the claim too, where the
            # claim page and coupon attribution look for it.
            Claim.objects.filter(pk=reward.claim_id, friend_coupon_code__isnull=True).update(
                friend_coupon_code=reward.coupon_code
            )
    rewards_paid_notify(paid)
    return len(paid)
