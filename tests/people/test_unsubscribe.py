"""POST /people/{person_slug}/unsubscribe: the person gets `unsubscribed_at` once, and a site
subscribed to `unsubscribe_web_hook` hears of it once."""

from __future__ import annotations

from typing import Any

import pytest

from goodword.people.models import Person
from tests.conftest import NOW
from tests.referrals.program import build_program, join
from tests.webhooks.support import receiver_fixture, subscribe

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

ADVOCATE = "customer@example.com"
STAMP = "2026-07-07T18:00:00.000+00:00"


@pytest.fixture
def receiver():
    yield from receiver_fixture()


def unsubscribe(api, slug: str, person_slug: str) -> Any:
    return api.post(f"/api/v2/people/{person_slug}/unsubscribe", {"site_slug": slug})


def test_a_known_person_is_unsubscribed_and_the_merchant_told_once(api, api_site, receiver):
    # given an advocate and a site subscribed to unsubscribe webhooks
    build_program(api_site.site)
    join(api, api_site.slug, email=ADVOCATE, username="johndoe1992")
    subscribe(api_site.site, receiver.url, "unsubscribe_web_hook")

    # when the person unsubscribes twice (by username, then by email)
    first = unsubscribe(api, api_site.slug, "johndoe1992")
    second = unsubscribe(api, api_site.slug, ADVOCATE)

    # then both answers carry the first unsubscription time, and one webhook went out
    assert first.status_code == 200, first.content
    assert first.json()["result"]["person"]["unsubscribed_at"] == STAMP
    assert second.json()["result"]["person"]["unsubscribed_at"] == STAMP
    assert Person.objects.get(email=ADVOCATE).unsubscribed_at == NOW
    posts = [r.document for r in receiver.received]
    assert [p["type"] for p in posts] == ["unsubscribe_web_hook"]
    assert posts[0]["payload"]["person"]["email"] == ADVOCATE


def test_the_answer_has_the_contracts_person_keys(api, api_site, openapi):
    build_program(api_site.site)
    join(api, api_site.slug, email=ADVOCATE)

    response = unsubscribe(api, api_site.slug, ADVOCATE)

    path = openapi["paths"]["/api/v2/people/{person_slug}/unsubscribe"]["post"]
    example = path["responses"]["200"]["content"]["application/json"]["example"]
    assert set(response.json()["result"]["person"]) == set(example["result"]["person"])


def test_an_unknown_email_becomes_an_unsubscribed_person(api, api_site):
    response = unsubscribe(api, api_site.slug, "New.Person@Example.com")

    assert response.status_code == 200, response.content
    person = Person.objects.get(site=api_site.site, email="new.person@example.com")
    assert person.unsubscribed_at == NOW


@pytest.mark.parametrize("slug", ["not-an-email", "nobody"])
def test_a_slug_that_is_neither_a_person_nor_an_email_is_refused(api, api_site, slug):
    response = unsubscribe(api, api_site.slug, slug)

    assert response.status_code == 422
    assert response.json() == {"ok": False, "error_message": "Validation failed: Email isn't valid"}
    assert not Person.objects.exists()


def test_another_sites_key_is_refused(api, api_site):
    from tests.factories import SiteFactory

    other = SiteFactory()

    response = unsubscribe(api, other.slug, ADVOCATE)

    assert response.status_code == 401
