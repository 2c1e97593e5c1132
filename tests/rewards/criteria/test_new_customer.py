"""new_customer: only a friend who had not bought before; no friend means the rule does not
apply."""

from __future__ import annotations

import pytest

from goodword.rewards.criteria import Criteria, evaluate
from tests.rewards.criteria.builders import facts


def test_a_friend_who_bought_before_fails():
    # given an incentive for new customers only, and a friend with an earlier purchase
    criteria = Criteria(new_customer=True)

    # when the reward is evaluated
    verdict = evaluate(criteria, facts(friend_new_customer=False))

    # then it fails, saying why in plain English
    assert not verdict.ok
    assert verdict.failed == ("new_customer",)
    assert verdict.reason == (
        "Criteria not met: the friend has bought before, and only new customers qualify"
    )
    assert verdict.evidence["new_customer"] == {
        "outcome": "failed",
        "required": True,
        "friend_new_customer": False,
    }


def test_a_new_customer_passes():
    # given an incentive for new customers only, and a friend buying for the first time
    verdict = evaluate(Criteria(new_customer=True), facts(friend_new_customer=True))

    # then it passes, and the evidence shows the check was made
    assert verdict.ok and verdict.reason is None and verdict.failed == ()
    assert verdict.evidence["new_customer"]["outcome"] == "passed"


def test_without_a_friend_the_rule_does_not_apply():
    # given a signup reward: there is no friend to be new or not
    given = facts(reason="signup", origin_type="AffiliateMember", friend_new_customer=None)

    # when evaluated against new customers only
    verdict = evaluate(Criteria(new_customer=True), given)

    # then it passes, and the evidence says the rule did not apply
    assert verdict.ok
    assert verdict.evidence["new_customer"]["outcome"] == "not_applicable"
    assert verdict.evidence["new_customer"]["friend_new_customer"] is None


@pytest.mark.parametrize("setting", [False, None])
@pytest.mark.parametrize("friend_new_customer", [True, False, None])
def test_new_customer_false_or_unset_checks_nothing(setting, friend_new_customer):
    # given an incentive that does not ask for new customers
    criteria = Criteria(new_customer=setting)

    # when any friend is evaluated
    verdict = evaluate(criteria, facts(friend_new_customer=friend_new_customer))

    # then it passes and the rule leaves no evidence
    assert verdict.ok
    assert "new_customer" not in verdict.evidence
