"""Campaigns and traffic sources: what the site runs, and where its origins came from."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from goodword.api.v2.envelope import ok
from goodword.api.v2.serializers import campaign_json
from goodword.api.v2.site import request_site
from goodword.campaigns.selectors import campaign_list, campaign_statuses_parse
from goodword.core.errors import ValidationFailed
from goodword.origins.selectors import traffic_source_list

router = Router(tags=["Campaigns"])

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _active(request: HttpRequest) -> bool | None:
    value = request.GET.get("is_active")
    if value is None or value == "":
        return None
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ValidationFailed("is_active_invalid", "`is_active` must be true or false")


@router.get("/campaigns", summary="List campaigns")
def list_campaigns(request: HttpRequest) -> HttpResponse:
    """`status` (Live, Test, Disabled, Scheduled; repeated or comma-separated) and `is_active`
    (running now) narrow the list."""
    site = request_site(request)
    statuses = campaign_statuses_parse(
        request.GET.getlist("status") + request.GET.getlist("status[]")
    )
    listed = campaign_list(site_id=site.id, statuses=statuses, active=_active(request))
    return ok(
        {"campaigns": [campaign_json(item.campaign, is_active=item.is_active) for item in listed]}
    )


@router.get("/traffic_sources", summary="List traffic sources", tags=["Traffic Sources"])
def list_traffic_sources(request: HttpRequest) -> HttpResponse:
    site = request_site(request)
    return ok([{"identifier": name} for name in traffic_source_list(site_id=site.id)])
