"""Applying a configuration: the example works, applying is idempotent, refusals write nothing,
and what the file leaves out is disabled, deleted, replaced or kept as documented."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from goodword.campaigns.models import Campaign, Incentive
from goodword.campaigns.program import program_for
from goodword.config.schema import ConfigInvalid
from goodword.config.services import config_apply
from goodword.core.errors import DomainError
from goodword.coupons.models import Coupon, CouponList
from goodword.fraud import screening
from goodword.fraud.policies import IP_ONLY, SIMILAR_EMAIL
from goodword.sites.models import ApiKey, BlocklistEntry, FraudSettings, Site, SiteSettings
from goodword.sites.services import hash_key, site_create
from tests.factories import CouponFactory, CouponListFactory

MODELS = (
    Site,
    ApiKey,
    SiteSettings,
    FraudSettings,
    BlocklistEntry,
    CouponList,
    Campaign,
    Incentive,
    Coupon,
)


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row apply may touch, every column: what a no-op must leave exactly as it was."""
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in MODELS}


def test_the_example_file_applies(db, frozen_now, example):
    # when the shipped example is applied to an empty database
    report = config_apply(document=example)

    # then the site exists with a working first key, shown once in the report
    site = Site.objects.get(slug="my-store")
    assert (site.name, site.currency, site.created_at) == ("My Store", "USD", frozen_now)
    assert report.api_key and ApiKey.objects.get(site=site).key_hash == hash_key(report.api_key)
    settings = SiteSettings.objects.get(site=site)
    assert settings.base_url == "https://refer.my-store.com"
    assert (settings.sticky_advocate, settings.void_on_refund) == (False, True)
    fraud = FraudSettings.objects.get(site=site)
    assert fraud.policy_actions == {**screening.DEFAULT_ACTIONS}
    assert (fraud.approval_mode, fraud.approval_delay_seconds) == ("automatic", 86400)
    assert (fraud.flagged_resolution, fraud.flagged_delay_seconds) == ("voided", 604800)
    assert sorted(BlocklistEntry.objects.filter(site=site).values_list("value", "note")) == [
        ("*@mailinator.com", "disposable addresses"),
        ("*@spam.example", ""),
        ("198.51.100.0/24", ""),
        ("203.0.113.7", ""),
    ]
    lists = {cl.identifier: cl for cl in CouponList.objects.filter(site=site)}
    assert lists["friend-10"].single_use and lists["welcome"].static_code == "WELCOME10"

    # and its campaigns, with their incentives
    campaigns = {c.slug: c for c in Campaign.objects.filter(site=site)}
    assert set(campaigns) == {"invite", "post-purchase", "holiday-draw"}
    invite = campaigns["invite"]
    assert (invite.status, invite.tags, invite.joinable_category_names) == (
        "Live",
        ["invite"],
        ["affiliate_member"],
    )
    assert (invite.offer_expiry_days, invite.gate_email) == (90, False)
    assert campaigns["post-purchase"].tags == ["post-purchase"]
    assert campaigns["post-purchase"].joinable_category_names == ["purchase"]
    holiday = campaigns["holiday-draw"]
    assert holiday.status == "Scheduled"
    assert holiday.starts_at == datetime(2026, 12, 1, tzinfo=UTC)
    assert holiday.ends_at == datetime(2027, 1, 1, tzinfo=UTC)
    incentives = {i.identifier: i for i in Incentive.objects.filter(campaign=invite)}
    assert {i.reason for i in incentives.values()} == {"referrer", "click", "referred"}
    rebate = incentives["advocate-rebate"]
    assert (rebate.incentive_type, rebate.amount, rebate.currency) == (
        "rebate",
        Decimal("10.00"),
        "USD",
    )
    assert rebate.criteria == {
        "new_customer": True,
        "subtotal_min": "50.00",
        "reward_uniqueness": "once_per_friend",
        "cap_per_month": 10,
    }
    assert incentives["friend-coupon"].coupon_list == lists["friend-10"]
    assert incentives["friend-coupon"].currency is None  # the site's currency
    assert incentives["friend-welcome"].coupon_list == lists["welcome"]

    # and the report lists what it created
    assert report.changed and not report.warnings
    assert report.summary() == f"created {len(report.changes)}"
    assert "campaign invite: created" in [str(c) for c in report.changes]


def test_applying_the_same_file_twice_changes_nothing(db, time_machine, example):
    # given the example, applied
    config_apply(document=example)
    before = snapshot()

    # when it is applied again, later
    time_machine.move_to(datetime.now(UTC) + timedelta(days=1), tick=False)
    report = config_apply(document=example)

    # then nothing changed, not even a timestamp, and no new key was made
    assert snapshot() == before
    assert not report.changed
    assert report.summary() == "no changes"
    assert report.api_key is None
    assert {c.action for c in report.changes} == {"unchanged"}


def test_an_invalid_file_writes_nothing(db, example):
    # given an applied site
    config_apply(document=example)
    before = snapshot()

    # when a file with new settings and one error somewhere is applied
    broken = copy.deepcopy(example)
    broken["site"]["name"] = "Renamed"
    broken["blocklist"].append("5.6.7.8")
    broken["campaigns"][0]["status"] = "Disabled"
    broken["campaigns"][1]["incentives"][1]["coupon_list"] = "friend-5"
    with pytest.raises(ConfigInvalid) as refused:
        config_apply(document=broken)

    # then the error is named where it is and nothing was written
    assert [str(e) for e in refused.value.errors] == [
        "campaigns[1].incentives[1].coupon_list: unknown coupon list 'friend-5'"
    ]
    assert snapshot() == before


def test_an_invalid_file_for_a_new_site_creates_nothing(db, example):
    example["campaigns"][0]["status"] = "Paused"

    with pytest.raises(ConfigInvalid):
        config_apply(document=example)

    assert all(not rows for rows in snapshot().values())


def test_changes_are_reported_field_by_field(db, example):
    config_apply(document=example)

    # when a few things change
    changed = copy.deepcopy(example)
    changed["site"]["name"] = "My Store Ltd"
    changed["fraud"]["policies"][SIMILAR_EMAIL] = "block"
    changed["campaigns"][0]["offer_expiry_days"] = 60
    changed["campaigns"][0]["incentives"][0]["amount"] = 12.5
    changed["campaigns"][0]["incentives"][0]["criteria"]["cap_per_month"] = 5
    report = config_apply(document=changed)

    # then they are stored and the report names each
    assert [str(c) for c in report.changes if c.action != "unchanged"] == [
        "site my-store: updated (name)",
        "fraud_settings my-store: updated (policy_actions)",
        "campaign invite: updated (offer_expiry_days)",
        "incentive invite/advocate-rebate: updated (amount, criteria)",
    ]
    assert report.summary().startswith("updated 4, unchanged ")
    site = Site.objects.get(slug="my-store")
    assert site.name == "My Store Ltd"
    assert FraudSettings.objects.get(site=site).policy_actions[SIMILAR_EMAIL] == "block"
    rebate = Incentive.objects.get(campaign__site=site, identifier="advocate-rebate")
    assert rebate.amount == Decimal("12.50")
    assert rebate.criteria["cap_per_month"] == 5


def test_a_campaign_left_out_is_disabled_not_deleted(db, frozen_now, example):
    config_apply(document=example)
    invite = Campaign.objects.get(slug="invite")

    # when the file no longer has the invite campaign
    example["campaigns"] = [c for c in example["campaigns"] if c["slug"] != "invite"]
    report = config_apply(document=example)

    # then it is Disabled, with its incentives kept (offers may point at it), and named
    invite.refresh_from_db()
    assert invite.status == "Disabled"
    assert invite.incentives.count() == 3
    assert "campaign invite: disabled" in [str(c) for c in report.changes]
    assert report.warnings == ["campaign 'invite' is not in the file; it is now Disabled"]
    assert Campaign.objects.get(slug="post-purchase").status == "Live"

    # and applying that file again leaves it alone
    again = config_apply(document=example)
    assert not again.changed and not again.warnings


def test_a_disabled_campaign_comes_back_when_the_file_has_it_again(db, example):
    config_apply(document=example)
    without = copy.deepcopy(example)
    without["campaigns"] = without["campaigns"][1:]
    config_apply(document=without)

    report = config_apply(document=example)

    assert Campaign.objects.get(slug="invite").status == "Live"
    assert "campaign invite: updated (status)" in [str(c) for c in report.changes]


def test_an_incentive_left_out_is_deleted(db, example):
    config_apply(document=example)

    example["campaigns"][0]["incentives"] = example["campaigns"][0]["incentives"][:1]
    report = config_apply(document=example)

    assert list(
        Incentive.objects.filter(campaign__slug="invite").values_list("identifier", flat=True)
    ) == ["advocate-rebate"]
    assert sorted(str(c) for c in report.changes if c.action == "deleted") == [
        "incentive invite/friend-coupon: deleted",
        "incentive invite/friend-welcome: deleted",
    ]
    # the same identifier in another campaign is another incentive, untouched
    assert Incentive.objects.filter(campaign__slug="post-purchase").count() == 3


def test_the_blocklist_is_replaced(db, example):
    config_apply(document=example)

    example["blocklist"] = [
        "203.0.113.7",
        {"value": "*@spam.example", "note": "seen in May"},
        "2001:db8::/32",
    ]
    report = config_apply(document=example)

    entries = dict(BlocklistEntry.objects.values_list("value", "note"))
    assert entries == {"203.0.113.7": "", "*@spam.example": "seen in May", "2001:db8::/32": ""}
    assert sorted(str(c) for c in report.changes if c.kind == "blocklist") == [
        "blocklist *@mailinator.com: deleted",
        "blocklist *@spam.example: updated (note)",
        "blocklist 198.51.100.0/24: deleted",
        "blocklist 2001:db8::/32: created",
        "blocklist 203.0.113.7: unchanged",
    ]


def test_a_coupon_list_left_out_is_kept_with_a_warning(db, example):
    config_apply(document=example)
    pool = CouponList.objects.get(identifier="friend-10")
    CouponFactory(coupon_list=pool, code="F-1")

    # when the file drops the pool list and the incentives that used it
    example["coupon_lists"] = example["coupon_lists"][1:]
    for campaign in example["campaigns"]:
        campaign["incentives"] = [
            i for i in campaign["incentives"] if i.get("coupon_list") != "friend-10"
        ]
    report = config_apply(document=example)

    # then the list and its codes stay, and the report says so
    assert CouponList.objects.filter(identifier="friend-10").exists()
    assert Coupon.objects.filter(code="F-1").exists()
    assert report.warnings == [
        "coupon list 'friend-10' is not in the file; it is kept (export the site to see it)"
    ]


def test_an_incentive_may_keep_using_a_list_the_file_leaves_out(db, example):
    config_apply(document=example)

    example["coupon_lists"] = example["coupon_lists"][1:]
    report = config_apply(document=example)

    assert not [c for c in report.changes if c.action != "unchanged"]
    assert Incentive.objects.filter(coupon_list__identifier="friend-10").count() == 2


def test_a_pool_holding_codes_cannot_turn_static(db, example):
    config_apply(document=example)
    CouponFactory(coupon_list=CouponList.objects.get(identifier="friend-10"))
    before = snapshot()

    example["coupon_lists"][0]["static_code"] = "FRIEND10"
    with pytest.raises(ConfigInvalid) as refused:
        config_apply(document=example)

    assert [e.loc for e in refused.value.errors] == ["coupon_lists[0].static_code"]
    assert snapshot() == before


def test_a_dry_run_reports_and_writes_nothing(db, example):
    # given an applied site
    config_apply(document=example)
    before = snapshot()
    example["site"]["name"] = "Renamed"

    # when a changed file is applied as a dry run
    report = config_apply(document=example, dry_run=True)

    # then the report says what would change, and nothing did
    assert report.dry_run
    assert [str(c) for c in report.changes if c.action != "unchanged"] == [
        "site my-store: updated (name)"
    ]
    assert snapshot() == before


def test_a_dry_run_for_a_new_site_creates_nothing_and_shows_no_key(db, example):
    report = config_apply(document=example, dry_run=True)

    assert report.changed and report.api_key is None
    assert "site my-store: created" in [str(c) for c in report.changes]
    assert all(not rows for rows in snapshot().values())


def test_an_existing_site_keeps_its_keys(db):
    issued = site_create(slug="shop", name="Shop", currency="EUR")

    report = config_apply(document={"site": {"slug": "shop", "name": "Shop", "currency": "EUR"}})

    assert report.api_key is None
    assert list(ApiKey.objects.all()) == [issued.api_key]
    # a site made by `site create` ran on the defaults; the first apply stores them
    assert [str(c) for c in report.changes if c.action != "unchanged"] == [
        "site_settings shop: created",
        "fraud_settings shop: created",
    ]
    assert FraudSettings.objects.get().policy_actions == screening.DEFAULT_ACTIONS
    again = config_apply(document={"site": {"slug": "shop", "name": "Shop", "currency": "EUR"}})
    assert not again.changed


def test_policy_actions_are_stored_in_full(db):
    # given a site whose actions were stored partially, relying on the defaults
    site = site_create(slug="shop").api_key.site
    FraudSettings.objects.create(site=site, policy_actions={IP_ONLY: "flag"})

    # when a file that names one policy is applied
    config_apply(document={"site": {"slug": "shop"}, "fraud": {"policies": {IP_ONLY: "off"}}})

    # then every policy is stored, so a new default in Goodword cannot change this site
    stored = FraudSettings.objects.get(site=site).policy_actions
    assert stored == {**screening.DEFAULT_ACTIONS, IP_ONLY: "off"}


def test_a_currency_change_is_applied_with_a_warning(db, example):
    config_apply(document=example)

    example["site"]["currency"] = "EUR"
    report = config_apply(document=example)

    assert Site.objects.get(slug="my-store").currency == "EUR"
    assert report.warnings == [
        "site currency changes from USD to EUR: amounts already recorded keep their own currency"
    ]


def test_an_incentive_can_switch_coupon_lists(db, example):
    config_apply(document=example)

    example["campaigns"][0]["incentives"][1]["coupon_list"] = "welcome"
    report = config_apply(document=example)

    assert Incentive.objects.get(campaign__slug="invite", identifier="friend-coupon").coupon_list
    assert "incentive invite/friend-coupon: updated (coupon_list)" in map(str, report.changes)


def test_apply_only_touches_its_own_site(db, example):
    other = site_create(slug="other").api_key.site
    CouponListFactory(site=other, identifier="friend-10")
    other_before = snapshot()

    config_apply(document=example)

    assert CouponList.objects.filter(site=other).count() == 1
    assert list(Site.objects.filter(slug="other").values()) == other_before["Site"]


def test_the_process_sees_the_new_program_at_once(db, example, django_capture_on_commit_callbacks):
    # given a site whose program this process has cached
    with django_capture_on_commit_callbacks(execute=True):
        config_apply(document=example)
    site = Site.objects.get(slug="my-store")
    assert program_for(site.pk).sticky_advocate is False

    # when the file changes it
    example["site"]["sticky_advocate"] = True
    with django_capture_on_commit_callbacks(execute=True):
        config_apply(document=example)

    # then the next read sees it, without waiting for the cache to expire
    assert program_for(site.pk).sticky_advocate is True


def test_an_unknown_document_shape_is_refused_before_any_lookup(db):
    with pytest.raises(DomainError) as refused:
        config_apply(document=["not", "a", "mapping"])
    assert refused.value.code == "config_invalid"


def test_the_claim_limits_apply_and_reach_the_program(db, minimal):
    # given a file with the site's claim-page limits
    minimal["site"]["claims"] = {
        "codes_per_ip": 2,
        "code_window": "6h",
        "clicks_per_ip_per_minute": 20,
    }

    # when it is applied
    config_apply(document=minimal)

    # then the site's settings and the program the claim pages read carry them
    site = Site.objects.get(slug="shop")
    settings = SiteSettings.objects.get(site=site)
    assert (
        settings.claim_codes_per_ip,
        settings.claim_code_window_seconds,
        settings.claim_clicks_per_ip_per_minute,
    ) == (2, 6 * 3600, 20)
    program = program_for(site.pk)
    assert (
        program.claim_codes_per_ip,
        program.claim_code_window_seconds,
        program.claim_clicks_per_ip_per_minute,
    ) == (2, 6 * 3600, 20)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("codes_per_ip", 0, "site.claims.codes_per_ip: must be between 1 and"),
        ("code_window", "10s", "site.claims.code_window: must be between 1m and 30d"),
        ("clicks_per_ip_per_minute", "x", "site.claims.clicks_per_ip_per_minute: must be a whole"),
    ],
)
def test_claim_limits_out_of_range_are_refused(db, minimal, key, value, message):
    minimal["site"]["claims"] = {key: value}

    with pytest.raises(ConfigInvalid) as refused:
        config_apply(document=minimal)

    lines = [str(e) for e in refused.value.errors]
    assert any(line.startswith(message) for line in lines), lines
    assert not Site.objects.filter(slug="shop").exists()
