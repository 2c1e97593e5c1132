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
