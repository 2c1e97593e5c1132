"""Reads for sites."""

from __future__ import annotations

from goodword.core.errors import NotFound
from goodword.sites.models import ApiKey, Site


def site_get(*, slug: str) -> Site:
    try:
        return Site.objects.get(slug=slug)
    except Site.DoesNotExist:
        raise NotFound("site_not_found", "No site found by `site_slug`.") from None


def api_key_list(*, site: Site) -> list[ApiKey]:
    return list(ApiKey.objects.filter(site=site).order_by("created_at", "id"))
