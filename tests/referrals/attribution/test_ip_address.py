"""Tracking by IP address: same IP as a claim-link click, within one hour of it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from goodword.referrals.attribution import attribute
from goodword.referrals.models import TrackMethod
from tests.referrals.attribution.builders import (
    T0,
    candidate,
    minutes,
    offer,
    origin,
)

IP = "198.51.100.7"


def test_a_click_from_the_same_ip_half_an_hour_earlier_attributes():
    # given a click from the buyer's IP thirty minutes before the purchase
    click = candidate(
        TrackMethod.IP_ADDRESS, offer(8), seen_at=T0 - minutes(30), claim_id=3, matched=IP
    )

    match = attribute(origin(), [click])

    # then the purchase is attributed by IP, through that claim, with the IP as evidence
    assert match is not None
    assert (match.method, match.offer.offer_id, match.claim_id) == ("ip_address", 8, 3)
    assert match.evidence == {
        "method": "ip_address",
        "matched": IP,
        "seen_at": "2026-07-07T17:30:00+00:00",
    }


@pytest.mark.parametrize(
    ("age", "attributed"),
    [
        (timedelta(0), True),
        (minutes(59), True),
        (timedelta(hours=1), True),
        (timedelta(hours=1, microseconds=1), False),
        (timedelta(hours=1, seconds=1), False),
        (minutes(61), False),
        (timedelta(days=1), False),
        (-timedelta(seconds=1), False),
    ],
    ids=["same-instant", "59m", "exactly-1h", "1h+1us", "1h+1s", "61m", "1d", "click-after"],
)
def test_the_window_is_one_hour_after_the_click_inclusive(age: timedelta, attributed: bool):
    # given a click from the buyer's IP `age` before the purchase
    click = candidate(TrackMethod.IP_ADDRESS, seen_at=T0 - age, matched=IP)

    # then it attributes only within the hour (a click after the purchase never does)
    assert (attribute(origin(), [click]) is not None) is attributed


def test_a_click_of_unknown_time_does_not_attribute_by_ip():
    assert (
        attribute(origin(), [candidate(TrackMethod.IP_ADDRESS, seen_at=None, matched=IP)]) is None
    )


def test_an_excluded_ip_or_email_never_attributes_by_ip():
    # given the origin's IP or email is blocklisted (or QA traffic)
    click = candidate(TrackMethod.IP_ADDRESS, seen_at=T0 - minutes(5), matched=IP)

    assert attribute(origin(ip_excluded=True), [click]) is None


def test_an_excluded_ip_still_lets_a_cookie_attribute():
    # given the same friend also carries a cookie of another advocate's click
    by_ip = candidate(TrackMethod.IP_ADDRESS, offer(1), seen_at=T0 - minutes(5), matched=IP)
    by_cookie = candidate(TrackMethod.COOKIE, offer(2), seen_at=T0 - minutes(50))

    match = attribute(origin(ip_excluded=True), [by_ip, by_cookie])

    assert match is not None and (match.method, match.offer.offer_id) == ("cookie", 2)


def test_the_most_recent_click_within_the_hour_wins():
    clicks = [
        candidate(TrackMethod.IP_ADDRESS, offer(1), seen_at=T0 - minutes(50)),
        candidate(TrackMethod.IP_ADDRESS, offer(2), seen_at=T0 - minutes(10)),
        candidate(TrackMethod.IP_ADDRESS, offer(3), seen_at=T0 - minutes(70)),
    ]

    match = attribute(origin(), clicks)

    assert match is not None and match.offer.offer_id == 2
