"""Sites and API keys: creation, validation, revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from goodword.api.v2.errors import http_status
from goodword.core.errors import DomainError, NotFound, ValidationFailed
from goodword.sites.models import ApiKey, Site
from goodword.sites.selectors import api_key_list, site_get
from goodword.sites.services import (
    api_key_create,
    api_key_revoke,
    hash_key,
    site_create,
)
from tests.factories import SiteFactory, make_key


def test_site_create_makes_the_site_and_its_first_key(db, frozen_now):
    # when a site is created
    issued = site_create(slug="shop-1", name="Shop", currency="EUR")

    # then the site exists with its settings
    site = Site.objects.get(slug="shop-1")
    assert (site.name, site.currency, site.created_at) == ("Shop", "EUR", frozen_now)
    # and its one key is active, listed by prefix, stored only as a hash
    key = ApiKey.objects.get(site=site)
    assert issued.api_key == key
    assert key.is_active
    assert key.name == "default"
    assert key.created_at == frozen_now
    assert key.prefix == issued.raw_key[:8]
    assert key.key_hash == hash_key(issued.raw_key) != issued.raw_key
    assert len(issued.raw_key) >= 40


def test_site_name_defaults_to_the_slug(db):
    site_create(slug="plain")
    assert Site.objects.get(slug="plain").name == "plain"


@pytest.mark.parametrize(
    "currency", [("usd", "USD"), (" gbp ", "GBP"), ("JPY", "JPY")], ids=lambda c: c[0]
)
def test_site_currency_is_normalised(db, currency):
    sent, stored = currency
    site_create(slug="money", currency=sent)
    assert Site.objects.get(slug="money").currency == stored


@pytest.mark.parametrize(
    "slug",
    [
        "",
        "Shop",
        "-shop",
        "_shop",
        "my shop",
        "shop!",
        "shop.com",
        "a" * 64,
        "shöp",
        "shop\n",
    ],
)
def test_site_create_refuses_a_bad_slug(db, slug):
    # when a site is created with a slug that cannot be a site_slug
    with pytest.raises(ValidationFailed) as exc:
        site_create(slug=slug)

    # then it says so and creates nothing
    assert exc.value.code == "invalid_slug"
    assert http_status(exc.value) == 400
    assert not Site.objects.exists()
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("slug", ["a", "0", "shop_1-eu", "a" * 63])
def test_site_create_accepts_slugs_at_the_edges(db, slug):
    site_create(slug=slug)
    assert Site.objects.filter(slug=slug).exists()


@pytest.mark.parametrize("currency", ["", "US", "USDT", "U5D", "$$$", "€"])
def test_site_create_refuses_a_bad_currency(db, currency):
    with pytest.raises(ValidationFailed) as exc:
        site_create(slug="shop", currency=currency)
    assert exc.value.code == "invalid_currency"
    assert not Site.objects.exists()


def test_a_duplicate_slug_is_a_domain_error_and_changes_nothing(db):
    # given a site
    first = site_create(slug="shop", name="First")

    # when another is created with the same slug
    with pytest.raises(DomainError) as exc:
        site_create(slug="shop", name="Second")

    # then it is refused with a stable code, and the first site and its key are untouched
    assert exc.value.code == "site_exists"
    assert "shop" in exc.value.message
    assert list(Site.objects.values_list("name", flat=True)) == ["First"]
    assert list(ApiKey.objects.all()) == [first.api_key]


def test_api_key_create_adds_an_independent_key(db):
    site = SiteFactory()
    a = api_key_create(site=site, name="checkout")
    b = api_key_create(site=site)
    assert a.raw_key != b.raw_key
    assert a.api_key.name == "checkout"
    assert [k.pk for k in api_key_list(site=site)] == [a.api_key.pk, b.api_key.pk]


def test_api_key_revoke_stamps_the_key(db, time_machine, frozen_now):
    # given a key issued earlier
    site = SiteFactory()
    issued = make_key(site)
    time_machine.shift(timedelta(hours=1))

    # when it is revoked by its prefix
    revoked = api_key_revoke(site=site, prefix=issued.raw_key[:8])

    # then it is inactive from now on
    key = ApiKey.objects.get(pk=issued.api_key.pk)
    assert revoked.pk == key.pk
    assert key.revoked_at == frozen_now + timedelta(hours=1)
    assert not key.is_active


def test_api_key_revoke_needs_an_active_key_of_that_site(db):
    # given two sites with a key each, one of them already revoked
    site, other = SiteFactory(), SiteFactory()
    mine = make_key(site)
    theirs = make_key(other)
    api_key_revoke(site=site, prefix=mine.raw_key[:8])

    # then neither an unknown prefix, another site's key nor a revoked key can be revoked
    for prefix in ["nope1234", theirs.raw_key[:8], mine.raw_key[:8]]:
        with pytest.raises(NotFound) as exc:
            api_key_revoke(site=site, prefix=prefix)
        assert exc.value.code == "key_not_found"
    assert ApiKey.objects.get(pk=theirs.api_key.pk).is_active


def test_api_key_revoke_refuses_an_ambiguous_prefix(db, frozen_now):
    # given two active keys of a site that share a prefix
    site = SiteFactory()
    for raw in ["samepref-aaaa", "samepref-bbbb"]:
        ApiKey.objects.create(
            site=site, prefix="samepref", key_hash=hash_key(raw), created_at=frozen_now
        )

    # when that prefix is revoked
    with pytest.raises(DomainError) as exc:
        api_key_revoke(site=site, prefix="samepref")

    # then nothing is revoked
    assert exc.value.code == "key_ambiguous"
    assert ApiKey.objects.filter(revoked_at__isnull=True).count() == 2


def test_site_get_finds_by_slug_or_says_no_site(db):
    site = SiteFactory(slug="here")
    assert site_get(slug="here") == site
    with pytest.raises(NotFound) as exc:
        site_get(slug="there")
    assert exc.value.message == "No site found by `site_slug`."
