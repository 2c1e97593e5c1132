"""`offer.incentives`: keyed by Talkable's action names, each entry with the contract's keys,
built by one function for every response that embeds an offer."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from goodword.campaigns.models import Incentive
from goodword.campaigns.program import CampaignInfo, IncentiveInfo, forget_program
from goodword.offers.incentives import offer_incentives
from tests.referrals.program import build_program, join


def incentive(reason: str, amount: str = "10", **fields: Any) -> IncentiveInfo:
    values: dict[str, Any] = {
        "id": 1,
        "identifier": f"{reason}-{amount}",
        "reason": reason,
        "incentive_type": "rebate",
        "amount": Decimal(amount),
        "amount_type": "fixed",
        "currency": None,
        "coupon_list_id": None,
        "description": "",
        "criteria": {},
    }
    return IncentiveInfo(**{**values, **fields})


def campaign(*incentives: IncentiveInfo) -> CampaignInfo:
    return CampaignInfo(
        id=1,
        slug="invite",
        name="Invite",
        tags=(),
        status="Live",
        starts_at=None,
        ends_at=None,
        joinable=("affiliate_member",),
        destination_url="https://shop.example.com/",
        offer_expiry_days=None,
        gate_email=False,
        incentives=incentives,
    )


def contract_incentives(openapi: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every `offer.incentives` entry the contract's examples show, by action type."""
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> Iterator[None]:
        if isinstance(node, dict):
            entries = node.get("incentives")
            if isinstance(entries, dict):
                for key, entry in entries.items():
                    if isinstance(entry, dict) and "action_type" in entry:
                        found[key] = entry
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    for _ in walk(openapi["paths"]):
        pass
    return found


# ---- the builder (pure) ---------------------------------------------------------------------


def test_incentives_are_keyed_by_action_name_and_shared_is_called_sharing():
    # given a campaign with an incentive for every reason
    built = offer_incentives(
        campaign(*(incentive(r) for r in ("signup", "click", "shared", "referred", "referrer")))
    )

    # then each is under Talkable's action name, which is also its action_type
    assert list(built) == ["referrer", "referred", "sharing", "click", "signup"]
    assert all(entry["action_type"] == key for key, entry in built.items())
    assert [k for k, e in built.items() if e["for_advocate"]] == ["referrer", "sharing", "signup"]
    assert [k for k, e in built.items() if e["for_friend"]] == ["referred", "click"]


def test_the_entries_have_exactly_the_contracts_keys_in_both_criteria_forms(openapi):
    # given the contract's examples of a referrer and a sharing incentive
    examples = contract_incentives(openapi)
    assert {"referrer", "sharing"} <= set(examples)

    # when our builder makes both
    built = offer_incentives(campaign(incentive("referrer"), incentive("shared")))

    # then the keys, and the keys of each criteria_config form, are the contract's
    for action in ("referrer", "sharing"):
        assert list(built[action]) == list(examples[action])
        assert list(built[action]["criteria_config"]) == list(examples[action]["criteria_config"])


def test_criteria_show_under_talkables_names_with_numbers_as_numbers():
    # given a referrer incentive with criteria, and a once-per-advocate sharing one
    stored = {
        "new_customer": True,
        "subtotal_min": "50.00",
        "referrals_max": 3,
        "reward_uniqueness": "once_per_friend",
        "friend_event_category": "signup",
    }
    built = offer_incentives(
        campaign(
            incentive("referrer", "12.50", criteria=stored, amount_type="percentage"),
            incentive("shared", criteria={"reward_uniqueness": "once_per_advocate"}),
        )
    )

    # then they read as the contract names them
    referrer = built["referrer"]
    assert referrer["amount"] == 12.5 and referrer["percentage"] is True
    assert referrer["criteria_config"] == {
        "new_customer": True,
        "new_optin": False,
        "subtotal_min": 50.0,
        "subtotal_max": None,
        "referrals_min": None,
        "referrals_max": 3,
        "referrals_divisible_by": None,
        "referrals_not_divisible_by": None,
        "reward_uniqueness": "once_per_friend",
        "friend_event_category": "signup",
        "has_liquid_criteria": False,
    }
    assert built["sharing"]["criteria_config"]["once_per_person"] is True
    assert referrer["coupon_expires_at"] is None


def test_of_two_incentives_for_one_action_the_highest_amount_is_shown():
    # given two referrer incentives, the larger one second, and two equal friend ones
    built = offer_incentives(
        campaign(
            incentive("referrer", "5"),
            incentive("referrer", "15"),
            incentive("referred", "7", identifier="first"),
            incentive("referred", "7", identifier="second"),
        )
    )

    # then the larger is shown, and of equals the first
    assert built["referrer"]["identifier"] == "referrer-15"
    assert built["referrer"]["highest_amount"] is True
    assert built["referred"]["identifier"] == "first"


def test_a_campaign_without_incentives_shows_none():
    assert offer_incentives(campaign()) == {}


# ---- through the API ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen_now")
def test_every_response_that_embeds_the_offer_shows_the_same_incentives(api, api_site, openapi):
    # given the invite campaign (a friend click coupon, an advocate rebate) plus a share reward
    program = build_program(api_site.site)
    Incentive.objects.create(
        campaign=program,
        identifier="share-bonus",
        reason="shared",
        incentive_type="rebate",
        amount=Decimal("2"),
        description="$2 for sharing",
    )
    forget_program(api_site.site.id)

    # when the advocate joins, and the offer is read and shared
    joined = join(api, api_site.slug)
    code = joined["offer"]["short_url_code"]
    got = api.get(f"/api/v2/offers/{code}", {"site_slug": api_site.slug}).json()["result"]
    shared = api.post(
        f"/api/v2/offers/{code}/shares/social",
        {"site_slug": api_site.slug, "channel": "facebook"},
    )

    # then all three show the incentives keyed by action name, the same each time
    assert shared.status_code == 200, shared.content
    incentives = joined["offer"]["incentives"]
    assert set(incentives) == {"referrer", "click", "sharing"}
    assert incentives["sharing"]["identifier"] == "share-bonus"
    assert incentives["sharing"]["description"] == "$2 for sharing"
    assert incentives["sharing"]["amount"] == 2
    assert incentives["click"]["incentive_type"] == "discount_coupon"
    assert got["offer"]["incentives"] == incentives
    assert shared.json()["result"]["share"]["offer"]["incentives"] == incentives
    examples = contract_incentives(openapi)
    assert list(incentives["referrer"]) == list(examples["referrer"])
