"""Tracking by phone number: the origin's phone equals the one the friend gave on the claim page."""

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

PHONE = "+12025550123"


def test_a_phone_claim_before_the_origin_attributes_with_the_phone_as_evidence():
    claim = candidate(
        TrackMethod.PHONE_NUMBER, offer(3), seen_at=T0 - minutes(15), claim_id=5, matched=PHONE
    )

    match = attribute(origin(), [claim])

    assert match is not None
    assert (match.method, match.offer.offer_id, match.claim_id) == ("phone_number", 3, 5)
    assert match.evidence == {
        "method": "phone_number",
        "matched": PHONE,
        "seen_at": "2026-07-07T17:45:00+00:00",
    }


def test_a_phone_claim_after_the_origin_does_not_attribute():
    claim = candidate(TrackMethod.PHONE_NUMBER, seen_at=T0 + minutes(1), matched=PHONE)

    assert attribute(origin(), [claim]) is None


@pytest.mark.parametrize("case", LIVENESS, ids=LIVENESS_IDS)
def test_only_a_live_offer_of_a_running_campaign_attributes(case: Liveness):
    claim = candidate(TrackMethod.PHONE_NUMBER, offer(**case.offer_kwargs), seen_at=T0 - minutes(5))

    assert (attribute(origin(), [claim]) is not None) is case.live


def test_the_most_recent_phone_claim_wins():
    claims = [
        candidate(TrackMethod.PHONE_NUMBER, offer(1), seen_at=T0 - minutes(40), matched=PHONE),
        candidate(TrackMethod.PHONE_NUMBER, offer(2), seen_at=T0 - minutes(4), matched=PHONE),
    ]

    match = attribute(origin(), claims)

    assert match is not None and match.offer.offer_id == 2
