"""The tracking methods' priority order (ENGINE.md): the first method with an eligible candidate
wins, whatever the others found; within a method the most recent wins."""

from __future__ import annotations

from itertools import combinations

import pytest

from goodword.referrals.attribution import PRIORITY, Candidate, attribute
from tests.referrals.attribution.builders import T0, candidate, minutes, offer, origin

# Written out rather than imported: this is the order ENGINE.md promises merchants.
ENGINE_ORDER = [
    "sticky_advocate",
    "coupon",
    "cookie",
    "gated_email",
    "phone_number",
    "share_email",
    "ip_address",
    "event_chain",
]


def one_per_method(methods: list[str]) -> list[Candidate]:
    """One eligible candidate per method, each on its own offer (offer id = place in the
    order + 1), all seen ten minutes before the origin (inside the IP window)."""
    return [
        candidate(m, offer(ENGINE_ORDER.index(m) + 1), seen_at=T0 - minutes(10)) for m in methods
    ]


def test_the_engine_order_is_the_attribution_order():
    assert list(PRIORITY) == ENGINE_ORDER


@pytest.mark.parametrize(
    ("higher", "lower"),
    list(combinations(ENGINE_ORDER, 2)),
    ids=[f"{a}>{b}" for a, b in combinations(ENGINE_ORDER, 2)],
)
def test_a_higher_method_beats_a_lower_one(higher: str, lower: str):
    # given one eligible candidate of each method, the lower one listed first
    candidates = one_per_method([lower, higher])

    # when attributed (sticky advocate switched on so that it takes part)
    match = attribute(origin(), candidates, sticky_advocate=True)

    # then the higher method wins
    assert match is not None
    assert match.method == higher
    assert match.offer.offer_id == ENGINE_ORDER.index(higher) + 1


def test_each_method_takes_over_when_every_higher_one_is_gone():
    remaining = list(ENGINE_ORDER)
    winners = []
    while remaining:
        match = attribute(origin(), one_per_method(remaining), sticky_advocate=True)
        assert match is not None
        winners.append(match.method)
        remaining.remove(match.method)

    assert winners == ENGINE_ORDER


def test_without_the_site_setting_sticky_advocate_is_skipped_for_the_next_method():
    # given the friend was referred before (sticky and event chain come from the same referral)
    # and also used a coupon
    candidates = one_per_method(["sticky_advocate", "coupon", "event_chain"])

    match = attribute(origin(), candidates)

    assert match is not None and match.method == "coupon"


def test_an_ineligible_higher_method_falls_through_to_a_lower_one():
    # given a coupon of an expired offer, a cookie clicked after the purchase, an IP click two
    # hours old, and an email share
    candidates = [
        candidate("coupon", offer(1, expires_at=T0 - minutes(1)), seen_at=T0 - minutes(9)),
        candidate("cookie", offer(2), seen_at=T0 + minutes(1)),
        candidate("ip_address", offer(3), seen_at=T0 - minutes(120)),
        candidate("share_email", offer(4), seen_at=T0 - minutes(600)),
    ]

    match = attribute(origin(), candidates)

    # then the share is the first method with an eligible candidate
    assert match is not None and (match.method, match.offer.offer_id) == ("share_email", 4)


def test_recency_never_beats_priority():
    # given an old coupon and a click a second ago
    candidates = [
        candidate("cookie", offer(2), seen_at=T0 - minutes(1 / 60)),
        candidate("coupon", offer(1), seen_at=T0 - minutes(60 * 24 * 30)),
    ]

    match = attribute(origin(), candidates)

    assert match is not None and match.method == "coupon"


def test_within_a_method_a_dated_candidate_beats_one_of_unknown_time():
    candidates = [
        candidate("cookie", offer(1), seen_at=None),
        candidate("cookie", offer(2), seen_at=T0 - minutes(60 * 24)),
    ]

    match = attribute(origin(), candidates)

    assert match is not None and match.offer.offer_id == 2
    assert match.evidence["seen_at"] == "2026-07-06T18:00:00+00:00"


def test_a_candidate_of_unknown_time_has_no_seen_at_in_its_evidence():
    match = attribute(origin(), [candidate("cookie", offer(1), seen_at=None, matched="u")])

    assert match is not None
    assert match.evidence == {"method": "cookie", "matched": "u"}


def test_no_candidates_no_match():
    assert attribute(origin(), [], sticky_advocate=True) is None


def test_staff_methods_are_never_found_by_attribution():
    # manually generated referrals are made by staff directly, not by this function
    candidates = [
        candidate("manually_generated", offer(1), seen_at=T0 - minutes(1)),
        candidate("force_manually_generated", offer(2), seen_at=T0 - minutes(1)),
    ]

    assert attribute(origin(), candidates, sticky_advocate=True) is None
