"""Self-referral: the friend's email is the advocate's, or they share a visitor cookie."""

from __future__ import annotations

import pytest

from goodword.fraud.policies import SELF_REFERRAL, PolicyResult, self_referral
from tests.fraud.builders import facts, party

ADVOCATE_UUID = "6f1c2a9e-8c4b-4d3e-9a51-0b7d2c1e4f00"
FRIEND_UUID = "0d9e8f7a-1b2c-4d5e-8f90-a1b2c3d4e5f6"


def test_the_same_email_in_another_case_is_a_self_referral():
    # given a friend who bought with the advocate's email, typed in capitals with a stray space
    given = facts(advocate=party("ann.lee@example.com"), friend=party(" Ann.Lee@Example.COM"))

    # when the policy runs
    result = self_referral(given)

    # then it matches, quoting both emails as written
    assert result == PolicyResult(
        SELF_REFERRAL,
        "matched",
        {"friend_email": " Ann.Lee@Example.COM", "advocate_email": "ann.lee@example.com"},
    )


def test_a_shared_visitor_cookie_is_a_self_referral_even_with_different_emails():
    # given a friend whose browser carries the advocate's visitor uuid, in upper case
    given = facts(
        advocate=party("ann@example.com", cookies={ADVOCATE_UUID}),
        friend=party("bob@example.com", cookies={FRIEND_UUID, ADVOCATE_UUID.upper()}),
    )

    # when the policy runs
    result = self_referral(given)

    # then it matches on the cookie, each side spelled as recorded
    assert result.outcome == "matched"
    assert result.evidence == {
        "friend_cookie": ADVOCATE_UUID.upper(),
        "advocate_cookie": ADVOCATE_UUID,
    }


def test_when_email_and_cookie_both_match_the_evidence_names_both():
    # given a friend with the advocate's email and cookie
    given = facts(
        advocate=party("ann@example.com", cookies={ADVOCATE_UUID}),
        friend=party("ann@example.com", cookies={ADVOCATE_UUID}),
    )

    # when the policy runs
    result = self_referral(given)

    # then both findings are in the evidence
    assert result.evidence == {
        "friend_email": "ann@example.com",
        "advocate_email": "ann@example.com",
        "friend_cookie": ADVOCATE_UUID,
        "advocate_cookie": ADVOCATE_UUID,
    }


def test_of_several_shared_cookies_the_evidence_names_the_first_in_sorted_order():
    # given two parties that share three cookies (sets: no order of their own)
    shared = {"c-3", "c-1", "c-2"}
    given = facts(advocate=party(cookies=shared | {"a-9"}), friend=party(cookies=shared))

    # when the policy runs
    result = self_referral(given)

    # then the evidence is stable from run to run
    assert result.evidence == {"friend_cookie": "c-1", "advocate_cookie": "c-1"}


def test_different_emails_and_cookies_pass():
    # given a friend and an advocate who share nothing
    given = facts(
        advocate=party("ann@example.com", cookies={ADVOCATE_UUID}),
        friend=party("bob@example.com", cookies={FRIEND_UUID}),
    )

    # when the policy runs
    result = self_referral(given)

    # then it passes, with no evidence
    assert result == PolicyResult(SELF_REFERRAL, "passed", {})


def test_emails_alone_are_enough_to_pass():
    # given different emails, and cookies only on the advocate's side
    given = facts(
        advocate=party("ann@example.com", cookies={ADVOCATE_UUID}), friend=party("bob@example.com")
    )

    # when the policy runs
    result = self_referral(given)

    # then the email comparison decides: passed, not skipped
    assert result.outcome == "passed"


def test_cookies_alone_are_enough_to_pass():
    # given no friend email, but cookies on both sides that differ
    given = facts(
        advocate=party("ann@example.com", cookies={ADVOCATE_UUID}),
        friend=party(None, cookies={FRIEND_UUID}),
    )

    # when the policy runs
    result = self_referral(given)

    # then the cookie comparison decides
    assert result.outcome == "passed"


def test_a_similar_but_different_email_is_not_a_self_referral():
    # given Gmail addresses that reach one mailbox but are written differently
    given = facts(advocate=party("ann.lee@gmail.com"), friend=party("annlee@gmail.com"))

    # when the policy runs
    result = self_referral(given)

    # then this policy passes: the similar-email policy reports such pairs
    assert result.outcome == "passed"


@pytest.mark.parametrize(
    ("advocate", "friend"),
    [
        pytest.param(party(), party(), id="nothing-known"),
        pytest.param(party("ann@example.com"), party(None), id="no-friend-email"),
        pytest.param(party(None), party("ann@example.com"), id="no-advocate-email"),
        pytest.param(party("ann@example.com"), party("  "), id="blank-friend-email"),
        pytest.param(party(cookies={ADVOCATE_UUID}), party(), id="cookie-on-one-side"),
        pytest.param(party(cookies={""}), party(cookies={" "}), id="blank-cookies"),
        pytest.param(
            party("ann@example.com"), party(cookies={ADVOCATE_UUID}), id="email-vs-cookie"
        ),
    ],
)
def test_without_an_email_or_a_cookie_on_both_sides_it_is_skipped(advocate, friend):
    # given facts where neither signal is known for both parties
    given = facts(advocate=advocate, friend=friend)

    # when the policy runs
    result = self_referral(given)

    # then it cannot decide
    assert result == PolicyResult(SELF_REFERRAL, "skipped", {})
