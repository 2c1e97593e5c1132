"""The search box: every kind of identifier, straight to the one match or a list, only the
site's own data, a fixed number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from goodword.offers.models import AdvocateOffer, Claim, ShortLink
from goodword.people.models import Person
from goodword.portal.selectors import portal_search
from tests.factories import PersonFactory
from tests.portal.support import ADVOCATE, FRIEND, flagged_referral
from tests.referrals.program import EVENT_URL

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


def search(client, site, q: str):
    return client.get(f"/portal/{site.slug}/search/", {"q": q})


@pytest.fixture
def world(api, api_site):
    """A flagged referral (advocate, friend, order, offer, claim with a pool code) and a
    person with a phone, a customer id and a username."""
    referral = flagged_referral(api, api_site.site, "ORD-77")
    dana = PersonFactory(
        site=api_site.site,
        email="dana@example.com",
        phone_number="+15550001",
        customer_id="C-42",
        username="dana",
    )
    return referral, dana


def test_an_email_goes_straight_to_the_person(api_site, world, agent_client):
    referral, _ = world

    response = search(agent_client, api_site.site, ADVOCATE.upper())

    assert response.status_code == 302
    assert response["Location"] == f"/portal/{api_site.slug}/people/{referral.advocate_id}/"


@pytest.mark.parametrize("q", ["+15550001", "C-42", "dana", "dana@example.com"])
def test_phone_customer_id_and_username_find_the_person(api_site, world, agent_client, q):
    _, dana = world

    response = search(agent_client, api_site.site, q)

    assert response["Location"] == f"/portal/{api_site.slug}/people/{dana.pk}/"


def test_an_order_number_goes_straight_to_its_referral(api_site, world, agent_client):
    referral, _ = world

    response = search(agent_client, api_site.site, " ORD-77 ")

    assert response["Location"] == f"/portal/{api_site.slug}/referrals/{referral.pk}/"


def test_an_order_without_referral_goes_to_its_buyer(api, api_site, world, agent_client):
    from tests.referrals.program import buy

    buy(api, api_site.slug, "SOLO-1", "solo@example.com")
    solo = Person.objects.get(email="solo@example.com")

    response = search(agent_client, api_site.site, "SOLO-1")

    assert response["Location"] == f"/portal/{api_site.slug}/people/{solo.pk}/"


def test_an_event_slug_finds_the_event(api, api_site, world, agent_client):
    response = api.post(
        EVENT_URL,
        {
            "site_slug": api_site.slug,
            "data": {
                "email": "ev@example.com",
                "event_category": "sign:up",
                "event_number": "9",
                "subtotal": 5,
            },
        },
    )
    assert response.status_code == 201, response.content
    person = Person.objects.get(email="ev@example.com")

    found = search(agent_client, api_site.site, "sign:up:9")

    assert found["Location"] == f"/portal/{api_site.slug}/people/{person.pk}/"


def test_a_friends_coupon_code_leads_to_the_advocate_whose_link_gave_it(
    api_site, world, agent_client
):
    # given the friend got the pool code FRIEND-1 when clicking the advocate's link
    referral, _ = world
    claim = Claim.objects.get(pk=referral.claim_id)
    assert claim.friend_coupon_code == "FRIEND-1"

    response = search(agent_client, api_site.site, "FRIEND-1")

    assert response["Location"] == f"/portal/{api_site.slug}/people/{referral.advocate_id}/"


def test_an_offer_code_and_a_claim_link_find_the_advocate(api_site, world, agent_client):
    referral, _ = world
    offer = AdvocateOffer.objects.get(pk=referral.offer_id)
    link = ShortLink.objects.filter(offer=offer, kind="claim").first()
    expected = f"/portal/{api_site.slug}/people/{offer.advocate_id}/"

    assert search(agent_client, api_site.site, offer.short_url_code)["Location"] == expected
    claim_url = f"https://refer.example.com/x/{link.code}"
    assert search(agent_client, api_site.site, claim_url)["Location"] == expected


def test_a_referral_id_goes_to_the_referral(api_site, world, agent_client):
    referral, _ = world

    response = search(agent_client, api_site.site, str(referral.pk))

    assert response["Location"] == f"/portal/{api_site.slug}/referrals/{referral.pk}/"


def test_a_visitor_uuid_finds_whose_link_they_clicked(api_site, world, agent_client):
    referral, _ = world
    claim = Claim.objects.get(pk=referral.claim_id)

    matches = portal_search(site_id=api_site.site.pk, currency="USD", q=str(claim.visitor_uuid))

    assert ("visitor uuid", "person", referral.advocate_id) in [
        (m.kind, m.object_type, m.object_id) for m in matches
    ]


def test_several_matches_are_listed(api_site, world, agent_client):
    PersonFactory(site=api_site.site, email="other@example.com", customer_id="dana")

    response = search(agent_client, api_site.site, "dana")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="matches"' in page
    assert "dana@example.com" in page and "other@example.com" in page
    assert "customer id" in page and "username" in page


def test_nothing_found_says_so(api_site, world, agent_client):
    page = search(agent_client, api_site.site, "no-such-thing").content.decode()

    assert "Nothing on" in page and "no-such-thing" in page


def test_another_sites_data_is_never_found(api, api_site, world, other_site):
    from tests.portal.support import client_for, make_staff

    outsider = client_for(make_staff(other_site, "agent"))
    referral, _ = world

    for q in (ADVOCATE, FRIEND, "ORD-77", str(referral.pk), "C-42", "FRIEND-1"):
        page = search(outsider, other_site, q)
        assert page.status_code == 200, q
        assert "Nothing on" in page.content.decode(), q


def test_a_search_costs_a_fixed_number_of_queries(api_site, world, agent_client):
    for n in range(5):
        PersonFactory(site=api_site.site, email=f"many{n}@example.com", username="many")

    counts = []
    for q in ("dana", "many"):
        with CaptureQueriesContext(connection) as ctx:
            search(agent_client, api_site.site, q)
        counts.append(len(ctx.captured_queries))

    assert counts[0] == counts[1]
