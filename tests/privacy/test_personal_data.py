"""GET /people/{person_slug}/personal_data: everything stored about the person, as JSON."""

from __future__ import annotations

import pytest

from tests.privacy.support import ADDRESS, IP, PHONE, SUBJECT, build_rich_person
from tests.webhooks.support import receiver_fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


@pytest.fixture
def receiver():
    yield from receiver_fixture()


def personal_data(api, slug: str, person_slug: str):
    return api.get(f"/api/v2/people/{person_slug}/personal_data", {"site_slug": slug})


def test_everything_stored_about_the_person_comes_back(api, api_site, receiver, openapi):
    # given a person with data of every kind
    build_rich_person(api, api_site.site, receiver)

    # when the merchant asks for their personal data
    response = personal_data(api, api_site.slug, SUBJECT)

    # then the contract's person keys are there, with every section
    assert response.status_code == 200, response.content
    person = response.json()["result"]["person"]
    path = openapi["paths"]["/api/v2/people/{person_slug}/personal_data"]["get"]
    example = path["responses"]["200"]["content"]["application/json"]["example"]
    assert set(example["result"]["person"]) <= set(person)
    assert set(example["result"]["person"]["origins"][0]) <= set(person["origins"][0])
    assert person["email"] == SUBJECT and person["phone_number"] == PHONE
    purchase = next(o for o in person["origins"] if o["type"] == "Purchase")
    assert (purchase["order_number"], purchase["ip_address"]) == ("ORDER-Z1", IP)
    assert purchase["shipping_address"] == ADDRESS and purchase["subtotal"] == 80.0
    assert [o["short_url_code"] for o in person["offers"]]
    assert [s["channel"] for s in person["shares"]] == ["facebook"]
    assert any(c["ip_address"] == IP for c in person["claims"])
    assert len(person["referrals_as_advocate"]) == 1
    assert len(person["referrals_as_friend"]) == 1
    assert any(r["reason"] == "referrer" for r in person["rewards"])
    types = {d["type"] for d in person["webhook_deliveries"]}
    assert {"unsubscribe_web_hook", "referral_web_hook", "offer_signup_web_hook"} <= types
    assert [a["action"] for a in person["staff_actions"]] == []  # the note was on a referral
    assert person["custom_properties"] == {"pet": "Rocinante"}


def test_after_an_erasure_the_personal_data_is_the_pseudonymous_rest(api, api_site, receiver):
    build_rich_person(api, api_site.site, receiver)
    new_email = api.post(
        f"/api/v2/people/{SUBJECT}/anonymize", {"site_slug": api_site.slug}
    ).json()["result"]["person"]["email"]

    person = personal_data(api, api_site.slug, new_email).json()["result"]["person"]

    assert person["email"] == new_email and person["first_name"] is None
    assert person["anonymized_at"] == "2026-07-07T18:00:00.000+00:00"
    assert all(o["ip_address"] is None for o in person["origins"])
    assert SUBJECT not in str(person) and PHONE not in str(person) and IP not in str(person)


def test_an_unknown_person_is_not_found(api, api_site):
    response = personal_data(api, api_site.slug, "nobody@example.com")

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_message": "No person found by `person_slug`."}
