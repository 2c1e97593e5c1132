"""Tracking by coupon: the origin used a friend coupon or an advocate's personal coupon."""

from __future__ import annotations

import pytest

from goodword.referrals.attribution import attribute
from goodword.referrals.models import TrackMethod
from tests.referrals.attribution.builders import (
    LIVENESS,
    LIVENESS_IDS,
    T0,
    Liveness,
    candidate,
    minutes,
    offer,
    origin,
)


def test_a_friend_coupon_attributes_through_its_claim():
    # given the friend got FRIEND-1 on clicking advocate 2's link and used it
    coupon = candidate(
        TrackMethod.COUPON, offer(2), seen_at=T0 - minutes(3), claim_id=11, matched="FRIEND-1"
    )

    match = attribute(origin(), [coupon])

    # then the purchase is advocate 2's, by coupon, through that claim
    assert match is not None
    assert (match.method, match.offer.offer_id, match.claim_id) == ("coupon", 2, 11)
    assert match.evidence == {
        "method": "coupon",
        "matched": "FRIEND-1",
        "seen_at": "2026-07-07T17:57:00+00:00",
    }


def test_an_advocates_personal_coupon_attributes_without_a_claim():
    # given the friend typed the advocate's personal code (no click at all)
    coupon = candidate(
        TrackMethod.COUPON, offer(5), seen_at=T0 - minutes(60 * 24 * 3), matched="ADA-10"
    )

    match = attribute(origin(), [coupon])

    assert match is not None
    assert (match.method, match.offer.offer_id, match.claim_id) == ("coupon", 5, None)
    assert match.evidence["matched"] == "ADA-10"


def test_a_coupon_used_in_the_order_attributes_even_if_its_claim_was_refreshed_later():
    # given the friend clicked again after buying, which refreshed the claim's time: the code
    # in the order still proves they had it before
    coupon = candidate(
        TrackMethod.COUPON, offer(2), seen_at=T0 + minutes(10), claim_id=11, matched="F-1"
    )

    match = attribute(origin(), [coupon])

    assert match is not None and match.method == TrackMethod.COUPON


@pytest.mark.parametrize("case", LIVENESS, ids=LIVENESS_IDS)
def test_only_a_live_offer_of_a_running_campaign_attributes(case: Liveness):
    coupon = candidate(
        TrackMethod.COUPON, offer(**case.offer_kwargs), seen_at=T0 - minutes(5), matched="C"
    )

    assert (attribute(origin(), [coupon]) is not None) is case.live


def test_the_most_recent_coupon_wins_when_the_order_used_several():
    coupons = [
        candidate(TrackMethod.COUPON, offer(1), seen_at=T0 - minutes(50), matched="OLD"),
        candidate(TrackMethod.COUPON, offer(2), seen_at=T0 - minutes(5), matched="NEW"),
        candidate(TrackMethod.COUPON, offer(3), seen_at=T0 - minutes(20), matched="MID"),
    ]

    match = attribute(origin(), coupons)

    assert match is not None
    assert (match.offer.offer_id, match.evidence["matched"]) == (2, "NEW")


def test_an_expired_coupon_offer_falls_back_to_a_live_one():
    coupons = [
        candidate(TrackMethod.COUPON, offer(1), seen_at=T0 - minutes(50), matched="LIVE"),
        candidate(
            TrackMethod.COUPON, offer(2, expires_at=T0), seen_at=T0 - minutes(5), matched="EXPIRED"
        ),
    ]

    match = attribute(origin(), coupons)

    assert match is not None and match.evidence["matched"] == "LIVE"
