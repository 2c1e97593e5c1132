"""Tracking by gated email: the origin's email is the one the friend entered on the claim page."""

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

EMAIL = "friend@example.org"


def test_a_gated_claim_before_the_origin_attributes_with_the_email_as_evidence():
    # given a friend who entered their email on an advocate's claim page an hour ago
    claim = candidate(
        TrackMethod.GATED_EMAIL, offer(4), seen_at=T0 - minutes(60), claim_id=9, matched=EMAIL
    )

    # when their purchase is attributed
    match = attribute(origin(), [claim])

    # then it is the advocate's, by gated email, and the evidence names the email
    assert match is not None
    assert (match.method, match.offer.offer_id, match.claim_id) == ("gated_email", 4, 9)
    assert match.evidence == {
        "method": "gated_email",
        "matched": EMAIL,
        "seen_at": "2026-07-07T17:00:00+00:00",
    }


def test_days_old_gated_claims_still_attribute():
    # unlike IP tracking, an email match has no time window beyond the offer's own expiry
    claim = candidate(TrackMethod.GATED_EMAIL, seen_at=T0 - minutes(60 * 24 * 20), matched=EMAIL)

    assert attribute(origin(), [claim]) is not None


def test_a_gated_claim_after_the_origin_does_not_attribute():
    claim = candidate(TrackMethod.GATED_EMAIL, seen_at=T0 + minutes(1), matched=EMAIL)

    assert attribute(origin(), [claim]) is None


@pytest.mark.parametrize("case", LIVENESS, ids=LIVENESS_IDS)
def test_only_a_live_offer_of_a_running_campaign_attributes(case: Liveness):
    claim = candidate(TrackMethod.GATED_EMAIL, offer(**case.offer_kwargs), seen_at=T0 - minutes(5))

    assert (attribute(origin(), [claim]) is not None) is case.live


def test_the_most_recent_gated_claim_wins():
    # given the friend entered their email on two advocates' pages
    claims = [
        candidate(TrackMethod.GATED_EMAIL, offer(1), seen_at=T0 - minutes(10), matched=EMAIL),
        candidate(TrackMethod.GATED_EMAIL, offer(2), seen_at=T0 - minutes(90), matched=EMAIL),
    ]

    match = attribute(origin(), claims)

    assert match is not None and match.offer.offer_id == 1
