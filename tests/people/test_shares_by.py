"""GET /people/{person_slug}/shares_by: the shares a person made, in the contract's shape."""

from __future__ import annotations

import pytest

from goodword.core.clock import now
from goodword.offers.models import AdvocateOffer, Share, ShareRecipient
from tests.referrals.program import build_program, friend_clicks, join

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

ADVOCATE = "customer@example.com"


def shares_by(api, slug: str, person_slug: str):
    return api.get(f"/api/v2/people/{person_slug}/shares_by", {"site_slug": slug})


def test_the_shares_of_an_advocate_come_back_as_the_contract_shows_them(api, api_site, openapi):
    # given an advocate who shared on facebook, a friend who clicked that link, and an email
    # share with a recipient
    build_program(api_site.site)
    code = join(api, api_site.slug, email=ADVOCATE)["offer"]["short_url_code"]
    facebook = api.post(
        f"/api/v2/offers/{code}/shares/social", {"site_slug": api_site.slug, "channel": "facebook"}
    ).json()["result"]["share"]
    friend_clicks(facebook["short_url"])
    # (email shares are made by the email share endpoint; stored here as it stores them)
    offer = AdvocateOffer.objects.get(short_url_code=code)
    email_share = Share.objects.create(
        site=api_site.site, offer=offer, channel="email", created_at=now()
    )
    ShareRecipient.objects.create(site=api_site.site, share=email_share, email="friend@example.net")

    # when the merchant lists their shares
    response = shares_by(api, api_site.slug, ADVOCATE)

    # then each has the contract's keys, the social one its click, the email one its recipient
    assert response.status_code == 200, response.content
    shares = response.json()["result"]["shares"]
    path = openapi["paths"]["/api/v2/people/{person_slug}/shares_by"]["get"]
    social_example, email_example = path["responses"]["200"]["content"]["application/json"][
        "example"
    ]["result"]["shares"]
    social, by_email = shares
    assert set(social) == set(social_example)
    assert set(by_email) == set(email_example)
    assert (social["type"], social["channel_identifier"]) == ("SocialOfferShare", "facebook")
    assert social["friend_clicks_count"] == 1
    assert social["short_url"] == facebook["short_url"]
    assert (by_email["type"], by_email["email"]) == ("EmailOfferShare", "friend@example.net")
    assert social["offer"]["email"] == ADVOCATE


def test_a_person_who_never_shared_has_none(api, api_site):
    build_program(api_site.site)
    join(api, api_site.slug, email=ADVOCATE)

    assert shares_by(api, api_site.slug, ADVOCATE).json() == {"ok": True, "result": {"shares": []}}


def test_an_unknown_person_is_not_found(api, api_site):
    response = shares_by(api, api_site.slug, "nobody@example.com")

    assert response.status_code == 400
    assert response.json()["error_message"] == "No person found by `person_slug`."
