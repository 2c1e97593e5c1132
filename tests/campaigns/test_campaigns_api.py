"""GET /api/v2/campaigns: the site's campaigns with the contract's fields, filtered by status
and by whether they run now."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import NOW, ApiClient
from tests.factories import CampaignFactory, SiteFactory, make_key

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

URL = "/api/v2/campaigns"


def listed(api: ApiClient, slug: str, **params: Any) -> Any:
    return api.get(URL, {"site_slug": slug, **params})


def contract_campaign(openapi: dict[str, Any]) -> dict[str, Any]:
    content = openapi["paths"][URL]["get"]["responses"]["200"]["content"]["application/json"]
    return dict(content["example"]["result"]["campaigns"][0])


@pytest.fixture
def campaigns(api_site) -> dict[str, Any]:
    site = api_site.site
    return {
        "live": CampaignFactory(
            site=site,
            slug="invite",
            name="Invite a friend",
            tags=["invite", "post-purchase"],
            joinable_category_names=["purchase"],
            starts_at=NOW - timedelta(days=3),
        ),
        "disabled": CampaignFactory(site=site, slug="old", status="Disabled"),
        "test": CampaignFactory(site=site, slug="trial", status="Test"),
        "ended": CampaignFactory(site=site, slug="summer", ends_at=NOW - timedelta(seconds=1)),
        "scheduled": CampaignFactory(
            site=site, slug="winter", status="Scheduled", starts_at=NOW + timedelta(days=1)
        ),
    }


def test_every_campaign_is_listed_newest_first_with_the_contracts_fields(
    api, api_site, campaigns, openapi
):
    response = listed(api, api_site.slug)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True
    found = body["result"]["campaigns"]
    assert [c["id"] for c in found] == sorted((c.pk for c in campaigns.values()), reverse=True)
    contract = contract_campaign(openapi)
    assert all(set(c) == set(contract) for c in found)
    assert set(found[0]["live_period"]) == set(contract["live_period"])
    live = next(c for c in found if c["id"] == campaigns["live"].pk)
    assert live == {
        "slug": "invite",
        "is_active": True,
        "appearance": "inline",
        "id": campaigns["live"].pk,
        "joinable_category_names": ["purchase"],
        "name": "Invite a friend",
        "origin_max_age": None,
        "origin_min_age": None,
        "status": "Live",
        "tag_names": ["invite", "post-purchase"],
        "live_period": {"starts_at": "2026-07-04T18:00:00.000+00:00", "ends_at": None},
    }


def test_is_active_says_whether_the_campaign_runs_now(api, api_site, campaigns):
    found = listed(api, api_site.slug).json()["result"]["campaigns"]

    active = {c["slug"]: c["is_active"] for c in found}
    assert active == {
        "invite": True,
        "old": False,
        "trial": True,
        "summer": False,
        "winter": False,
    }


@pytest.mark.parametrize(
    ("params", "slugs"),
    [
        ({"status": "Live"}, {"invite", "summer"}),
        ({"status": "disabled"}, {"old"}),
        ({"status": "Live,Test"}, {"invite", "summer", "trial"}),
        ({"status[]": ["Scheduled", "Disabled"]}, {"winter", "old"}),
        ({"is_active": "true"}, {"invite", "trial"}),
        ({"is_active": "false"}, {"old", "summer", "winter"}),
        ({"status": "Live", "is_active": "false"}, {"summer"}),
    ],
    ids=["live", "lower-case", "comma", "repeated", "active", "inactive", "live-inactive"],
)
def test_status_and_is_active_filter_the_list(api, api_site, campaigns, params, slugs):
    response = listed(api, api_site.slug, **params)

    assert response.status_code == 200, response.content
    assert {c["slug"] for c in response.json()["result"]["campaigns"]} == slugs


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "Running"}, "`status` is invalid: 'Running' is not one of"),
        ({"is_active": "maybe"}, "`is_active` must be true or false"),
    ],
)
def test_an_unknown_filter_value_is_refused(api, api_site, campaigns, params, message):
    response = listed(api, api_site.slug, **params)

    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False
    assert body["error_message"].startswith(message)


def test_a_site_without_campaigns_lists_none(api, api_site):
    response = listed(api, api_site.slug)

    assert response.json() == {"ok": True, "result": {"campaigns": []}}


def test_another_sites_campaigns_are_not_listed(api_site, campaigns):
    other = SiteFactory()
    CampaignFactory(site=other, slug="theirs")

    response = listed(ApiClient(make_key(other).raw_key), other.slug)

    assert [c["slug"] for c in response.json()["result"]["campaigns"]] == ["theirs"]


def test_a_site_slug_the_key_does_not_open_is_refused(api, api_site, campaigns):
    other = SiteFactory()

    response = listed(api, other.slug)

    assert response.status_code == 401
    assert response.json()["ok"] is False
