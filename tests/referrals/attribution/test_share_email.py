"""Tracking by share email: the origin's email is a recipient of an advocate's email share."""

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

EMAIL = "pal@example.org"


def test_a_share_to_the_friends_email_attributes_without_any_claim():
    # given an advocate emailed their offer to the friend yesterday (no click recorded)
    share = candidate(
        TrackMethod.SHARE_EMAIL, offer(6), seen_at=T0 - minutes(60 * 24), matched=EMAIL
    )

    match = attribute(origin(), [share])

    # then the purchase is theirs by share email, with no claim behind it
    assert match is not None
    assert (match.method, match.offer.offer_id, match.claim_id) == ("share_email", 6, None)
    assert match.evidence == {
        "method": "share_email",
        "matched": EMAIL,
        "seen_at": "2026-07-06T18:00:00+00:00",
    }


def test_a_share_sent_after_the_origin_does_not_attribute():
    share = candidate(TrackMethod.SHARE_EMAIL, seen_at=T0 + minutes(30), matched=EMAIL)

    assert attribute(origin(), [share]) is None


@pytest.mark.parametrize("case", LIVENESS, ids=LIVENESS_IDS)
def test_only_a_live_offer_of_a_running_campaign_attributes(case: Liveness):
    share = candidate(TrackMethod.SHARE_EMAIL, offer(**case.offer_kwargs), seen_at=T0 - minutes(5))

    assert (attribute(origin(), [share]) is not None) is case.live


def test_the_most_recent_share_wins():
    # given two advocates emailed the friend, the second more recently
    shares = [
        candidate(TrackMethod.SHARE_EMAIL, offer(1), seen_at=T0 - minutes(300), matched=EMAIL),
        candidate(TrackMethod.SHARE_EMAIL, offer(2), seen_at=T0 - minutes(30), matched=EMAIL),
    ]

    match = attribute(origin(), shares)

    assert match is not None and match.offer.offer_id == 2
