"""Exporting a site: the same format back, so that apply → export gives the file and
export → apply changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from goodword.campaigns.models import Campaign
from goodword.config.formats import document_dump, document_parse
from goodword.config.schema import program_validate
from goodword.config.selectors import config_export
from goodword.config.services import config_apply
from goodword.fraud import screening
from goodword.fraud.policies import SHIPPING_ADDRESS
from goodword.sites.models import BlocklistEntry, FraudSettings, Site, SiteSettings
from goodword.sites.services import site_create
from tests.config.conftest import as_file_values
from tests.config.test_apply import snapshot
from tests.factories import CampaignFactory, CouponListFactory, IncentiveFactory


def test_apply_then_export_gives_back_the_example_file(db, example):
    config_apply(document=example)

    exported = config_export(site=Site.objects.get(slug="my-store"))

    # the same content, key for key (YAML read the example's timestamps as datetimes)
    assert exported == as_file_values(example)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_then_apply_changes_nothing(db, example, fmt):
    # given a site applied from the example, then changed: a campaign dropped from its file
    config_apply(document=example)
    example["campaigns"] = example["campaigns"][1:]
    example["coupon_lists"] = example["coupon_lists"][1:]
    example["campaigns"][0]["incentives"] = example["campaigns"][0]["incentives"][:1]
    config_apply(document=example)
    before = snapshot()

    # when its export, written to text and read back, is applied
    site = Site.objects.get(slug="my-store")
    text = document_dump(document=config_export(site=site), fmt=fmt)
    report = config_apply(document=document_parse(text=text, fmt=fmt))

    # then nothing changes: the disabled campaign and the kept list are in the export
    assert not report.changed, [str(c) for c in report.changes]
    assert not report.warnings
    assert snapshot() == before


def test_export_of_a_site_built_without_a_file_applies_as_a_no_op(db):
    # given a site whose rows were written directly, with values a file may not spell the same
    site = site_create(slug="shop", currency="EUR").api_key.site
    FraudSettings.objects.create(
        site=site,
        policy_actions=screening.validate_actions({SHIPPING_ADDRESS: "off"}),
        approval_mode="manual",
        approval_delay_seconds=5400,
        flagged_resolution="never",
        flagged_delay_seconds=0,
    )
    SiteSettings.objects.create(site=site, base_url=None, sticky_advocate=True)
    BlocklistEntry.objects.create(site=site, value="10.0.0.0/8", note="office")
    pool = CouponListFactory(site=site, identifier="pool", name="")
    campaign = CampaignFactory(
        site=site,
        slug="invite",
        tags=[],
        starts_at=datetime(2026, 8, 1, 12, 30, tzinfo=UTC),
        joinable_category_names=["purchase", "newsletter_subscription"],
    )
    IncentiveFactory(campaign=campaign, identifier="half", amount=Decimal("12.50"), currency="EUR")
    IncentiveFactory(
        campaign=campaign,
        identifier="coupon",
        reason="click",
        incentive_type="discount_coupon",
        coupon_list=pool,
        amount=Decimal("15"),
        amount_type="percentage",
        criteria={"subtotal_min": "19.99", "referrals_max": 3, "new_customer": False},
    )
    before = snapshot()

    # when it is exported and applied back
    exported = config_export(site=site)
    report = config_apply(document=exported)

    # then nothing changed
    assert not report.changed, [str(c) for c in report.changes]
    assert snapshot() == before
    # and the export spells values the way the file does
    assert exported["fraud"]["approval"] == {
        "mode": "manual",
        "delay": "90m",
        "flagged": {"resolution": "never", "delay": "0s"},
    }
    assert exported["blocklist"] == [{"value": "10.0.0.0/8", "note": "office"}]
    assert exported["coupon_lists"] == [{"identifier": "pool"}]
    invite = exported["campaigns"][0]
    assert "tags" not in invite and "ends_at" not in invite
    assert invite["starts_at"] == "2026-08-01T12:30:00Z"
    half, coupon = invite["incentives"]
    assert (half["amount"], half["currency"]) == ("12.50", "EUR")
    assert coupon["amount"] == 15
    assert coupon["criteria"] == {
        "new_customer": False,
        "subtotal_min": "19.99",
        "referrals_max": 3,
    }
    # and it is itself a valid file
    assert program_validate(exported).site.slug == "shop"


def test_export_of_a_fresh_site_shows_the_defaults(db):
    site = site_create(slug="fresh").api_key.site

    exported = config_export(site=site)

    assert exported == {
        "version": 1,
        "site": {
            "slug": "fresh",
            "name": "fresh",
            "currency": "USD",
            "time_zone": "UTC",
            "sticky_advocate": False,
            "void_on_refund": True,
            "claims": {"codes_per_ip": 5, "code_window": "1d", "clicks_per_ip_per_minute": 60},
        },
        "fraud": {
            "policies": screening.DEFAULT_ACTIONS,
            "approval": {
                "mode": "automatic",
                "delay": "1d",
                "flagged": {"resolution": "voided", "delay": "7d"},
            },
        },
    }


def test_export_includes_disabled_campaigns(db, example):
    config_apply(document=example)
    Campaign.objects.filter(slug="invite").update(status="Disabled")

    exported = config_export(site=Site.objects.get(slug="my-store"))

    statuses = {c["slug"]: c["status"] for c in exported["campaigns"]}
    assert statuses == {"invite": "Disabled", "post-purchase": "Live", "holiday-draw": "Scheduled"}
