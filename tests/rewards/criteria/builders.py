"""Facts and criteria for the criteria tests: a reward that meets everything unless a test says
otherwise, and hypothesis strategies for the properties."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from goodword.rewards.criteria import Criteria, RewardFacts

REASONS = ("referrer", "referred", "click", "shared", "signup")
ORIGIN_TYPES = ("Purchase", "Event", "AffiliateMember", None)


def facts(**overrides: Any) -> RewardFacts:
    """A referrer reward for a new customer's first purchase of 100.00, nothing given yet."""
    values: dict[str, Any] = {
        "reason": "referrer",
        "origin_type": "Purchase",
        "event_category": None,
        "subtotal": Decimal("100.00"),
        "friend_new_customer": True,
        "advocate_referrals": 1,
        "offer_expired": False,
        "given_total": 0,
        "given_this_month": 0,
        "given_to_friend": 0,
    }
    values.update(overrides)
    return RewardFacts(**values)


counts = st.integers(min_value=0, max_value=10_000)
amounts = st.decimals(
    min_value=Decimal("0.00"), max_value=Decimal("99999999.99"), places=2, allow_nan=False
)


@st.composite
def any_facts(draw: st.DrawFn) -> RewardFacts:
    given_total = draw(counts)
    given_this_month = draw(st.integers(min_value=0, max_value=given_total))
    return RewardFacts(
        reason=draw(st.sampled_from(REASONS)),
        origin_type=draw(st.sampled_from(ORIGIN_TYPES)),
        event_category=draw(st.none() | st.sampled_from(("newsletter", "review", "Newsletter"))),
        subtotal=draw(st.none() | amounts),
        friend_new_customer=draw(st.none() | st.booleans()),
        advocate_referrals=draw(counts),
        offer_expired=draw(st.booleans()),
        given_total=given_total,
        given_this_month=given_this_month,
        given_to_friend=draw(st.integers(min_value=0, max_value=given_total)),
    )


@st.composite
def any_criteria(draw: st.DrawFn) -> Criteria:
    low, high = sorted((draw(amounts), draw(amounts)))
    rlow, rhigh = sorted((draw(counts), draw(counts)))
    caps = st.none() | st.integers(min_value=1, max_value=10_000)
    return Criteria(
        new_customer=draw(st.none() | st.booleans()),
        subtotal_min=draw(st.none() | st.just(low)),
        subtotal_max=draw(st.none() | st.just(high)),
        referrals_min=draw(st.none() | st.just(rlow)),
        referrals_max=draw(st.none() | st.just(rhigh)),
        reward_uniqueness=draw(st.sampled_from(("once_per_friend", "once_per_advocate", "none"))),
        friend_event_category=draw(st.none() | st.sampled_from(("newsletter", "review"))),
        offer_not_expired=draw(st.booleans()),
        cap_total=draw(caps),
        cap_per_month=draw(caps),
    )
