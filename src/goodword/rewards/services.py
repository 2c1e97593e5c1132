"""Reward writes: incentives turned into rewards, for referrals and for clicks, shares and
signups; paying them (coupon codes from pools or a static code) and paying the ones that waited
for codes.

Who may change a referral's rewards: only whoever holds the referral's row lock (a status
change), plus the payer of rewards waiting for a coupon, which only touches those. Caps and
uniqueness count rewards per advocate, so deciding them takes the advocates' row locks (in
primary-key order) on PostgreSQL; SQLite runs one writer at a time anyway. The unique
constraints on Reward are the backstop if anything races past that.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q

from goodword.campaigns.models import IncentiveReason, IncentiveType
from goodword.core.clock import now
from goodword.core.db import is_postgres
from goodword.coupons.models import CouponList
from goodword.coupons.services import ImportReport, coupons_import, coupons_release, coupons_take
from goodword.offers.models import AdvocateOffer, Claim, Share
from goodword.origins.models import Origin, OriginType
from goodword.people.models import Person
from goodword.referrals.models import Referral, ReferralStatus, TrackMethod
from goodword.rewards.criteria import Criteria, RewardFacts, evaluate
from goodword.rewards.models import GIVEN, Reward, RewardStatus
from goodword.sites.models import Site
from goodword.sites.program import CampaignInfo, IncentiveInfo, Program, program_for
from goodword.worker import queue

# Worker job: pay the rewards of a coupon list that waited for codes (after an import).
PAY_WAITING = "rewards_pay_waiting"
WAITING_BATCH = 500  # waiting rewards paid per statement round
REFERRAL_REASONS = (IncentiveReason.REFERRER, IncentiveReason.REFERRED)

# Hooks other packages register (webhooks): called inside the transaction, with the rewards
# that just became Paid, and asked whether a referral's advocate rewards must wait.
paid_listeners: list[Callable[[list[Reward]], None]] = []
advocate_pay_gates: list[Callable[[int], str | None]] = []


def _gate_reason(site_id: int) -> str | None:
    for gate in advocate_pay_gates:
        reason = gate(site_id)
        if reason:
            return reason
    return None


@dataclass
class _Counts:
    """Rewards already given per incentive and advocate (and friend), kept up to date while a
    batch gives more, so two referrals of one advocate in one batch see each other."""

    total: Counter[tuple[int, int]]
    month: Counter[tuple[int, int]]
    friend: Counter[tuple[int, int, int | None]]

    def add(self, reward: Reward) -> None:
        key = (reward.incentive_id, reward.advocate_id)
        self.total[key] += 1
        self.month[key] += 1
        self.friend[(reward.incentive_id, reward.advocate_id, reward.friend_id)] += 1


def _month_start(at: datetime) -> datetime:
    return at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _load_counts(
    incentive_ids: set[int], advocate_ids: set[int], stamp: datetime, *, exclude: Iterable[int]
) -> _Counts:
    counts = _Counts(Counter(), Counter(), Counter())
    if not incentive_ids or not advocate_ids:
        return counts
    rows = (
        Reward.objects.filter(
            incentive_id__in=incentive_ids,
            advocate_id__in=advocate_ids,
            status__in=GIVEN,
            given_at__isnull=False,
        )
        .exclude(pk__in=list(exclude))
        .values("incentive_id", "advocate_id", "friend_id")
        .annotate(n=Count("id"), month=Count("id", filter=Q(given_at__gte=_month_start(stamp))))
    )
    for row in rows:
        key = (row["incentive_id"], row["advocate_id"])
        counts.total[key] += row["n"]
        counts.month[key] += row["month"]
        counts.friend[(*key, row["friend_id"])] += row["n"]
    return counts


def _lock_people(person_ids: Iterable[int]) -> None:
    """Advocates' row locks, in primary-key order: caps and uniqueness are decided under them."""
    ids = sorted(set(person_ids))
    if ids and is_postgres():
        list(Person.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))


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


def _block(reward: Reward, reason: str, stamp: datetime) -> None:
    reward.status = RewardStatus.BLOCKED
    reward.status_reason = reason[:500]
    reward.updated_at = stamp


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
    if rewards:
        for listener in paid_listeners:
            listener(rewards)


# --- referrals -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _OriginFacts:
    type: str
    event_category: str | None
    subtotal: Decimal | None
    occurred_at: datetime
    uuid: Any


def rewards_sync(*, referrals: Sequence[Referral]) -> list[Reward]:
    """Bring the `referrer` and `referred` rewards of referrals in line with their status.
    Call in the transaction that changed them, holding their row locks.

    - new, pending or flagged: a Pending reward when the criteria are met now, else Blocked
      with the reason (re-evaluated at each move: caps and counts may change meanwhile);
    - approved: criteria evaluated once more, under the advocates' locks, then paid (or
      Blocked); the advocate's reward may wait for the referral webhook (a site setting);
    - blocked: its open rewards are Blocked; voided: its Pending rewards are Voided.
    Paid and Waiting-for-coupon rewards never change here. Returns the rewards made Paid."""
    if not referrals:
        return []
    site_id = referrals[0].site_id
    assert all(r.site_id == site_id for r in referrals)
    program = program_for(site_id)
    stamp = now()
    plans: list[tuple[Referral, CampaignInfo, IncentiveInfo]] = []
    for referral in referrals:
        campaign = program.campaign(referral.campaign_id)
        if campaign is None:
            continue
        for reason in REFERRAL_REASONS:
            incentive = campaign.incentive(reason)
            if incentive is not None:
                plans.append((referral, campaign, incentive))
    if not plans:
        return []
    existing = {
        (r.referral_id, r.reason): r
        for r in Reward.objects.filter(referral_id__in=[p[0].pk for p in plans])
    }
    settled = {RewardStatus.PAID, RewardStatus.WAITING, RewardStatus.VOIDED}
    todo = [
        p
        for p in plans
        if (r := existing.get((p[0].pk, p[2].reason))) is None or r.status not in settled
    ]
    if not todo:
        return []
    evaluating = [
        p for p in todo if p[0].status not in (ReferralStatus.BLOCKED, ReferralStatus.VOIDED)
    ]
    facts = _referral_facts(program, evaluating, stamp, existing)
    # A blocked or voided referral is not evaluated, but its new `referred` reward still needs
    # the origin's visitor uuid: the Rewards API finds it by that once the referral is unblocked.
    facts.origins.update(_load_origins({p[0].origin_id for p in todo} - facts.origins.keys()))
    site_currency = _site_currency(site_id)
    gate = (
        _gate_reason(site_id) if any(p[0].status == ReferralStatus.APPROVED for p in todo) else None
    )
    created: list[Reward] = []
    changed: list[Reward] = []
    to_pay: list[Reward] = []
    for referral, campaign, incentive in todo:
        reward = existing.get((referral.pk, incentive.reason))
        fresh = reward is None
        if reward is None:
            recipient = (
                referral.advocate_id if incentive.reason == "referrer" else referral.friend_id
            )
            reward = _new_reward(
                incentive=incentive,
                campaign=campaign,
                site_id=site_id,
                currency=_currency(incentive, site_currency),
                offer_id=referral.offer_id,
                advocate_id=referral.advocate_id,
                person_id=recipient,
                stamp=stamp,
                friend_id=referral.friend_id,
                referral_id=referral.pk,
                visitor_uuid=facts.origins[referral.origin_id].uuid
                if referral.origin_id in facts.origins and incentive.reason == "referred"
                else None,
            )
        before = (reward.status, reward.status_reason)
        if referral.status == ReferralStatus.VOIDED:
            if reward.status == RewardStatus.PENDING:
                reward.status = RewardStatus.VOIDED
                reward.status_reason = "Referral voided"
                reward.updated_at = stamp
        elif referral.status == ReferralStatus.BLOCKED:
            _block(reward, f"Referral blocked: {referral.fraud_details or 'fraud policy'}", stamp)
        else:
            why = facts.refusal(referral, incentive, reward)
            if why is not None:
                _block(reward, why, stamp)
            elif referral.status == ReferralStatus.APPROVED:
                if incentive.reason == "referrer" and gate:
                    # Decided and counted as given; paid when the gate opens.
                    reward.status = RewardStatus.PENDING
                    reward.status_reason = gate
                    reward.given_at = stamp
                    reward.updated_at = stamp
                else:
                    to_pay.append(reward)
                facts.counts.add(reward)
            else:
                reward.status = RewardStatus.PENDING
                reward.status_reason = ""
                reward.given_at = None
                reward.updated_at = stamp
        if fresh:
            created.append(reward)
        elif (to_pay and to_pay[-1] is reward) or (reward.status, reward.status_reason) != before:
            changed.append(reward)
    paid = rewards_pay(to_pay, stamp)
    if created:
        Reward.objects.bulk_create(created)
    rewards_save(changed)
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


@dataclass
class _Facts:
    program: Program
    origins: dict[int, _OriginFacts]
    offer_expiry: dict[int, datetime | None]
    new_customer: dict[int, bool]
    approved: Counter[tuple[int, int]]
    counts: _Counts
    emails: dict[int, str]
    stamp: datetime

    def refusal(self, referral: Referral, incentive: IncentiveInfo, reward: Reward) -> str | None:
        """Why the reward must not be given, or None."""
        recipient = self.emails.get(reward.person_id or 0)
        if recipient and self.program.blocklist.match(email=recipient, ips=[]):
            return "Person blocklisted"
        if referral.track_method == TrackMethod.FORCE_MANUALLY_GENERATED:
            return None  # staff forced it: criteria do not apply
        origin = self.origins.get(referral.origin_id)
        expires = self.offer_expiry.get(referral.offer_id)
        at = origin.occurred_at if origin else referral.created_at
        key = (incentive.id, referral.advocate_id)
        verdict = evaluate(
            Criteria.parse(incentive.criteria),
            RewardFacts(
                reason=incentive.reason,
                origin_type=origin.type if origin else None,
                event_category=origin.event_category if origin else None,
                subtotal=referral.subtotal,
                friend_new_customer=self.new_customer.get(referral.origin_id),
                advocate_referrals=self.approved[(referral.advocate_id, referral.campaign_id)],
                offer_expired=expires is not None and expires < at,
                given_total=self.counts.total[key],
                given_this_month=self.counts.month[key],
                given_to_friend=self.counts.friend[(*key, referral.friend_id)],
            ),
        )
        return None if verdict.ok else verdict.reason


def _load_origins(origin_ids: set[int]) -> dict[int, _OriginFacts]:
    if not origin_ids:
        return {}
    return {
        row["id"]: _OriginFacts(
            row["type"], row["event_category"], row["subtotal"], row["occurred_at"], row["uuid"]
        )
        for row in Origin.objects.filter(pk__in=origin_ids).values(
            "id", "type", "event_category", "subtotal", "occurred_at", "uuid"
        )
    }


def _referral_facts(
    program: Program,
    plans: list[tuple[Referral, CampaignInfo, IncentiveInfo]],
    stamp: datetime,
    existing: dict[tuple[int | None, str], Reward],
) -> _Facts:
    """Everything the criteria need for a batch, in a few queries, each only when a criterion
    in play needs it."""
    referrals = {p[0].pk: p[0] for p in plans}
    criteria = [Criteria.parse(p[2].criteria) for p in plans]
    origins = _load_origins({r.origin_id for r in referrals.values()})
    offer_expiry = dict(
        AdvocateOffer.objects.filter(pk__in={r.offer_id for r in referrals.values()}).values_list(
            "id", "expires_at"
        )
    )
    new_customer: dict[int, bool] = {}
    if any(c.new_customer for c in criteria):
        new_customer = _new_customers(list(referrals.values()), origins)
    approved: Counter[tuple[int, int]] = Counter()
    if any(c.referrals_min is not None or c.referrals_max is not None for c in criteria):
        approved = _approved_referrals(
            site_id=program.site_id,
            advocate_ids={r.advocate_id for r in referrals.values()},
            campaign_ids={r.campaign_id for r in referrals.values()},
        )
    advocates = {r.advocate_id for r in referrals.values()}
    counts = _Counts(Counter(), Counter(), Counter())
    if any(c.needs_counts for c in criteria) and any(
        p[0].status == ReferralStatus.APPROVED for p in plans
    ):
        _lock_people(advocates)
        counts = _load_counts(
            {p[2].id for p in plans},
            advocates,
            stamp,
            exclude=[r.pk for r in existing.values()],
        )
    emails: dict[int, str] = {}
    if program.blocklist.entries:
        people = advocates | {r.friend_id for r in referrals.values()}
        emails = dict(Person.objects.filter(pk__in=people).values_list("id", "email"))
    return _Facts(program, origins, offer_expiry, new_customer, approved, counts, emails, stamp)


def _approved_referrals(
    *, site_id: int, advocate_ids: set[int], campaign_ids: set[int]
) -> Counter[tuple[int, int]]:
    """(advocate id, campaign id) -> approved referrals: what referrals_min/max count."""
    rows = (
        Referral.objects.filter(
            site_id=site_id,
            advocate_id__in=advocate_ids,
            campaign_id__in=campaign_ids,
            status=ReferralStatus.APPROVED,
        )
        .values("advocate_id", "campaign_id")
        .annotate(n=Count("id"))
    )
    return Counter({(row["advocate_id"], row["campaign_id"]): row["n"] for row in rows})


def _new_customers(referrals: list[Referral], origins: dict[int, _OriginFacts]) -> dict[int, bool]:
    """origin id -> the friend had no Purchase before this origin."""
    result: dict[int, bool] = {}
    for referral in referrals:
        origin = origins.get(referral.origin_id)
        if origin is None:
            continue
        earlier = (
            Origin.objects.filter(
                site_id=referral.site_id,
                person_id=referral.friend_id,
                type=OriginType.PURCHASE,
                occurred_at__lt=origin.occurred_at,
            )
            .exclude(pk=referral.origin_id)
            .exists()
        )
        result[referral.origin_id] = not earlier
    return result


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
    criteria = Criteria.parse(incentive.criteria)
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
    counts = _Counts(Counter(), Counter(), Counter())
    if criteria.needs_counts:
        _lock_people([offer.advocate_id])
        counts = _load_counts({incentive.id}, {offer.advocate_id}, stamp, exclude=())
    referrals = 0
    if criteria.referrals_min is not None or criteria.referrals_max is not None:
        referrals = _approved_referrals(
            site_id=offer.site_id, advocate_ids={offer.advocate_id}, campaign_ids={campaign.id}
        )[(offer.advocate_id, campaign.id)]
    at = origin.occurred_at if origin is not None else stamp
    key = (incentive.id, offer.advocate_id)
    verdict = evaluate(
        criteria,
        RewardFacts(
            reason=reason,
            origin_type=origin.type if origin is not None else None,
            event_category=origin.event_category if origin is not None else None,
            subtotal=origin.subtotal if origin is not None else None,
            friend_new_customer=None,
            advocate_referrals=referrals,
            offer_expired=offer.expires_at is not None and offer.expires_at < at,
            given_total=counts.total[key],
            given_this_month=counts.month[key],
            given_to_friend=counts.friend[(*key, None)],
        ),
    )
    email = None
    if person_id is not None and program.blocklist.entries:
        email = Person.objects.filter(pk=person_id).values_list("email", flat=True).first()
    if email and program.blocklist.match(email=email, ips=[]):
        _block(reward, "Person blocklisted", stamp)
        paid: list[Reward] = []
    elif not verdict.ok:
        _block(reward, verdict.reason or "Criteria not met", stamp)
        paid = []
    else:
        paid = rewards_pay([reward], stamp)
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
    through here; coupons themselves know nothing of rewards (ADR 0013)."""
    with transaction.atomic():
        report = coupons_import(site=site, coupon_list=coupon_list, codes=codes)
        if report.imported:
            rewards_waiting_enqueue(site_id=site.pk, coupon_list_id=coupon_list.pk)
    return report


def rewards_pay_waiting(*, coupon_list_id: int, limit: int = WAITING_BATCH) -> int:
    """Pay rewards of a list that waited for codes, oldest first, while codes last. Returns how
    many were paid."""
    # Not SKIP LOCKED: a reward another transaction holds is waited for, not left behind.
    lock = Reward.objects.select_for_update()
    waiting = list(
        lock.filter(coupon_list_id=coupon_list_id, status=RewardStatus.WAITING).order_by("id")[
            :limit
        ]
    )
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
