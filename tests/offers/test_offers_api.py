"""Advocate offers over the API: GET /offers/{code}, claim_url_status, POST shares/social."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from goodword.campaigns.models import Campaign
from goodword.campaigns.program import forget_program
from goodword.offers.models import Claim, Share
from tests.conftest import NOW, ApiClient
from tests.factories import SiteFactory, make_key
from tests.referrals.program import BASE_URL, build_program, click, join

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


@pytest.fixture
def offer(api, api_site) -> dict[str, Any]:
    """A live offer of advocate@example.com: the offer JSON from joining."""
    build_program(api_site.site, offer_expiry_days=30)
    return join(api, api_site.slug)["offer"]


def get_offer(api: ApiClient, slug: str, code: str, **params: Any) -> Any:
    return api.get(f"/api/v2/offers/{code}", {"site_slug": slug, **params})


def example(openapi: dict[str, Any], path: str, method: str, name: str | None = None) -> Any:
    content = openapi["paths"][path][method]["responses"]["200"]["content"]["application/json"]
    return content["examples"][name]["value"] if name else content["example"]


# ---- GET /offers/{short_url_code} -----------------------------------------------------------


def test_an_offer_is_found_by_its_code_with_the_contracts_keys(api, api_site, offer, openapi):
    response = get_offer(api, api_site.slug, offer["short_url_code"])

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True
    assert set(body["result"]) == {"offer"}
    found = body["result"]["offer"]
    contract = example(openapi, "/api/v2/offers/{short_url_code}", "get", "offer found")
    assert set(found) == set(contract["result"]["offer"])
    assert found == offer
    assert found["email"] == "advocate@example.com"
    assert found["campaign_tags"] == ["invite"]
    assert found["claim_url"].startswith(f"{BASE_URL}/x/")
    assert found["show_url"].startswith(f"{BASE_URL}/x/")
    assert found["claim_url"] != found["show_url"]


@pytest.mark.parametrize(
    "params",
    [
        {"sharing_channels[]": ["facebook", "custom"]},
        {"sharing_channels": "facebook,custom"},
        {"sharing_channels": '["facebook", "custom"]'},
    ],
    ids=["repeated-brackets", "comma-separated", "json-array"],
)
def test_sharing_channels_give_one_claim_link_each(api, api_site, offer, params):
    # when the merchant asks for facebook and a custom channel
    response = get_offer(api, api_site.slug, offer["short_url_code"], **params)

    # then each gets its own claim link, distinct from the offer's plain claim link
    assert response.status_code == 200, response.content
    links = response.json()["result"]["claim_links"]
    assert set(links) == {"facebook", "custom"}
    assert all(url.startswith(f"{BASE_URL}/x/") for url in links.values())
    assert len({links["facebook"], links["custom"], offer["claim_url"]}) == 3


def test_channel_links_are_stable_and_record_their_channel(api, api_site, offer):
    # given the facebook link, asked for twice
    channels = {"sharing_channels[]": ["facebook"]}
    first = get_offer(api, api_site.slug, offer["short_url_code"], **channels).json()
    again = get_offer(api, api_site.slug, offer["short_url_code"], **channels).json()
    link = first["result"]["claim_links"]["facebook"]
    assert again["result"]["claim_links"]["facebook"] == link

    # when a friend follows it
    click(link)

    # then the claim knows it came from facebook
    assert Claim.objects.get().channel == "facebook"


@pytest.mark.parametrize("channel", ["email", "reminder", "facebook_sponsored", "coupon"])
def test_a_channel_that_is_not_for_sharing_is_refused(api, api_site, offer, channel):
    response = get_offer(
        api, api_site.slug, offer["short_url_code"], **{"sharing_channels[]": ["facebook", channel]}
    )

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_message": f"Wrong sharing channel: {channel}"}


def test_an_unknown_offer_code_is_refused(api, api_site, offer):
    response = get_offer(api, api_site.slug, "nope42")

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_message": "No offer found by id."}


def test_another_sites_offer_is_not_found(offer):
    other = SiteFactory()

    response = get_offer(ApiClient(make_key(other).raw_key), other.slug, offer["short_url_code"])

    assert response.json() == {"ok": False, "error_message": "No offer found by id."}


# ---- GET /offers/{short_url_code}/claim_url_status -------------------------------------------


def claim_status(api: ApiClient, slug: str, code: str, **params: Any) -> Any:
    return api.get(f"/api/v2/offers/{code}/claim_url_status", {"site_slug": slug, **params})


def test_a_live_offers_claim_link_is_active(api, api_site, offer):
    response = claim_status(api, api_site.slug, offer["short_url_code"])

    assert response.status_code == 200
    assert response.json() == {"ok": True, "result": {"active": True}}


def test_its_own_claim_url_is_active_and_a_stranger_url_is_not(api, api_site, offer):
    code = offer["short_url_code"]
    own = claim_status(api, api_site.slug, code, claim_url=offer["claim_url"])
    show = claim_status(api, api_site.slug, code, claim_url=offer["show_url"])
    bogus = claim_status(api, api_site.slug, code, claim_url=f"{BASE_URL}/x/zzzzzz")

    assert own.json()["result"] == {"active": True}
    assert show.json()["result"] == {"active": False}
    assert bogus.json()["result"] == {"active": False}


def test_an_expired_offers_claim_link_is_inactive(api, api_site, offer, time_machine):
    # given the offer expires 30 days after joining
    time_machine.move_to(NOW + timedelta(days=30), tick=False)

    response = claim_status(api, api_site.slug, offer["short_url_code"])

    assert response.json() == {"ok": True, "result": {"active": False}}


def test_a_disabled_campaigns_claim_link_is_inactive(api, api_site, offer):
    Campaign.objects.filter(site=api_site.site).update(status="Disabled")
    forget_program(api_site.site.id)

    response = claim_status(api, api_site.slug, offer["short_url_code"])

    assert response.json()["result"] == {"active": False}


def test_claim_url_status_of_an_unknown_offer(api, api_site, offer):
    response = claim_status(api, api_site.slug, "nope42")

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_message": "No offer found by id."}


# ---- POST /offers/{short_url_code}/shares/social --------------------------------------------


def share(api: ApiClient, slug: str, code: str, **body: Any) -> Any:
    return api.post(f"/api/v2/offers/{code}/shares/social", {"site_slug": slug, **body})


@pytest.mark.parametrize("channel", ["facebook", "twitter", "linkedin", "whatsapp", "sms", "other"])
def test_a_social_share_is_recorded_with_its_own_short_url(api, api_site, offer, channel):
    # when the advocate shares on a social channel
    response = share(api, api_site.slug, offer["short_url_code"], channel=channel)

    # then the share comes back with the channel's claim link as its short URL
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True
    shared = body["result"]["share"]
    assert shared["type"] == "SocialOfferShare"
    assert shared["channel_identifier"] == channel
    links = get_offer(
        api, api_site.slug, offer["short_url_code"], **{"sharing_channels[]": [channel]}
    ).json()["result"]["claim_links"]
    assert shared["short_url"] == links[channel]
    assert shared["offer"] == offer
    assert shared["shared_at"] == "2026-07-07T18:00:00.000+00:00"
    assert (shared["friends_count"], shared["friend_clicks_count"]) == (0, 0)
    # and stored
    stored = Share.objects.get()
    assert (stored.pk, stored.channel, stored.link.code) == (
        shared["id"],
        channel,
        shared["short_url"].rsplit("/", 1)[1],
    )


def test_a_share_has_the_contracts_keys(api, api_site, offer, openapi):
    response = share(api, api_site.slug, offer["short_url_code"], channel="facebook")

    result = response.json()["result"]
    contract = example(openapi, "/api/v2/offers/{short_url_code}/shares/social", "post")
    assert set(result) == set(contract["result"])
    assert set(result["share"]) == set(contract["result"]["share"])
    assert set(result["share"]["offer"]) == set(contract["result"]["share"]["offer"])


def test_a_shares_campaign_has_the_contracts_keys(api, api_site, offer, openapi):
    response = share(api, api_site.slug, offer["short_url_code"], channel="facebook")

    campaign = response.json()["result"]["share"]["campaign"]
    contract = example(openapi, "/api/v2/offers/{short_url_code}/shares/social", "post")
    assert set(campaign) == set(contract["result"]["share"]["campaign"])


def test_clicks_on_a_shared_link_are_counted(api, api_site, offer):
    first = share(api, api_site.slug, offer["short_url_code"], channel="twitter").json()
    click(first["result"]["share"]["short_url"])
    click(first["result"]["share"]["short_url"])  # another friend

    again = share(api, api_site.slug, offer["short_url_code"], channel="twitter").json()

    assert again["result"]["share"]["friend_clicks_count"] == 2


@pytest.mark.parametrize(
    "body",
    [{"channel": "email"}, {"channel": "myspace"}, {"channel": "Facebook"}, {"channel": 5}, {}],
    ids=["email", "unknown", "capitalised", "number", "missing"],
)
def test_a_bad_channel_is_refused_and_nothing_is_shared(api, api_site, offer, body):
    response = share(api, api_site.slug, offer["short_url_code"], **body)

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_message": "`channel` is invalid"}
    assert Share.objects.count() == 0


def test_sharing_an_unknown_offer(api, api_site, offer):
    response = share(api, api_site.slug, "nope42", channel="facebook")

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_message": "No offer found by id."}
    assert Share.objects.count() == 0


def test_a_share_without_site_slug_uses_the_keys_site(api, api_site, offer):
    # when the advocate shares without naming the site, as the contract's operation has none
    response = api.post(
        f"/api/v2/offers/{offer['short_url_code']}/shares/social", {"channel": "facebook"}
    )

    # then the offer code finds the key's site and the share is recorded there
    assert response.status_code == 200, response.content
    assert response.json()["result"]["share"]["channel_identifier"] == "facebook"
    assert Share.objects.get().site_id == api_site.site.id


def test_a_share_without_site_slug_with_another_sites_key_finds_no_offer(offer):
    # given a key of another site
    other = ApiClient(make_key(SiteFactory()).raw_key)

    # when it shares this site's offer without naming a site / then the code is not found there
    response = other.post(
        f"/api/v2/offers/{offer['short_url_code']}/shares/social", {"channel": "facebook"}
    )
    assert response.json() == {"ok": False, "error_message": "No offer found by id."}
    assert Share.objects.count() == 0
