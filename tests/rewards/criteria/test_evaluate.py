"""evaluate: every rule runs, failures are listed in the documented order, the reason names the
first; properties that hold for any criteria and facts."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

from hypothesis import given

from goodword.rewards.criteria import Criteria, evaluate
from tests.rewards.criteria.builders import any_criteria, any_facts, facts

TABLE_ORDER = (
    "new_customer",
    "subtotal_min",
    "subtotal_max",
    "referrals_min",
    "referrals_max",
    "reward_uniqueness",
    "friend_event_category",
    "offer_not_expired",
    "cap_total",
    "cap_per_month",
)


def test_every_failure_is_listed_in_table_order_and_the_first_is_the_reason():
    # given criteria that every fact below breaks
    criteria = Criteria(
        new_customer=True,
        subtotal_min=Decimal("50.00"),
        referrals_min=5,
        reward_uniqueness="once_per_advocate",
        friend_event_category="review",
        cap_total=1,
        cap_per_month=1,
    )
    given_facts = facts(
        friend_new_customer=False,
        subtotal=Decimal("10.00"),
        advocate_referrals=1,
        offer_expired=True,
        given_total=1,
        given_this_month=1,
    )

    # when evaluated
    verdict = evaluate(criteria, given_facts)

    # then every failing rule is listed, in the table's order, and the first explains
    assert verdict.failed == (
        "new_customer",
        "subtotal_min",
        "referrals_min",
        "reward_uniqueness",
        "friend_event_category",
        "offer_not_expired",
        "cap_total",
        "cap_per_month",
    )
    assert verdict.reason == (
        "Criteria not met: the friend has bought before, and only new customers qualify"
    )
    assert all(verdict.evidence[rule]["outcome"] == "failed" for rule in verdict.failed)


def test_a_cap_is_the_reason_only_when_nothing_earlier_fails():
    # given a reached cap and an unmet minimum
    criteria = Criteria(subtotal_min=Decimal("50.00"), cap_total=1)
    verdict = evaluate(criteria, facts(subtotal=Decimal("10.00"), given_total=1))

    # then the minimum is the reason, and the cap is still listed
    assert verdict.failed == ("subtotal_min", "cap_total")
    assert verdict.reason is not None and verdict.reason.startswith("Criteria not met: ")


def test_passing_and_not_applicable_rules_are_in_the_evidence_too():
    # given a click reward against a subtotal minimum and a cap it stays under
    criteria = Criteria(subtotal_min=Decimal("50.00"), cap_total=3)
    click = facts(reason="click", origin_type=None, subtotal=None, friend_new_customer=None)

    # when evaluated
    verdict = evaluate(criteria, click)

    # then the evidence shows each configured rule and what happened to it
    assert verdict.ok
    assert {rule: entry["outcome"] for rule, entry in verdict.evidence.items()} == {
        "subtotal_min": "not_applicable",
        "offer_not_expired": "passed",
        "cap_total": "passed",
    }


# -- properties


@given(facts_=any_facts())
def test_empty_criteria_pass_any_facts_with_a_live_offer(facts_):
    # offer_not_expired is on by default, so only a live offer passes "no criteria"
    verdict = evaluate(Criteria(), replace(facts_, offer_expired=False))
    assert verdict.ok and verdict.failed == () and verdict.reason is None


@given(facts_=any_facts())
def test_criteria_with_expiry_off_pass_any_facts(facts_):
    verdict = evaluate(Criteria(offer_not_expired=False), facts_)
    assert verdict.ok and verdict.evidence == {}


@given(criteria=any_criteria(), facts_=any_facts())
def test_a_verdict_is_ok_iff_nothing_failed(criteria, facts_):
    verdict = evaluate(criteria, facts_)
    assert verdict.ok == (verdict.failed == ())
    assert (verdict.reason is None) == verdict.ok


@given(criteria=any_criteria(), facts_=any_facts())
def test_failures_follow_the_table_order(criteria, facts_):
    verdict = evaluate(criteria, facts_)
    assert list(verdict.failed) == [rule for rule in TABLE_ORDER if rule in verdict.failed]
    failed_in_evidence = [r for r, e in verdict.evidence.items() if e["outcome"] == "failed"]
    assert failed_in_evidence == list(verdict.failed)


@given(criteria=any_criteria(), facts_=any_facts())
def test_the_reason_names_the_first_failure_in_plain_words(criteria, facts_):
    verdict = evaluate(criteria, facts_)
    if verdict.failed:
        assert verdict.reason is not None
        prefix = "Cap reached: " if verdict.failed[0].startswith("cap_") else "Criteria not met: "
        assert verdict.reason.startswith(prefix)


@given(criteria=any_criteria(), facts_=any_facts())
def test_evidence_is_json_serialisable(criteria, facts_):
    verdict = evaluate(criteria, facts_)
    assert json.loads(json.dumps(verdict.evidence)) == verdict.evidence


@given(criteria=any_criteria(), facts_=any_facts())
def test_evaluation_is_deterministic(criteria, facts_):
    assert evaluate(criteria, facts_) == evaluate(criteria, facts_)


@given(criteria=any_criteria(), facts_=any_facts())
def test_removing_a_criterion_never_adds_a_failure(criteria, facts_):
    # loosening: each rule's failure depends only on that rule's setting
    loosened = replace(criteria, subtotal_min=None, cap_total=None)
    before = set(evaluate(criteria, facts_).failed)
    after = set(evaluate(loosened, facts_).failed)
    assert after == before - {"subtotal_min", "cap_total"}
