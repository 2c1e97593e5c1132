"""POST /api/v2/offer_claims: the friend claims the advocate's offer by email, once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from goodword.campaigns.program import forget_program
from goodword.offers.models import Claim
from goodword.rewards.models import Reward
from tests.conftest import NOW, ApiClient
from tests.referrals.program import build_program, buy, join, referral_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

URL = "/api/v2/offer_claims"
ADVOCATE = "advocate@example.com"
FRIEND = "pal@example.org"


@pytest.fixture
def advocate(api, api_site) -> dict[str, Any]:
    build_program(api_site.site, offer_expiry_days=30)
    return join(api, api_site.slug)["offer"]


def claim(api: ApiClient, slug: str, advocate: Any = ADVOCATE, friend: Any = FRIEND) -> Any:
    query = f"site_slug={slug}&advocate_email={advocate}&friend_email={friend}"
    return api.post(f"{URL}?{query}", {})


def contract_examples(openapi: dict[str, Any]) -> dict[str, Any]:
    content = openapi["paths"][URL]["post"]["responses"]["200"]["content"]["application/json"]
    return {name: example["value"] for name, example in content["examples"].items()}


def test_the_friend_claims_the_offer_and_gets_the_click_reward(api, api_site, advocate, openapi):
    response = claim(api, api_site.slug)

    assert response.status_code == 200, response.content
    body = response.json()
    contract = contract_examples(openapi)["friend rewarded"]["result"]
    assert set(body["result"]) == set(contract)
    reward = body["result"]["friend_reward"]
    assert set(reward) == set(contract["friend_reward"])
    assert set(reward["coupon"]) == set(contract["friend_reward"]["coupon"])
    assert (reward["reason"], reward["status"], reward["coupon_code"]) == (
        "click",
        "Paid",
        "FRIEND-1",
    )
    assert body["result"]["friend_unredeem_reason"] is None
    assert body["result"]["friend_human_unredeem_reason"] is None
    stored = Claim.objects.get()
    assert (stored.gated_email, stored.friend_coupon_code) == (FRIEND, "FRIEND-1")
    assert stored.offer.short_url_code == advocate["short_url_code"]


def test_a_repeated_claim_hands_out_nothing_more(api, api_site, advocate):
    first = claim(api, api_site.slug).json()["result"]["friend_reward"]

    again = claim(api, api_site.slug, friend=FRIEND.upper()).json()["result"]["friend_reward"]

    assert again == first
    assert Claim.objects.count() == 1
    assert Reward.objects.filter(reason="click").count() == 1


def test_the_friends_purchase_is_the_advocates_referral(api, api_site, advocate):
    claim(api, api_site.slug)

    buy(api, api_site.slug, "C-1", FRIEND)

    referral = referral_of("C-1")
    assert referral is not None
    assert (referral.track_method, referral.advocate.email) == ("gated_email", ADVOCATE)


def test_the_emails_may_come_in_a_json_body(api, api_site, advocate):
    response = api.post(
        URL, {"site_slug": api_site.slug, "advocate_email": ADVOCATE, "friend_email": FRIEND}
    )

    assert response.status_code == 200, response.content
    assert response.json()["result"]["friend_reward"]["coupon_code"] == "FRIEND-1"


def test_the_advocate_claiming_their_own_offer_gets_nothing(api, api_site, advocate, openapi):
    response = claim(api, api_site.slug, friend=ADVOCATE)

    assert response.status_code == 200
    assert response.json()["result"] == contract_examples(openapi)["friend not rewarded"]["result"]
    assert not Claim.objects.exists()


def test_a_blocklisted_friend_gets_nothing(api, api_site, advocate):
    api_site.site.blocklist.create(value="*@example.org")
    forget_program(api_site.site.id)

    result = claim(api, api_site.slug).json()["result"]

    assert result == {
        "friend_reward": None,
        "friend_unredeem_reason": "BLOCKLISTED",
        "friend_human_unredeem_reason": "Blocklisted",
    }
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    ("advocate_email", "friend_email", "message"),
    [
        ("not-an-email", FRIEND, "Invalid `advocate_email`."),
        ("", FRIEND, "Invalid `advocate_email`."),
        (ADVOCATE, "pal@", "Invalid `friend_email`."),
        ("nobody@example.com", FRIEND, "No campaign found."),
    ],
)
def test_bad_or_unknown_emails_are_refused(
    api, api_site, advocate, advocate_email, friend_email, message
):
    response = claim(api, api_site.slug, advocate=advocate_email, friend=friend_email)

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_message": message}
    assert not Claim.objects.exists()


def test_an_expired_offer_finds_no_campaign(api, api_site, advocate, time_machine):
    time_machine.move_to(NOW + timedelta(days=31), tick=False)

    response = claim(api, api_site.slug)

    assert response.json() == {"ok": False, "error_message": "No campaign found."}
