"""The tracking methods that match a value of the origin against one an advocate's offer
recorded: the IP of a claim-link click, the email or phone a friend entered on the claim page,
an email share's recipient. What they share is tested here for each; what sets one apart (the
IP's one-hour window, an email's lack of one, a share without a claim) in its own file."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Method:
    name: str
    matched: str
    # a share is no claim: it attributes with no claim behind it
    has_claim: bool = True


METHODS = [
    Method(TrackMethod.IP_ADDRESS, "198.51.100.7"),
    Method(TrackMethod.GATED_EMAIL, "friend@example.org"),
    Method(TrackMethod.PHONE_NUMBER, "+12025550123"),
    Method(TrackMethod.SHARE_EMAIL, "pal@example.org", has_claim=False),
]
IDS = [m.name for m in METHODS]


@pytest.mark.parametrize("method", METHODS, ids=IDS)
def test_a_match_before_the_origin_attributes_with_the_value_as_evidence(method: Method):
    # given the friend's value was recorded on an advocate's offer 30 minutes before the origin
    claim_id = 5 if method.has_claim else None
    found = candidate(
        method.name, offer(3), seen_at=T0 - minutes(30), claim_id=claim_id, matched=method.matched
    )

    # when the origin is attributed
    match = attribute(origin(), [found])

    # then it is that advocate's, by this method, and the evidence names the value and the time
    assert match is not None
    assert (match.method, match.offer.offer_id, match.claim_id) == (method.name, 3, claim_id)
    assert match.evidence == {
        "method": method.name,
        "matched": method.matched,
        "seen_at": "2026-07-07T17:30:00+00:00",
    }


@pytest.mark.parametrize("method", METHODS, ids=IDS)
def test_a_match_recorded_after_the_origin_does_not_attribute(method: Method):
    found = candidate(method.name, seen_at=T0 + minutes(1), matched=method.matched)

    assert attribute(origin(), [found]) is None


@pytest.mark.parametrize("method", METHODS, ids=IDS)
@pytest.mark.parametrize("case", LIVENESS, ids=LIVENESS_IDS)
def test_only_a_live_offer_of_a_running_campaign_attributes(method: Method, case: Liveness):
    found = candidate(method.name, offer(**case.offer_kwargs), seen_at=T0 - minutes(5))

    assert (attribute(origin(), [found]) is not None) is case.live


@pytest.mark.parametrize("method", METHODS, ids=IDS)
def test_the_most_recent_match_wins(method: Method):
    # given the value was recorded on three advocates' offers (listed out of time order)
    found = [
        candidate(method.name, offer(1), seen_at=T0 - minutes(50), matched=method.matched),
        candidate(method.name, offer(2), seen_at=T0 - minutes(10), matched=method.matched),
        candidate(method.name, offer(3), seen_at=T0 - minutes(40), matched=method.matched),
    ]

    match = attribute(origin(), found)

    assert match is not None and match.offer.offer_id == 2


EMAIL_OR_PHONE = [m for m in METHODS if m.name != TrackMethod.IP_ADDRESS]


@pytest.mark.parametrize("method", EMAIL_OR_PHONE, ids=[m.name for m in EMAIL_OR_PHONE])
def test_an_email_or_phone_match_has_no_window_beyond_the_offers_own_expiry(method: Method):
    # given the value was recorded twenty days before the origin (an IP match keeps one hour)
    found = candidate(method.name, seen_at=T0 - minutes(60 * 24 * 20), matched=method.matched)

    assert attribute(origin(), [found]) is not None
