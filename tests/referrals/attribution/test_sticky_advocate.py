"""Tracking by sticky advocate (a site setting, off by default): a friend referred before stays
bound to the same advocate."""

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


def test_with_the_setting_on_an_earlier_referral_binds_the_friend():
    # given the friend was referred by advocate 4 last week, and the site keeps advocates sticky
    earlier = candidate(TrackMethod.STICKY_ADVOCATE, offer(4), seen_at=T0 - minutes(60 * 24 * 7))

    match = attribute(origin(), [earlier], sticky_advocate=True)

    # then their new origin is advocate 4's, by sticky advocate, with no claim behind it
    assert match is not None
    assert (match.method, match.offer.offer_id, match.claim_id) == ("sticky_advocate", 4, None)
    assert match.evidence == {
        "method": "sticky_advocate",
        "matched": "",
        "seen_at": "2026-06-30T18:00:00+00:00",
    }


def test_the_setting_is_off_by_default():
    earlier = candidate(TrackMethod.STICKY_ADVOCATE, offer(4), seen_at=T0 - minutes(60))

    assert attribute(origin(), [earlier]) is None
    assert attribute(origin(), [earlier], sticky_advocate=False) is None


def test_never_binds_the_friend_to_themself():
    # given the earlier "referral" had this same person as its advocate
    own = candidate(
        TrackMethod.STICKY_ADVOCATE, offer(1, advocate_id=FRIEND_ID), seen_at=T0 - minutes(60)
    )

    assert attribute(origin(person_id=FRIEND_ID), [own], sticky_advocate=True) is None


@pytest.mark.parametrize("case", LIVENESS, ids=LIVENESS_IDS)
def test_only_a_live_offer_of_a_running_campaign_binds(case: Liveness):
    earlier = candidate(
        TrackMethod.STICKY_ADVOCATE, offer(**case.offer_kwargs), seen_at=T0 - minutes(60)
    )

    match = attribute(origin(), [earlier], sticky_advocate=True)

    assert (match is not None) is case.live


def test_the_most_recent_advocate_wins_when_several_referred_the_friend():
    earlier = [
        candidate(TrackMethod.STICKY_ADVOCATE, offer(1), seen_at=T0 - minutes(600)),
        candidate(TrackMethod.STICKY_ADVOCATE, offer(2), seen_at=T0 - minutes(60)),
    ]

    match = attribute(origin(), earlier, sticky_advocate=True)

    assert match is not None and match.offer.offer_id == 2
