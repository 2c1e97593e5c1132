"""Writes for sites and API keys."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from goodword.core.clock import DEFAULT_TIME_ZONE, now, zone_named
from goodword.core.errors import DomainError, NotFound, ValidationFailed
from goodword.sites import auth
from goodword.sites.models import SLUG_RE, ApiKey, Site

KEY_BYTES = 30  # 40 URL-safe characters, 240 bits


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw_key: str  # shown once, never stored


def _validate_currency(currency: str) -> str:
    currency = currency.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ValidationFailed(
            "invalid_currency", f"Currency must be an ISO code, not {currency!r}"
        )
    return currency


def validate_time_zone(time_zone: str) -> str:
    """An IANA zone name the system knows ("America/New_York", "UTC"), as given."""
    try:
        zone_named(time_zone)
    except ValueError:
        raise ValidationFailed(
            "invalid_time_zone",
            f"Time zone must be an IANA name such as America/New_York, not {time_zone!r}",
        ) from None
    return time_zone


def site_create(
    *,
    slug: str,
    name: str | None = None,
    currency: str = "USD",
    time_zone: str = DEFAULT_TIME_ZONE,
) -> IssuedKey:
    """Create a site and its first API key, in one transaction."""
    if not re.fullmatch(SLUG_RE, slug):
        raise ValidationFailed(
            "invalid_slug",
            f"Site slug {slug!r} must be 1-63 lowercase letters, digits, '-' or '_'",
        )
    currency = _validate_currency(currency)
    time_zone = validate_time_zone(time_zone)
    try:
        with transaction.atomic():
            site = Site.objects.create(
                slug=slug,
                name=name or slug,
                currency=currency,
                time_zone=time_zone,
                created_at=now(),
            )
            return api_key_create(site=site, name="default")
    except IntegrityError as exc:
        raise DomainError("site_exists", f"A site with slug {slug!r} already exists") from exc


def site_time_zone_set(*, site: Site, time_zone: str) -> Site:
    """Write the site's timestamps in `time_zone` from now on (stored times do not change)."""
    time_zone = validate_time_zone(time_zone)
    if site.time_zone == time_zone:
        return site
    with transaction.atomic():
        site.time_zone = time_zone
        site.save(update_fields=["time_zone"])
        # Cached keys carry the site's zone: every process reloads them.
        auth.version_bump()
    return site


def api_key_create(*, site: Site, name: str = "") -> IssuedKey:
    raw_key = secrets.token_urlsafe(KEY_BYTES)
    # A key (and so its listed prefix) never starts with '-' or '_', so it never reads as an
    # option on a command line.
    while not raw_key[0].isalnum():
        raw_key = secrets.token_urlsafe(KEY_BYTES)
    with transaction.atomic():
        key = ApiKey.objects.create(
            site=site, name=name, prefix=raw_key[:8], key_hash=hash_key(raw_key), created_at=now()
        )
        auth.version_bump()
    return IssuedKey(api_key=key, raw_key=raw_key)


def api_key_revoke(*, site: Site, prefix: str) -> ApiKey:
    """Revoke the site's active key whose listing prefix is `prefix`."""
    keys = list(ApiKey.objects.filter(site=site, prefix=prefix, revoked_at__isnull=True))
    if not keys:
        raise NotFound("key_not_found", f"No active key {prefix!r} on site {site.slug!r}")
    if len(keys) > 1:
        raise DomainError("key_ambiguous", f"More than one active key starts with {prefix!r}")
    key = keys[0]
    with transaction.atomic():
        key.revoked_at = now()
        key.save(update_fields=["revoked_at"])
        auth.version_bump()
    auth.forget_key(key.key_hash)
    return key
