"""Site row locks."""

from __future__ import annotations

from goodword.sites.models import Site


def site_lock(*, slug: str) -> Site | None:
    """The site, locked until the transaction ends; None when there is no such site."""
    return Site.objects.select_for_update().filter(slug=slug).order_by("pk").first()
