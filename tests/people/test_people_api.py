"""The People API: GET /people/{person_slug}, /referrals_as_advocate, /referrals_as_friend."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from goodword.offers.models import Share
from goodword.referrals.models import Referral
from tests.conftest import NOW, ApiClient
from tests.factories import SiteFactory, make_key
from tests.referrals.program import BASE_URL, build_program, buy, friend_clicks, join, referral_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

ADVOCATE = "customer@example.com"
NOT_FOUND = {"ok": False, "error_message": "No person found by `person_slug`."}


def get(api: ApiClient, slug: str, path: str) -> Any:
    return api.get(f"/api/v2/people/{path}", {"site_slug": slug})


def contract(openapi: dict[str, Any], path: str) -> Any:
    content = openapi["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    return content["example"]["result"]


@pytest.fixture
def advocate(api, api_site) -> dict[str, Any]:
    """John Doe joined as an advocate with every identifier the People API finds people by."""
    build_program(api_site.site)
    return join(
        api,
        api_site.slug,
        email=ADVOCATE,
        first_name="John",
        last_name="Doe",
        phone_number="+12025551111",
        customer_id="1024",
        username="johndoe1992",
        custom_properties={"country": "US"},
    )


def refer(api, api_site, joined, order: str, friend: str, *, at=None, time_machine=None):
    if time_machine is not None and at is not None:
        time_machine.move_to(at, tick=False)
    _, uuid = friend_clicks(joined["offer"]["claim_url"])
    buy(api, api_site.slug, order, friend, uuid=uuid)
    referral = referral_of(order)
    assert referral is not None
    return referral


# ---- finding a person -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "person_slug",
    [ADVOCATE, "Customer@Example.COM", "+12025551111", "1024", "johndoe1992"],
    ids=["email", "email-any-case", "phone", "customer_id", "username"],
)
def test_a_person_is_found_by_any_identifier(api, api_site, advocate, person_slug):
    response = get(api, api_site.slug, person_slug)

    assert response.status_code == 200, response.content
    person = response.json()["result"]["person"]
    assert (person["email"], person["first_name"], person["last_name"]) == (
        ADVOCATE,
        "John",
        "Doe",
    )
    assert (person["phone_number"], person["customer_id"], person["username"]) == (
        "+12025551111",
        "1024",
        "johndoe1992",
    )


def test_a_person_has_the_contracts_keys_and_values(api, api_site, advocate, openapi):
    response = get(api, api_site.slug, ADVOCATE)

    person = response.json()["result"]["person"]
    assert set(response.json()["result"]) == {"person"}
    assert set(person) == set(contract(openapi, "/api/v2/people/{person_slug}")["person"])
    assert person["custom_properties"] == {"country": "US"}
    assert person["personal_claim_url"] == advocate["offer"]["claim_url"]
    assert person["personal_claim_url"].startswith(f"{BASE_URL}/x/")
    assert person["referral_counts"] == {"total": 0, "approved": 0, "pending": 0}
    assert person["share_counts"] == {"total": 0}
    assert (person["referred_by"], person["last_invited_by"]) == (None, None)
    assert person["events_count"] == 0


@pytest.mark.parametrize("person_slug", ["nobody@example.com", "+19999999999", "ghost"])
def test_an_unknown_person(api, api_site, advocate, person_slug):
    response = get(api, api_site.slug, person_slug)

    assert response.status_code == 400
    assert response.json() == NOT_FOUND


def test_a_person_of_another_site_is_unknown(advocate):
    other = SiteFactory()

    response = get(ApiClient(make_key(other).raw_key), other.slug, ADVOCATE)

    assert response.json() == NOT_FOUND


@pytest.mark.parametrize(
    "path", ["nobody@example.com/referrals_as_advocate", "nobody@example.com/referrals_as_friend"]
)
def test_referrals_of_an_unknown_person(api, api_site, advocate, path):
    response = get(api, api_site.slug, path)

    assert response.status_code == 400
    assert response.json() == NOT_FOUND


# ---- counts ---------------------------------------------------------------------------------


def test_referral_counts_count_the_advocates_referrals_by_status(api, api_site, advocate):
    # given four referrals of John's: two pending, one approved, one voided
    for order, friend in [("A", "a@x.org"), ("B", "b@x.org"), ("C", "c@x.org"), ("D", "d@x.org")]:
        refer(api, api_site, advocate, order, friend)
    Referral.objects.filter(origin__order_number="C").update(status="approved")
    Referral.objects.filter(origin__order_number="D").update(status="voided")
    Share.objects.create(
        site=api_site.site, offer=referral_of("A").offer, channel="facebook", created_at=NOW
    )

    person = get(api, api_site.slug, ADVOCATE).json()["result"]["person"]

    assert person["referral_counts"] == {"total": 4, "approved": 1, "pending": 2}
    assert person["share_counts"] == {"total": 1}


def test_a_referred_friend_shows_who_referred_them(api, api_site, advocate):
    refer(api, api_site, advocate, "F-1", "alice@example.com")

    person = get(api, api_site.slug, "alice@example.com").json()["result"]["person"]

    assert person["referred_by"] == ADVOCATE
    assert person["last_invited_by"] == ADVOCATE
    assert person["referral_counts"] == {"total": 0, "approved": 0, "pending": 0}
    assert person["personal_claim_url"] is None


# ---- referrals as advocate / as friend ------------------------------------------------------


def test_referrals_as_advocate_lists_the_friends_newest_first(
    api, api_site, advocate, openapi, time_machine
):
    # given John referred Alice, then Bob an hour later
    alice = refer(api, api_site, advocate, "F-1", "alice@example.com")
    bob = refer(
        api,
        api_site,
        advocate,
        "F-2",
        "bob@example.com",
        at=NOW + timedelta(hours=1),
        time_machine=time_machine,
    )

    # when the merchant asks for John's referrals
    response = get(api, api_site.slug, f"{ADVOCATE}/referrals_as_advocate")

    # then both come back, newest first, shaped as the contract shows
    assert response.status_code == 200, response.content
    referrals = response.json()["result"]["referrals"]
    assert [r["id"] for r in referrals] == [bob.pk, alice.pk]
    example = contract(openapi, "/api/v2/people/{person_slug}/referrals_as_advocate")
    keys = set(example["referrals"][0])
    for referral in referrals:
        assert set(referral) == keys
        assert set(referral["advocate_person"]) == set(example["referrals"][0]["advocate_person"])
        assert referral["advocate_person"]["email"] == ADVOCATE
        assert referral["status"] == "pending"
        assert referral["track_method"] == "cookie"
        assert referral["referred_subtotal"] == 80.0
    assert [r["friend_person"]["email"] for r in referrals] == [
        "bob@example.com",
        "alice@example.com",
    ]
    assert referrals[0]["created_at"] == "2026-07-07T19:00:00.000+00:00"


def test_referrals_as_friend_lists_the_advocates(api, api_site, advocate, openapi):
    # given Alice was referred by John, and later bought again (chained to John)
    refer(api, api_site, advocate, "F-1", "alice@example.com")
    buy(api, api_site.slug, "F-2", "alice@example.com")

    response = get(api, api_site.slug, "alice@example.com/referrals_as_friend")

    referrals = response.json()["result"]["referrals"]
    example = contract(openapi, "/api/v2/people/{person_slug}/referrals_as_friend")
    assert all(set(r) == set(example["referrals"][0]) for r in referrals)
    assert sorted(r["track_method"] for r in referrals) == ["cookie", "event_chain"]
    assert {r["advocate_person"]["email"] for r in referrals} == {ADVOCATE}
    assert {r["friend_person"]["email"] for r in referrals} == {"alice@example.com"}


def test_the_two_lists_are_the_two_sides_of_one_referral(api, api_site, advocate):
    referral = refer(api, api_site, advocate, "F-1", "alice@example.com")

    as_advocate = get(api, api_site.slug, f"{ADVOCATE}/referrals_as_advocate").json()
    as_friend = get(api, api_site.slug, "alice@example.com/referrals_as_friend").json()
    nobody_referred_john = get(api, api_site.slug, f"{ADVOCATE}/referrals_as_friend").json()
    alice_referred_nobody = get(api, api_site.slug, "alice@example.com/referrals_as_advocate")

    assert as_advocate == as_friend
    assert [r["id"] for r in as_friend["result"]["referrals"]] == [referral.pk]
    assert nobody_referred_john == {"ok": True, "result": {"referrals": []}}
    assert alice_referred_nobody.json() == {"ok": True, "result": {"referrals": []}}


def test_referrals_found_by_phone_number_too(api, api_site, advocate):
    referral = refer(api, api_site, advocate, "F-1", "alice@example.com")

    response = get(api, api_site.slug, "+12025551111/referrals_as_advocate")

    assert [r["id"] for r in response.json()["result"]["referrals"]] == [referral.pk]


# The lookup order person_find documents: email, phone number, customer id, username.


def test_a_customer_id_wins_over_someone_elses_equal_username(api, api_site):
    # given an older person whose username is "2048", and a customer whose id is "2048"
    build_program(api_site.site)
    join(api, api_site.slug, email="gamer@example.com", username="2048")
    join(api, api_site.slug, email="buyer@example.com", customer_id="2048")

    # when the merchant looks up their customer 2048
    person = get(api, api_site.slug, "2048").json()["result"]["person"]

    # then they get the customer, as the lookup order promises
    assert person["email"] == "buyer@example.com"


def test_a_phone_number_wins_over_someone_elses_equal_username(api, api_site):
    build_program(api_site.site)
    join(api, api_site.slug, email="odd@example.com", username="+12025550000")
    join(api, api_site.slug, email="caller@example.com", phone_number="+12025550000")

    person = get(api, api_site.slug, "+12025550000").json()["result"]["person"]

    assert person["email"] == "caller@example.com"
