"""The Rewards API (GET /rewards by visitor uuid, GET /people/{slug}/rewards) and the rewards
inside people and referral objects, compared with the contract's examples."""

from __future__ import annotations

from typing import Any

import pytest

from goodword.rewards.models import Reward
from tests.conftest import ApiClient
from tests.factories import SiteFactory, make_key
from tests.referrals.program import build_program, friend_clicks, join, put_status
from tests.rewards.program import referred_purchase, set_incentive

pytestmark = pytest.mark.django_db

ADVOCATE = "advocate@example.com"
FRIEND = "friend@example.org"
STATUS_ERROR = '`status` must be within ["Paid", "Unpaid", "Voided", "All"]'


@pytest.fixture
def visitor(api, api_site, frozen_now) -> str:
    """A friend clicked (a Paid click reward, code FRIEND-1) and bought under that visitor uuid
    (a Pending referred reward for the friend, a Pending referrer reward for the advocate)."""
    campaign = build_program(api_site.site)
    set_incentive(campaign, "referred", amount="5", description="$5 for you")
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    referred_purchase(api, api_site.slug, "P-1", FRIEND, uuid)
    return uuid


def listed(api: ApiClient, slug: str, **params: Any) -> Any:
    return api.get("/api/v2/rewards", {"site_slug": slug, **params})


def summary(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True
    return [(r["reason"], r["status"]) for r in body["result"]["rewards"]]


def assert_error(response: Any, status: int, message: str) -> None:
    assert response.status_code == status, response.content
    assert response.json() == {"ok": False, "error_message": message}


def example(openapi: dict[str, Any], path: str) -> dict[str, Any]:
    get = openapi["paths"][path]["get"]
    return get["responses"]["200"]["content"]["application/json"]["example"]["result"]


# ---- GET /rewards ---------------------------------------------------------------------------


def test_a_visitors_rewards_are_their_click_and_their_referred_rewards(api, api_site, visitor):
    # the advocate's referrer reward belongs to no visitor: it is not listed
    assert summary(listed(api, api_site.slug, visitor_uuid=visitor)) == [
        ("click", "Paid"),
        ("referred", "Unpaid"),
    ]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("Paid", [("click", "Paid")]),
        ("Unpaid", [("referred", "Unpaid")]),
        ("Voided", []),
        ("All", [("click", "Paid"), ("referred", "Unpaid")]),
    ],
)
def test_the_status_filter(api, api_site, visitor, status, expected):
    assert summary(listed(api, api_site.slug, visitor_uuid=visitor, status=status)) == expected


def test_a_voided_referral_lists_its_reward_as_voided(api, api_site, visitor):
    put_status(api, api_site.slug, "P-1", "voided")

    assert summary(listed(api, api_site.slug, visitor_uuid=visitor, status="Voided")) == [
        ("referred", "Voided")
    ]
    assert summary(listed(api, api_site.slug, visitor_uuid=visitor, status="Unpaid")) == []


def test_an_unknown_visitor_has_no_rewards(api, api_site, visitor):
    other = "1f0c1e0e-0000-4000-8000-000000000000"

    assert summary(listed(api, api_site.slug, visitor_uuid=other)) == []


def test_another_sites_rewards_are_not_listed(api_site, visitor):
    other = SiteFactory()
    other_api = ApiClient(make_key(other).raw_key)

    assert summary(listed(other_api, other.slug, visitor_uuid=visitor)) == []


def test_a_referred_reward_of_a_referral_blocked_at_first_is_found_by_visitor_once_unblocked(
    api, api_site, frozen_now
):
    # given a purchase referred under the advocate's own email: blocked as a self-referral
    campaign = build_program(api_site.site)
    set_incentive(campaign, "referred", amount="5")
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    referral = referred_purchase(api, api_site.slug, "SELF-1", ADVOCATE, uuid)
    assert referral.status == "blocked"

    # when the merchant unblocks it
    assert put_status(api, api_site.slug, "SELF-1", "pending").status_code == 200

    # then the purchase's visitor finds the referred reward like any other
    assert summary(listed(api, api_site.slug, visitor_uuid=uuid)) == [
        ("click", "Paid"),
        ("referred", "Unpaid"),
    ]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "`visitor_uuid` is required"),
        ({"visitor_uuid": ""}, "`visitor_uuid` is required"),
        ({"visitor_uuid": "not-a-uuid"}, "`visitor_uuid` is invalid"),
        ({"visitor_uuid": "1f0c1e0e-0000-4000-8000-000000000000", "status": "Lost"}, STATUS_ERROR),
        ({"visitor_uuid": "1f0c1e0e-0000-4000-8000-000000000000", "status": "paid"}, STATUS_ERROR),
    ],
    ids=["missing", "blank", "invalid", "unknown-status", "status-is-case-sensitive"],
)
def test_bad_parameters_are_a_400_with_a_clear_message(api, api_site, params, message):
    assert_error(listed(api, api_site.slug, **params), 400, message)


def test_a_wrong_key_is_401(api_site, visitor):
    response = listed(ApiClient("not-a-key"), api_site.slug, visitor_uuid=visitor)

    assert response.status_code == 401
    assert response.json()["ok"] is False


# ---- GET /people/{slug}/rewards ----------------------------------------------------------------


def person_rewards(api: ApiClient, slug: str, person: str, **params: Any) -> Any:
    return api.get(f"/api/v2/people/{person}/rewards", {"site_slug": slug, **params})


def test_a_persons_rewards_are_the_ones_they_receive(api, api_site, visitor):
    assert summary(person_rewards(api, api_site.slug, ADVOCATE)) == [("referrer", "Unpaid")]
    assert summary(person_rewards(api, api_site.slug, FRIEND)) == [("referred", "Unpaid")]


def test_a_persons_rewards_after_approval(api, api_site, visitor):
    put_status(api, api_site.slug, "P-1", "approved")

    assert summary(person_rewards(api, api_site.slug, ADVOCATE, status="Paid")) == [
        ("referrer", "Paid")
    ]
    assert summary(person_rewards(api, api_site.slug, ADVOCATE, status="Unpaid")) == []


def test_an_unknown_person_is_a_400(api, api_site, visitor):
    assert_error(
        person_rewards(api, api_site.slug, "nobody@example.com"),
        400,
        "No person found by `person_slug`.",
    )


def test_a_wrong_status_for_a_person_is_a_400(api, api_site, visitor):
    assert_error(person_rewards(api, api_site.slug, ADVOCATE, status="Lost"), 400, STATUS_ERROR)


# ---- the reward object ------------------------------------------------------------------------


def test_a_reward_has_exactly_the_contracts_keys_and_values(api, api_site, visitor, openapi):
    # given the friend's Paid click reward (a pool coupon) and Unpaid referred reward (a rebate)
    click, referred = listed(api, api_site.slug, visitor_uuid=visitor).json()["result"]["rewards"]
    contract = example(openapi, "/api/v2/rewards")["rewards"][0]
    with_coupon = example(openapi, "/api/v2/people/{person_slug}/rewards")["rewards"][1]

    # then both have the contract's keys, and a coupon has the contract's coupon keys
    assert set(click) == set(referred) == set(contract)
    assert set(click["coupon"]) == set(with_coupon["coupon"])
    stored = {r.reason: r for r in Reward.objects.all()}
    assert click == {
        "amount": 10.0,
        "coupon": {
            "active": True,
            "amount": 10.0,
            "code": "FRIEND-1",
            "description": "$10",
            "expires_at": None,
            "id": stored["click"].coupon_id,
            "percentage_discount": False,
            "single_use": True,
            "usages": 0,
            "used": False,
            "valid_until": None,
        },
        "coupon_code": "FRIEND-1",
        "id": stored["click"].pk,
        "incentive_custom_description": "$10 off",
        "incentive_description": "single use coupon for $10 off",
        "incentive_type": "discount_coupon",
        "reason": "click",
        "status": "Paid",
    }
    assert referred == {
        "amount": 5.0,
        "coupon": None,
        "coupon_code": None,
        "id": stored["referred"].pk,
        "incentive_custom_description": "$5 for you",
        "incentive_description": "$5 back",
        "incentive_type": "rebate",
        "reason": "referred",
        "status": "Unpaid",
    }


# ---- rewards in people and referrals ----------------------------------------------------------


def test_a_persons_reward_count_is_the_rewards_they_received(api, api_site, visitor):
    def total(person: str) -> int:
        response = api.get(f"/api/v2/people/{person}", {"site_slug": api_site.slug})
        assert response.status_code == 200, response.content
        return response.json()["result"]["person"]["reward_counts"]["total"]

    assert (total(ADVOCATE), total(FRIEND)) == (1, 1)


def test_referral_objects_carry_the_advocate_and_friend_rewards(api, api_site, visitor):
    def referral(role: str, person: str) -> dict[str, Any]:
        response = api.get(f"/api/v2/people/{person}/{role}", {"site_slug": api_site.slug})
        assert response.status_code == 200, response.content
        (only,) = response.json()["result"]["referrals"]
        return only

    # while pending: both rewards are listed as Unpaid, and the advocate is not rewarded yet
    pending = referral("referrals_as_advocate", ADVOCATE)
    assert pending["ad_rewarded"] is False
    assert [(r["reason"], r["status"]) for r in pending["advocate_rewards"]] == [
        ("referrer", "Unpaid")
    ]
    assert [(r["reason"], r["status"]) for r in pending["friend_rewards"]] == [
        ("referred", "Unpaid")
    ]

    # once approved: both paid, the advocate rewarded, seen from either side
    put_status(api, api_site.slug, "P-1", "approved")
    for role, person in (("referrals_as_advocate", ADVOCATE), ("referrals_as_friend", FRIEND)):
        approved = referral(role, person)
        assert approved["ad_rewarded"] is True
        assert [r["status"] for r in approved["advocate_rewards"]] == ["Paid"]
        assert [r["status"] for r in approved["friend_rewards"]] == ["Paid"]
