"""Similar email: the two emails reach one mailbox, or are one typo apart at one domain."""

from __future__ import annotations

import pytest
from hypothesis import given as for_all
from hypothesis import strategies as st

from goodword.fraud.policies import (
    SIMILAR_EMAIL,
    PolicyResult,
    normalise_email,
    similar_email,
    within_one_edit,
)
from tests.fraud.builders import facts, party


def edit_distance(a: str, b: str) -> int:
    """The oracle that within_one_edit is checked against: optimal-string-alignment distance
    (restricted Damerau-Levenshtein), where insertions, deletions, substitutions and swaps of
    two adjacent characters each cost 1."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def test_gmail_dots_and_tags_reach_the_same_mailbox():
    # given an advocate and a friend whose Gmail addresses differ only in dots, a tag and case
    given = facts(advocate=party("Ann.Lee@gmail.com"), friend=party("annlee+promo@GoogleMail.com"))

    # when the policy runs
    result = similar_email(given)

    # then it matches, naming the mailbox both reach
    assert result == PolicyResult(
        SIMILAR_EMAIL,
        "matched",
        {
            "friend_email": "annlee+promo@GoogleMail.com",
            "advocate_email": "Ann.Lee@gmail.com",
            "mailbox": "annlee@gmail.com",
        },
    )


@pytest.mark.parametrize(
    ("advocate", "friend"),
    [
        pytest.param("a.n.n@gmail.com", "ann@gmail.com", id="gmail-dots"),
        pytest.param("ann@googlemail.com", "ann@gmail.com", id="googlemail-is-gmail"),
        pytest.param("ann+1@example.com", "ann+2@example.com", id="tags-any-provider"),
        pytest.param("ann@example.com", "ANN+x@EXAMPLE.com", id="tag-and-case"),
        pytest.param("ann+a+b@example.com", "ann@example.com", id="only-first-plus-counts"),
    ],
)
def test_addresses_that_reach_one_mailbox_match(advocate, friend):
    # given two spellings of one mailbox
    given = facts(advocate=party(advocate), friend=party(friend))

    # when the policy runs
    result = similar_email(given)

    # then it matches
    assert result.outcome == "matched"
    assert result.evidence["mailbox"] == normalise_email(advocate)


@pytest.mark.parametrize(
    ("advocate", "friend"),
    [
        pytest.param("johnsmith@example.com", "johnsmiht@example.com", id="swap"),
        pytest.param("johnsmith@example.com", "johnsmyth@example.com", id="substitution"),
        pytest.param("johnsmith@example.com", "johnsmith1@example.com", id="insertion"),
        pytest.param("johnsmith@example.com", "jonsmith@example.com", id="deletion"),
        pytest.param("jsmit@example.com", "jsmith@example.com", id="five-characters"),
    ],
)
def test_local_parts_one_edit_apart_at_the_same_domain_match(advocate, friend):
    # given two emails one typo apart at the same domain
    given = facts(advocate=party(advocate), friend=party(friend))

    # when the policy runs
    result = similar_email(given)

    # then it matches, naming the edit distance
    assert result == PolicyResult(
        SIMILAR_EMAIL,
        "matched",
        {
            "friend_email": friend,
            "advocate_email": advocate,
            "friend_mailbox": friend,
            "advocate_mailbox": advocate,
            "edit_distance": "1",
        },
    )


def test_near_identical_compares_mailboxes_not_spellings():
    # given a dotted, tagged Gmail address one letter away from the advocate's
    given = facts(advocate=party("john.smith@gmail.com"), friend=party("jon.smith+x@gmail.com"))

    # when the policy runs
    result = similar_email(given)

    # then the mailboxes are compared, and the evidence shows them
    assert result.outcome == "matched"
    assert result.evidence["friend_mailbox"] == "jonsmith@gmail.com"
    assert result.evidence["advocate_mailbox"] == "johnsmith@gmail.com"


@pytest.mark.parametrize(
    ("advocate", "friend"),
    [
        pytest.param("johnsmith@example.com", "johnsmith@example.org", id="other-domain"),
        pytest.param("anna@example.com", "anne@example.com", id="short-local-part"),
        pytest.param("johnsmith@example.com", "johnsmiths1@example.com", id="two-edits"),
        pytest.param("j.o.h.n.smith@yahoo.com", "johnsmith@yahoo.com", id="dots-outside-gmail"),
        pytest.param("+ann@example.com", "+bob@example.com", id="nothing-before-the-tag"),
        pytest.param("ann@gmail.com", "bob@gmail.com", id="strangers"),
    ],
)
def test_different_mailboxes_pass(advocate, friend):
    # given two emails that are not one mailbox and not one typo apart
    given = facts(advocate=party(advocate), friend=party(friend))

    # when the policy runs
    result = similar_email(given)

    # then it passes
    assert result == PolicyResult(SIMILAR_EMAIL, "passed", {})


@pytest.mark.parametrize(
    "friend", ["ann.lee@gmail.com", "ANN.LEE@gmail.com", " ann.lee@gmail.com "]
)
def test_an_identical_email_is_left_to_the_self_referral_policy(friend):
    # given the advocate's own email, possibly in another case
    given = facts(advocate=party("ann.lee@gmail.com"), friend=party(friend))

    # when the policy runs
    result = similar_email(given)

    # then it passes: reporting it twice would double the noise for one finding
    assert result.outcome == "passed"


@pytest.mark.parametrize(
    ("advocate", "friend"),
    [
        pytest.param(None, "ann@example.com", id="no-advocate-email"),
        pytest.param("ann@example.com", None, id="no-friend-email"),
        pytest.param("ann@example.com", "", id="empty-friend-email"),
        pytest.param("ann@example.com", "not-an-email", id="no-at-sign"),
        pytest.param("ann@example.com", "ann@", id="no-domain"),
        pytest.param("...@gmail.com", "..@gmail.com", id="only-dots-at-gmail"),
    ],
)
def test_without_two_usable_emails_it_is_skipped(advocate, friend):
    # given an email missing or unusable on one side
    given = facts(advocate=party(advocate), friend=party(friend))

    # when the policy runs
    result = similar_email(given)

    # then it cannot decide
    assert result == PolicyResult(SIMILAR_EMAIL, "skipped", {})


@pytest.mark.parametrize(
    ("email", "mailbox"),
    [
        ("A.B.C@GMail.com", "abc@gmail.com"),
        ("a.b+c@googlemail.com", "ab@gmail.com"),
        ("a.b+c@example.com", "a.b@example.com"),
        ("+tag@example.com", "+tag@example.com"),
        ("odd@local@example.com", "odd@local@example.com"),
        ("no-at-sign", None),
        ("@example.com", None),
    ],
)
def test_normalise_email(email, mailbox):
    assert normalise_email(email) == mailbox


@for_all(st.text())
def test_normalising_an_email_twice_changes_nothing(text):
    mailbox = normalise_email(text)
    if mailbox is not None:
        assert normalise_email(mailbox) == mailbox


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("", "", 0),
        ("", "abc", 3),
        ("kitten", "sitting", 3),
        ("ab", "ba", 1),
        ("abcd", "acbd", 1),
        ("ca", "abc", 3),  # optimal string alignment: a swapped pair is not edited again
        ("flaw", "lawn", 2),
    ],
)
def test_edit_distance(a, b, distance):
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("johnsmith", "johnsmith", True),
        ("johnsmith", "johnsmiths", True),
        ("johnsmith", "xjohnsmith", True),
        ("johnsmith", "johnsnith", True),
        ("johnsmith", "jonhsmith", True),
        ("johnsmith", "jonhsmiht", False),  # two swaps
        ("abc", "bab", False),  # a swap, then another difference
        ("johnsmith", "johnsmithxy", False),
        ("johnsmith", "jhnsmit", False),
    ],
)
def test_within_one_edit(a, b, expected):
    assert within_one_edit(a, b) is expected
    assert within_one_edit(b, a) is expected


_SHORT = st.text(alphabet="abc", max_size=7)


@for_all(_SHORT, _SHORT)
def test_within_one_edit_agrees_with_the_edit_distance(a, b):
    # the linear-time check used on every referral decides exactly what the distance does
    assert within_one_edit(a, b) == (edit_distance(a, b) <= 1)
