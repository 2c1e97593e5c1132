"""Factories for test data. API keys come back with their raw value on `raw_key`."""

from __future__ import annotations

import factory

from goodword.core.clock import now
from goodword.people.models import Person
from goodword.sites.models import Site
from goodword.sites.services import IssuedKey, api_key_create


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    slug = factory.Sequence(lambda n: f"store-{n}")
    name = factory.LazyAttribute(lambda o: f"Store {o.slug}")
    currency = "USD"
    created_at = factory.LazyFunction(now)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    site = factory.SubFactory(SiteFactory)
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    created_at = factory.LazyFunction(now)
    updated_at = factory.LazyFunction(now)


def make_key(site: Site, name: str = "test") -> IssuedKey:
    return api_key_create(site=site, name=name)


# Request bodies. Each returns the `data` object of an origin request as a plain dict, with the
# fields the contract requires; pass keyword arguments to add or override fields.


class AffiliateMemberDataFactory(factory.DictFactory):
    email = factory.Sequence(lambda n: f"affiliate{n}@example.com")


class PurchaseDataFactory(factory.DictFactory):
    email = factory.Sequence(lambda n: f"buyer{n}@example.com")
    order_number = factory.Sequence(lambda n: f"ORDER-{n}")
    subtotal = 100.44


class EventDataFactory(factory.DictFactory):
    email = factory.Sequence(lambda n: f"subscriber{n}@example.com")
    event_category = "newsletter_subscription"
    event_number = factory.Sequence(lambda n: f"EVENT-{n}")
    subtotal = 100.44


# Campaigns and coupons (goodword.campaigns, goodword.coupons).


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.Campaign"

    site = factory.SubFactory(SiteFactory)
    slug = factory.Sequence(lambda n: f"campaign-{n}")
    name = factory.LazyAttribute(lambda o: f"Campaign {o.slug}")
    tags = factory.LazyFunction(lambda: ["invite"])
    status = "Live"
    joinable_category_names = factory.LazyFunction(lambda: ["affiliate_member"])
    destination_url = "https://shop.example.com/"
    created_at = factory.LazyFunction(now)
    updated_at = factory.LazyFunction(now)


class CouponListFactory(factory.django.DjangoModelFactory):
    """A single-use pool; pass `static_code` for a static list."""

    class Meta:
        model = "coupons.CouponList"

    site = factory.SubFactory(SiteFactory)
    identifier = factory.Sequence(lambda n: f"list-{n}")
    created_at = factory.LazyFunction(now)


class CouponFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "coupons.Coupon"

    coupon_list = factory.SubFactory(CouponListFactory)
    site = factory.SelfAttribute("coupon_list.site")
    code = factory.Sequence(lambda n: f"CODE-{n}")
    created_at = factory.LazyFunction(now)


class IncentiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.Incentive"

    campaign = factory.SubFactory(CampaignFactory)
    identifier = factory.Sequence(lambda n: f"incentive-{n}")
    reason = "referrer"
    incentive_type = "rebate"
    amount = 10


# Stored rows of the referral flow, for reads that count them (the Metrics API).


class OriginFactory(factory.django.DjangoModelFactory):
    """A stored purchase; pass `type="Event"` with event_category/event_number for an event."""

    class Meta:
        model = "origins.Origin"

    site = factory.SubFactory(SiteFactory)
    person = factory.SubFactory(PersonFactory, site=factory.SelfAttribute("..site"))
    type = "Purchase"
    order_number = factory.Sequence(lambda n: f"ORDER-{n}")
    email = factory.SelfAttribute("person.email")
    subtotal = 100
    currency = "USD"
    occurred_at = factory.LazyFunction(now)
    fingerprint = factory.Sequence(lambda n: f"{n:064x}")
    created_at = factory.SelfAttribute("occurred_at")


class AdvocateOfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "offers.AdvocateOffer"

    site = factory.SubFactory(SiteFactory)
    campaign = factory.SubFactory(CampaignFactory, site=factory.SelfAttribute("..site"))
    advocate = factory.SubFactory(PersonFactory, site=factory.SelfAttribute("..site"))
    short_url_code = factory.Sequence(lambda n: f"off{n}")
    created_at = factory.LazyFunction(now)


class ShareFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "offers.Share"

    offer = factory.SubFactory(AdvocateOfferFactory)
    site = factory.SelfAttribute("offer.site")
    channel = "facebook"
    created_at = factory.LazyFunction(now)


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "offers.Claim"

    offer = factory.SubFactory(AdvocateOfferFactory)
    site = factory.SelfAttribute("offer.site")
    visitor_uuid = factory.Faker("uuid4")
    channel = "facebook"
    created_at = factory.LazyFunction(now)
    clicked_at = factory.SelfAttribute("created_at")


class ReferralFactory(factory.django.DjangoModelFactory):
    """A referral of a friend's purchase through an offer (pass `offer`; the rest follows)."""

    class Meta:
        model = "referrals.Referral"

    offer = factory.SubFactory(AdvocateOfferFactory)
    site = factory.SelfAttribute("offer.site")
    campaign = factory.SelfAttribute("offer.campaign")
    advocate = factory.SelfAttribute("offer.advocate")
    origin = factory.SubFactory(OriginFactory, site=factory.SelfAttribute("..site"))
    friend = factory.SelfAttribute("origin.person")
    track_method = "cookie"
    status = "approved"
    subtotal = factory.SelfAttribute("origin.subtotal")
    created_at = factory.LazyFunction(now)
    updated_at = factory.SelfAttribute("created_at")
