"""The campaign setting for advocates' personal coupons in the configuration file: a pool
(`advocate_coupon_list`) or a pattern (`advocate_coupon_pattern`), validated, applied and
exported."""

from __future__ import annotations

from typing import Any

import pytest

from goodword.campaigns.models import Campaign
from goodword.campaigns.program import program_for
from goodword.config.schema import ConfigInvalid, ExistingCouponList, program_validate
from goodword.config.selectors import config_export
from goodword.config.services import config_apply
from goodword.sites.models import Site
from tests.config.conftest import minimal_document


def with_campaign(**fields: Any) -> dict[str, Any]:
    document = minimal_document()
    document["campaigns"][0].update(fields)
    return document


def errors(document: dict[str, Any], **kwargs: Any) -> list[str]:
    with pytest.raises(ConfigInvalid) as refused:
        program_validate(document, **kwargs)
    return [str(e) for e in refused.value.errors]


def test_a_campaign_gives_no_personal_coupon_by_default():
    campaign = program_validate(minimal_document()).campaigns[0]
    assert (campaign.advocate_coupon_list, campaign.advocate_coupon_pattern) == (None, "")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"advocate_coupon_list": "nope"},
            "campaigns[0].advocate_coupon_list: unknown coupon list 'nope'",
        ),
        (
            {"advocate_coupon_list": "welcome"},
            "campaigns[0].advocate_coupon_list: coupon list 'welcome' has one static code for "
            "everyone; an advocate's personal coupon needs a pool of single-use codes",
        ),
        (
            {"advocate_coupon_list": "pool", "advocate_coupon_pattern": "REF-{RANDOM6}"},
            "campaigns[0].advocate_coupon_pattern: takes either advocate_coupon_list or "
            "advocate_coupon_pattern, not both",
        ),
        (
            {"advocate_coupon_pattern": "REF-{RANDOM4}"},
            "campaigns[0].advocate_coupon_pattern: needs at least 6 random characters in all, "
            "like REF-{RANDOM6}",
        ),
        (
            {"advocate_coupon_pattern": "REF {RANDOM6}"},
            "campaigns[0].advocate_coupon_pattern: may hold only letters, digits, - and _ "
            "besides {RANDOMn}, not 'REF '",
        ),
        (
            {"advocate_coupon_pattern": 7},
            "campaigns[0].advocate_coupon_pattern: must be a string, not a number",
        ),
    ],
    ids=["unknown-list", "static-list", "both", "too-few-random", "space", "not-a-string"],
)
def test_a_wrong_setting_is_named_at_its_place(fields, expected):
    assert errors(with_campaign(**fields)) == [expected]


def test_a_static_list_the_site_has_is_refused_and_a_pool_it_has_is_taken():
    # given a site holding a static list and a pool the file does not mention
    existing = {
        "old-static": ExistingCouponList(static_code="OLD10", pool_size=0),
        "old-pool": ExistingCouponList(static_code=None, pool_size=5),
    }

    # then the static one is refused and the pool accepted
    assert errors(with_campaign(advocate_coupon_list="old-static"), existing_coupon_lists=existing)
    program = program_validate(
        with_campaign(advocate_coupon_list="old-pool"), existing_coupon_lists=existing
    )
    assert program.campaigns[0].advocate_coupon_list == "old-pool"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [{"advocate_coupon_list": "pool"}, {"advocate_coupon_pattern": "REF-{RANDOM6}"}],
    ids=["pool", "pattern"],
)
def test_the_setting_applies_exports_and_reaches_the_program(fields):
    # when a file with the setting is applied
    config_apply(document=with_campaign(**fields))

    # then the campaign stores it, the hot path's snapshot has it, and export writes it back
    campaign = Campaign.objects.select_related("advocate_coupon_list").get(slug="invite")
    stored = {
        "advocate_coupon_list": (
            campaign.advocate_coupon_list.identifier if campaign.advocate_coupon_list else None
        ),
        "advocate_coupon_pattern": campaign.advocate_coupon_pattern,
    }
    assert {k: v for k, v in stored.items() if v} == fields
    info = program_for(campaign.site_id).campaigns[0]
    assert bool(info.advocate_coupon_list_id) == ("advocate_coupon_list" in fields)
    assert info.advocate_coupon_pattern == fields.get("advocate_coupon_pattern", "")
    exported = config_export(site=Site.objects.get(slug="shop"))["campaigns"][0]
    assert {k: exported[k] for k in fields} == fields
    assert not set(stored) - set(fields) & set(exported)

    # and applying the export changes nothing; dropping the setting turns it off
    assert not config_apply(document=config_export(site=Site.objects.get(slug="shop"))).changed
    report = config_apply(document=minimal_document())
    changed = [c for c in report.changes if c.kind == "campaign"]
    assert [c.fields for c in changed] == [tuple(fields)]
    campaign.refresh_from_db()
    assert (campaign.advocate_coupon_list_id, campaign.advocate_coupon_pattern) == (None, "")
