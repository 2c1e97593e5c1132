"""friend_event_category: a referrer/referred reward only for a friend's Event of this
category."""

from __future__ import annotations

import pytest

from goodword.rewards.criteria import Criteria, evaluate
from tests.rewards.criteria.builders import facts

NEWSLETTER = Criteria(friend_event_category="newsletter_subscription")


@pytest.mark.parametrize("reason", ["referrer", "referred"])
def test_an_event_of_the_category_passes(reason):
    # given a friend's newsletter subscription event
    given = facts(
        reason=reason, origin_type="Event", event_category="newsletter_subscription", subtotal=None
    )

    # then it passes
    verdict = evaluate(NEWSLETTER, given)
    assert verdict.ok
    assert verdict.evidence["friend_event_category"] == {
        "outcome": "passed",
        "required": "newsletter_subscription",
        "reward_reason": reason,
        "origin_type": "Event",
        "event_category": "newsletter_subscription",
    }


def test_an_event_of_another_category_fails():
    # given a friend's review event
    given = facts(origin_type="Event", event_category="review", subtotal=None)

    # then it fails, naming both categories
    verdict = evaluate(NEWSLETTER, given)
    assert verdict.failed == ("friend_event_category",)
    assert verdict.reason == (
        "Criteria not met: the friend's event category is 'review', not 'newsletter_subscription'"
    )


def test_the_category_is_compared_exactly():
    # given the same category in another letter case
    given = facts(origin_type="Event", event_category="Newsletter_Subscription")

    # then it does not match: merchants send categories as identifiers
    assert evaluate(NEWSLETTER, given).failed == ("friend_event_category",)


def test_a_purchase_fails():
    # given the friend's origin is a purchase
    verdict = evaluate(NEWSLETTER, facts(origin_type="Purchase"))

    # then it fails, saying it was a purchase
    assert verdict.failed == ("friend_event_category",)
    assert verdict.reason == (
        "Criteria not met: the friend's origin is a Purchase, "
        "not an event of category 'newsletter_subscription'"
    )


def test_a_referral_without_an_origin_fails():
    # given a referrer reward with no origin known
    verdict = evaluate(NEWSLETTER, facts(origin_type=None, subtotal=None))

    # then it fails: there is no event at all
    assert verdict.failed == ("friend_event_category",)
    assert verdict.reason is not None and "no friend's event" in verdict.reason


@pytest.mark.parametrize("reason", ["click", "shared", "signup"])
def test_other_reasons_are_not_checked(reason):
    # given a reward that is not about the friend's origin
    given = facts(reason=reason, origin_type=None, subtotal=None, friend_new_customer=None)

    # then the rule does not apply
    verdict = evaluate(NEWSLETTER, given)
    assert verdict.ok
    assert verdict.evidence["friend_event_category"]["outcome"] == "not_applicable"
