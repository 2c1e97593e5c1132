"""subtotal_min / subtotal_max: inclusive bounds on the origin's subtotal; an origin without a
subtotal is not measured."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goodword.rewards.criteria import Criteria, evaluate
from tests.rewards.criteria.builders import amounts, facts


def test_a_subtotal_below_the_minimum_fails():
    # given a minimum of 50.00 and an order of 40.00
    verdict = evaluate(Criteria(subtotal_min=Decimal("50.00")), facts(subtotal=Decimal("40.00")))

    # then it fails with both numbers in the reason and the evidence
    assert not verdict.ok
    assert verdict.failed == ("subtotal_min",)
    assert verdict.reason == "Criteria not met: subtotal 40.00 is below the minimum 50.00"
    assert verdict.evidence["subtotal_min"] == {
        "outcome": "failed",
        "minimum": "50.00",
        "subtotal": "40.00",
    }


def test_a_subtotal_above_the_maximum_fails():
    # given a maximum of 1000.00 and an order of 1000.01
    verdict = evaluate(
        Criteria(subtotal_max=Decimal("1000.00")), facts(subtotal=Decimal("1000.01"))
    )

    # then it fails
    assert verdict.failed == ("subtotal_max",)
    assert verdict.reason == "Criteria not met: subtotal 1000.01 is above the maximum 1000.00"
    assert verdict.evidence["subtotal_max"] == {
        "outcome": "failed",
        "maximum": "1000.00",
        "subtotal": "1000.01",
    }


@pytest.mark.parametrize("subtotal", ["25.00", "60.00", "1000.00"])
def test_a_subtotal_within_the_bounds_passes_both_ends_included(subtotal):
    # given bounds 25.00..1000.00
    criteria = Criteria(subtotal_min=Decimal("25.00"), subtotal_max=Decimal("1000.00"))

    # when an order at either end or between is evaluated
    verdict = evaluate(criteria, facts(subtotal=Decimal(subtotal)))

    # then it passes both rules
    assert verdict.ok
    assert verdict.evidence["subtotal_min"]["outcome"] == "passed"
    assert verdict.evidence["subtotal_max"]["outcome"] == "passed"


@pytest.mark.parametrize(
    "given_facts",
    [
        facts(reason="click", origin_type=None, subtotal=None, friend_new_customer=None),
        facts(reason="shared", origin_type=None, subtotal=None, friend_new_customer=None),
        facts(origin_type="Event", event_category="newsletter", subtotal=None),
    ],
    ids=["click", "shared", "event-without-subtotal"],
)
def test_without_a_subtotal_the_rules_do_not_apply(given_facts):
    # given bounds, and a reward with no subtotal to compare
    criteria = Criteria(subtotal_min=Decimal("50.00"), subtotal_max=Decimal("100.00"))

    # when evaluated
    verdict = evaluate(criteria, given_facts)

    # then it passes, and the evidence says there was nothing to compare
    assert verdict.ok
    assert verdict.evidence["subtotal_min"] == {
        "outcome": "not_applicable",
        "minimum": "50.00",
        "subtotal": None,
        "note": "no subtotal to compare",
    }
    assert verdict.evidence["subtotal_max"]["outcome"] == "not_applicable"


def test_a_zero_minimum_admits_a_free_order():
    # given a minimum of 0 and an order of 0.00
    verdict = evaluate(Criteria(subtotal_min=Decimal("0.00")), facts(subtotal=Decimal("0.00")))

    # then it passes
    assert verdict.ok


@given(subtotal=amounts, minimum=amounts)
def test_the_minimum_is_inclusive(subtotal, minimum):
    verdict = evaluate(Criteria(subtotal_min=minimum), facts(subtotal=subtotal))
    assert verdict.ok == (subtotal >= minimum)


@given(subtotal=amounts, maximum=amounts)
def test_the_maximum_is_inclusive(subtotal, maximum):
    verdict = evaluate(Criteria(subtotal_max=maximum), facts(subtotal=subtotal))
    assert verdict.ok == (subtotal <= maximum)


@given(bound=amounts, places=st.sampled_from(["0", "0.0", "0.00"]))
def test_equal_amounts_compare_equal_whatever_their_exponent(bound, places):
    # 50 and 50.00 are the same money
    subtotal = bound + Decimal(places)
    verdict = evaluate(Criteria(subtotal_min=bound, subtotal_max=bound), facts(subtotal=subtotal))
    assert verdict.ok
