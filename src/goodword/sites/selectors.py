"""Reads for sites."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from goodword.core.errors import NotFound
from goodword.sites.models import ApiKey, Site


def site_get(*, slug: str) -> Site:
    try:
        return Site.objects.get(slug=slug)
    except Site.DoesNotExist:
        raise NotFound("site_not_found", "No site found by `site_slug`.") from None


def api_key_list(*, site: Site) -> list[ApiKey]:
    return list(ApiKey.objects.filter(site=site).order_by("created_at", "id"))


def site_list() -> list[dict[str, Any]]:
    """Every site with its active key and campaign counts, by slug (for `goodword site list`)."""
    rows = (
        Site.objects.annotate(
            active_keys=Count(
                "api_keys", filter=Q(api_keys__revoked_at__isnull=True), distinct=True
            ),
            campaign_count=Count("campaigns", distinct=True),
        )
        .order_by("slug")
        .values("slug", "name", "currency", "created_at", "active_keys", "campaign_count")
    )
    return [
        {
            "site_slug": row["slug"],
            "name": row["name"],
            "currency": row["currency"],
            "active_keys": row["active_keys"],
            "campaigns": row["campaign_count"],
            "created_at": row["created_at"].isoformat(),
        }
        for row in rows
    ]
