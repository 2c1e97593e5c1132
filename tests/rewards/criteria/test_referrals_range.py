"""referrals_min / referrals_max: inclusive bounds on the advocate's referrals."""

from __future__ import annotations

import pytest
from hypothesis import given

from goodword.rewards.criteria import Criteria, evaluate
from tests.rewards.criteria.builders import counts, facts


def test_too_few_referrals_fail():
    # given a reward from the third referral on, and an advocate with two
    verdict = evaluate(Criteria(referrals_min=3), facts(advocate_referrals=2))

    # then it fails, with the numbers
    assert verdict.failed == ("referrals_min",)
    assert verdict.reason == ("Criteria not met: the advocate has 2 referrals, below the minimum 3")
    assert verdict.evidence["referrals_min"] == {
        "outcome": "failed",
        "minimum": 3,
        "advocate_referrals": 2,
    }


def test_too_many_referrals_fail():
    # given a reward up to the fifth referral, and an advocate with six
    verdict = evaluate(Criteria(referrals_max=5), facts(advocate_referrals=6))

    # then it fails, with the numbers
    assert verdict.failed == ("referrals_max",)
    assert verdict.reason == ("Criteria not met: the advocate has 6 referrals, above the maximum 5")
    assert verdict.evidence["referrals_max"] == {
        "outcome": "failed",
        "maximum": 5,
        "advocate_referrals": 6,
    }


def test_one_referral_reads_in_the_singular():
    verdict = evaluate(Criteria(referrals_min=2), facts(advocate_referrals=1))
    assert verdict.reason == "Criteria not met: the advocate has 1 referral, below the minimum 2"


@pytest.mark.parametrize("referrals", [3, 4, 5])
def test_both_bounds_are_inclusive(referrals):
    # given referrals 3..5
    verdict = evaluate(
        Criteria(referrals_min=3, referrals_max=5), facts(advocate_referrals=referrals)
    )

    # then each of 3, 4 and 5 passes
    assert verdict.ok
    assert verdict.evidence["referrals_min"]["outcome"] == "passed"
    assert verdict.evidence["referrals_max"]["outcome"] == "passed"


@given(referrals=counts, minimum=counts)
def test_the_minimum_is_inclusive(referrals, minimum):
    verdict = evaluate(Criteria(referrals_min=minimum), facts(advocate_referrals=referrals))
    assert verdict.ok == (referrals >= minimum)


@given(referrals=counts, maximum=counts)
def test_the_maximum_is_inclusive(referrals, maximum):
    verdict = evaluate(Criteria(referrals_max=maximum), facts(advocate_referrals=referrals))
    assert verdict.ok == (referrals <= maximum)
