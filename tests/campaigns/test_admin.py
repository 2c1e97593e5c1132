"""The Django admin shows every model of sites, campaigns, coupons, offers and referrals; engine
records (offers, clicks, shares, referrals) are read-only there."""

from __future__ import annotations

import uuid
import warnings

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils.deprecation import RemovedInDjango60Warning

from goodword.campaigns.models import Campaign, Incentive
from goodword.core.clock import now
from goodword.coupons.models import Coupon, CouponList
from goodword.offers.models import AdvocateOffer, Claim, Share, ShareRecipient, ShortLink, Visitor
from goodword.origins.models import Origin
from goodword.referrals.models import Referral, ReferralEvent
from goodword.sites.models import ApiKey, BlocklistEntry, FraudSettings, Site, SiteSettings
from tests.factories import CouponFactory, IncentiveFactory, PersonFactory

EDITABLE = [
    Site,
    ApiKey,
    SiteSettings,
    FraudSettings,
    BlocklistEntry,
    Campaign,
    CouponList,
    Incentive,
    Coupon,
]
READ_ONLY = [
    AdvocateOffer,
    ShortLink,
    Share,
    ShareRecipient,
    Visitor,
    Claim,
    Referral,
    ReferralEvent,
]


@pytest.fixture
def staff(db) -> Client:
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def records(db) -> dict[type, object]:
    """One row of every model, linked the way the engine links them."""
    stamp = now()
    incentive = IncentiveFactory(coupon_list=CouponFactory().coupon_list)
    campaign = incentive.campaign
    site = campaign.site
    advocate = PersonFactory(site=site)
    friend = PersonFactory(site=site)
    origin = Origin.objects.create(
        site=site,
        person=friend,
        type="Purchase",
        order_number="1001",
        email=friend.email,
        currency="USD",
        occurred_at=stamp,
        fingerprint="x" * 64,
        created_at=stamp,
    )
    offer = AdvocateOffer.objects.create(
        site=site, campaign=campaign, advocate=advocate, short_url_code="abc123", created_at=stamp
    )
    link = ShortLink.objects.create(
        code="lnk1", site=site, offer=offer, kind="claim", channel="email", created_at=stamp
    )
    share = Share.objects.create(
        site=site, offer=offer, channel="email", link=link, created_at=stamp
    )
    recipient = ShareRecipient.objects.create(site=site, share=share, email=friend.email)
    visitor = Visitor.objects.create(site=site, uuid=uuid.uuid4(), created_at=stamp)
    claim = Claim.objects.create(
        site=site,
        offer=offer,
        link=link,
        visitor_uuid=visitor.uuid,
        created_at=stamp,
        clicked_at=stamp,
    )
    referral = Referral.objects.create(
        site=site,
        campaign=campaign,
        offer=offer,
        claim=claim,
        advocate=advocate,
        friend=friend,
        origin=origin,
        track_method="cookie",
        status="pending",
        created_at=stamp,
        updated_at=stamp,
    )
    event = ReferralEvent.objects.create(
        site=site,
        referral=referral,
        from_status="in_progress",
        to_status="pending",
        actor="engine",
        created_at=stamp,
    )
    return {
        AdvocateOffer: offer,
        ShortLink: link,
        Share: share,
        ShareRecipient: recipient,
        Visitor: visitor,
        Claim: claim,
        Referral: referral,
        ReferralEvent: event,
    }


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_model_of_the_five_apps_is_registered():
    labels = {"sites", "campaigns", "coupons", "offers", "referrals"}
    models = {m for m in apps.get_models() if m._meta.app_label in labels}
    assert models == set(EDITABLE + READ_ONLY)
    assert all(admin.site.is_registered(m) for m in models)


@pytest.mark.parametrize("model", EDITABLE + READ_ONLY, ids=lambda m: m.__name__)
def test_each_list_page_answers_with_a_site_filter_and_a_search(staff, records, model):
    assert staff.get(url(model, "changelist")).status_code == 200

    response = staff.get(url(model, "changelist"), {"q": "no-such-thing"})

    assert response.status_code == 200
    model_admin = admin.site._registry[model]
    filters = [f if isinstance(f, str) else f[0] for f in model_admin.list_filter]
    assert model is Site or any(f in ("site", "campaign__site") for f in filters)


@pytest.mark.parametrize("model", [Visitor, Claim], ids=lambda m: m.__name__)
def test_searching_by_uuid_takes_any_text(staff, model):
    for q in ("not-a-uuid", str(uuid.uuid4())):
        assert staff.get(url(model, "changelist"), {"q": q}).status_code == 200


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_engine_records_are_shown_but_cannot_be_added_changed_or_deleted(staff, records, model):
    pk = records[model].pk

    page = staff.get(url(model, "change", pk))

    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert staff.get(url(model, "add")).status_code == 403
    assert staff.post(url(model, "change", pk), {}).status_code == 403
    assert staff.get(url(model, "delete", pk)).status_code == 403
    assert model.objects.filter(pk=pk).exists()


def test_a_referral_page_shows_its_history(staff, records):
    page = staff.get(url(Referral, "change", records[Referral].pk))

    assert b"In Progress" in page.content and b"Engine" in page.content


def test_a_campaign_page_shows_its_incentives(staff):
    incentive = IncentiveFactory(identifier="advocate-rebate")

    response = staff.get(url(Campaign, "change", incentive.campaign.pk))

    assert response.status_code == 200
    assert b"advocate-rebate" in response.content


@pytest.mark.parametrize("model", [Campaign, SiteSettings], ids=lambda m: m.__name__)
def test_url_fields_are_ready_for_django_6(staff, model):
    # Django 6 makes https the default scheme of a URL form field; the admin says so already.
    with warnings.catch_warnings():
        warnings.simplefilter("error", RemovedInDjango60Warning)
        page = staff.get(url(model, "add"))

    assert page.status_code == 200
