"""Matching phone number: the friend's phone is the advocate's, however either was written."""

from __future__ import annotations

import pytest
from hypothesis import assume
from hypothesis import given as for_all
from hypothesis import strategies as st

from goodword.fraud.policies import (
    PHONE_NUMBER,
    PolicyResult,
    normalise_phone,
    phone_number,
    same_phone,
)
from tests.fraud.builders import facts, party

ADVOCATE_PHONE = "+1 (202) 555-1111"


def test_the_advocates_phone_on_the_friends_purchase_matches():
    # given a friend whose purchase carries the advocate's phone number, written another way
    given = facts(
        advocate=party(phones={ADVOCATE_PHONE}), friend=party(phones={"202.555.1111", "+15550001"})
    )

    # when the policy runs
    result = phone_number(given)

    # then it matches, quoting both spellings and the digits they share
    assert result == PolicyResult(
        PHONE_NUMBER,
        "matched",
        {
            "friend_phone": "202.555.1111",
            "advocate_phone": ADVOCATE_PHONE,
            "normalised_phone": "2025551111",
        },
    )


@pytest.mark.parametrize(
    ("advocate", "friend"),
    [
        pytest.param("+12025551111", "+1 202 555 1111", id="spacing"),
        pytest.param("+1-202-555-1111", "1 (202) 555 1111", id="country-code-without-plus"),
        pytest.param("+44 20 7946 0958", "020 7946 0958", id="national-trunk-zero"),
        pytest.param("0044 20 7946 0958", "+44 (0)20 7946 0958", id="00-prefix-and-(0)"),
        pytest.param("+33 6 12 34 56 78", "06 12 34 56 78", id="nine-digit-national"),
        pytest.param("+1 202 555 1111 ext. 12", "2025551111", id="extension"),
        pytest.param("tel:+1-202-555-1111;ext=3", "(202) 555-1111 x4", id="rfc3966"),
        pytest.param("\uff12\uff10\uff12 555 1111", "202-555-1111", id="full-width-digits"),
    ],
)
def test_spellings_of_one_number_match(advocate, friend):
    # given two spellings of one phone number
    given = facts(advocate=party(phones={advocate}), friend=party(phones={friend}))

    # when the policy runs
    result = phone_number(given)

    # then they are one number
    assert result.outcome == "matched"
    assert (result.evidence["advocate_phone"], result.evidence["friend_phone"]) == (
        advocate,
        friend,
    )


@pytest.mark.parametrize(
    ("advocate", "friend"),
    [
        pytest.param("+1 202 555 1111", "+1 202 555 1112", id="last-digit"),
        pytest.param("+1 202 555 1111", "+44 202 555 1111", id="other-country-code"),
        pytest.param("202 555 1111", "303 555 1111", id="other-area"),
        # a local number is not taken for a whole one: it could be any area's
        pytest.param("+1 202 555 1111", "555 1111", id="local-number"),
        pytest.param("2025551111", "+9999 202 555 1111", id="four-more-digits"),
    ],
)
def test_different_numbers_pass(advocate, friend):
    # given two different phone numbers
    given = facts(advocate=party(phones={advocate}), friend=party(phones={friend}))

    # when the policy runs
    result = phone_number(given)

    # then it passes
    assert result == PolicyResult(PHONE_NUMBER, "passed", {})


@pytest.mark.parametrize(
    ("advocate", "friend"),
    [
        pytest.param(set(), {"+1 202 555 1111"}, id="advocate-has-none"),
        pytest.param({"+1 202 555 1111"}, set(), id="friend-has-none"),
        pytest.param({"unknown"}, {"unknown"}, id="not-numbers"),
        pytest.param({"12"}, {"12"}, id="too-short"),
        pytest.param({"1" * 16}, {"1" * 16}, id="too-long"),
        pytest.param({""}, {""}, id="empty-strings"),
    ],
)
def test_without_a_phone_number_on_both_sides_it_is_skipped(advocate, friend):
    # given no usable phone number on one side
    given = facts(advocate=party(phones=advocate), friend=party(phones=friend))

    # when the policy runs
    result = phone_number(given)

    # then it cannot decide, and says so rather than "passed"
    assert result == PolicyResult(PHONE_NUMBER, "skipped", {})


def test_of_several_shared_numbers_the_evidence_is_stable():
    # given parties that share two numbers (sets: no order of their own)
    given = facts(
        advocate=party(phones={"+1 303 555 2222", "+1 202 555 1111"}),
        friend=party(phones={"(303) 555-2222", "(202) 555-1111"}),
    )

    # when the policy runs / then the evidence is the first match in sorted order, every run
    assert phone_number(given).evidence == {
        "friend_phone": "(202) 555-1111",
        "advocate_phone": "+1 202 555 1111",
        "normalised_phone": "2025551111",
    }


def test_normalising_keeps_the_digits_that_identify_the_number():
    assert normalise_phone("+1 (202) 555-1111") == "12025551111"
    assert normalise_phone("020 7946 0958") == "2079460958"
    assert normalise_phone("0044 20 7946 0958") == "442079460958"
    assert normalise_phone("+44 (0)20 7946 0958") == "442079460958"
    assert normalise_phone("555-1111 ext 9") == "5551111"
    assert normalise_phone("unknown") is None


# ---------------------------------------------------------------- properties

DIGITS = st.text(alphabet="0123456789", min_size=9, max_size=12).filter(lambda d: d[0] != "0")
DECORATION = st.sampled_from(["", " ", "-", ".", "(", ")", "  "])


@st.composite
def spelled(draw: st.DrawFn, digits: str) -> str:
    """`digits` with punctuation and spaces between them."""
    return "".join(digit + draw(DECORATION) for digit in digits)


@for_all(data=st.data(), digits=DIGITS)
def test_punctuation_never_changes_a_number(data, digits):
    # given one number written twice with arbitrary punctuation
    advocate, friend = data.draw(spelled(digits)), data.draw(spelled(digits))
    # `(0)` in an international number is the national trunk zero, skipped on purpose
    assume("(0)" not in advocate and "(0)" not in friend)

    # then the policy matches it
    given = facts(advocate=party(phones={f"+{advocate}"}), friend=party(phones={f"+{friend}"}))
    assert phone_number(given).outcome == "matched"


@for_all(a=st.text(max_size=25), b=st.text(max_size=25))
def test_the_policy_is_symmetric_and_never_fails(a, b):
    # given any two strings as phone numbers
    forward = phone_number(facts(advocate=party(phones={a}), friend=party(phones={b})))
    backward = phone_number(facts(advocate=party(phones={b}), friend=party(phones={a})))

    # then it answers the same either way round, and matches only what normalises to a number
    assert forward.outcome == backward.outcome
    if forward.outcome == "matched":
        na, nb = normalise_phone(a), normalise_phone(b)
        assert na is not None and nb is not None and same_phone(na, nb)


@for_all(digits=DIGITS, code=st.text(alphabet="123456789", min_size=1, max_size=3))
def test_a_country_code_in_front_of_a_national_number_is_one_number(digits, code):
    # given a national number and the same with a country code
    national, international = normalise_phone(digits), normalise_phone(f"+{code}{digits}")

    # then they are one phone, whichever side is which
    assert national is not None and international is not None
    assert same_phone(national, international) and same_phone(international, national)
