"""Tracking by event chain: a later origin of a friend who was referred before goes to the same
advocate (the lowest priority of all)."""

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


def test_an_earlier_referral_of_the_friend_chains_their_next_origin():
    # given the friend was referred through advocate 3's offer two days ago
    earlier = candidate(TrackMethod.EVENT_CHAIN, offer(3), seen_at=T0 - minutes(60 * 48))

    match = attribute(origin(), [earlier])

    # then their next purchase is chained to the same offer, with no claim behind it
    assert match is not None
    assert (match.method, match.offer.offer_id, match.claim_id) == ("event_chain", 3, None)
    assert match.evidence == {
        "method": "event_chain",
        "matched": "",
        "seen_at": "2026-07-05T18:00:00+00:00",
    }


def test_needs_no_site_setting():
    earlier = candidate(TrackMethod.EVENT_CHAIN, offer(3), seen_at=T0 - minutes(60))

    assert attribute(origin(), [earlier], sticky_advocate=False) is not None


def test_never_chains_the_friend_to_themself():
    own = candidate(
        TrackMethod.EVENT_CHAIN, offer(1, advocate_id=FRIEND_ID), seen_at=T0 - minutes(60)
    )

    assert attribute(origin(person_id=FRIEND_ID), [own]) is None


def test_a_self_candidate_does_not_hide_another_advocate():
    candidates = [
        candidate(
            TrackMethod.EVENT_CHAIN, offer(1, advocate_id=FRIEND_ID), seen_at=T0 - minutes(5)
        ),
        candidate(TrackMethod.EVENT_CHAIN, offer(2), seen_at=T0 - minutes(500)),
    ]

    match = attribute(origin(person_id=FRIEND_ID), candidates)

    assert match is not None and match.offer.offer_id == 2


@pytest.mark.parametrize("case", LIVENESS, ids=LIVENESS_IDS)
def test_only_a_live_offer_of_a_running_campaign_chains(case: Liveness):
    earlier = candidate(
        TrackMethod.EVENT_CHAIN, offer(**case.offer_kwargs), seen_at=T0 - minutes(60)
    )

    assert (attribute(origin(), [earlier]) is not None) is case.live


def test_the_most_recent_referral_wins():
    earlier = [
        candidate(TrackMethod.EVENT_CHAIN, offer(1), seen_at=T0 - minutes(30)),
        candidate(TrackMethod.EVENT_CHAIN, offer(2), seen_at=T0 - minutes(3000)),
    ]

    match = attribute(origin(), earlier)

    assert match is not None and match.offer.offer_id == 1
