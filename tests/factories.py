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
