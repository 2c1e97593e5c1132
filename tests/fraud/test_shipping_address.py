"""Matching shipping address: the friend ships where the advocate did."""

from __future__ import annotations

import pytest
from hypothesis import given as for_all
from hypothesis import strategies as st

from goodword.fraud.policies import (
    SHIPPING_ADDRESS,
    PolicyResult,
    normalise_address,
    shipping_address,
)
from tests.fraud.builders import facts, party


def test_the_same_address_written_differently_matches():
    # given one address, abbreviated and punctuated differently on each side
    given = facts(
        advocate=party(shipping_addresses={("12 North Main Street, Apt. 4", "12345")}),
        friend=party(shipping_addresses={("12  n. main st.,APT 4", None)}),
    )

    # when the policy runs
    result = shipping_address(given)

    # then it matches on the whole address, quoting both as written
    assert result == PolicyResult(
        SHIPPING_ADDRESS,
        "matched",
        {
            "friend_address": "12  n. main st.,APT 4",
            "friend_zip": "",
            "advocate_address": "12 North Main Street, Apt. 4",
            "advocate_zip": "12345",
            "normalised_address": "12 n main st apt 4",
        },
    )


def test_the_same_zip_and_first_line_match_when_the_rest_differs():
    # given one street address with the city written differently, and the same zip
    given = facts(
        advocate=party(shipping_addresses={("1 Elm Road, Springfield, IL", "62701")}),
        friend=party(shipping_addresses={("1 Elm Rd, Apt 2, Springfield Illinois", " 62701")}),
    )

    # when the policy runs
    result = shipping_address(given)

    # then it matches on zip and street
    assert result == PolicyResult(
        SHIPPING_ADDRESS,
        "matched",
        {
            "friend_address": "1 Elm Rd, Apt 2, Springfield Illinois",
            "friend_zip": " 62701",
            "advocate_address": "1 Elm Road, Springfield, IL",
            "advocate_zip": "62701",
            "normalised_street": "1 elm rd",
        },
    )


def test_zips_are_compared_without_case_or_spacing():
    # given a UK postcode written two ways
    given = facts(
        advocate=party(shipping_addresses={("10 Downing Street, London", "SW1A 2AA")}),
        friend=party(shipping_addresses={("10 Downing St, Westminster", "sw1a2aa")}),
    )

    # when the policy runs
    result = shipping_address(given)

    # then the postcode is the same
    assert result.outcome == "matched"


def test_a_match_among_several_addresses_is_found():
    # given parties with several addresses each, one of them shared
    given = facts(
        advocate=party(shipping_addresses={("1 Elm Rd", "1"), ("9 Oak Ave", "2"), (None, "3")}),
        friend=party(shipping_addresses={("5 Pine St", "4"), ("9 Oak Avenue", "5")}),
    )

    # when the policy runs
    result = shipping_address(given)

    # then the shared one is the evidence
    assert result.outcome == "matched"
    assert result.evidence["friend_address"] == "9 Oak Avenue"
    assert result.evidence["advocate_address"] == "9 Oak Ave"


@pytest.mark.parametrize(
    ("advocate", "friend"),
    [
        pytest.param(("12 Main St, Apt 4", "12345"), ("21 Main St, Apt 4", "12345"), id="number"),
        pytest.param(("12 Main St, Apt 4", "12345"), ("12 Main St, Apt 5", "54321"), id="zip"),
        pytest.param(("12 Main St, Apt 4", None), ("12 Main St, Apt 5", None), id="no-zips"),
        pytest.param(("12 East St", "1"), ("12 West St", "2"), id="direction"),
        pytest.param(("1 Eastwood Rd", "1"), ("1 Ewood Rd", "1"), id="whole-words-only"),
    ],
)
def test_different_addresses_pass(advocate, friend):
    # given addresses that differ where it matters
    given = facts(
        advocate=party(shipping_addresses={advocate}), friend=party(shipping_addresses={friend})
    )

    # when the policy runs
    result = shipping_address(given)

    # then it passes
    assert result == PolicyResult(SHIPPING_ADDRESS, "passed", {})


@pytest.mark.parametrize(
    ("advocate", "friend"),
    [
        pytest.param(set(), {("1 Elm Rd", "1")}, id="advocate-has-none"),
        pytest.param({("1 Elm Rd", "1")}, set(), id="friend-has-none"),
        pytest.param({("1 Elm Rd", "1")}, {(None, "1")}, id="zip-without-street"),
        pytest.param({("1 Elm Rd", "1")}, {(" ,.; ", "1")}, id="only-punctuation"),
    ],
)
def test_without_a_street_on_both_sides_it_is_skipped(advocate, friend):
    # given no usable address on one side
    given = facts(
        advocate=party(shipping_addresses=advocate), friend=party(shipping_addresses=friend)
    )

    # when the policy runs
    result = shipping_address(given)

    # then it cannot decide
    assert result == PolicyResult(SHIPPING_ADDRESS, "skipped", {})


@pytest.mark.parametrize(
    ("address", "normalised"),
    [
        ("Street Avenue Road Apartment Suite", "st ave rd apt ste"),
        ("North South East West", "n s e w"),
        ("  12\tMain   St.  ", "12 main st"),
        ("12 Main St.,Apt#4", "12 main st apt 4"),
        ("5 O'Brien Street", "5 obrien st"),
        ("5 O\u2019Brien Street", "5 obrien st"),
        ("\uff11\uff12 MAIN ST", "12 main st"),  # full-width digits
        ("Eastwood Streetcar Rd", "eastwood streetcar rd"),
    ],
)
def test_normalise_address(address, normalised):
    assert normalise_address(address) == normalised


@for_all(st.text())
def test_normalising_an_address_twice_changes_nothing(text):
    once = normalise_address(text)
    assert normalise_address(once) == once
