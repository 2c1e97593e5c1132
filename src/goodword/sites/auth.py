"""API key → site, with a short in-process cache.

Checking a key costs an indexed query; a busy integration sends hundreds of requests a second
with the same key, so a verified key is trusted for API_KEY_CACHE_SECONDS in this process.
Revoking through this process forgets it at once; other processes notice within the TTL.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from goodword.core.cache import TTLCache
from goodword.core.errors import NotFound, Unauthorized, ValidationFailed
from goodword.sites.models import ApiKey, Site


@dataclass(frozen=True, slots=True)
class SiteRef:
    """What a request needs to know about its site, without loading the model."""

    id: int
    slug: str
    currency: str


def _key_ttl() -> float:
    return float(settings.API_KEY_CACHE_SECONDS)


_MAX_CACHED = 10_000
_by_key: TTLCache[str, SiteRef] = TTLCache(seconds=_key_ttl, max_entries=_MAX_CACHED)
_by_id: TTLCache[int, SiteRef] = TTLCache(seconds=_key_ttl, max_entries=_MAX_CACHED)


def forget_key(key_hash: str) -> None:
    _by_key.forget(key_hash)


def clear_cache() -> None:
    _by_key.clear()
    _by_id.clear()


def site_for_key(raw_key: str) -> SiteRef:
    """The site of an active key, or Unauthorized."""
    if not raw_key:
        raise Unauthorized("api_key_missing", _MISSING)
    key_hash = hashlib.sha256(raw_key.encode()).hexdigest()
    return _by_key.get(key_hash, _verified)


def _verified(key_hash: str) -> SiteRef:
    row = _lookup(key_hash)
    # The index found the row by hash; compare_digest keeps the final check constant-time.
    if row is None or not hmac.compare_digest(row[0], key_hash):
        raise Unauthorized("api_key_invalid", "Invalid API key.")
    return SiteRef(id=row[1], slug=row[2], currency=row[3])


def _lookup(key_hash: str) -> tuple[str, int, str, str] | None:
    k, s = ApiKey._meta.db_table, Site._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT k.key_hash, s.id, s.slug, s.currency FROM {k} k "
            f"JOIN {s} s ON s.id = k.site_id WHERE k.key_hash = %s AND k.revoked_at IS NULL",
            [key_hash],
        )
        row = cursor.fetchone()
    return None if row is None else (row[0], row[1], row[2], row[3])


def authorize_site(key_site: SiteRef, site_slug: str | None) -> SiteRef:
    """The request's site: `site_slug` must name the key's own site."""
    if site_slug is None or site_slug == "":
        raise ValidationFailed("site_slug_missing", "`site_slug` is required")
    if site_slug == key_site.slug:
        return key_site
    if not Site.objects.filter(slug=site_slug).exists():
        raise NotFound("site_not_found", "No site found by `site_slug`.")
    raise Unauthorized("api_key_wrong_site", "The API key does not belong to this site.")


_MISSING = (
    "API key is required: send it as a Bearer token or as the HTTP Basic user name "
    "with an empty password."
)


def site_ref(site_id: int) -> SiteRef:
    """A SiteRef by id (workers know a job's site, not a key); kept as long as a key is."""
    return _by_id.get(site_id, _ref_of)


def _ref_of(site_id: int) -> SiteRef:
    site = Site.objects.only("id", "slug", "currency").get(pk=site_id)
    return SiteRef(id=site.id, slug=site.slug, currency=site.currency)
