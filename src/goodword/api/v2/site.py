"""The request's site: the key's site, checked against `site_slug`."""

from __future__ import annotations

from django.http import HttpRequest

from goodword.observability.logs import set_site
from goodword.sites.auth import SiteRef, authorize_site


def request_site(request: HttpRequest, site_slug: str | None = None) -> SiteRef:
    """`site_slug` from the JSON body when given, else from the query string."""
    if not site_slug:
        site_slug = request.GET.get("site_slug")
    site = authorize_site(request.auth, site_slug)  # type: ignore[attr-defined]
    set_site(site.slug)  # for the request's log lines
    return site


def request_site_or_keys(request: HttpRequest, site_slug: str | None = None) -> SiteRef:
    """For operations the contract gives no `site_slug` (a share: the offer code names the
    site): the named site when one is sent, else the key's own site, in which the code must
    then be found."""
    if not site_slug and not request.GET.get("site_slug"):
        site: SiteRef = request.auth  # type: ignore[attr-defined]
        set_site(site.slug)
        return site
    return request_site(request, site_slug)
