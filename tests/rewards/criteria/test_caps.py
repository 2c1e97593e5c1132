"""cap_total / cap_per_month: at most N such rewards per advocate, ever or per month."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from goodword.rewards.criteria import Criteria, evaluate
from tests.rewards.criteria.builders import counts, facts

caps = st.integers(min_value=1, max_value=10_000)


def test_the_total_cap_reached_fails():
    # given at most 20, and 20 already given
    verdict = evaluate(Criteria(cap_total=20), facts(given_total=20))

    # then the 21st fails as a cap, not as unmet criteria
    assert verdict.failed == ("cap_total",)
    assert verdict.reason == (
        "Cap reached: the advocate already has 20 such rewards, the most allowed is 20"
    )
    assert verdict.evidence["cap_total"] == {"outcome": "failed", "cap": 20, "given_total": 20}


def test_the_last_reward_under_the_total_cap_passes():
    # given at most 20, and 19 already given: this is the 20th
    verdict = evaluate(Criteria(cap_total=20), facts(given_total=19))
    assert verdict.ok
    assert verdict.evidence["cap_total"]["outcome"] == "passed"


def test_the_monthly_cap_reached_fails():
    # given at most 10 a month, and 10 this month (more in earlier months)
    verdict = evaluate(Criteria(cap_per_month=10), facts(given_total=35, given_this_month=10))

    # then it fails, naming the month
    assert verdict.failed == ("cap_per_month",)
    assert verdict.reason == (
        "Cap reached: the advocate already has 10 such rewards this month (UTC), "
        "the most allowed is 10"
    )
    assert verdict.evidence["cap_per_month"] == {
        "outcome": "failed",
        "cap": 10,
        "given_this_month": 10,
    }


def test_the_monthly_cap_ignores_earlier_months():
    # given at most 10 a month, many earlier and 9 this month
    verdict = evaluate(Criteria(cap_per_month=10), facts(given_total=100, given_this_month=9))
    assert verdict.ok


def test_a_cap_of_one_reads_in_the_singular():
    verdict = evaluate(Criteria(cap_total=1), facts(given_total=1))
    assert verdict.reason == (
        "Cap reached: the advocate already has 1 such reward, the most allowed is 1"
    )


def test_both_caps_reached_list_both_and_describe_the_total():
    verdict = evaluate(
        Criteria(cap_total=5, cap_per_month=2), facts(given_total=5, given_this_month=2)
    )
    assert verdict.failed == ("cap_total", "cap_per_month")
    assert verdict.reason is not None and verdict.reason.startswith("Cap reached: ")
    assert "most allowed is 5" in verdict.reason


@given(cap=caps, given_total=counts)
def test_the_total_cap_admits_exactly_cap_rewards(cap, given_total):
    verdict = evaluate(Criteria(cap_total=cap), facts(given_total=given_total))
    assert verdict.ok == (given_total < cap)


@given(cap=caps, given_this_month=counts)
def test_the_monthly_cap_admits_exactly_cap_rewards(cap, given_this_month):
    verdict = evaluate(
        Criteria(cap_per_month=cap),
        facts(given_total=given_this_month, given_this_month=given_this_month),
    )
    assert verdict.ok == (given_this_month < cap)
