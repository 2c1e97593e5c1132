"""API key → site, with a short in-process cache.

Checking a key costs an indexed query; a busy integration sends hundreds of requests a second
with the same key, so a verified key is trusted for API_KEY_CACHE_SECONDS in this process.
Revoking through this process forgets it at once. Other processes learn of it through the
AuthVersion row: a revocation, a new key or a site change bumps it in the same transaction, and
each process reads it at most once every API_KEY_VERSION_SECONDS (one second), emptying its
caches when it moved. The TTL stays as the fallback for changes made behind the services' back.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass
from datetime import tzinfo

from django.conf import settings
from django.db import connection

from goodword.core.cache import TTLCache
from goodword.core.clock import DEFAULT_TIME_ZONE, zone_named
from goodword.core.errors import Unauthorized, ValidationFailed
from goodword.core.models import AuthVersion
from goodword.sites.models import ApiKey, Site


@dataclass(frozen=True, slots=True)
class SiteRef:
    """What a request needs to know about its site, without loading the model."""

    id: int
    slug: str
    currency: str
    time_zone: str = DEFAULT_TIME_ZONE  # an IANA name; the API and webhooks write times in it

    @property
    def zone(self) -> tzinfo:
        return zone_named(self.time_zone)


def _key_ttl() -> float:
    return float(settings.API_KEY_CACHE_SECONDS)


_MAX_CACHED = 10_000
_by_key: TTLCache[str, SiteRef] = TTLCache(seconds=_key_ttl, max_entries=_MAX_CACHED)
_by_id: TTLCache[int, SiteRef] = TTLCache(seconds=_key_ttl, max_entries=_MAX_CACHED)


def _version_interval() -> float:
    return float(settings.API_KEY_VERSION_SECONDS)


class _Version:
    """The AuthVersion number this process's caches were filled under, and when to read it
    again. Threads of one process share it; a race between two of them costs at most one extra
    read or one extra reload, never a stale answer past the next check."""

    def __init__(self) -> None:
        self.seen: int | None = None
        self.next_check = 0.0
        self.lock = threading.Lock()

    def observe(self, version: int, stamp: float) -> None:
        """A version read from the database at `stamp`: caches filled under another one may
        hold a revoked key, so they go."""
        with self.lock:
            if version != self.seen:
                _by_key.clear()
                _by_id.clear()
                self.seen = version
            self.next_check = stamp + _version_interval()


_version = _Version()


def forget_key(key_hash: str) -> None:
    _by_key.forget(key_hash)


def clear_cache() -> None:
    _by_key.clear()
    _by_id.clear()
    # An empty cache holds nothing stale: the next lookup reads the version with the key.
    with _version.lock:
        _version.seen = None
        _version.next_check = time.monotonic() + _version_interval()


def site_for_key(raw_key: str) -> SiteRef:
    """The site of an active key, or Unauthorized."""
    if not raw_key:
        raise Unauthorized("api_key_missing", _MISSING)
    if time.monotonic() >= _version.next_check:
        _check_version()
    key_hash = hashlib.sha256(raw_key.encode()).hexdigest()
    return _by_key.get(key_hash, _verified)


def _check_version() -> None:
    stamp = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT version FROM {AuthVersion._meta.db_table} WHERE id = %s", [_VERSION_ROW]
        )
        row = cursor.fetchone()
    _version.observe(0 if row is None else int(row[0]), stamp)


def _verified(key_hash: str) -> SiteRef:
    stamp = time.monotonic()
    row = _lookup(key_hash)
    # The index found the row by hash; compare_digest keeps the final check constant-time.
    if row is None or not hmac.compare_digest(row[0], key_hash):
        raise Unauthorized("api_key_invalid", "Invalid API key.")
    # The version came with the key: a cache miss costs no extra round trip, and the entries
    # cached under an older version go before this fresh one is kept.
    _version.observe(row[4], stamp)
    ref = SiteRef(id=row[1], slug=row[2], currency=row[3], time_zone=row[5])
    # What a request emits (a webhook written in the site's zone) asks by id: already known.
    _by_id.get(ref.id, lambda _: ref)
    return ref


def _lookup(key_hash: str) -> tuple[str, int, str, str, int, str] | None:
    k, s, v = ApiKey._meta.db_table, Site._meta.db_table, AuthVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT k.key_hash, s.id, s.slug, s.currency, "
            f"(SELECT version FROM {v} WHERE id = %s), s.time_zone FROM {k} k "
            f"JOIN {s} s ON s.id = k.site_id WHERE k.key_hash = %s AND k.revoked_at IS NULL",
            [_VERSION_ROW, key_hash],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return (row[0], row[1], row[2], row[3], int(row[4] or 0), row[5])


_VERSION_ROW = 1


def version_bump() -> None:
    """Tell every process that keys or sites changed; call inside the changing transaction.
    The row is made on first use (a flushed test database has none)."""
    table = AuthVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET version = version + 1 WHERE id = %s", [_VERSION_ROW])
        if cursor.rowcount:
            return
        # Two first bumps at once: one inserts, the other's insert does nothing and it bumps.
        cursor.execute(
            f"INSERT INTO {table} (id, version) VALUES (%s, 1) ON CONFLICT (id) DO NOTHING",
            [_VERSION_ROW],
        )
        if not cursor.rowcount:
            cursor.execute(
                f"UPDATE {table} SET version = version + 1 WHERE id = %s", [_VERSION_ROW]
            )


def authorize_site(key_site: SiteRef, site_slug: str | None) -> SiteRef:
    """The request's site: `site_slug` must name the key's own site."""
    if site_slug is None or site_slug == "":
        raise ValidationFailed("site_slug_missing", "`site_slug` is required")
    if site_slug == key_site.slug:
        return key_site
    # Another site's slug and an unknown one get the same answer: a key must not learn which
    # other sites exist.
    raise Unauthorized("api_key_wrong_site", "The API key does not belong to this site.")


_MISSING = (
    "API key is required: send it as a Bearer token or as the HTTP Basic user name "
    "with an empty password."
)


def site_ref(site_id: int) -> SiteRef:
    """A SiteRef by id (workers know a job's site, not a key); kept as long as a key is."""
    return _by_id.get(site_id, _ref_of)


def _ref_of(site_id: int) -> SiteRef:
    site = Site.objects.only("id", "slug", "currency", "time_zone").get(pk=site_id)
    return SiteRef(id=site.id, slug=site.slug, currency=site.currency, time_zone=site.time_zone)
