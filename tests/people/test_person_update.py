"""PUT /people/{person_slug}: names, identifiers, custom properties, opt-in and subscription,
with the contract's answers and errors; becoming unsubscribed tells the merchant once."""

from __future__ import annotations

from typing import Any

import pytest

from goodword.people.models import Person
from goodword.webhooks.models import Delivery
from tests.conftest import NOW
from tests.factories import PersonFactory
from tests.webhooks.support import receiver_fixture, subscribe

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

EMAIL = "customer@example.com"
STAMP = "2026-07-07T18:00:00.000+00:00"


@pytest.fixture
def receiver():
    yield from receiver_fixture()


def update(api, slug: str, person_slug: str, data: Any) -> Any:
    return api.put(f"/api/v2/people/{person_slug}", {"site_slug": slug, "data": data})


def test_a_known_person_is_updated_and_answered_in_the_contracts_shape(api, api_site, openapi):
    # given a person
    PersonFactory(site=api_site.site, email=EMAIL, first_name="Old", custom_properties={"a": "1"})

    # when every updatable field is sent
    response = update(
        api,
        api_site.slug,
        EMAIL,
        {
            "first_name": "John",
            "last_name": "Doe",
            "username": "lizard_king",
            "customer_id": 1024,
            "phone_number": "+12025551111",
            "custom_properties": {"country": "US", "a": None},
            "gated_param_subscribed": True,
            "identifier_hash": "1986893236229857347",
        },
    )

    # then the answer is the person as the contract shows it, and it is stored
    assert response.status_code == 200, response.content
    person = response.json()["result"]["person"]
    path = openapi["paths"]["/api/v2/people/{person_slug}"]["put"]
    example = path["responses"]["200"]["content"]["application/json"]["example"]
    assert set(person) == set(example["result"]["person"])
    assert person["first_name"] == "John" and person["username"] == "lizard_king"
    assert person["customer_id"] == "1024"
    assert person["custom_properties"] == {"country": "US"}
    assert person["opted_in_at"] == STAMP
    stored = Person.objects.get(site=api_site.site, email=EMAIL)
    assert (stored.last_name, stored.phone_number, stored.opted_in_at) == (
        "Doe",
        "+12025551111",
        NOW,
    )


def test_fields_not_sent_keep_their_value_and_blank_clears(api, api_site):
    PersonFactory(site=api_site.site, email=EMAIL, first_name="Ada", last_name="Lovelace")

    update(api, api_site.slug, EMAIL, {"last_name": ""})

    stored = Person.objects.get(site=api_site.site, email=EMAIL)
    assert (stored.first_name, stored.last_name) == ("Ada", None)


def test_an_unknown_email_is_created_as_talkable_does(api, api_site):
    response = update(api, api_site.slug, "New.Person@Example.com", {"first_name": "New"})

    assert response.status_code == 200, response.content
    assert (
        Person.objects.get(site=api_site.site, email="new.person@example.com").first_name == "New"
    )


def test_a_slug_that_is_neither_a_person_nor_an_email_is_refused(api, api_site):
    response = update(api, api_site.slug, "nobody-here", {"first_name": "X"})

    assert response.status_code == 422
    assert response.json() == {"ok": False, "error_message": "Validation failed: Email isn't valid"}
    assert not Person.objects.exists()


def test_an_unpermitted_parameter_is_refused_with_talkables_words(api, api_site):
    PersonFactory(site=api_site.site, email=EMAIL)

    response = update(api, api_site.slug, EMAIL, {"first_name": "John", "foo": 1})

    assert response.status_code == 400
    assert response.json()["error_message"] == "found unpermitted parameter: :foo"
    assert Person.objects.get(email=EMAIL).first_name is None


def test_a_username_taken_by_someone_else_is_refused(api, api_site):
    PersonFactory(site=api_site.site, email="other@example.com", username="lizard_king")
    PersonFactory(site=api_site.site, email=EMAIL)

    response = update(api, api_site.slug, EMAIL, {"username": "lizard_king", "first_name": "J"})

    assert response.status_code == 422
    assert response.json()["error_message"] == (
        "Validation failed: Username has already been taken. Please try another one."
    )
    assert Person.objects.get(email=EMAIL).first_name is None


def test_an_email_change_to_a_taken_address_is_refused(api, api_site):
    PersonFactory(site=api_site.site, email="other@example.com")
    PersonFactory(site=api_site.site, email=EMAIL)

    response = update(api, api_site.slug, EMAIL, {"email": "OTHER@example.com"})

    assert response.status_code == 422
    assert response.json()["error_message"] == "Validation failed: Email has already been taken"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"first_name": "x" * 101}, "`data.first_name` is too long (at most 100 characters)"),
        ({"phone_number": "1" * 33}, "`data.phone_number` is too long (at most 32 characters)"),
        ({"custom_properties": [1]}, "`data.custom_properties` must be an object"),
        ({"unsubscribed": "maybe"}, "`data.unsubscribed` must be true or false"),
        ({"unsubscribed_at": "yesterday"}, "`data.unsubscribed_at` must be an ISO 8601 date-time"),
        ({"email": "not-an-email"}, "Validation failed: Email isn't valid"),
    ],
)
def test_bad_fields_are_refused_and_nothing_changes(api, api_site, data, message):
    PersonFactory(site=api_site.site, email=EMAIL, first_name="Keep")

    response = update(api, api_site.slug, EMAIL, data)

    assert response.status_code in (400, 422), response.content
    assert response.json() == {"ok": False, "error_message": message}
    assert Person.objects.get(email=EMAIL).first_name == "Keep"


@pytest.mark.parametrize("data", [None, [], "x"])
def test_data_must_be_an_object(api, api_site, data):
    response = update(api, api_site.slug, EMAIL, data)

    assert response.status_code == 400
    assert response.json()["error_message"] == "`data` must be an object"


def test_unsubscribing_tells_the_merchant_once_and_subscribing_again_is_stamped(
    api, api_site, receiver, time_machine
):
    # given a site subscribed to unsubscribe webhooks and a person
    subscribe(api_site.site, receiver.url, "unsubscribe_web_hook")
    PersonFactory(site=api_site.site, email=EMAIL)

    # when they unsubscribe twice through updates, then subscribe again an hour later
    first = update(api, api_site.slug, EMAIL, {"unsubscribed": True})
    update(api, api_site.slug, EMAIL, {"unsubscribed": True})
    time_machine.move_to(NOW.replace(hour=19), tick=False)
    again = update(api, api_site.slug, EMAIL, {"unsubscribed": False})

    # then one webhook went out, and the answers carry the times
    assert first.json()["result"]["person"]["unsubscribed_at"] == STAMP
    person = again.json()["result"]["person"]
    assert person["unsubscribed_at"] is None
    assert person["subscribed_at"] == "2026-07-07T19:00:00.000+00:00"
    posts = [r.document for r in receiver.received]
    assert [p["type"] for p in posts] == ["unsubscribe_web_hook"]
    assert posts[0]["payload"]["person"]["email"] == EMAIL
    assert Delivery.objects.count() == 1


def test_an_unsubscribe_time_may_be_given(api, api_site):
    PersonFactory(site=api_site.site, email=EMAIL)

    response = update(
        api, api_site.slug, EMAIL, {"unsubscribed_at": "2026-07-07T11:06:14.000-07:00"}
    )

    assert response.json()["result"]["person"]["unsubscribed_at"] == STAMP.replace(
        "18:00:00", "18:06:14"
    )


def test_an_erased_person_cannot_be_given_data_again(api, api_site):
    PersonFactory(site=api_site.site, email=EMAIL, anonymized_at=NOW)

    response = update(api, api_site.slug, EMAIL, {"first_name": "Back"})

    assert response.status_code == 422
    assert "anonymized" in response.json()["error_message"]
    assert Person.objects.get(email=EMAIL).first_name is None


def test_another_sites_key_is_refused(api_site, db):
    from tests.conftest import ApiClient
    from tests.factories import SiteFactory, make_key

    other = ApiClient(make_key(SiteFactory()).raw_key)
    PersonFactory(site=api_site.site, email=EMAIL)

    response = update(other, api_site.slug, EMAIL, {"first_name": "Intruder"})

    assert response.status_code in (400, 401, 403)
    assert Person.objects.get(email=EMAIL).first_name is None
