"""The facts a reward decision needs, gathered from the database in a few queries per batch,
each only when a criterion in play needs it: the origins, offers' expiry, new customers, the
advocates' approved referrals and rewards already given, blocklisted recipients. `reward_facts`
is the one builder of `criteria.RewardFacts`, for referrals and offer actions alike.

Caps and uniqueness count rewards per advocate, so counting them for a decision that gives a
reward takes the advocates' row locks (in primary-key order) on PostgreSQL; SQLite runs one
writer at a time anyway."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q

from goodword.campaigns.program import CampaignInfo, IncentiveInfo, Program
from goodword.core.db import is_postgres
from goodword.offers.models import AdvocateOffer
from goodword.origins.models import Origin, OriginType
from goodword.people.locks import people_lock
from goodword.people.models import Person
from goodword.referrals.models import Referral, ReferralStatus, TrackMethod
from goodword.rewards.criteria import Criteria, RewardFacts
from goodword.rewards.decision import refusal
from goodword.rewards.models import GIVEN, Reward

# A referral's reward to decide: the referral, its campaign and the incentive.
Plan = tuple[Referral, CampaignInfo, IncentiveInfo]


@dataclass
class Counts:
    """Rewards already given per incentive and advocate (and friend), kept up to date while a
    batch gives more, so two referrals of one advocate in one batch see each other."""

    total: Counter[tuple[int, int]]
    month: Counter[tuple[int, int]]
    friend: Counter[tuple[int, int, int | None]]

    @classmethod
    def none(cls) -> Counts:
        return cls(Counter(), Counter(), Counter())

    def add(self, reward: Reward) -> None:
        key = (reward.incentive_id, reward.advocate_id)
        self.total[key] += 1
        self.month[key] += 1
        self.friend[(reward.incentive_id, reward.advocate_id, reward.friend_id)] += 1


@dataclass(frozen=True)
class OriginFacts:
    type: str
    event_category: str | None
    subtotal: Decimal | None
    occurred_at: datetime
    uuid: Any

    @classmethod
    def of(cls, origin: Origin) -> OriginFacts:
        return cls(
            origin.type, origin.event_category, origin.subtotal, origin.occurred_at, origin.uuid
        )


def reward_facts(
    *,
    reason: str,
    origin: OriginFacts | None,
    subtotal: Decimal | None,
    friend_new_customer: bool | None,
    advocate_referrals: int,
    offer_expires_at: datetime | None,
    at: datetime,
    counts: Counts,
    incentive_id: int,
    advocate_id: int,
    friend_id: int | None,
) -> RewardFacts:
    """The facts about one would-be reward; `at` is when its cause happened (offer expiry is
    judged then)."""
    key = (incentive_id, advocate_id)
    return RewardFacts(
        reason=reason,
        origin_type=origin.type if origin else None,
        event_category=origin.event_category if origin else None,
        subtotal=subtotal,
        friend_new_customer=friend_new_customer,
        advocate_referrals=advocate_referrals,
        offer_expired=offer_expires_at is not None and offer_expires_at < at,
        given_total=counts.total[key],
        given_this_month=counts.month[key],
        given_to_friend=counts.friend[(*key, friend_id)],
    )


def month_start(at: datetime) -> datetime:
    return at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def counts_load(
    incentive_ids: set[int], advocate_ids: set[int], stamp: datetime, *, exclude: Iterable[int]
) -> Counts:
    counts = Counts.none()
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
        .annotate(n=Count("id"), month=Count("id", filter=Q(given_at__gte=month_start(stamp))))
    )
    for row in rows:
        key = (row["incentive_id"], row["advocate_id"])
        counts.total[key] += row["n"]
        counts.month[key] += row["month"]
        counts.friend[(*key, row["friend_id"])] += row["n"]
    return counts


def advocates_lock(person_ids: Iterable[int]) -> None:
    """Advocates' row locks, in primary-key order: caps and uniqueness are decided under them."""
    ids = sorted(set(person_ids))
    if ids and is_postgres():
        people_lock(ids=ids)


def origins_load(origin_ids: set[int]) -> dict[int, OriginFacts]:
    if not origin_ids:
        return {}
    return {
        row["id"]: OriginFacts(
            row["type"], row["event_category"], row["subtotal"], row["occurred_at"], row["uuid"]
        )
        for row in Origin.objects.filter(pk__in=origin_ids).values(
            "id", "type", "event_category", "subtotal", "occurred_at", "uuid"
        )
    }


def approved_referrals(
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


def new_customers(referrals: list[Referral], origins: dict[int, OriginFacts]) -> dict[int, bool]:
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


def blocklisted(program: Program, emails: dict[int, str], person_id: int | None) -> bool:
    recipient = emails.get(person_id or 0)
    return bool(recipient and program.blocklist.match(email=recipient, ips=[]))


@dataclass
class ReferralFacts:
    """What the decisions about a batch of referrals' rewards read; `counts` grows as the batch
    gives rewards."""

    program: Program
    criteria: dict[int, Criteria]  # per incentive id, parsed once per batch
    origins: dict[int, OriginFacts]
    offer_expiry: dict[int, datetime | None]
    new_customer: dict[int, bool]
    approved: Counter[tuple[int, int]]
    counts: Counts
    emails: dict[int, str]

    def refusal(self, referral: Referral, incentive: IncentiveInfo, reward: Reward) -> str | None:
        """Why the reward must not be given, or None."""
        origin = self.origins.get(referral.origin_id)
        criteria = self.criteria.get(incentive.id)
        if criteria is None:  # not among the plans gathered for
            criteria = Criteria.parse(incentive.criteria)
        return refusal(
            criteria=criteria,
            facts=reward_facts(
                reason=incentive.reason,
                origin=origin,
                subtotal=referral.subtotal,
                friend_new_customer=self.new_customer.get(referral.origin_id),
                advocate_referrals=self.approved[(referral.advocate_id, referral.campaign_id)],
                offer_expires_at=self.offer_expiry.get(referral.offer_id),
                at=origin.occurred_at if origin else referral.created_at,
                counts=self.counts,
                incentive_id=incentive.id,
                advocate_id=referral.advocate_id,
                friend_id=referral.friend_id,
            ),
            blocklisted=blocklisted(self.program, self.emails, reward.person_id),
            forced=referral.track_method == TrackMethod.FORCE_MANUALLY_GENERATED,
        )


def referral_facts_gather(
    program: Program, plans: list[Plan], stamp: datetime, *, exclude: Iterable[int]
) -> ReferralFacts:
    """Everything the decisions need for a batch, in a few queries, each only when a criterion
    in play needs it. `exclude`: the rewards being decided (not counted as given already)."""
    referrals = {p[0].pk: p[0] for p in plans}
    parsed = {p[2].id: Criteria.parse(p[2].criteria) for p in plans}
    criteria = parsed.values()
    origins = origins_load({r.origin_id for r in referrals.values()})
    offer_expiry = dict(
        AdvocateOffer.objects.filter(pk__in={r.offer_id for r in referrals.values()}).values_list(
            "id", "expires_at"
        )
    )
    new_customer: dict[int, bool] = {}
    if any(c.new_customer for c in criteria):
        new_customer = new_customers(list(referrals.values()), origins)
    approved: Counter[tuple[int, int]] = Counter()
    if any(c.referrals_min is not None or c.referrals_max is not None for c in criteria):
        approved = approved_referrals(
            site_id=program.site_id,
            advocate_ids={r.advocate_id for r in referrals.values()},
            campaign_ids={r.campaign_id for r in referrals.values()},
        )
    advocates = {r.advocate_id for r in referrals.values()}
    counts = Counts.none()
    if any(c.needs_counts for c in criteria) and any(
        p[0].status == ReferralStatus.APPROVED for p in plans
    ):
        advocates_lock(advocates)
        counts = counts_load({p[2].id for p in plans}, advocates, stamp, exclude=exclude)
    emails: dict[int, str] = {}
    if program.blocklist.entries:
        people = advocates | {r.friend_id for r in referrals.values()}
        emails = dict(Person.objects.filter(pk__in=people).values_list("id", "email"))
    return ReferralFacts(
        program, parsed, origins, offer_expiry, new_customer, approved, counts, emails
    )


def action_refusal(
    *,
    program: Program,
    campaign: CampaignInfo,
    incentive: IncentiveInfo,
    offer: AdvocateOffer,
    person_id: int | None,
    origin: Origin | None,
    stamp: datetime,
) -> str | None:
    """Why a click, share or signup reward must not be given, or None: its facts gathered (the
    advocate's lock taken when caps or uniqueness count) and judged."""
    criteria = Criteria.parse(incentive.criteria)
    counts = Counts.none()
    if criteria.needs_counts:
        advocates_lock([offer.advocate_id])
        counts = counts_load({incentive.id}, {offer.advocate_id}, stamp, exclude=())
    referrals = 0
    if criteria.referrals_min is not None or criteria.referrals_max is not None:
        referrals = approved_referrals(
            site_id=offer.site_id, advocate_ids={offer.advocate_id}, campaign_ids={campaign.id}
        )[(offer.advocate_id, campaign.id)]
    facts = reward_facts(
        reason=incentive.reason,
        origin=OriginFacts.of(origin) if origin is not None else None,
        subtotal=origin.subtotal if origin is not None else None,
        friend_new_customer=None,
        advocate_referrals=referrals,
        offer_expires_at=offer.expires_at,
        at=origin.occurred_at if origin is not None else stamp,
        counts=counts,
        incentive_id=incentive.id,
        advocate_id=offer.advocate_id,
        friend_id=None,
    )
    emails: dict[int, str] = {}
    if person_id is not None and program.blocklist.entries:
        email = Person.objects.filter(pk=person_id).values_list("email", flat=True).first()
        emails = {person_id: email} if email else {}
    return refusal(
        criteria=criteria, facts=facts, blocklisted=blocklisted(program, emails, person_id)
    )
