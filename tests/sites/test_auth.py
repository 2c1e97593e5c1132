"""goodword.sites.auth: key → site, the in-process cache, and the site_slug check."""

from __future__ import annotations

import time
from types import SimpleNamespace
from unittest import mock

import pytest

from goodword.api.v2.errors import http_status
from goodword.core import cache
from goodword.core.clock import now
from goodword.core.errors import Unauthorized, ValidationFailed
from goodword.core.models import AuthVersion
from goodword.sites import auth
from goodword.sites.models import ApiKey
from goodword.sites.services import api_key_create, api_key_revoke
from tests.factories import SiteFactory, make_key


@pytest.fixture
def site_and_key(db):
    site = SiteFactory(currency="EUR")
    return site, make_key(site).raw_key


def later(monkeypatch, seconds: float) -> None:
    """Move the key cache's monotonic clock forward (time-machine leaves monotonic alone)."""
    real = time.monotonic
    monkeypatch.setattr(cache, "time", SimpleNamespace(monotonic=lambda: real() + seconds))


def test_an_active_key_gives_its_site(site_and_key):
    site, raw = site_and_key
    ref = auth.site_for_key(raw)
    assert ref == auth.SiteRef(id=site.id, slug=site.slug, currency="EUR")


@pytest.mark.parametrize(("raw", "code"), [("", "api_key_missing"), ("nope", "api_key_invalid")])
def test_a_missing_or_unknown_key_is_unauthorized(db, raw, code):
    with pytest.raises(Unauthorized) as exc:
        auth.site_for_key(raw)
    assert exc.value.code == code
    assert http_status(exc.value) == 401


def test_a_verified_key_is_answered_from_the_cache(site_and_key, django_assert_num_queries):
    # given a key checked once
    _, raw = site_and_key
    first = auth.site_for_key(raw)

    # when it is checked again
    with django_assert_num_queries(0):
        second = auth.site_for_key(raw)

    # then the database is not asked
    assert second == first


def test_revoking_through_the_service_is_honoured_at_once(site_and_key):
    # given a cached key
    site, raw = site_and_key
    auth.site_for_key(raw)

    # when it is revoked in this process
    api_key_revoke(site=site, prefix=raw[:8])

    # then the next check refuses it, well within the cache's lifetime
    with pytest.raises(Unauthorized):
        auth.site_for_key(raw)


def test_a_revocation_by_another_process_is_honoured_after_the_ttl(
    site_and_key, settings, monkeypatch
):
    # given a cached key, and a revocation this process did not see (another process wrote it)
    settings.API_KEY_CACHE_SECONDS = 10
    site, raw = site_and_key
    auth.site_for_key(raw)
    ApiKey.objects.filter(site=site).update(revoked_at=now())

    # then within the TTL the key is still trusted...
    later(monkeypatch, 9)
    assert auth.site_for_key(raw).slug == site.slug

    # ...and after it, it is refused
    later(monkeypatch, 11)
    with pytest.raises(Unauthorized):
        auth.site_for_key(raw)


def test_clear_cache_forgets_every_key(site_and_key, django_assert_num_queries):
    _, raw = site_and_key
    auth.site_for_key(raw)
    auth.clear_cache()
    with django_assert_num_queries(1):
        auth.site_for_key(raw)


def test_authorize_site_accepts_only_the_keys_own_site(site_and_key):
    site, raw = site_and_key
    other = SiteFactory()
    ref = auth.site_for_key(raw)

    assert auth.authorize_site(ref, site.slug) is ref
    with pytest.raises(Unauthorized) as wrong:
        auth.authorize_site(ref, other.slug)
    assert wrong.value.code == "api_key_wrong_site"
    with pytest.raises(Unauthorized) as unknown:
        auth.authorize_site(ref, "no-such-site")
    # an unknown slug and another site's slug are told apart by nothing
    assert (http_status(unknown.value), unknown.value.code, unknown.value.message) == (
        http_status(wrong.value),
        wrong.value.code,
        wrong.value.message,
    )
    assert http_status(unknown.value) == 401
    for missing in (None, ""):
        with pytest.raises(ValidationFailed):
            auth.authorize_site(ref, missing)


def test_a_revocation_by_another_process_is_honoured_at_the_next_version_read(
    site_and_key, settings, monkeypatch, django_assert_num_queries
):
    # given a key cached for ten seconds, the version read every second, and a revocation
    # written by another process (through the service, which bumps the version)
    settings.API_KEY_CACHE_SECONDS = 10
    settings.API_KEY_VERSION_SECONDS = 1
    site, raw = site_and_key
    auth.clear_cache()
    auth.site_for_key(raw)
    with mock.patch.object(auth, "forget_key"):  # the other process's cache is not this one
        api_key_revoke(site=site, prefix=raw[:8])

    # then within the second the key is still answered from the cache, without a query...
    with django_assert_num_queries(0):
        assert auth.site_for_key(raw).slug == site.slug

    # ...and after it, one read of the version empties the cache and the key is refused
    later_monotonic(monkeypatch, 1.5)
    with pytest.raises(Unauthorized):
        auth.site_for_key(raw)


def test_the_version_is_read_at_most_once_a_second(
    site_and_key, settings, monkeypatch, django_assert_num_queries
):
    # given a cached key and the version read every second
    settings.API_KEY_VERSION_SECONDS = 1
    _, raw = site_and_key
    auth.site_for_key(raw)

    # when a second has passed, many requests cost one read between them
    later_monotonic(monkeypatch, 1.5)
    with django_assert_num_queries(1):
        for _ in range(50):
            auth.site_for_key(raw)


def test_an_unchanged_version_keeps_the_cache(site_and_key, settings, monkeypatch):
    # given a cached key
    settings.API_KEY_VERSION_SECONDS = 1
    site, raw = site_and_key
    auth.site_for_key(raw)

    # when the version is read again and has not moved
    later_monotonic(monkeypatch, 1.5)
    auth.site_for_key(raw)

    # then the key is still served from the cache (its row may change under it unseen)
    ApiKey.objects.filter(site=site).update(revoked_at=now())
    assert auth.site_for_key(raw).slug == site.slug


@pytest.mark.parametrize("change", ["create", "revoke"])
def test_key_changes_bump_the_version(site_and_key, change):
    # given the version now
    site, raw = site_and_key
    before = AuthVersion.objects.get(pk=1).version

    # when a key is created or revoked
    if change == "create":
        api_key_create(site=site, name="another")
    else:
        api_key_revoke(site=site, prefix=raw[:8])

    # then the version moved by one
    assert AuthVersion.objects.get(pk=1).version == before + 1


def test_the_first_bump_makes_the_row(db):
    # given no version row (a fresh or flushed database)
    AuthVersion.objects.all().delete()

    # when keys change twice
    auth.version_bump()
    auth.version_bump()

    # then the row exists and counts both
    assert AuthVersion.objects.get(pk=1).version == 2


def later_monotonic(monkeypatch, seconds: float) -> None:
    """Move both the cache's and the version check's monotonic clocks forward."""
    later(monkeypatch, seconds)
    real = time.monotonic
    monkeypatch.setattr(auth, "time", SimpleNamespace(monotonic=lambda: real() + seconds))


def test_a_key_revoked_in_the_admin_bumps_the_version(site_and_key, rf):
    # given a key, and the version now
    from django.contrib import admin

    site, _ = site_and_key
    auth.version_bump()
    before = AuthVersion.objects.get(pk=1).version
    key = ApiKey.objects.get(site=site)

    # when staff set its revocation in the Django admin
    key.revoked_at = now()
    admin.site._registry[ApiKey].save_model(rf.post("/admin/"), key, None, True)

    # then every process will drop its cached keys at its next read of the version
    assert AuthVersion.objects.get(pk=1).version == before + 1
