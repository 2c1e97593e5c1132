"""Coupon code patterns (pure): what a pattern may say, and the codes it makes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goodword.coupons.patterns import ALPHABET, PatternError, pattern_make, pattern_parse


def test_a_pattern_is_literal_text_and_random_runs():
    assert pattern_parse("REF-{RANDOM6}") == ["REF-", 6]
    assert pattern_parse("{RANDOM3}_x_{RANDOM3}") == [3, "_x_", 3]


def test_the_random_characters_cannot_be_mistaken_for_each_other():
    assert len(ALPHABET) == len(set(ALPHABET)) == 32
    assert not set("0O1I") & set(ALPHABET)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("REF-{RANDOM5}", "at least 6 random characters"),
        ("REF", "at least 6 random characters"),
        ("REF-{RANDOM0}{RANDOM6}", "n from 1 to 16"),
        ("REF-{RANDOM17}", "n from 1 to 16"),
        ("REF-{random6}", "not 'REF-{random6}'"),
        ("REF {RANDOM6}", "not 'REF '"),
        ("ÄB-{RANDOM6}", "not 'ÄB-'"),
        ("X" * 59 + "{RANDOM6}", "longer than 64"),
    ],
)
def test_a_pattern_that_cannot_make_good_codes_says_why(pattern, message):
    with pytest.raises(PatternError, match=re.escape(message)):
        pattern_parse(pattern)


def test_codes_come_from_the_choice_given():
    picks = iter("ABCDEFGH")
    assert pattern_make("REF-{RANDOM3}-{RANDOM3}", choice=lambda _: next(picks)) == "REF-ABC-DEF"


@given(
    prefix=st.from_regex(r"[A-Za-z0-9_-]{0,10}", fullmatch=True),
    runs=st.lists(st.integers(min_value=1, max_value=16), min_size=1, max_size=3).filter(
        lambda r: sum(r) >= 6
    ),
)
def test_every_code_matches_its_pattern(prefix, runs):
    pattern = prefix + "".join(f"{{RANDOM{n}}}" for n in runs)
    code = pattern_make(pattern)
    alphabet = re.escape(ALPHABET)
    assert re.fullmatch(re.escape(prefix) + f"[{alphabet}]{{{sum(runs)}}}", code)
    assert len(code) <= 64
