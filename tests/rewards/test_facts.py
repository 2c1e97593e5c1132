"""reward_facts, the one builder of the criteria's facts (no database): offer expiry judged at
the cause's time, counts looked up for this incentive, advocate and friend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from goodword.rewards.facts import Counts, OriginFacts, reward_facts

AT = datetime(2026, 7, 7, 18, 0, tzinfo=UTC)
ORIGIN = OriginFacts("Event", "review", Decimal("12.50"), AT, None)


def build(**overrides):
    values = {
        "reason": "referrer",
        "origin": ORIGIN,
        "subtotal": Decimal("12.50"),
        "friend_new_customer": True,
        "advocate_referrals": 3,
        "offer_expires_at": None,
        "at": AT,
        "counts": Counts.none(),
        "incentive_id": 1,
        "advocate_id": 10,
        "friend_id": 20,
    }
    values.update(overrides)
    return reward_facts(**values)


def test_the_origin_and_the_callers_values_are_carried_over():
    facts = build()
    assert (facts.reason, facts.origin_type, facts.event_category) == (
        "referrer",
        "Event",
        "review",
    )
    assert (facts.subtotal, facts.friend_new_customer, facts.advocate_referrals) == (
        Decimal("12.50"),
        True,
        3,
    )


def test_without_an_origin_there_is_no_origin_type_or_category():
    facts = build(origin=None, subtotal=None, friend_new_customer=None)
    assert (facts.origin_type, facts.event_category, facts.subtotal) == (None, None, None)


def test_an_offer_is_expired_only_when_it_ended_before_the_cause():
    assert not build(offer_expires_at=None).offer_expired
    assert not build(offer_expires_at=AT).offer_expired
    assert not build(offer_expires_at=AT + timedelta(seconds=1)).offer_expired
    assert build(offer_expires_at=AT - timedelta(seconds=1)).offer_expired


def test_counts_are_those_of_this_incentive_advocate_and_friend():
    # given rewards already given: two of this incentive to this advocate (one this month, one
    # for this friend), and others for another incentive, advocate or friend
    counts = Counts.none()
    counts.total.update({(1, 10): 2, (2, 10): 5, (1, 11): 7})
    counts.month.update({(1, 10): 1, (1, 11): 7})
    counts.friend.update({(1, 10, 20): 1, (1, 10, 21): 1, (1, 11, 20): 7})

    # when the facts of this incentive's reward for advocate 10 and friend 20 are built
    facts = build(counts=counts)

    # then only theirs count
    assert (facts.given_total, facts.given_this_month, facts.given_to_friend) == (2, 1, 1)
