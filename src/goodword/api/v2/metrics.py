"""Metrics API: GET /metrics/{metric} and /metrics/{metric}/segmentize."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

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


class MetricParams(Schema):
    """The query parameters of both metrics operations, named as Talkable names them
    (`sharing_channels[]`). `mobile_visitor` and `device_type` are accepted and have no effect:
    Goodword does not record a visitor's device."""

    start_date: str
    end_date: str
    site_slug: str | None = None
    sharing_channels: list[str] = Field([], alias="sharing_channels[]")
    traffic_sources: list[str] = Field([], alias="traffic_sources[]")
    campaign_ids: list[int] = Field([], alias="campaign_ids[]")
    campaign_tags: list[str] = Field([], alias="campaign_tags[]")
    campaign_status: str | None = None
    mobile_visitor: bool | None = None
    device_type: str | None = None
    precision: int | None = None
    live_campaigns_only: bool = False
    exclude_qa_generated: bool = True


class SegmentParams(MetricParams):
    """MetricParams and the segmentation (`segment_by[period]`)."""

    period: str | None = Field(None, alias="segment_by[period]")
    segment_tags: list[str] = Field([], alias="segment_by[campaign_tags]")
    segment_channels: bool = Field(False, alias="segment_by[sharing_channels]")
    segment_types: bool = Field(False, alias="segment_by[campaign_types]")


def _precision(value: int | None) -> int:
    if value is None:
        return 2
    if not 0 <= value <= MAX_PRECISION:
        raise ValidationFailed(
            "invalid_precision", f"`precision` must be between 0 and {MAX_PRECISION}"
        )
    return value


def _filters(site_id: int, params: MetricParams) -> Filters:
    return Filters(
        sharing_channels=tuple(params.sharing_channels),
        traffic_sources=tuple(params.traffic_sources),
        campaign_ids=campaign_ids_for(
            site_id=site_id,
            ids=params.campaign_ids,
            tags=params.campaign_tags,
            status=params.campaign_status or None,
            live_only=params.live_campaigns_only,
        ),
        exclude_qa_generated=params.exclude_qa_generated,
    )


@router.get("/metrics/{metric}", summary="Calculate a metric")
def calculate_metric(
    request: HttpRequest, metric: str, params: Query[MetricParams]
) -> HttpResponse:
    site = request_site(request, params.site_slug)
    span = date_range(start=params.start_date, end=params.end_date)
    value = metric_calculate(
        site_id=site.id,
        name=metric,
        span=span,
        filters=_filters(site.id, params),
        precision=_precision(params.precision),
    )
    return ok(value.as_json())


@router.get(
    "/metrics/{metric}/segmentize", summary="Calculate a metric with all segmented information"
)
def segmentize_metric(
    request: HttpRequest, metric: str, params: Query[SegmentParams]
) -> HttpResponse:
    site = request_site(request, params.site_slug)
    span = date_range(start=params.start_date, end=params.end_date)
    if params.segment_types:
        # Campaigns here have no placement type to segment by.
        raise ValidationFailed(
            "invalid_segment", "`segment_by[campaign_types]` is not supported by this server"
        )
    values = metric_segmentize(
        site_id=site.id,
        name=metric,
        span=span,
        filters=_filters(site.id, params),
        period=params.period or None,
        by_channel=params.segment_channels,
        tags=params.segment_tags,
        precision=_precision(params.precision),
    )
    return ok({"segmented": [v.as_json() for v in values]})
