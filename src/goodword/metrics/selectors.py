"""The Metrics API's figures, computed from stored rows with aggregate queries.

Each metric is a ratio of additive measures (or one measure). A measure is one aggregate query
over an index range, optionally grouped by UTC day (and channel), so a segmented answer costs
one query per measure whatever the number of segments: the days are summed into segments here.
Purchases and referrals, the tables that grow with a site's orders, are read from their per-day
totals (`metrics.models.DayTotal`, kept exact by triggers: ADR 0017), at most a few rows per
day; offers, shares and claims from their rows over `(site, created_at)`. Counts over a day are
additive, which is why a rate's numerator counts rows of the day of its denominator (offers
created that day that were ever shared)."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.db.models.functions import TruncDate

from goodword.campaigns.models import Campaign, CampaignStatus
from goodword.core.errors import DomainError, ValidationFailed
from goodword.metrics.models import PURCHASE, REFERRAL, DayTotal
from goodword.metrics.periods import DateRange, Segment, segments
from goodword.offers.models import AdvocateOffer, Claim, Share
from goodword.referrals.models import ReferralStatus

MAX_TAG_SEGMENTS = 20


@dataclass(frozen=True)
class Filters:
    """What the request narrows the figures to. `campaign_ids` None means every campaign."""

    sharing_channels: tuple[str, ...] = ()
    traffic_sources: tuple[str, ...] = ()
    campaign_ids: frozenset[int] | None = None
    exclude_qa_generated: bool = True


@dataclass(frozen=True)
class Measure:
    """One aggregate: its rows (already narrowed by site, range and filters), the column that
    dates a row, the aggregate, and whether rows carry a sharing channel to group by."""

    rows: Callable[[int, DateRange, Filters], QuerySet[Any]]
    dated_by: str
    value: Callable[[], Any]
    channel: str | None = None
    # True when `dated_by` is already a UTC day (the per-day totals), not a time.
    daily: bool = False


def _totals(site_id: int, kind: str, span: DateRange) -> QuerySet[Any]:
    return DayTotal.objects.filter(
        site_id=site_id, kind=kind, day__gte=span.start, day__lte=span.end
    )


def _origins(site_id: int, span: DateRange, f: Filters) -> QuerySet[Any]:
    """Purchase origins that happened in the range, as per-day totals."""
    rows = _totals(site_id, PURCHASE, span)
    if f.traffic_sources:
        rows = rows.filter(traffic_source__in=f.traffic_sources)
    return rows


def _offers(site_id: int, span: DateRange, f: Filters) -> QuerySet[Any]:
    rows = AdvocateOffer.objects.filter(
        site_id=site_id, created_at__gte=span.start_at, created_at__lt=span.end_before
    )
    if f.campaign_ids is not None:
        rows = rows.filter(campaign_id__in=f.campaign_ids)
    return rows


def _shared_offers(site_id: int, span: DateRange, f: Filters) -> QuerySet[Any]:
    shares = Share.objects.filter(offer_id=OuterRef("pk"))
    if f.sharing_channels:
        shares = shares.filter(channel__in=f.sharing_channels)
    return _offers(site_id, span, f).filter(Exists(shares))


def _channel_rows(
    model: type[Share] | type[Claim],
) -> Callable[[int, DateRange, Filters], QuerySet[Any]]:
    """The rows of `model` (shares, or friends' claims) made in the range, on the filters'
    channels and campaigns: both carry a channel and an offer."""

    def rows(site_id: int, span: DateRange, f: Filters) -> QuerySet[Any]:
        found = model.objects.filter(
            site_id=site_id, created_at__gte=span.start_at, created_at__lt=span.end_before
        )
        if f.sharing_channels:
            found = found.filter(channel__in=f.sharing_channels)
        if f.campaign_ids is not None:
            found = found.filter(offer__campaign_id__in=f.campaign_ids)
        return found

    return rows


_shares = _channel_rows(Share)
_claims = _channel_rows(Claim)


def _referrals(site_id: int, span: DateRange, f: Filters) -> QuerySet[Any]:
    """Referrals made in the range, voided ones left out, as per-day totals."""
    rows = _totals(site_id, REFERRAL, span).exclude(status=ReferralStatus.VOIDED)
    if f.campaign_ids is not None:
        rows = rows.filter(campaign_id__in=f.campaign_ids)
    if f.exclude_qa_generated:
        rows = rows.filter(qa_generated=False)
    if f.traffic_sources:
        rows = rows.filter(traffic_source__in=f.traffic_sources)
    return rows


def _approved(site_id: int, span: DateRange, f: Filters) -> QuerySet[Any]:
    return _referrals(site_id, span, f).filter(status=ReferralStatus.APPROVED)


def _count() -> Any:
    return Count("pk")


def _total_count() -> Any:
    return Sum("count")


def _total_amount() -> Any:
    return Sum("amount")


MEASURES: dict[str, Measure] = {
    "purchases": Measure(_origins, "day", _total_count, daily=True),
    "revenue": Measure(_origins, "day", _total_amount, daily=True),
    "offers": Measure(_offers, "created_at", _count),
    "shared_offers": Measure(_shared_offers, "created_at", _count),
    "shares": Measure(_shares, "created_at", _count, channel="channel"),
    "claims": Measure(_claims, "created_at", _count, channel="channel"),
    "referrals": Measure(_referrals, "day", _total_count, daily=True),
    "approved_referrals": Measure(_approved, "day", _total_count, daily=True),
    "referred_revenue": Measure(_referrals, "day", _total_amount, daily=True),
}


@dataclass(frozen=True)
class Metric:
    numerator: str
    denominator: str | None = None
    result_type: str = "number"  # number, currency or percentage


# Talkable's dashboard figures. Purchases and revenue count every purchase reported (campaign
# filters don't narrow them: a purchase belongs to no campaign); referral figures leave voided
# referrals out.
METRICS: dict[str, Metric] = {
    "purchases": Metric("purchases"),
    "revenue": Metric("revenue", result_type="currency"),
    "average_order_value": Metric("revenue", "purchases", "currency"),
    "advocates": Metric("offers"),
    "shares": Metric("shares"),
    "sharing_rate": Metric("shared_offers", "offers", "percentage"),
    "friend_claims": Metric("claims"),
    "referrals": Metric("referrals"),
    "approved_referrals": Metric("approved_referrals"),
    "referred_revenue": Metric("referred_revenue", result_type="currency"),
    "referral_rate": Metric("referrals", "purchases", "percentage"),
}


def campaign_ids_for(
    *,
    site_id: int,
    ids: list[int],
    tags: list[str],
    status: str | None,
    live_only: bool,
) -> frozenset[int] | None:
    """The campaigns the filters leave (None when no campaign filter was given)."""
    if not ids and not tags and status is None and not live_only:
        return None
    statuses = {s.value for s in CampaignStatus}
    if status is not None and status not in statuses:
        raise ValidationFailed(
            "invalid_filter", f"`campaign_status` must be within {sorted(statuses)}"
        )
    campaigns = Campaign.objects.filter(site_id=site_id)
    if ids:
        campaigns = campaigns.filter(pk__in=ids)
    if status is not None:
        campaigns = campaigns.filter(status=status)
    if live_only:
        campaigns = campaigns.filter(status=CampaignStatus.LIVE)
    wanted = set(tags)
    return frozenset(
        pk
        for pk, campaign_tags in campaigns.values_list("pk", "tags")
        if not wanted or wanted & set(campaign_tags or ())
    )


def _number(value: Any) -> Decimal:
    return Decimal(value or 0)


def _total(measure: Measure, site_id: int, span: DateRange, f: Filters) -> Decimal:
    rows = measure.rows(site_id, span, f)
    return _number(rows.aggregate(v=measure.value())["v"])


def _by_day(
    measure: Measure, site_id: int, span: DateRange, f: Filters, by_channel: bool
) -> dict[tuple[date, str | None], Decimal]:
    keys = ["day"]
    rows = measure.rows(site_id, span, f)
    if not measure.daily:
        rows = rows.annotate(day=TruncDate(measure.dated_by, tzinfo=UTC))
    if by_channel and measure.channel:
        keys.append(measure.channel)
    grouped = rows.order_by().values(*keys).annotate(v=measure.value())
    result: dict[tuple[date, str | None], Decimal] = {}
    for row in grouped:
        channel = row.get(measure.channel) if by_channel and measure.channel else None
        result[(row["day"], channel)] = _number(row["v"])
    return result


@dataclass
class Value:
    plain: float | int
    formatted: str
    result_type: str
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "plain": self.plain,
            "formatted": self.formatted,
            "result_type": self.result_type,
            **self.extra,
        }


def _value(
    metric: Metric, numerator: Decimal, denominator: Decimal | None, precision: int
) -> Value:
    if metric.denominator is None:
        amount = numerator
    else:
        amount = numerator / denominator if denominator else Decimal(0)
        if metric.result_type == "percentage":
            amount *= 100
    if metric.result_type == "number" and metric.denominator is None:
        count = int(amount)
        return Value(count, f"{count:,}", "number")
    places = Decimal(1).scaleb(-precision)
    rounded = amount.quantize(places, rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{precision}f}"
    if metric.result_type == "percentage":
        text += "%"
    return Value(float(rounded), text, metric.result_type)


def metric_get(name: str) -> Metric:
    metric = METRICS.get(name)
    if metric is None:
        raise DomainError("metric_not_found", "No metric found.")
    return metric


def metric_calculate(
    *, site_id: int, name: str, span: DateRange, filters: Filters, precision: int = 2
) -> Value:
    """The metric over the whole range."""
    metric = metric_get(name)
    top = MEASURES[metric.numerator]
    bottom = MEASURES[metric.denominator] if metric.denominator else None
    if bottom is not None and bottom.rows is top.rows:
        # Both from the same rows (revenue per purchase): one pass over them, not two.
        sums = top.rows(site_id, span, filters).aggregate(n=top.value(), d=bottom.value())
        return _value(metric, _number(sums["n"]), _number(sums["d"]), precision)
    numerator = _total(top, site_id, span, filters)
    denominator = _total(bottom, site_id, span, filters) if bottom is not None else None
    return _value(metric, numerator, denominator, precision)


def metric_segmentize(
    *,
    site_id: int,
    name: str,
    span: DateRange,
    filters: Filters,
    period: str | None,
    by_channel: bool,
    tags: list[str],
    precision: int = 2,
) -> list[Value]:
    """The metric per segment: per calendar period (the whole range when none), per sharing
    channel when asked (for the measures that carry one), per campaign tag when tags are given."""
    metric = metric_get(name)
    cuts = segments(span, period) if period else [Segment(span.start, span.end)]
    if len(tags) > MAX_TAG_SEGMENTS:
        raise ValidationFailed(
            "invalid_segment",
            f"`segment_by[campaign_tags]` takes at most {MAX_TAG_SEGMENTS} tags",
        )
    values: list[Value] = []
    wanted: list[str | None] = [*tags] if tags else [None]
    for tag in wanted:
        narrowed = filters
        if tag is not None:
            tagged = (
                campaign_ids_for(site_id=site_id, ids=[], tags=[tag], status=None, live_only=False)
                or frozenset()
            )
            if filters.campaign_ids is not None:
                tagged &= filters.campaign_ids
            narrowed = Filters(
                filters.sharing_channels,
                filters.traffic_sources,
                tagged,
                filters.exclude_qa_generated,
            )
        values.extend(_segmented(metric, site_id, span, narrowed, cuts, by_channel, tag, precision))
    return values


def _segmented(
    metric: Metric,
    site_id: int,
    span: DateRange,
    filters: Filters,
    cuts: list[Segment],
    by_channel: bool,
    tag: str | None,
    precision: int,
) -> list[Value]:
    top = _by_day(MEASURES[metric.numerator], site_id, span, filters, by_channel)
    bottom = (
        _by_day(MEASURES[metric.denominator], site_id, span, filters, by_channel)
        if metric.denominator
        else None
    )
    channels: list[str | None] = [None]
    if by_channel and (
        MEASURES[metric.numerator].channel
        or (metric.denominator and MEASURES[metric.denominator].channel)
    ):
        seen = {c for _, c in top} | ({c for _, c in bottom} if bottom else set())
        channels = sorted((c for c in seen if c is not None), key=str) or [None]

    starts = [cut.start for cut in cuts]

    def bucketed(days: dict[tuple[date, str | None], Decimal]) -> dict[tuple[int, Any], Decimal]:
        # Each day into its segment once: O(days), whatever the number of segments.
        sums: dict[tuple[int, Any], Decimal] = defaultdict(Decimal)
        for (day, channel), value in days.items():
            sums[(bisect_right(starts, day) - 1, channel)] += value
        return sums

    top_sums = bucketed(top)
    bottom_sums = bucketed(bottom) if bottom is not None else None
    values = []
    for index, cut in enumerate(cuts):
        for channel in channels:
            numerator = top_sums.get((index, channel), Decimal(0))
            denominator = (
                bottom_sums.get((index, channel), Decimal(0)) if bottom_sums is not None else None
            )
            value = _value(metric, numerator, denominator, precision)
            value.extra["period"] = cut.label
            if channel is not None or by_channel:
                value.extra["sharing_channel"] = channel
            if tag is not None:
                value.extra["campaign_tag"] = tag
            values.append(value)
    return values
