"""The Coupons API: GET /coupons/{code} and GET /coupons/{code}/permission/{person_slug}."""

from __future__ import annotations

from typing import Any

import pytest

from goodword.coupons.models import Coupon
from goodword.rewards.models import Reward
from tests.conftest import ApiClient
from tests.factories import SiteFactory, make_key
from tests.referrals.program import build_program, buy, friend_clicks, join, put_status
from tests.rewards.program import pool, referred_purchase, set_incentive

pytestmark = pytest.mark.django_db

ADVOCATE = "advocate@example.com"
FRIEND = "friend@example.org"
ALL_CLEAR = {
    "coupon_unissued": False,
    "coupon_expired": False,
    "friend_offer_expired": False,
    "different_owner": False,
    "coupon_used": False,
}


@pytest.fixture
def campaign(api_site, frozen_now):
    """Friends' clicks take FRIEND-1..3; the referrer is paid a code from ADV-1..2."""
    campaign = build_program(api_site.site)
    advocate_pool = pool(api_site.site, "advocate-pool", ("ADV-1", "ADV-2"))
    set_incentive(campaign, "referrer", incentive_type="discount_coupon", coupon_list=advocate_pool)
    return campaign


@pytest.fixture
def paid_advocate(api, api_site, campaign) -> str:
    """The advocate's referrer reward is paid with ADV-1; the friend's click took FRIEND-1."""
    joined = join(api, api_site.slug)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    referred_purchase(api, api_site.slug, "P-1", FRIEND, uuid)
    assert put_status(api, api_site.slug, "P-1", "approved").status_code == 200
    return uuid


def find(api, slug: str, code: str) -> Any:
    return api.get(f"/api/v2/coupons/{code}", {"site_slug": slug})


def permission(api, slug: str, code: str, person: str) -> Any:
    return api.get(f"/api/v2/coupons/{code}/permission/{person}", {"site_slug": slug})


def result(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True
    return body["result"]


def example(openapi: dict[str, Any], path: str) -> dict[str, Any]:
    get = openapi["paths"][path]["get"]
    return get["responses"]["200"]["content"]["application/json"]["example"]["result"]


# ---- GET /coupons/{code} ----------------------------------------------------------------------


def test_an_unissued_pool_code_is_found_with_the_contracts_keys(api, api_site, campaign, openapi):
    found = result(find(api, api_site.slug, "ADV-2"))

    contract = example(openapi, "/api/v2/coupons/{code}")
    assert set(found) == set(contract)
    assert set(found["coupon"]) == set(contract["coupon"])
    assert found == {
        "associated_reward": None,
        "coupon": {
            "active": True,
            "amount": 10.0,
            "code": "ADV-2",
            "description": "$10",
            "expires_at": None,
            "id": Coupon.objects.get(code="ADV-2").pk,
            "percentage_discount": False,
            "single_use": True,
            "usages": 0,
            "used": False,
            "valid_until": None,
        },
        "talkable_coupon": True,
    }


def test_an_issued_pool_code_carries_its_reward(api, api_site, paid_advocate):
    found = result(find(api, api_site.slug, "ADV-1"))

    reward = Reward.objects.get(coupon__code="ADV-1")
    assert reward.reason == "referrer"
    assert found["associated_reward"]["id"] == reward.pk
    assert (found["associated_reward"]["status"], found["coupon"]["code"]) == ("Paid", "ADV-1")


def test_a_static_code_is_found_as_a_shared_code(api, api_site, frozen_now):
    build_program(api_site.site, static_code="WELCOME10")

    found = result(find(api, api_site.slug, "WELCOME10"))

    assert found["associated_reward"] is None
    coupon = found["coupon"]
    assert (coupon["code"], coupon["id"], coupon["single_use"]) == ("WELCOME10", None, False)
    assert (coupon["usages"], coupon["used"]) == (None, False)


@pytest.mark.parametrize("code", ["NOPE-1", "adv-1", " "])
def test_an_unknown_code_is_a_400(api, api_site, campaign, code):
    response = find(api, api_site.slug, code)

    assert response.status_code == 400, response.content
    assert response.json() == {"ok": False, "error_message": "No coupon found by `code`."}


def test_another_sites_code_is_not_found(api, api_site, campaign):
    other = SiteFactory()

    response = find(ApiClient(make_key(other).raw_key), other.slug, "ADV-1")

    assert response.status_code == 400


def test_a_code_carried_by_a_purchase_counts_as_used(api, api_site, paid_advocate):
    # when the advocate spends their code on an order
    buy(api, api_site.slug, "A-1", ADVOCATE, coupon_codes="ADV-1")

    # then the coupon shows one usage
    coupon = result(find(api, api_site.slug, "ADV-1"))["coupon"]
    assert (coupon["usages"], coupon["used"]) == (1, True)
    assert result(find(api, api_site.slug, "ADV-2"))["coupon"]["usages"] == 0


def test_resending_the_same_purchase_counts_its_code_once(api, api_site, paid_advocate):
    buy(api, api_site.slug, "A-1", ADVOCATE, coupon_codes="ADV-1")
    buy(api, api_site.slug, "A-1", ADVOCATE, coupon_codes="ADV-1")

    assert Coupon.objects.get(code="ADV-1").usages == 1


# ---- GET /coupons/{code}/permission/{person_slug} ---------------------------------------------


def test_an_unissued_code_is_not_allowed(api, api_site, paid_advocate, openapi):
    checked = result(permission(api, api_site.slug, "ADV-2", ADVOCATE))

    contract = example(openapi, "/api/v2/coupons/{code}/permission/{person_slug}")
    assert set(checked) == set(contract)
    assert set(checked["checks"]) == set(contract["checks"])
    assert checked["allowed"] is False
    assert checked["error_message"] == "This coupon code has not been issued yet"
    assert checked["checks"] == {**ALL_CLEAR, "coupon_unissued": True}


def test_the_owner_may_use_their_code(api, api_site, paid_advocate):
    checked = result(permission(api, api_site.slug, "ADV-1", ADVOCATE))

    assert (checked["allowed"], checked["error_message"]) == (True, None)
    assert checked["checks"] == ALL_CLEAR
    assert checked["associated_reward"]["reason"] == "referrer"


def test_someone_else_may_not_use_a_persons_code(api, api_site, paid_advocate):
    checked = result(permission(api, api_site.slug, "ADV-1", FRIEND))

    assert checked["allowed"] is False
    assert checked["error_message"] == "This coupon code was issued to another person"
    assert checked["checks"] == {**ALL_CLEAR, "different_owner": True}


def test_a_used_code_is_not_allowed_again(api, api_site, paid_advocate):
    buy(api, api_site.slug, "A-1", ADVOCATE, coupon_codes="ADV-1")

    checked = result(permission(api, api_site.slug, "ADV-1", ADVOCATE))

    assert checked["allowed"] is False
    assert checked["error_message"] == "This coupon code has already been used"
    assert checked["checks"] == {**ALL_CLEAR, "coupon_used": True}


def test_permission_for_an_unknown_code_or_person_is_a_400(api, api_site, paid_advocate):
    unknown_code = permission(api, api_site.slug, "NOPE-1", ADVOCATE)
    unknown_person = permission(api, api_site.slug, "ADV-1", "nobody@example.com")

    assert unknown_code.status_code == unknown_person.status_code == 400
    assert unknown_code.json()["error_message"] == "No coupon found by `code`."
    assert unknown_person.json()["error_message"] == "No person found by `person_slug`."
