"""Metrics API: each metric from stored rows, over a date range, filtered and segmented."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from goodword.metrics.periods import PERIOD_ERROR
from goodword.metrics.selectors import METRICS
from tests.factories import (
    AdvocateOfferFactory,
    CampaignFactory,
    ClaimFactory,
    OriginFactory,
    ReferralFactory,
    ShareFactory,
    SiteFactory,
)
from tests.helpers import assert_error

JUNE_10 = datetime(2026, 6, 10, 12, tzinfo=UTC)
JULY_2 = datetime(2026, 7, 2, 23, 59, tzinfo=UTC)
AUGUST_1 = datetime(2026, 8, 1, tzinfo=UTC)
RANGE = {"start_date": "6/7/2026", "end_date": "7/7/2026"}


def metric(api, api_site, name, **params):
    return api.get(f"/api/v2/metrics/{name}", {"site_slug": api_site.slug, **RANGE, **params})


def result(response):
    body = response.json()
    assert response.status_code == 200, body
    assert body["ok"] is True
    return body["result"]


@pytest.fixture
def program(api_site):
    """In range: 3 purchases (June 10, June 10, July 2) worth 300, one referred (approved) and
    one referred then voided; 2 offers of which 1 shared twice (facebook, email), 1 claim.
    Out of range (August) and on another site: rows that must not count."""
    site = api_site.site
    invite = CampaignFactory(site=site, tags=["invite"])
    other = CampaignFactory(site=site, tags=["post-purchase"], status="Disabled")
    shared = AdvocateOfferFactory(site=site, campaign=invite, created_at=JUNE_10)
    AdvocateOfferFactory(site=site, campaign=other, created_at=JULY_2)
    ShareFactory(offer=shared, channel="facebook", created_at=JUNE_10)
    ShareFactory(offer=shared, channel="email", created_at=JULY_2)
    ClaimFactory(offer=shared, channel="facebook", created_at=JULY_2)
    OriginFactory(site=site, subtotal=50, occurred_at=JUNE_10, traffic_source="blog")
    referred = OriginFactory(site=site, subtotal=150, occurred_at=JUNE_10)
    voided = OriginFactory(site=site, subtotal=100, occurred_at=JULY_2)
    ReferralFactory(offer=shared, origin=referred, created_at=JUNE_10)
    ReferralFactory(offer=shared, origin=voided, status="voided", created_at=JULY_2)
    OriginFactory(site=site, subtotal=999, occurred_at=AUGUST_1)
    AdvocateOfferFactory(site=site, campaign=invite, created_at=AUGUST_1)
    stranger = SiteFactory()
    OriginFactory(site=stranger, subtotal=999, occurred_at=JUNE_10)
    ShareFactory(offer=AdvocateOfferFactory(site=stranger, created_at=JUNE_10), created_at=JUNE_10)
    return {"invite": invite, "other": other}


@pytest.mark.parametrize(
    ("name", "plain", "formatted", "result_type"),
    [
        ("purchases", 3, "3", "number"),
        ("revenue", 300.0, "300.00", "currency"),
        ("average_order_value", 100.0, "100.00", "currency"),
        ("advocates", 2, "2", "number"),
        ("shares", 2, "2", "number"),
        ("sharing_rate", 50.0, "50.00%", "percentage"),
        ("friend_claims", 1, "1", "number"),
        ("referrals", 1, "1", "number"),
        ("approved_referrals", 1, "1", "number"),
        ("referred_revenue", 150.0, "150.00", "currency"),
        ("referral_rate", 33.33, "33.33%", "percentage"),
    ],
)
def test_each_metric_counts_the_sites_rows_in_range(
    api, api_site, program, name, plain, formatted, result_type
):
    # when the metric is asked for June 7 to July 7
    value = result(metric(api, api_site, name))

    # then it counts this site's rows of those days only
    assert value == {"plain": plain, "formatted": formatted, "result_type": result_type}


def test_every_metric_is_tested_above():
    assert set(METRICS) == {
        "purchases",
        "revenue",
        "average_order_value",
        "advocates",
        "shares",
        "sharing_rate",
        "friend_claims",
        "referrals",
        "approved_referrals",
        "referred_revenue",
        "referral_rate",
    }


def test_end_date_is_inclusive(api, api_site, program):
    # July 2 23:59 counts in a range ending on July 2, not in one ending July 1
    assert (
        result(metric(api, api_site, "shares", start_date="7/2/2026", end_date="7/2/2026"))["plain"]
        == 1
    )
    assert (
        result(metric(api, api_site, "shares", start_date="6/11/2026", end_date="7/1/2026"))[
            "plain"
        ]
        == 0
    )


def test_filters_narrow_the_figures(api, api_site, program):
    assert (
        result(metric(api, api_site, "shares", **{"sharing_channels[]": ["email"]}))["plain"] == 1
    )
    assert (
        result(metric(api, api_site, "purchases", **{"traffic_sources[]": ["blog"]}))["plain"] == 1
    )
    assert (
        result(metric(api, api_site, "advocates", **{"campaign_tags[]": ["post-purchase"]}))[
            "plain"
        ]
        == 1
    )
    assert (
        result(metric(api, api_site, "advocates", **{"campaign_ids[]": [program["invite"].pk]}))[
            "plain"
        ]
        == 1
    )
    assert result(metric(api, api_site, "advocates", live_campaigns_only="true"))["plain"] == 1
    assert result(metric(api, api_site, "advocates", campaign_status="Disabled"))["plain"] == 1


def test_precision_rounds_rates(api, api_site, program):
    value = result(metric(api, api_site, "referral_rate", precision=0))
    assert value == {"plain": 33.0, "formatted": "33%", "result_type": "percentage"}


def test_segmentize_by_month_as_the_contract_shows(api, api_site, program):
    # when shares are segmented by month
    response = api.get(
        "/api/v2/metrics/shares/segmentize",
        {"site_slug": api_site.slug, **RANGE, "segment_by[period]": "month"},
    )

    # then one segment per (clipped) month, each with its period label
    assert result(response) == {
        "segmented": [
            {"plain": 1, "formatted": "1", "result_type": "number", "period": "6/7/26 - 6/30/26"},
            {"plain": 1, "formatted": "1", "result_type": "number", "period": "7/1/26 - 7/7/26"},
        ]
    }


def test_segmentize_by_sharing_channel_and_campaign_tag(api, api_site, program):
    response = api.get(
        "/api/v2/metrics/shares/segmentize",
        {
            "site_slug": api_site.slug,
            **RANGE,
            "segment_by[sharing_channels]": "true",
            "segment_by[campaign_tags]": ["invite", "post-purchase"],
        },
    )
    segmented = result(response)["segmented"]
    assert [(s["campaign_tag"], s["sharing_channel"], s["plain"]) for s in segmented] == [
        ("invite", "email", 1),
        ("invite", "facebook", 1),
        ("post-purchase", None, 0),
    ]
    assert {s["period"] for s in segmented} == {"6/7/26 - 7/7/26"}


def test_a_rate_per_period_divides_within_each_period(api, api_site, program):
    response = api.get(
        "/api/v2/metrics/sharing_rate/segmentize",
        {"site_slug": api_site.slug, **RANGE, "segment_by[period]": "month"},
    )
    assert [s["plain"] for s in result(response)["segmented"]] == [100.0, 0.0]


def test_an_unknown_metric_is_400_in_the_contract_words(api, api_site):
    assert_error(metric(api, api_site, "happiness"), 400, "No metric found.")


def test_an_unsupported_period_is_400_in_the_contract_words(api, api_site):
    response = api.get(
        "/api/v2/metrics/shares/segmentize",
        {"site_slug": api_site.slug, **RANGE, "segment_by[period]": "hour"},
    )
    assert_error(response, 400, PERIOD_ERROR)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start_date": "soon"}, "`start_date` must be a date, as 1/15/2024 or 2024-01-15"),
        ({"end_date": "1/1/2026"}, "`end_date` must not be before `start_date`"),
        ({"precision": 9}, "`precision` must be between 0 and 6"),
        (
            {"campaign_status": "Asleep"},
            "`campaign_status` must be within ['Disabled', 'Live', 'Scheduled', 'Test']",
        ),
        ({"precision": "x"}, None),
        ({"campaign_ids[]": "x"}, "`campaign_ids[].0` must be an integer"),
    ],
)
def test_bad_parameters_are_400_naming_them(api, api_site, params, message):
    text = assert_error(metric(api, api_site, "shares", **params), 400, message)
    assert any(name.split("[")[0] in text for name in params)


def test_missing_dates_are_400(api, api_site):
    response = api.get("/api/v2/metrics/shares", {"site_slug": api_site.slug})
    text = assert_error(response, 400)
    assert "start_date" in text


def test_another_sites_slug_is_refused(api, api_site):
    other = SiteFactory()
    response = api.get("/api/v2/metrics/shares", {"site_slug": other.slug, **RANGE})
    assert_error(response, 401, "The API key does not belong to this site.")
