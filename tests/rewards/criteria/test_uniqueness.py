"""reward_uniqueness: at most one such reward per friend, per advocate, or no limit."""

from __future__ import annotations

import pytest

from goodword.rewards.criteria import Criteria, evaluate
from tests.rewards.criteria.builders import facts


def test_once_per_friend_fails_when_this_friend_already_earned_it():
    # given the advocate already has this incentive's reward for this friend
    verdict = evaluate(
        Criteria(reward_uniqueness="once_per_friend"), facts(given_total=1, given_to_friend=1)
    )

    # then a second one fails
    assert verdict.failed == ("reward_uniqueness",)
    assert verdict.reason == (
        "Criteria not met: the advocate already has this reward for this friend (once per friend)"
    )
    assert verdict.evidence["reward_uniqueness"] == {
        "outcome": "failed",
        "uniqueness": "once_per_friend",
        "given_to_friend": 1,
    }


def test_once_per_friend_passes_for_another_friend():
    # given the advocate has the reward many times, but never for this friend
    verdict = evaluate(
        Criteria(reward_uniqueness="once_per_friend"), facts(given_total=7, given_to_friend=0)
    )

    # then this friend's reward passes
    assert verdict.ok
    assert verdict.evidence["reward_uniqueness"]["outcome"] == "passed"


def test_once_per_advocate_fails_after_the_first():
    # given the advocate already has this incentive's reward, for some other friend
    verdict = evaluate(
        Criteria(reward_uniqueness="once_per_advocate"), facts(given_total=1, given_to_friend=0)
    )

    # then another fails
    assert verdict.failed == ("reward_uniqueness",)
    assert verdict.reason == (
        "Criteria not met: the advocate already has this reward (once per advocate)"
    )
    assert verdict.evidence["reward_uniqueness"] == {
        "outcome": "failed",
        "uniqueness": "once_per_advocate",
        "given_total": 1,
    }


@pytest.mark.parametrize("uniqueness", ["once_per_friend", "once_per_advocate"])
def test_the_first_reward_passes(uniqueness):
    # given nothing given yet (this reward is excluded from the counts)
    verdict = evaluate(Criteria(reward_uniqueness=uniqueness), facts())

    # then it passes
    assert verdict.ok


def test_none_sets_no_limit():
    # given no uniqueness, and many rewards already given for this friend
    verdict = evaluate(Criteria(reward_uniqueness="none"), facts(given_total=9, given_to_friend=9))

    # then it passes and the rule leaves no evidence
    assert verdict.ok
    assert "reward_uniqueness" not in verdict.evidence
