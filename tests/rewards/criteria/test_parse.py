"""Criteria.parse: reads `Incentive.criteria` exactly as config apply stores it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from goodword.campaigns.models import Incentive
from goodword.config.schema import program_validate
from goodword.config.services import config_apply
from goodword.rewards.criteria import Criteria
from tests.config.conftest import minimal_document

# Every criterion, written as a merchant writes a file.
EVERY_CRITERION: dict[str, Any] = {
    "new_customer": True,
    "subtotal_min": 49.99,
    "subtotal_max": 1000,
    "referrals_min": 2,
    "referrals_max": 10,
    "reward_uniqueness": "once_per_friend",
    "friend_event_category": "newsletter_subscription",
    "offer_not_expired": False,
    "cap_total": 20,
    "cap_per_month": 5,
}

EXPECTED = Criteria(
    new_customer=True,
    subtotal_min=Decimal("49.99"),
    subtotal_max=Decimal("1000.00"),
    referrals_min=2,
    referrals_max=10,
    reward_uniqueness="once_per_friend",
    friend_event_category="newsletter_subscription",
    offer_not_expired=False,
    cap_total=20,
    cap_per_month=5,
)


def _document_with_every_criterion() -> dict[str, Any]:
    document = minimal_document()
    document["campaigns"][0]["incentives"][0]["criteria"] = dict(EVERY_CRITERION)
    return document


def test_empty_criteria_are_the_defaults():
    # given an incentive stored without criteria
    criteria = Criteria.parse({})

    # then nothing is checked but offer expiry, and no counts are needed
    assert criteria == Criteria()
    assert criteria.offer_not_expired is True
    assert criteria.reward_uniqueness == "none"
    assert not criteria.needs_counts


def test_stored_values_become_typed_values():
    # given criteria as stored: subtotals as decimal strings
    stored = {"subtotal_min": "50.00", "subtotal_max": "99.5", "cap_total": 3}

    # when parsed
    criteria = Criteria.parse(stored)

    # then subtotals are exact Decimals
    assert criteria.subtotal_min == Decimal("50.00")
    assert criteria.subtotal_max == Decimal("99.5")
    assert isinstance(criteria.subtotal_min, Decimal)
    assert criteria.cap_total == 3


def test_unknown_keys_are_ignored():
    # given a key a newer release might store
    criteria = Criteria.parse({"new_customer": True, "loyalty_tier": "gold"})

    # then it is ignored, and the known one kept
    assert criteria == Criteria(new_customer=True)


def test_an_explicit_null_means_left_out():
    criteria = Criteria.parse(
        {"subtotal_min": None, "offer_not_expired": None, "reward_uniqueness": None}
    )
    assert criteria == Criteria()


def test_a_malformed_subtotal_is_refused_not_read_as_zero():
    with pytest.raises(ValueError):
        Criteria.parse({"subtotal_min": "fifty"})


@pytest.mark.parametrize(
    ("stored", "needs"),
    [
        ({}, False),
        ({"new_customer": True, "subtotal_min": "1.00", "friend_event_category": "x"}, False),
        ({"offer_not_expired": False}, False),
        ({"reward_uniqueness": "none"}, False),
        ({"referrals_min": 0}, True),
        ({"referrals_max": 3}, True),
        ({"reward_uniqueness": "once_per_friend"}, True),
        ({"reward_uniqueness": "once_per_advocate"}, True),
        ({"cap_total": 1}, True),
        ({"cap_per_month": 1}, True),
    ],
)
def test_counts_are_needed_only_for_count_rules(stored, needs):
    assert Criteria.parse(stored).needs_counts is needs


def test_what_validation_stores_parses_to_every_criterion():
    # given a configuration file with every criterion on one incentive
    program = program_validate(_document_with_every_criterion())

    # when the criteria validation produced are parsed
    stored = program.campaigns[0].incentives[0].criteria

    # then every criterion comes back with its value
    assert stored["subtotal_min"] == "49.99"  # as stored: a decimal string
    assert Criteria.parse(stored) == EXPECTED


@pytest.mark.django_db
def test_what_config_apply_stores_parses_to_every_criterion():
    # given a configuration file with every criterion applied to the database
    config_apply(document=_document_with_every_criterion())

    # when the stored incentive's criteria are read back and parsed
    incentive = Incentive.objects.get(identifier="rebate")
    criteria = Criteria.parse(incentive.criteria)

    # then every criterion survives the round trip through the JSON column
    assert criteria == EXPECTED
    assert criteria.needs_counts
