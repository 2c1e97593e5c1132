"""goodword.sites.auth: key → site, the in-process cache, and the site_slug check."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from goodword.api.v2.errors import http_status
from goodword.core import cache
from goodword.core.clock import now
from goodword.core.errors import NotFound, Unauthorized, ValidationFailed
from goodword.sites import auth
from goodword.sites.models import ApiKey
from goodword.sites.services import api_key_revoke
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
    with pytest.raises(NotFound) as unknown:
        auth.authorize_site(ref, "no-such-site")
    assert (http_status(unknown.value), unknown.value.message) == (
        400,
        "No site found by `site_slug`.",
    )
    for missing in (None, ""):
        with pytest.raises(ValidationFailed):
            auth.authorize_site(ref, missing)
