"""Tracking by cookie: the origin's uuid is the visitor uuid of a claim-link click."""

from __future__ import annotations

import pytest

from goodword.referrals.attribution import attribute
from goodword.referrals.models import TrackMethod
from tests.referrals.attribution.builders import (
    FRIEND_ID,
    LIVENESS,
    LIVENESS_IDS,
    T0,
    Liveness,
    candidate,
    minutes,
    offer,
    origin,
)

UUID = "3f1c2a6e-0000-4000-8000-000000000001"


def test_a_click_before_the_origin_attributes_with_its_evidence():
    # given a friend who clicked an advocate's claim link ten minutes before buying
    click = candidate(
        TrackMethod.COOKIE, offer(7), seen_at=T0 - minutes(10), claim_id=42, matched=UUID
    )

    # when the purchase is attributed
    match = attribute(origin(), [click])

    # then it belongs to that offer, through that claim, with what matched and when
    assert match is not None
    assert match.method == "cookie"
    assert match.offer == offer(7)
    assert match.claim_id == 42
    assert match.evidence == {
        "method": "cookie",
        "matched": UUID,
        "seen_at": "2026-07-07T17:50:00+00:00",
    }


def test_a_click_at_the_very_moment_of_the_origin_attributes():
    match = attribute(origin(), [candidate(TrackMethod.COOKIE, seen_at=T0, matched=UUID)])

    assert match is not None and match.method == TrackMethod.COOKIE


def test_a_click_after_the_origin_does_not_attribute():
    # given the only click came a second after the purchase happened
    late = candidate(TrackMethod.COOKIE, seen_at=T0 + minutes(1 / 60), matched=UUID)

    # then the purchase was not referred by it
    assert attribute(origin(), [late]) is None


@pytest.mark.parametrize("case", LIVENESS, ids=LIVENESS_IDS)
def test_only_a_live_offer_of_a_running_campaign_attributes(case: Liveness):
    # given a click on an offer in this state at the time of the purchase
    click = candidate(TrackMethod.COOKIE, offer(**case.offer_kwargs), seen_at=T0 - minutes(5))

    # when the purchase is attributed
    match = attribute(origin(), [click])

    # then it is attributed exactly when the offer was live
    assert (match is not None) is case.live


def test_the_most_recent_click_wins():
    # given the friend clicked three advocates' links, the second one last
    clicks = [
        candidate(TrackMethod.COOKIE, offer(1), seen_at=T0 - minutes(30), claim_id=1),
        candidate(TrackMethod.COOKIE, offer(2), seen_at=T0 - minutes(5), claim_id=2),
        candidate(TrackMethod.COOKIE, offer(3), seen_at=T0 - minutes(20), claim_id=3),
    ]

    match = attribute(origin(), clicks)

    assert match is not None
    assert (match.offer.offer_id, match.claim_id) == (2, 2)


def test_a_newer_ineligible_click_does_not_hide_an_older_eligible_one():
    # given the newest click is on an expired offer and one came after the purchase
    clicks = [
        candidate(TrackMethod.COOKIE, offer(1), seen_at=T0 - minutes(30), claim_id=1),
        candidate(
            TrackMethod.COOKIE, offer(2, expires_at=T0 - minutes(1)), seen_at=T0 - minutes(2)
        ),
        candidate(TrackMethod.COOKIE, offer(3), seen_at=T0 + minutes(2), claim_id=3),
    ]

    match = attribute(origin(), clicks)

    assert match is not None and match.offer.offer_id == 1


def test_the_advocates_own_cookie_still_attributes_so_that_screening_can_block_it():
    # given the "friend" is the advocate, buying through their own link
    own = candidate(TrackMethod.COOKIE, offer(1, advocate_id=FRIEND_ID), seen_at=T0 - minutes(1))

    match = attribute(origin(person_id=FRIEND_ID), [own])

    # then attribution finds it; the self-referral policy is what refuses it
    assert match is not None and match.offer.advocate_id == FRIEND_ID


def test_an_excluded_ip_does_not_stop_a_cookie():
    click = candidate(TrackMethod.COOKIE, seen_at=T0 - minutes(1))

    assert attribute(origin(ip_excluded=True), [click]) is not None
