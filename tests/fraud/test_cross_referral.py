"""Cross referral: the advocate was earlier referred by this friend."""

from __future__ import annotations

from goodword.fraud.policies import CROSS_REFERRAL, PolicyResult, cross_referral
from tests.fraud.builders import facts, party


def test_an_advocate_referred_by_the_friend_matches():
    # given an advocate who was earlier referred by this friend
    given = facts(
        advocate=party("ann@example.com"),
        friend=party("bob@example.com"),
        advocate_referred_by_friend=True,
    )

    # when the policy runs
    result = cross_referral(given)

    # then it matches, naming both people
    assert result == PolicyResult(
        CROSS_REFERRAL,
        "matched",
        {
            "advocate_referred_by_friend": "true",
            "friend_email": "bob@example.com",
            "advocate_email": "ann@example.com",
        },
    )


def test_the_evidence_leaves_out_emails_that_are_not_known():
    # given a cross referral between people known only by other identifiers
    given = facts(advocate_referred_by_friend=True)

    # when the policy runs
    result = cross_referral(given)

    # then it still matches, with no empty email in the evidence
    assert result == PolicyResult(
        CROSS_REFERRAL, "matched", {"advocate_referred_by_friend": "true"}
    )


def test_an_advocate_not_referred_by_the_friend_passes():
    # given an advocate known not to have been referred by this friend
    given = facts(
        advocate=party("ann@example.com"),
        friend=party("bob@example.com"),
        advocate_referred_by_friend=False,
    )

    # when the policy runs
    result = cross_referral(given)

    # then it passes
    assert result == PolicyResult(CROSS_REFERRAL, "passed", {})


def test_when_it_is_unknown_who_referred_the_advocate_it_is_skipped():
    # given facts that do not say whether the friend referred the advocate
    given = facts(
        advocate=party("ann@example.com"),
        friend=party("bob@example.com"),
        advocate_referred_by_friend=None,
    )

    # when the policy runs
    result = cross_referral(given)

    # then it cannot decide
    assert result == PolicyResult(CROSS_REFERRAL, "skipped", {})
