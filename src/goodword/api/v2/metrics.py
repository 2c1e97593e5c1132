"""Metrics API: GET /metrics/{metric} and /metrics/{metric}/segmentize."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from goodword.api.v2.envelope import ok
from goodword.api.v2.site import request_site
from goodword.core.errors import ValidationFailed
from goodword.metrics.periods import date_range
from goodword.metrics.selectors import (
    Filters,
    campaign_ids_for,
    metric_calculate,
    metric_segmentize,
)

router = Router(tags=["Metrics"])

MAX_PRECISION = 6
# Query parameters named as Talkable names them (`sharing_channels[]`, `segment_by[period]`).
_Q_SHARING_CHANNELS = Query([], alias="sharing_channels[]")
_Q_TRAFFIC_SOURCES = Query([], alias="traffic_sources[]")
_Q_CAMPAIGN_IDS = Query([], alias="campaign_ids[]")
_Q_CAMPAIGN_TAGS = Query([], alias="campaign_tags[]")
_Q_SEGMENT_BY_PERIOD = Query(None, alias="segment_by[period]")
_Q_SEGMENT_BY_CAMPAIGN_TAGS = Query([], alias="segment_by[campaign_tags]")
_Q_SEGMENT_BY_SHARING_CHANNELS = Query(False, alias="segment_by[sharing_channels]")
_Q_SEGMENT_BY_CAMPAIGN_TYPES = Query(False, alias="segment_by[campaign_types]")


def _precision(value: int | None) -> int:
    if value is None:
        return 2
    if not 0 <= value <= MAX_PRECISION:
        raise ValidationFailed(
            "invalid_precision", f"`precision` must be between 0 and {MAX_PRECISION}"
        )
    return value


def _filters(
    site_id: int,
    sharing_channels: list[str],
    traffic_sources: list[str],
    campaign_ids: list[int],
    campaign_tags: list[str],
    campaign_status: str | None,
    live_campaigns_only: bool,
    exclude_qa_generated: bool,
) -> Filters:
    return Filters(
        sharing_channels=tuple(sharing_channels),
        traffic_sources=tuple(traffic_sources),
        campaign_ids=campaign_ids_for(
            site_id=site_id,
            ids=campaign_ids,
            tags=campaign_tags,
            status=campaign_status or None,
            live_only=live_campaigns_only,
        ),
        exclude_qa_generated=exclude_qa_generated,
    )


@router.get("/metrics/{metric}", summary="Calculate a metric")
def calculate_metric(
    request: HttpRequest,
    metric: str,
    start_date: str,
    end_date: str,
    site_slug: str | None = None,
    sharing_channels: list[str] = _Q_SHARING_CHANNELS,
    traffic_sources: list[str] = _Q_TRAFFIC_SOURCES,
    campaign_ids: list[int] = _Q_CAMPAIGN_IDS,
    campaign_tags: list[str] = _Q_CAMPAIGN_TAGS,
    campaign_status: str | None = None,
    mobile_visitor: bool | None = None,
    device_type: str | None = None,
    precision: int | None = None,
    live_campaigns_only: bool = False,
    exclude_qa_generated: bool = True,
) -> HttpResponse:
    site = request_site(request, site_slug)
    span = date_range(start=start_date, end=end_date)
    filters = _filters(
        site.id,
        sharing_channels,
        traffic_sources,
        campaign_ids,
        campaign_tags,
        campaign_status,
        live_campaigns_only,
        exclude_qa_generated,
    )
    value = metric_calculate(
        site_id=site.id, name=metric, span=span, filters=filters, precision=_precision(precision)
    )
    return ok(value.as_json())


@router.get(
    "/metrics/{metric}/segmentize", summary="Calculate a metric with all segmented information"
)
def segmentize_metric(
    request: HttpRequest,
    metric: str,
    start_date: str,
    end_date: str,
    site_slug: str | None = None,
    sharing_channels: list[str] = _Q_SHARING_CHANNELS,
    traffic_sources: list[str] = _Q_TRAFFIC_SOURCES,
    campaign_ids: list[int] = _Q_CAMPAIGN_IDS,
    campaign_tags: list[str] = _Q_CAMPAIGN_TAGS,
    campaign_status: str | None = None,
    mobile_visitor: bool | None = None,
    device_type: str | None = None,
    precision: int | None = None,
    live_campaigns_only: bool = False,
    exclude_qa_generated: bool = True,
    period: str | None = _Q_SEGMENT_BY_PERIOD,
    segment_tags: list[str] = _Q_SEGMENT_BY_CAMPAIGN_TAGS,
    segment_channels: bool = _Q_SEGMENT_BY_SHARING_CHANNELS,
    segment_types: bool = _Q_SEGMENT_BY_CAMPAIGN_TYPES,
) -> HttpResponse:
    site = request_site(request, site_slug)
    span = date_range(start=start_date, end=end_date)
    if segment_types:
        # Campaigns here have no placement type to segment by.
        raise ValidationFailed(
            "invalid_segment", "`segment_by[campaign_types]` is not supported by this server"
        )
    filters = _filters(
        site.id,
        sharing_channels,
        traffic_sources,
        campaign_ids,
        campaign_tags,
        campaign_status,
        live_campaigns_only,
        exclude_qa_generated,
    )
    values = metric_segmentize(
        site_id=site.id,
        name=metric,
        span=span,
        filters=filters,
        period=period or None,
        by_channel=segment_channels,
        tags=segment_tags,
        precision=_precision(precision),
    )
    return ok({"segmented": [v.as_json() for v in values]})
